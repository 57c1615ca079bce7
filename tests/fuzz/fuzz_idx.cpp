// Fuzz target: the IDX reader (parse_idx_images and parse_idx_labels, the same bytes to both).
//
// Invariants, beyond "no crash, no leak, no undefined behaviour":
//  - an accepted file has the right magic, 28 x 28 images (or labels 0..9), exactly the length
//    its header announces, and its items are the file's bytes, unchanged;
//  - no file is accepted by both readers;
//  - a rejected file throws std::invalid_argument starting with the file name, and the message
//    names the first problem an independent model of the format finds (gzip, short header, bad
//    magic, bad dimensions, truncated / trailing bytes, a label above 9).
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "lmul/idx.hpp"

namespace {
using namespace lmul;

const std::string kName = "fuzz/input.idx";

uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

// The phrase the reader's message must contain for these bytes, or "" if they are valid.
std::string expected_problem(const uint8_t* data, std::size_t size, bool images) {
  const std::size_t header = images ? 16 : 8;
  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    return "is gzip-compressed";
  if (size < header)
    return "has " + std::to_string(size) + " bytes, fewer than the " + std::to_string(header) +
           "-byte header";
  const uint32_t magic = be32(data), expected = images ? kIdxImagesMagic : kIdxLabelsMagic;
  if (magic != expected)
    return "bad magic number " + std::to_string(magic);
  const uint64_t count = be32(data + 4);
  if (images) {
    const uint32_t rows = be32(data + 8), cols = be32(data + 12);
    if (rows != 28 || cols != 28)
      return "images are " + std::to_string(rows) + " x " + std::to_string(cols);
  }
  const uint64_t length = header + count * (images ? 784 : 1);
  if (size != length)
    return size < length ? "(truncated)" : "(trailing bytes)";
  if (!images)
    for (std::size_t k = 0; k < count; ++k)
      if (data[8 + k] > 9)
        return "label " + std::to_string(k) + " is " + std::to_string(data[8 + k]);
  return "";
}

void check_rejection(const std::invalid_argument& e, const std::string& problem, bool images) {
  const std::string m = e.what();
  FUZZ_CHECK(fuzz::starts_with(m, kName + ": "), "message does not start with the name: '%s'",
             m.c_str());
  FUZZ_CHECK(!problem.empty(), "%s reader rejected a valid file: '%s'", images ? "image" : "label",
             m.c_str());
  FUZZ_CHECK(m.find(problem) != std::string::npos, "message '%s' does not say '%s'", m.c_str(),
             problem.c_str());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  bool accepted_images = false, accepted_labels = false;

  const std::string image_problem = expected_problem(data, size, true);
  try {
    const MnistImages im = parse_idx_images(data, size, kName);
    accepted_images = true;
    FUZZ_CHECK(image_problem.empty(), "image reader accepted a file with problem '%s'",
               image_problem.c_str());
    FUZZ_CHECK(im.count == be32(data + 4), "count %zu, header says %u", im.count, be32(data + 4));
    FUZZ_CHECK(im.pixels.size() == im.count * kMnistPixels && size == 16 + im.pixels.size(),
               "%zu pixels for %zu images in %zu bytes", im.pixels.size(), im.count, size);
    FUZZ_CHECK(im.pixels.empty() || std::memcmp(im.pixels.data(), data + 16, im.pixels.size()) == 0,
               "pixels differ from the file's bytes");
  } catch (const std::invalid_argument& e) {
    check_rejection(e, image_problem, true);
  }

  const std::string label_problem = expected_problem(data, size, false);
  try {
    const std::vector<uint8_t> labels = parse_idx_labels(data, size, kName);
    accepted_labels = true;
    FUZZ_CHECK(label_problem.empty(), "label reader accepted a file with problem '%s'",
               label_problem.c_str());
    FUZZ_CHECK(labels.size() == be32(data + 4) && size == 8 + labels.size(),
               "%zu labels, header says %u, %zu bytes", labels.size(), be32(data + 4), size);
    for (std::size_t k = 0; k < labels.size(); ++k)
      FUZZ_CHECK(labels[k] <= 9 && labels[k] == data[8 + k], "label %zu is %u", k,
                 unsigned(labels[k]));
  } catch (const std::invalid_argument& e) {
    check_rejection(e, label_problem, false);
  }

  FUZZ_CHECK(!(accepted_images && accepted_labels), "both readers accepted the same bytes");
  return 0;
}
