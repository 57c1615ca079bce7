// IDX files, the format MNIST ships in (http://yann.lecun.com/exdb/mnist/): a big-endian
// header (magic, counts, dimensions) followed by unsigned bytes. Only the two MNIST shapes are
// accepted: images (magic 2051, n x 28 x 28) and labels (magic 2049, n values 0..9). Every
// error is a std::invalid_argument (std::runtime_error for I/O) naming the file and the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lmul {

constexpr uint32_t kIdxImagesMagic = 2051;
constexpr uint32_t kIdxLabelsMagic = 2049;
constexpr std::size_t kMnistSide = 28;
constexpr std::size_t kMnistPixels = kMnistSide * kMnistSide;

struct MnistImages {
  std::size_t count = 0;
  std::vector<uint8_t> pixels; // count * 784, row-major 28 x 28 per image, ink = 255
};

// `name` (a path or label) is only used in error messages.
MnistImages parse_idx_images(const uint8_t* data, std::size_t size, const std::string& name);
std::vector<uint8_t> parse_idx_labels(const uint8_t* data, std::size_t size,
                                      const std::string& name);

MnistImages read_idx_images(const std::string& path);
std::vector<uint8_t> read_idx_labels(const std::string& path);

struct MnistSet {
  MnistImages images;
  std::vector<uint8_t> labels; // images.count entries
};

// Reads DIR/{train,t10k}-images-idx3-ubyte and the matching labels file, and checks that the
// two counts agree.
MnistSet load_mnist(const std::string& dir, bool train);

} // namespace lmul
