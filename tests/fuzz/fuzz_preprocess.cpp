// Fuzz target: preprocess_digit with arbitrary sizes and values.
//
// Input layout:
//   byte 0      mode: bit 0 values are raw fp32 words (mostly invalid) instead of bytes / 255;
//               bit 7 sizes are raw 16-bit values (mostly invalid) instead of 1..64
//   bytes 1-4   width and height (little-endian 16-bit each in raw mode, else 1 + b % 64)
//   rest        the values, row by row; missing values are 0 (background)
//
// Invariants, beyond "no crash, no leak, no undefined behaviour":
//  - bad sizes and values throw std::invalid_argument with the documented message;
//  - the result is 28 x 28 values in [0, 1]; blank exactly when there is no ink;
//  - the reported box is the ink's bounding box;
//  - ink is conserved: sum(out) = s^2 * sum(crop), s = 20 / max(box sides);
//  - the center of mass lands within half a pixel of (14, 14), unless the shift was clamped
//    (then the ink touches the field's edge);
//  - moving the drawing on the canvas does not change the result (bit for bit).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "lmul/format.hpp"
#include "lmul/preprocess.hpp"

namespace {
using namespace lmul;

std::string size_error(std::size_t width, std::size_t height) {
  if (width < 1 || width > 16384)
    return "width must be an integer in 1..16384, got " + std::to_string(width);
  if (height < 1 || height > 16384)
    return "height must be an integer in 1..16384, got " + std::to_string(height);
  if (width * height > (std::size_t(1) << 26))
    return "width * height must be at most 67108864, got " + std::to_string(width * height);
  return "";
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  fuzz::Reader in(data, size);
  const uint8_t mode = in.byte();
  std::size_t width, height;
  if (mode & 0x80) {
    width = in.byte() | std::size_t(in.byte()) << 8;
    height = in.byte() | std::size_t(in.byte()) << 8;
  } else {
    width = 1 + in.byte() % 64;
    height = 1 + in.byte() % 64;
    in.byte();
    in.byte();
  }

  const std::string bad_size = size_error(width, height);
  if (!bad_size.empty() || width * height > 65536) {
    // Too large to fill here: only the size checks (which come before any read) can run.
    try {
      preprocess_digit(nullptr, width, height);
      FUZZ_CHECK(false, "%zu x %zu with a null raster was accepted", width, height);
    } catch (const std::invalid_argument& e) {
      const std::string expected =
          bad_size.empty() ? "gray must point to width * height values, got null" : bad_size;
      FUZZ_CHECK(expected == e.what(), "%zu x %zu: '%s', expected '%s'", width, height, e.what(),
                 expected.c_str());
    }
    return 0;
  }

  std::vector<float> gray(width * height, 0.0f);
  for (float& v : gray) {
    if (in.left() == 0)
      break;
    v = mode & 1 ? float_of(in.u32()) : float(in.byte()) / 255.0f;
  }

  // The first bad value, if any, decides the message.
  std::string bad_value;
  for (std::size_t i = 0; i < gray.size() && bad_value.empty(); ++i)
    if (!(gray[i] >= 0.0f && gray[i] <= 1.0f))
      bad_value = "gray[" + std::to_string(i) + "] must be a finite value in [0, 1], got ";
  DigitInput d;
  try {
    d = preprocess_digit(gray.data(), width, height);
    FUZZ_CHECK(bad_value.empty(), "accepted a raster where %s...", bad_value.c_str());
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(!bad_value.empty() && fuzz::starts_with(e.what(), bad_value),
               "'%s', expected '%s...'", e.what(), bad_value.c_str());
    return 0;
  }

  FUZZ_CHECK(d.pixels.size() == kDigitSide * kDigitSide, "%zu pixels", d.pixels.size());
  double out_sum = 0, mx = 0, my = 0;
  bool edge_x = false, edge_y = false;
  for (std::size_t v = 0; v < kDigitSide; ++v)
    for (std::size_t u = 0; u < kDigitSide; ++u) {
      const float p = d.pixels[v * kDigitSide + u];
      FUZZ_CHECK(p >= 0.0f && p <= 1.0f, "pixel (%zu, %zu) is %a", u, v, double(p));
      out_sum += p;
      mx += p * double(u);
      my += p * double(v);
      if (p > 0) {
        edge_x = edge_x || u == 0 || u == kDigitSide - 1;
        edge_y = edge_y || v == 0 || v == kDigitSide - 1;
      }
    }

  // The ink's bounding box, found independently.
  std::size_t x0 = width, x1 = 0, y0 = height, y1 = 0;
  for (std::size_t y = 0; y < height; ++y)
    for (std::size_t x = 0; x < width; ++x)
      if (gray[y * width + x] > 0) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
  const bool blank = x0 > x1;
  FUZZ_CHECK(d.blank == blank, "blank is %d for a raster %s ink", int(d.blank),
             blank ? "without" : "with");
  if (blank) {
    FUZZ_CHECK(out_sum == 0, "a blank raster gives ink %g", out_sum);
    return 0;
  }
  FUZZ_CHECK(d.box_x == x0 && d.box_y == y0 && d.box_width == x1 - x0 + 1 &&
                 d.box_height == y1 - y0 + 1,
             "box (%zu, %zu, %zu x %zu), ink box (%zu, %zu, %zu x %zu)", d.box_x, d.box_y,
             d.box_width, d.box_height, x0, y0, x1 - x0 + 1, y1 - y0 + 1);

  double crop_sum = 0, smallest = 1;
  for (std::size_t y = y0; y <= y1; ++y)
    for (std::size_t x = x0; x <= x1; ++x) {
      const double v = gray[y * width + x];
      crop_sum += v;
      if (v > 0)
        smallest = std::min(smallest, v);
    }
  const double s = 20.0 / double(std::max(d.box_width, d.box_height));
  const double expected_sum = s * s * crop_sum;
  FUZZ_CHECK(std::fabs(out_sum - expected_sum) <= 1e-5 * expected_sum + 1e-6,
             "ink not conserved: %.9g out, %.9g expected (s = %g)", out_sum, expected_sum, s);

  if (smallest > 1e-20 && out_sum > 1e-12) { // no ink lost to fp32 underflow
    const double cx = mx / out_sum, cy = my / out_sum;
    FUZZ_CHECK(std::fabs(cx - 14) <= 0.5 + 1e-4 || edge_x, "center of mass x = %.6f", cx);
    FUZZ_CHECK(std::fabs(cy - 14) <= 0.5 + 1e-4 || edge_y, "center of mass y = %.6f", cy);
  }

  // The same drawing one pixel right and down on a larger canvas.
  if (width < 16384 && height < 16384) {
    const std::size_t w2 = width + 1;
    std::vector<float> moved(w2 * (height + 1), 0.0f);
    for (std::size_t y = 0; y < height; ++y)
      std::copy(gray.begin() + y * width, gray.begin() + (y + 1) * width,
                moved.begin() + (y + 1) * w2 + 1);
    const DigitInput m = preprocess_digit(moved.data(), w2, height + 1);
    FUZZ_CHECK(m.box_x == d.box_x + 1 && m.box_y == d.box_y + 1, "box did not move");
    FUZZ_CHECK(std::memcmp(m.pixels.data(), d.pixels.data(), 4 * d.pixels.size()) == 0,
               "moving the drawing changed the result");
  }
  return 0;
}
