// Turns a drawing into an MNIST-style network input, the way MNIST itself was made:
// crop to the ink's bounding box, scale it to fit 20x20 keeping the aspect ratio
// (anti-aliased), and place it in a 28x28 field so that its center of mass is at the center.
// One implementation for the CLI, the package (lm.preprocess) and the page.
#pragma once

#include <cstddef>
#include <vector>

namespace lmul {

constexpr std::size_t kDigitSide = 28;    // network input is 28 x 28
constexpr std::size_t kDigitBoxSide = 20; // the ink's bounding box is scaled to fit 20 x 20

struct DigitInput {
  std::vector<float> pixels; // 28 * 28 values in [0, 1], row-major, ink = 1
  bool blank = true;         // no ink at all: pixels are all zero
  // The ink's bounding box in the source raster (valid when !blank).
  std::size_t box_x = 0, box_y = 0, box_width = 0, box_height = 0;
};

// gray: width * height values in [0, 1], row-major, ink = high (1), background = 0. Values
// outside [0, 1] or not finite, and zero or absurd sizes, throw std::invalid_argument naming
// the parameter.
DigitInput preprocess_digit(const float* gray, std::size_t width, std::size_t height);

} // namespace lmul
