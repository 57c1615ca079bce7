#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "lmul/preprocess.hpp"

using namespace lmul;

namespace {

struct Raster {
  std::size_t w, h;
  std::vector<float> v;
  Raster(std::size_t w_, std::size_t h_) : w(w_), h(h_), v(w_ * h_, 0.0f) {}
  void fill(std::size_t x, std::size_t y, std::size_t rw, std::size_t rh, float value = 1.0f) {
    for (std::size_t j = y; j < y + rh; ++j)
      for (std::size_t i = x; i < x + rw; ++i)
        v[j * w + i] = value;
  }
  DigitInput run() const { return preprocess_digit(v.data(), w, h); }
};

struct Box {
  int x0 = 28, y0 = 28, x1 = -1, y1 = -1;
  int width() const { return x1 - x0 + 1; }
  int height() const { return y1 - y0 + 1; }
};

Box ink_box(const std::vector<float>& p) {
  Box b;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      if (p[y * 28 + x] > 0.0f) {
        b.x0 = std::min(b.x0, x);
        b.x1 = std::max(b.x1, x);
        b.y0 = std::min(b.y0, y);
        b.y1 = std::max(b.y1, y);
      }
  return b;
}

struct Moments {
  double mass = 0, cx = 0, cy = 0;
};

Moments moments(const std::vector<float>& p) {
  Moments m;
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) {
      const double v = p[y * 28 + x];
      m.mass += v;
      m.cx += v * x;
      m.cy += v * y;
    }
  m.cx /= m.mass;
  m.cy /= m.mass;
  return m;
}

// A lopsided "7"-like shape: a thick top bar and a thin diagonal stem, so its center of mass
// is far from its bounding box's center.
Raster seven(std::size_t w, std::size_t h, std::size_t x, std::size_t y, std::size_t scale) {
  Raster r(w, h);
  r.fill(x, y, 12 * scale, 2 * scale);
  for (std::size_t k = 0; k < 15 * scale; ++k)
    r.fill(x + 10 * scale - (k * 8) / 15, y + 2 * scale + k, 2 * scale, 1);
  return r;
}

std::string message_of(const Raster& r) {
  try {
    r.run();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no exception)";
}

} // namespace

