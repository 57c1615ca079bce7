// MNIST-style preprocessing of a drawing (preprocess.hpp).
//
// How MNIST was made (LeCun, Cortes & Burges): the bilevel NIST digits were size-normalized to
// fit a 20x20 box keeping their aspect ratio, with anti-aliasing (hence the grey levels), then
// placed in a 28x28 field so that the center of mass of the pixels sits at the center.
//
// Choices made here, each checked against the MNIST test set itself (10000 images):
// - Ink is every pixel > 0; the bounding box is the box of all ink pixels.
// - The crop is scaled by s = 20 / max(box_width, box_height) with an area-averaging box
//   filter: source pixel (i, j) becomes the square [i*s, (i+1)*s) x [j*s, (j+1)*s) and every
//   output pixel gets the ink of the squares it overlaps, weighted by overlap area. This
//   averages when shrinking (anti-aliasing), replicates when enlarging, keeps the aspect ratio
//   exactly and conserves ink (sum of the output = s^2 * sum of the crop). The larger side
//   always covers exactly 20 pixels: in MNIST 9997 of 10000 test digits have a 20-pixel side.
// - Center of mass is computed on this 20x20 result with pixel index coordinates, and the box
//   is moved by an INTEGER shift so that the rounded center of mass lands on index 14. MNIST's
//   test digits have their center of mass at (14.01, 13.99) with standard deviation 0.29 in
//   both axes, which is the spread of a uniform +-0.5 rounding error: MNIST used whole-pixel
//   shifts, and a whole-pixel shift adds no second interpolation blur.
// - Check of the whole recipe: preprocessing the 10000 MNIST test images themselves returns
//   9997 of them unchanged, bit for bit (the 3 others have a 19-pixel larger side and are
//   rescaled to 20); tests/web/preprocess.test.mjs checks this through the package.
// - The shift is clamped so that the whole 20x20 box stays inside the 28x28 field (an extreme,
//   very lopsided drawing keeps all its ink rather than being centered exactly).
#include "lmul/preprocess.hpp"

#include "lmul/decimal.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace lmul {

namespace {

constexpr std::size_t kMaxSide = 16384;                  // larger rasters are a caller's bug
constexpr std::size_t kMaxPixels = std::size_t{1} << 26; // 64 Mi values = 256 MiB of floats
constexpr int kCenterIndex = 14;                         // where MNIST puts the center of mass

std::string format_value(float v) {
  return std::isnan(v) ? "NaN" : shortest_decimal(v); // which writes inf and -inf as they were
}

// Overlap weights of source cells [i*s, (i+1)*s) with output cells [u, u+1), u in [0, out).
// Returns, for every source index, the first output index and the weights that follow it.
struct AxisWeights {
  std::vector<std::size_t> first;  // first output cell touched by source cell i
  std::vector<std::size_t> count;  // number of output cells touched
  std::vector<std::size_t> offset; // start of source cell i's weights in `weight`
  std::vector<double> weight;      // overlap lengths
};

AxisWeights axis_weights(std::size_t n, double s, std::size_t out) {
  AxisWeights w;
  w.first.resize(n);
  w.count.resize(n);
  w.offset.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double lo = double(i) * s, hi = double(i + 1) * s;
    const auto u0 = static_cast<std::size_t>(std::floor(lo));
    w.first[i] = u0;
    w.offset[i] = w.weight.size();
    std::size_t c = 0;
    for (std::size_t u = u0; u < out && double(u) < hi; ++u, ++c) {
      // Overlaps below 1e-9 are rounding noise of i * s at a cell boundary: they get weight 0
      // so that they cannot create faint ink outside the box.
      const double overlap = std::min(hi, double(u + 1)) - std::max(lo, double(u));
      w.weight.push_back(overlap > 1e-9 ? overlap : 0.0);
    }
    w.count[i] = c;
  }
  return w;
}

} // namespace

