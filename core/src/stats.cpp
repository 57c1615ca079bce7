#include "lmul/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "lmul/format.hpp"
#include "lmul/kernels.hpp"

namespace lmul {

namespace {
constexpr int kLogBins = -kLowestDecade * kBinsPerDecade; // bins between 1e-8 and 1
constexpr int kBins = kLogBins + 2;                       // plus [0, 1e-8) and [1, inf]

// Bins are decided on the float value of the relative error. Over each run of 2^17
// consecutive non-negative float bit patterns (a factor of 1 + 2^-6) the bin changes at most
// once, because neighbouring edges are a factor 10^(1/4) apart: a table gives the bin at the
// start of the run and one compare with the next edge finishes the job.
class BinLookup {
public:
  BinLookup() {
    const std::vector<double> e = histogram_edges();
    for (int k = 0; k < kBins; ++k)
      edge_[k] = static_cast<float>(e[k]);
    edge_[kBins] = std::numeric_limits<float>::quiet_NaN(); // the last bin has no next edge
    for (uint32_t key = 0; key < kKeys; ++key)
      first_[key] = static_cast<uint8_t>(slow(float_of(key << 17)));
  }
  int operator()(float rel) const { // rel >= 0, not NaN
    const int b = first_[bits_of(rel) >> 17];
    return b + (rel >= edge_[b + 1]);
  }

private:
  int slow(float rel) const {
    int b = 0;
    while (b + 1 < kBins && rel >= edge_[b + 1])
      ++b;
    return b;
  }
  static constexpr uint32_t kKeys = 1u << 14; // non-negative floats up to inf
  float edge_[kBins + 1];
  uint8_t first_[kKeys];
};

const BinLookup& bin_of() {
  static const BinLookup lookup;
  return lookup;
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
    : keep_median_(keep_median), counts_(kBins, 0), by_bin_(keep_median ? kBins : 0) {}

void ErrorAccumulator::add(float approx, float exact) { add(&approx, &exact, 1); }

void ErrorAccumulator::add(const float* approx, const float* exact, std::size_t n) {
  const BinLookup& bin = bin_of();
  const double inf = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < n; ++i) {
    const float e = exact[i];
    if (e == 0) {
      ++zeros_;
      continue;
    }
    if (!std::isfinite(e)) {
      ++nonfinite_;
      continue;
    }
    double signed_rel = (double(approx[i]) - double(e)) / double(e);
    // An approximation that is NaN or infinite is infinitely wrong, not silently dropped.
    if (std::isnan(signed_rel))
      signed_rel = inf;
    const double rel = std::fabs(signed_rel);
    ++count_;
    sum_ += rel;
    sum_signed_ += signed_rel;
    max_ = std::max(max_, rel);
    const float rel_f = static_cast<float>(rel);
    const int b = bin(rel_f);
    ++counts_[b];
    if (keep_median_)
      by_bin_[b].push_back(rel_f);
  }
}

void ErrorAccumulator::merge(const ErrorAccumulator& o) {
  if (keep_median_ && !o.keep_median_ && o.count_ > 0)
    throw std::logic_error("ErrorAccumulator::merge: the median needs every relative error, "
                           "and the other accumulator did not keep them");
  count_ += o.count_;
  zeros_ += o.zeros_;
  nonfinite_ += o.nonfinite_;
  sum_ += o.sum_;
  sum_signed_ += o.sum_signed_;
  max_ = std::max(max_, o.max_);
  for (int k = 0; k < kBins; ++k)
    counts_[k] += o.counts_[k];
  if (keep_median_)
    for (int k = 0; k < kBins && k < int(o.by_bin_.size()); ++k)
      by_bin_[k].insert(by_bin_[k].end(), o.by_bin_[k].begin(), o.by_bin_[k].end());
}

// The median of the relative errors: the middle one, or the mean of the two middle ones, found
// by a selection within the bin where the cumulative counts reach the middle.
double ErrorAccumulator::median(const std::vector<const ErrorAccumulator*>& parts, uint64_t count) {
  const auto bin_size = [&](int b) {
    std::size_t n = 0;
    for (const ErrorAccumulator* p : parts)
      n += p->by_bin_[b].size();
    return n;
  };
  std::size_t k = (count - 1) / 2; // the lower middle one (0-based)
  int b = 0;
  while (k >= bin_size(b)) {
    k -= bin_size(b);
    ++b;
  }
  std::vector<float> v;
  v.reserve(bin_size(b));
  for (const ErrorAccumulator* p : parts)
    v.insert(v.end(), p->by_bin_[b].begin(), p->by_bin_[b].end());
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  const double lower = v[k];
  if (count % 2 == 1)
    return lower;
  // The upper middle one: the smallest above it in this bin, or the smallest of the next
  // nonempty bin.
  if (k + 1 < v.size())
    return 0.5 * (lower + *std::min_element(v.begin() + std::ptrdiff_t(k) + 1, v.end()));
  while (bin_size(++b) == 0) {
  }
  float upper = std::numeric_limits<float>::infinity();
  for (const ErrorAccumulator* p : parts)
    for (float x : p->by_bin_[b])
      upper = std::min(upper, x);
  return 0.5 * (lower + upper);
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
  if (keep_median_ && count_ > 0)
    s.median = median({this}, count_);
  return s;
}

ErrorStats ErrorAccumulator::finish(const std::vector<const ErrorAccumulator*>& parts) {
  ErrorAccumulator total(false); // sums and counts only: the median reads the parts
  bool keep_median = true;
  for (const ErrorAccumulator* p : parts) {
    total.merge(*p);
    keep_median = keep_median && p->keep_median_;
  }
  ErrorStats s = total.finish();
  if (keep_median && total.count_ > 0)
    s.median = median(parts, total.count_);
  return s;
}

ErrorStats error_stats(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       bool with_median) {
  ErrorAccumulator acc(with_median);
  accumulate_errors(spec, a, b, n, acc);
  return acc.finish();
}

void accumulate_errors(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       ErrorAccumulator& acc) {
  constexpr std::size_t kChunk = 4096;
  std::vector<float> approx(kChunk), exact(kChunk);
  const MulSpec exact_spec{Method::exact, spec.format, spec.rounding};
  for (std::size_t i = 0; i < n; i += kChunk) {
    const std::size_t m = std::min(kChunk, n - i);
    multiply_elementwise(spec, a + i, b + i, approx.data(), m);
    multiply_elementwise(exact_spec, a + i, b + i, exact.data(), m);
    acc.add(approx.data(), exact.data(), m);
  }
}

} // namespace lmul