TEST_SUITE("preprocess") {

  TEST_CASE("a blank raster gives zeros and the blank flag") {
    Raster r(280, 280);
    const DigitInput d = r.run();
    CHECK(d.blank);
    REQUIRE(d.pixels.size() == 784);
    for (float p : d.pixels)
      CHECK(p == 0.0f);
    CHECK(d.box_width == 0);
    CHECK(d.box_height == 0);
  }

  TEST_CASE("one faint pixel is ink: not blank") {
    Raster r(50, 40);
    r.v[7 * 50 + 9] = 0.01f;
    const DigitInput d = r.run();
    CHECK_FALSE(d.blank);
    CHECK(d.box_x == 9);
    CHECK(d.box_y == 7);
    CHECK(d.box_width == 1);
    CHECK(d.box_height == 1);
  }

  TEST_CASE("bounding box of the ink in source coordinates") {
    Raster r(300, 200);
    r.fill(40, 30, 10, 5);
    r.fill(120, 150, 3, 20, 0.5f);
    const DigitInput d = r.run();
    CHECK(d.box_x == 40);
    CHECK(d.box_y == 30);
    CHECK(d.box_width == 83);   // 40 .. 122
    CHECK(d.box_height == 140); // 30 .. 169
  }

  TEST_CASE("a tall shape fits 20 pixels high and keeps its aspect ratio") {
    Raster r(200, 200);
    r.fill(50, 20, 40, 100); // 2:5 -> 8 x 20
    const DigitInput d = r.run();
    const Box b = ink_box(d.pixels);
    CHECK(b.height() == 20);
    CHECK(b.width() == 8);
    for (int y = b.y0; y <= b.y1; ++y)
      for (int x = b.x0; x <= b.x1; ++x)
        CHECK(d.pixels[y * 28 + x] == doctest::Approx(1.0f));
  }

  TEST_CASE("a wide shape fits 20 pixels wide; a fractional extent is anti-aliased") {
    Raster r(200, 100);
    r.fill(10, 10, 150, 25); // 6:1 -> 20 x 3.33: three full rows and one at 1/3
    const DigitInput d = r.run();
    const Box b = ink_box(d.pixels);
    CHECK(b.width() == 20);
    CHECK(b.height() == 4);
    int full = 0, partial = 0;
    for (int y = b.y0; y <= b.y1; ++y) {
      const float v = d.pixels[y * 28 + b.x0 + 5];
      if (v == doctest::Approx(1.0f))
        ++full;
      else if (v == doctest::Approx(1.0f / 3).epsilon(1e-4))
        ++partial;
    }
    CHECK(full == 3);
    CHECK(partial == 1);
  }

  TEST_CASE("shrinking averages areas (anti-aliasing) and conserves ink") {
    // A 1-pixel checkerboard shrunk by 2 in both directions becomes uniform grey 0.5.
    Raster r(40, 40);
    for (std::size_t y = 0; y < 40; ++y)
      for (std::size_t x = 0; x < 40; ++x)
        r.v[y * 40 + x] = (x + y) % 2 ? 1.0f : 0.0f;
    const DigitInput d = r.run();
    const Box b = ink_box(d.pixels);
    REQUIRE(b.width() == 20);
    REQUIRE(b.height() == 20);
    for (int y = b.y0; y <= b.y1; ++y)
      for (int x = b.x0; x <= b.x1; ++x)
        CHECK(d.pixels[y * 28 + x] == doctest::Approx(0.5f));

    // Ink is scaled by s^2 whatever the shape (s = 20 / 137 here).
    const Raster s = seven(400, 300, 33, 71, 7);
    double in = 0;
    for (float v : s.v)
      in += v;
    const DigitInput e = s.run();
    const double scale = 20.0 / double(std::max(e.box_width, e.box_height));
    CHECK(moments(e.pixels).mass == doctest::Approx(in * scale * scale).epsilon(1e-5));
  }

  TEST_CASE("a tiny drawing is enlarged to 20 pixels") {
    Raster r(30, 30);
    r.v[3 * 30 + 4] = 0.75f;
    const DigitInput d = r.run();
    const Box b = ink_box(d.pixels);
    CHECK(b.width() == 20);
    CHECK(b.height() == 20);
    CHECK(d.pixels[b.y0 * 28 + b.x0] == doctest::Approx(0.75f));
  }

  TEST_CASE("the center of mass lands on pixel 14 (whole-pixel shift, like MNIST)") {
    for (std::size_t scale : {1u, 2u, 3u, 5u, 9u}) {
      CAPTURE(scale);
      const Raster r = seven(300, 300, 17, 40, scale);
      const DigitInput d = r.run();
      const Moments m = moments(d.pixels);
      CHECK(std::abs(m.cx - 14.0) <= 0.5);
      CHECK(std::abs(m.cy - 14.0) <= 0.5);
      // The shape is lopsided, so its box is NOT centered: the top bar pulls it down.
      const Box b = ink_box(d.pixels);
      CHECK(b.height() == 20);
      CHECK(b.y0 >= 6); // a box-centered layout would start at row 4
    }
  }

  TEST_CASE("the result does not depend on where the drawing is on the canvas") {
    const DigitInput a = seven(300, 300, 10, 10, 6).run();
    const DigitInput b = seven(300, 300, 150, 190, 6).run();
    const DigitInput c = seven(500, 260, 301, 0, 6).run();
    CHECK(a.pixels == b.pixels);
    CHECK(a.pixels == c.pixels);
    CHECK(b.box_x == 150);
    CHECK(b.box_y == 190);
  }

  TEST_CASE("the same shape drawn at different sizes gives nearly the same input") {
    const DigitInput small = seven(300, 300, 10, 10, 4).run();
    const DigitInput large = seven(600, 600, 10, 10, 8).run();
    double diff = 0;
    for (std::size_t k = 0; k < 784; ++k)
      diff += std::abs(small.pixels[k] - large.pixels[k]);
    CHECK(diff / moments(small.pixels).mass < 0.15);
  }

  TEST_CASE("a very lopsided drawing keeps all its ink inside the field") {
    // A heavy block at the far left of a long thin line: its center of mass is near the box's
    // left edge, so exact centering would push the line's right end out of the field.
    Raster r(400, 100);
    r.fill(0, 0, 40, 40);
    r.fill(40, 19, 360, 2);
    double in = 0;
    for (float v : r.v)
      in += v;
    const DigitInput d = r.run();
    const Box b = ink_box(d.pixels);
    CHECK(b.width() == 20);
    CHECK(b.x1 == 27); // pushed against the right edge, not beyond it
    const double s = 20.0 / 400;
    CHECK(moments(d.pixels).mass == doctest::Approx(in * s * s).epsilon(1e-5));
  }

  TEST_CASE("every output value is in [0, 1]") {
    Raster r(97, 61);
    for (std::size_t k = 0; k < r.v.size(); ++k)
      r.v[k] = float((k * 7919) % 101) / 100.0f;
    const DigitInput d = r.run();
    for (float p : d.pixels) {
      CHECK(p >= 0.0f);
      CHECK(p <= 1.0f);
    }
  }

  TEST_CASE("bad arguments throw std::invalid_argument naming the parameter") {
    CHECK(message_of(Raster(0, 10)) == "width must be an integer in 1..16384, got 0");
    CHECK(message_of(Raster(10, 0)) == "height must be an integer in 1..16384, got 0");
    CHECK_THROWS_WITH_AS(preprocess_digit(nullptr, 100000, 10),
                         "width must be an integer in 1..16384, got 100000", std::invalid_argument);
    CHECK_THROWS_WITH_AS(preprocess_digit(nullptr, 16384, 16384),
                         "width * height must be at most 67108864, got 268435456",
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(preprocess_digit(nullptr, 28, 28),
                         "gray must point to width * height values, got null",
                         std::invalid_argument);
    Raster r(10, 10);
    r.v[23] = std::numeric_limits<float>::quiet_NaN();
    CHECK(message_of(r) == "gray[23] must be a finite value in [0, 1], got NaN");
    r.v[23] = -0.5f;
    CHECK(message_of(r) == "gray[23] must be a finite value in [0, 1], got -0.5");
    r.v[23] = 1.5f;
    CHECK(message_of(r) == "gray[23] must be a finite value in [0, 1], got 1.5");
    r.v[23] = std::numeric_limits<float>::infinity();
    CHECK(message_of(r) == "gray[23] must be a finite value in [0, 1], got inf");
  }
}