DigitInput preprocess_digit(const float* gray, std::size_t width, std::size_t height) {
  if (width < 1 || width > kMaxSide)
    throw std::invalid_argument("width must be an integer in 1.." + std::to_string(kMaxSide) +
                                ", got " + std::to_string(width));
  if (height < 1 || height > kMaxSide)
    throw std::invalid_argument("height must be an integer in 1.." + std::to_string(kMaxSide) +
                                ", got " + std::to_string(height));
  if (width * height > kMaxPixels)
    throw std::invalid_argument("width * height must be at most " + std::to_string(kMaxPixels) +
                                ", got " + std::to_string(width * height));
  if (gray == nullptr)
    throw std::invalid_argument("gray must point to width * height values, got null");

  // Validate and find the ink's bounding box in one pass.
  std::size_t x0 = width, x1 = 0, y0 = height, y1 = 0;
  for (std::size_t y = 0; y < height; ++y) {
    const float* row = gray + y * width;
    for (std::size_t x = 0; x < width; ++x) {
      const float v = row[x];
      if (!(v >= 0.0f && v <= 1.0f))
        throw std::invalid_argument("gray[" + std::to_string(y * width + x) +
                                    "] must be a finite value in [0, 1], got " + format_value(v));
      if (v > 0.0f) {
        x0 = std::min(x0, x);
        x1 = std::max(x1, x);
        y0 = std::min(y0, y);
        y1 = std::max(y1, y);
      }
    }
  }

  DigitInput result;
  result.pixels.assign(kDigitSide * kDigitSide, 0.0f);
  if (x0 > x1) // no ink
    return result;
  result.blank = false;
  result.box_x = x0;
  result.box_y = y0;
  result.box_width = x1 - x0 + 1;
  result.box_height = y1 - y0 + 1;

  // Scale the crop to fit 20x20, area-averaged, into a tw x th buffer starting at (0, 0).
  const std::size_t bw = result.box_width, bh = result.box_height;
  const double s = double(kDigitBoxSide) / double(std::max(bw, bh));
  auto extent = [&](std::size_t n) {
    if (n == std::max(bw, bh))
      return kDigitBoxSide; // exactly 20, whatever the rounding of n * s
    const auto e = static_cast<std::size_t>(std::ceil(double(n) * s - 1e-9));
    return std::clamp<std::size_t>(e, 1, kDigitBoxSide);
  };
  const std::size_t tw = extent(bw), th = extent(bh);
  const AxisWeights wx = axis_weights(bw, s, tw), wy = axis_weights(bh, s, th);

  // Rows first: tmp[j][u] = sum_i crop[j][i] * wx(i, u).
  std::vector<double> tmp(bh * tw, 0.0);
  for (std::size_t j = 0; j < bh; ++j) {
    const float* row = gray + (y0 + j) * width + x0;
    double* t = tmp.data() + j * tw;
    for (std::size_t i = 0; i < bw; ++i) {
      const double v = row[i];
      if (v == 0.0)
        continue;
      const double* w = wx.weight.data() + wx.offset[i];
      for (std::size_t k = 0; k < wx.count[i]; ++k)
        t[wx.first[i] + k] += v * w[k];
    }
  }
  // Then columns: box[v][u] = sum_j wy(j, v) * tmp[j][u].
  std::vector<double> box(th * tw, 0.0);
  for (std::size_t j = 0; j < bh; ++j) {
    const double* t = tmp.data() + j * tw;
    const double* w = wy.weight.data() + wy.offset[j];
    for (std::size_t k = 0; k < wy.count[j]; ++k) {
      double* b = box.data() + (wy.first[j] + k) * tw;
      for (std::size_t u = 0; u < tw; ++u)
        b[u] += w[k] * t[u];
    }
  }

  // Center of mass of the scaled box, in its pixel index coordinates.
  double mass = 0, mx = 0, my = 0;
  for (std::size_t v = 0; v < th; ++v)
    for (std::size_t u = 0; u < tw; ++u) {
      const double p = std::min(1.0, box[v * tw + u]);
      mass += p;
      mx += p * double(u);
      my += p * double(v);
    }
  // mass > 0: every ink pixel overlaps at least one output cell with positive weight.
  auto shift = [&](double com, std::size_t extent_) {
    const long target = kCenterIndex - std::lround(com);
    const long max_shift = long(kDigitSide) - long(extent_);
    return static_cast<std::size_t>(std::clamp(target, 0L, max_shift));
  };
  const std::size_t ox = shift(mass > 0 ? mx / mass : (tw - 1) / 2.0, tw);
  const std::size_t oy = shift(mass > 0 ? my / mass : (th - 1) / 2.0, th);

  for (std::size_t v = 0; v < th; ++v)
    for (std::size_t u = 0; u < tw; ++u)
      result.pixels[(oy + v) * kDigitSide + ox + u] =
          static_cast<float>(std::clamp(box[v * tw + u], 0.0, 1.0));
  return result;
}

} // namespace lmul
