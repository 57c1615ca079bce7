#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "helpers.hpp"
#include "lmul/kernels.hpp"
#include "lmul/random.hpp"
#include "lmul/stats.hpp"

using namespace lmul;

namespace {
void check_same(const ErrorStats& a, const ErrorStats& b) {
  CHECK(a.count == b.count);
  CHECK(a.zeros == b.zeros);
  CHECK(a.mean == b.mean);
  CHECK(a.median == b.median);
  CHECK(a.max == b.max);
  CHECK(a.bias == b.bias);
  CHECK(a.histogram.counts == b.histogram.counts);
}
} // namespace

TEST_SUITE("stats") {

  TEST_CASE("relative error, bias, zeros and median by hand") {
    ErrorAccumulator acc;
    acc.add(1.1f, 1.0f);   // +10 %
    acc.add(-2.2f, -2.0f); // magnitude too large: +10 % bias whatever the sign
    acc.add(2.7f, 3.0f);   // -10 %
    acc.add(0.0f, 0.0f);   // excluded, counted as a zero
    acc.add(5.0f, 5.0f);   // exact: 0
    const ErrorStats s = acc.finish();
    CHECK(s.count == 4);
    CHECK(s.zeros == 1);
    CHECK(s.mean == doctest::Approx(0.075).epsilon(1e-6));
    CHECK(s.bias == doctest::Approx(0.025).epsilon(1e-5));
    CHECK(s.max == doctest::Approx(0.1).epsilon(1e-6));
    CHECK(s.median == doctest::Approx(0.1).epsilon(1e-5)); // {0, .1, .1, .1}: mean of middle two
    uint64_t total = 0;
    for (uint64_t c : s.histogram.counts)
      total += c;
    CHECK(total == 4);
    CHECK(s.histogram.counts.front() == 1); // the exact product lands in [0, 1e-8)
  }

  TEST_CASE("histogram edges are log10 bins from 1e-8 to 1 plus the two ends") {
    const auto e = histogram_edges();
    CHECK(e.front() == 0.0);
    CHECK(std::isinf(e.back()));
    CHECK(e[1] == doctest::Approx(1e-8));
    CHECK(e[e.size() - 2] == doctest::Approx(1.0));
    CHECK(e.size() == std::size_t(8 * kBinsPerDecade + 3));
    ErrorAccumulator acc;
    acc.add(1.0f + 3e-4f, 1.0f); // rel ~3e-4: between 10^-3.75 and 10^-3.5 ... check via edges
    const auto s = acc.finish();
    for (std::size_t k = 0; k < s.histogram.counts.size(); ++k)
      if (s.histogram.counts[k])
        CHECK((3e-4 >= e[k] && 3e-4 < e[k + 1]));
  }

  TEST_CASE("non-finite approximations count as infinitely wrong; non-finite exact are excluded") {
    ErrorAccumulator acc;
    acc.add(std::numeric_limits<float>::infinity(), 1e30f);
    acc.add(std::numeric_limits<float>::quiet_NaN(), 2.0f);
    acc.add(1.0f, std::numeric_limits<float>::infinity());
    const auto s = acc.finish();
    CHECK(s.count == 2);
    CHECK(s.nonfinite == 1);
    CHECK(std::isinf(s.max));
    CHECK(s.histogram.counts.back() == 2);
  }

  TEST_CASE("error_stats of L-Mul on known pairs") {
    // 1*1 -> 1.0625 (+6.25 %), 5*8 -> 42 (+5 %), 0*3 -> excluded
    const float a[] = {1, 5, 0}, b[] = {1, 8, 3};
    const auto s =
        error_stats(MulSpec{Method::lmul, FloatFormat(8, 23), Rounding::nearest}, a, b, 3);
    CHECK(s.count == 2);
    CHECK(s.zeros == 1);
    CHECK(s.mean == doctest::Approx(0.05625));
    CHECK(s.bias == doctest::Approx(0.05625));
    CHECK(s.max == doctest::Approx(0.0625));
  }

  TEST_CASE("accumulate_errors in pieces gives exactly the statistics of error_stats") {
    Rng rng(11);
    std::vector<float> a(10007), b(10007);
    for (std::size_t i = 0; i < a.size(); ++i) {
      a[i] = float(rng.normal() * 3);
      b[i] = i % 17 == 0 ? 0.0f : float(rng.normal());
    }
    const MulSpec spec{Method::lmul, FloatFormat(8, 3), Rounding::nearest};
    const ErrorStats whole = error_stats(spec, a.data(), b.data(), a.size());
    // Pieces of every size mod the 8 partial sums, and one pair at a time (the scalar path).
    for (std::size_t piece : {1000, 37, 3, 1}) {
      CAPTURE(piece);
      ErrorAccumulator acc;
      for (std::size_t i = 0; i < a.size(); i += piece)
        accumulate_errors(spec, a.data() + i, b.data() + i,
                          std::min<std::size_t>(piece, a.size() - i), acc);
      const ErrorStats pieces = acc.finish();
      check_same(pieces, whole);
    }
  }

  TEST_CASE(
      "ProductErrors: runs with quantized twins and repeated values give error_stats' result") {
    Rng rng(5);
    const std::size_t rows = 37, in = 29; // a weight matrix, and inputs that meet every row
    std::vector<float> w(rows * in), x(in);
    for (float& v : w)
      v = float(rng.normal());
    for (std::size_t i = 0; i < in; ++i)
      x[i] = i % 5 == 0 ? 0.0f : float(rng.normal() * 4);
    for (const MulSpec& spec : {MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest},
                                MulSpec{Method::floating, FloatFormat(5, 2), Rounding::truncate},
                                MulSpec{Method::mitchell, FloatFormat(8, 1), Rounding::nearest},
                                MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest}}) {
      CAPTURE(spec.describe());
      std::vector<float> rw(w.size()), rx(in);
      quantize_operands(spec, w.data(), rw.data(), w.size());
      quantize_operands(spec, x.data(), rx.data(), in);
      // Row by row: pairs w[r][i], x[i]; column by column: w[r][i] against one x[i].
      std::vector<float> a, b, ac, bc;
      ErrorAccumulator by_rows, by_columns, by_values;
      ProductErrors errors;
      errors.reset(spec, by_rows);
      for (std::size_t r = 0; r < rows; ++r) {
        errors.add({w.data() + r * in, rw.data() + r * in}, {x.data(), rx.data()}, in);
        a.insert(a.end(), w.begin() + std::ptrdiff_t(r * in),
                 w.begin() + std::ptrdiff_t(r * in + in));
        b.insert(b.end(), x.begin(), x.end());
      }
      std::vector<float> column(rows), quantized_column(rows);
      errors.reset(spec, by_columns);
      for (std::size_t i = 0; i < in; ++i) {
        for (std::size_t r = 0; r < rows; ++r) {
          column[r] = w[r * in + i];
          quantized_column[r] = rw[r * in + i];
        }
        errors.add({column.data(), quantized_column.data()}, {x[i], rx[i]}, rows);
        ac.insert(ac.end(), column.begin(), column.end());
        bc.insert(bc.end(), rows, x[i]);
      }
      errors.reset(spec, by_values);
      for (std::size_t i = 0; i < in; ++i)
        errors.add({x[i], rx[i]}, {column.data(), quantized_column.data()}, rows);
      errors.flush();
      check_same(by_rows.finish(), error_stats(spec, a.data(), b.data(), a.size()));
      check_same(by_columns.finish(), error_stats(spec, ac.data(), bc.data(), ac.size()));
      std::vector<float> same_column(in * rows);
      for (std::size_t i = 0; i < in; ++i)
        std::copy(column.begin(), column.end(), same_column.begin() + std::ptrdiff_t(i * rows));
      check_same(by_values.finish(),
                 error_stats(spec, bc.data(), same_column.data(), same_column.size()));
    }
  }

  TEST_CASE("finishing several accumulators at once equals merging them first") {
    Rng rng(41);
    std::vector<ErrorAccumulator> parts(4);
    for (std::size_t k = 0; k < parts.size(); ++k)
      for (std::size_t i = 0; i < 1000 * k + 3; ++i) { // sizes 3, 1003, ... and both parities
        const float exact = i % 7 == 0 ? 0.0f : float(rng.normal());
        parts[k].add(exact * (1.0f + float(rng.normal()) * 0.01f * float(k)), exact);
      }
    for (std::size_t n = 0; n <= parts.size(); ++n) {
      ErrorAccumulator merged;
      std::vector<const ErrorAccumulator*> some;
      for (std::size_t k = 0; k < n; ++k) {
        merged.merge(parts[k]);
        some.push_back(&parts[k]);
      }
      const ErrorStats a = merged.finish(), b = ErrorAccumulator::finish(some);
      check_same(a, b);
    }
  }
} // TEST_SUITE
