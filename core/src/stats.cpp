#include "lmul/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lmul/kernels.hpp"

namespace lmul {

namespace {
constexpr int kLogBins = -kLowestDecade * kBinsPerDecade; // bins between 1e-8 and 1
constexpr int kBins = kLogBins + 2;                       // plus [0, 1e-8) and [1, inf]

const std::vector<double>& edges() {
  static const std::vector<double> e = histogram_edges();
  return e;
}

// Bin k holds [edges[k], edges[k+1]); NaN and anything >= 1 go to the last bin.
int bin_of(double rel) {
  if (!(rel < 1.0))
    return kBins - 1;
  const auto& e = edges();
  return static_cast<int>(std::upper_bound(e.begin() + 1, e.end() - 1, rel) - e.begin()) - 1;
}
} // namespace

std::vector<double> histogram_edges() {
  std::vector<double> e{0.0};
  for (int k = 0; k <= kLogBins; ++k)
    e.push_back(std::pow(10.0, kLowestDecade + double(k) / kBinsPerDecade));
  e.push_back(std::numeric_limits<double>::infinity());
  return e;
}

ErrorAccumulator::ErrorAccumulator(bool keep_median)
    : keep_median_(keep_median), counts_(kBins, 0) {}

void ErrorAccumulator::add(float approx, float exact) {
  if (exact == 0) {
    ++zeros_;
    return;
  }
  if (!std::isfinite(exact)) {
    ++nonfinite_;
    return;
  }
  const double e = exact;
  const double signed_rel = (double(approx) - e) / e;
  // An approximation that is NaN or infinite is infinitely wrong, not silently dropped.
  const double rel =
      std::isnan(signed_rel) ? std::numeric_limits<double>::infinity() : std::fabs(signed_rel);
  ++count_;
  sum_ += rel;
  sum_signed_ += std::isnan(signed_rel) ? std::numeric_limits<double>::infinity() : signed_rel;
  max_ = std::max(max_, rel);
  ++counts_[bin_of(rel)];
  if (keep_median_)
    rel_.push_back(static_cast<float>(rel));
}

void ErrorAccumulator::add(const float* approx, const float* exact, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i)
    add(approx[i], exact[i]);
}

void ErrorAccumulator::merge(const ErrorAccumulator& o) {
  count_ += o.count_;
  zeros_ += o.zeros_;
  nonfinite_ += o.nonfinite_;
  sum_ += o.sum_;
  sum_signed_ += o.sum_signed_;
  max_ = std::max(max_, o.max_);
  for (int k = 0; k < kBins; ++k)
    counts_[k] += o.counts_[k];
  rel_.insert(rel_.end(), o.rel_.begin(), o.rel_.end());
}

ErrorStats ErrorAccumulator::finish() const {
  ErrorStats s;
  s.count = count_;
  s.zeros = zeros_;
  s.nonfinite = nonfinite_;
  s.max = max_;
  s.histogram.edges = histogram_edges();
  s.histogram.counts = counts_;
  if (count_ > 0) {
    s.mean = sum_ / double(count_);
    s.bias = sum_signed_ / double(count_);
  }
  if (keep_median_ && !rel_.empty()) {
    std::vector<float> v(rel_);
    const std::size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + mid, v.end());
    double m = v[mid];
    if (v.size() % 2 == 0) // average of the two middle values
      m = 0.5 * (m + *std::max_element(v.begin(), v.begin() + mid));
    s.median = m;
  }
  return s;
}

ErrorStats error_stats(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       bool with_median) {
  ErrorAccumulator acc(with_median);
  constexpr std::size_t kChunk = 4096;
  std::vector<float> approx(kChunk), exact(kChunk);
  const MulSpec exact_spec{Method::exact, spec.format, spec.rounding};
  for (std::size_t i = 0; i < n; i += kChunk) {
    const std::size_t m = std::min(kChunk, n - i);
    multiply_elementwise(spec, a + i, b + i, approx.data(), m);
    multiply_elementwise(exact_spec, a + i, b + i, exact.data(), m);
    acc.add(approx.data(), exact.data(), m);
  }
  return acc.finish();
}

} // namespace lmul
