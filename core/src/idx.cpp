#include "lmul/idx.hpp"

#include <stdexcept>

#include "lmul/safetensors.hpp"

namespace lmul {

namespace {
uint32_t read_u32_be(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

[[noreturn]] void fail(const std::string& name, const std::string& message) {
  throw std::invalid_argument(name + ": " + message);
}

void check_magic(const uint8_t* data, std::size_t size, std::size_t header_bytes, uint32_t expected,
                 const char* kind, const std::string& name) {
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    fail(name, "is gzip-compressed; decompress it first (gunzip)");
  if (size < header_bytes)
    fail(name, "has " + std::to_string(size) + " bytes, fewer than the " +
                   std::to_string(header_bytes) + "-byte header of an IDX " + kind + " file");
  const uint32_t magic = read_u32_be(data);
  if (magic != expected) {
    const std::string other = magic == kIdxImagesMagic   ? " (that is an image file)"
                              : magic == kIdxLabelsMagic ? " (that is a label file)"
                                                         : "";
    fail(name, "bad magic number " + std::to_string(magic) + other + ", expected " +
                   std::to_string(expected) + " for an IDX " + kind + " file");
  }
}

void check_length(std::size_t size, uint64_t expected, uint32_t count, const std::string& name) {
  if (size != expected)
    fail(name, "is " + std::to_string(size) + " bytes but its header announces " +
                   std::to_string(count) + " items, which take " + std::to_string(expected) +
                   " bytes (" + (size < expected ? "truncated" : "trailing bytes") + ")");
}

template <class Parse> auto read_with(const std::string& path, Parse parse) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  return parse(bytes.data(), bytes.size(), path);
}
} // namespace

MnistImages parse_idx_images(const uint8_t* data, std::size_t size, const std::string& name) {
  constexpr std::size_t kHeader = 16;
  check_magic(data, size, kHeader, kIdxImagesMagic, "image", name);
  const uint32_t count = read_u32_be(data + 4);
  const uint32_t rows = read_u32_be(data + 8), cols = read_u32_be(data + 12);
  if (rows != kMnistSide || cols != kMnistSide)
    fail(name, "images are " + std::to_string(rows) + " x " + std::to_string(cols) +
                   ", expected 28 x 28");
  check_length(size, kHeader + uint64_t(count) * kMnistPixels, count, name);
  MnistImages images;
  images.count = count;
  images.pixels.assign(data + kHeader, data + size);
  return images;
}

std::vector<uint8_t> parse_idx_labels(const uint8_t* data, std::size_t size,
                                      const std::string& name) {
  constexpr std::size_t kHeader = 8;
  check_magic(data, size, kHeader, kIdxLabelsMagic, "label", name);
  const uint32_t count = read_u32_be(data + 4);
  check_length(size, kHeader + uint64_t(count), count, name);
  std::vector<uint8_t> labels(data + kHeader, data + size);
  for (std::size_t k = 0; k < labels.size(); ++k)
    if (labels[k] > 9)
      fail(name, "label " + std::to_string(k) + " is " + std::to_string(labels[k]) +
                     ", expected a digit 0..9");
  return labels;
}

MnistImages read_idx_images(const std::string& path) { return read_with(path, parse_idx_images); }

std::vector<uint8_t> read_idx_labels(const std::string& path) {
  return read_with(path, parse_idx_labels);
}

MnistSet load_mnist(const std::string& dir, bool train) {
  const std::string stem = dir + "/" + (train ? "train" : "t10k");
  MnistSet set;
  set.images = read_idx_images(stem + "-images-idx3-ubyte");
  set.labels = read_idx_labels(stem + "-labels-idx1-ubyte");
  if (set.labels.size() != set.images.count)
    throw std::invalid_argument(
        stem + "-labels-idx1-ubyte has " + std::to_string(set.labels.size()) + " labels but " +
        stem + "-images-idx3-ubyte has " + std::to_string(set.images.count) + " images");
  return set;
}

} // namespace lmul
