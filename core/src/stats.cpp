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

// The slots of ErrorAccumulator. A relative error is a non-negative float (NaN becomes inf), so
// its bit pattern orders like its value. Its key is the pattern's top bits (>> 17): a run of
// 2^17 patterns, a factor of at most 1 + 2^-6, so a key holds at most one histogram edge
// (neighbouring edges are a factor 10^(1/4) apart) and is split there into two slots, each
// inside one bin. Keys below the one of the edge 1e-8 share one slot, as do keys above the one
// of the edge 1. Slot s holds the patterns [lo(s), lo(s + 1)).
class SlotTable {
public:
  static constexpr int kShift = 17;
  SlotTable() {
    const std::vector<double> e = histogram_edges();
    uint32_t edge[kBins + 1]; // bins are decided on float values, so on float patterns
    for (int k = 0; k <= kBins; ++k)
      edge[k] = bits_of(static_cast<float>(e[k]));
    first_key_ = int32_t(edge[1] >> kShift);
    const int32_t last_key = int32_t(edge[kBins - 1] >> kShift);
    keys_ = last_key - first_key_ + 3;
    split_.resize(std::size_t(keys_) + 1);
    lo_.resize(2 * std::size_t(keys_) + 1);
    bin_.resize(2 * std::size_t(keys_));
    for (int32_t c = 0; c < keys_; ++c) {
      const uint32_t lo = c == 0 ? 0 : uint32_t(first_key_ + c - 1) << kShift;
      const uint32_t hi = c == 0           ? uint32_t(first_key_) << kShift
                          : c == keys_ - 1 ? kInfBits + 1
                                           : lo + (1u << kShift);
      int b = 0;
      while (b + 1 < kBins && lo >= edge[b + 1])
        ++b;
      uint32_t split = hi;
      if (b + 1 < kBins && edge[b + 1] < hi) {
        split = edge[b + 1];
        if (b + 2 < kBins && edge[b + 2] < hi)
          throw std::logic_error("histogram edges closer than a slot key");
      }
      split_[c] = split;
      lo_[2 * c] = lo;
      lo_[2 * c + 1] = split;
      bin_[2 * c] = b;
      bin_[2 * c + 1] = split < hi ? b + 1 : b;
    }
    lo_[2 * keys_] = kInfBits + 1;
    split_[keys_] = 0; // the key of excluded pairs: always its second slot, the last one
  }
  int32_t keys() const { return keys_; }
  std::size_t slots() const { return 2 * std::size_t(keys_); } // without the excluded pairs'
  int32_t first_key() const { return first_key_; }
  const uint32_t* split() const { return split_.data(); }
  uint32_t lo(std::size_t slot) const { return lo_[slot]; }
  int bin(std::size_t slot) const { return bin_[slot]; }
  // The key of a relative error's pattern (scalar; add() computes the same on lanes).
  int32_t key(uint32_t bits) const {
    return std::clamp(int32_t(bits >> kShift) - first_key_ + 1, int32_t(0), keys_ - 1);
  }

private:
  int32_t first_key_ = 0, keys_ = 0;
  std::vector<uint32_t> split_, lo_;
  std::vector<int> bin_;
};

const SlotTable& slot_table() {
  static const SlotTable table;
  return table;
}

// Appends to out the values of `errors` whose patterns lie in [lo, hi).
void collect(const std::vector<float>& errors, uint32_t lo, uint32_t hi, std::vector<float>& out) {
  const float* e = errors.data();
  const std::size_t n = errors.size();
  std::size_t i = 0;
  using I = IntLanes<Batch>;
  const I vlo = I(static_cast<int32_t>(lo)),
          vhi = I(static_cast<int32_t>(hi)); // patterns are below 2^31: signed compares work
  for (; i + kLanes <= n; i += kLanes) {
    const I b = as_int(Batch::load_unaligned(e + i));
    for (unsigned m = lane_mask(float_mask(both(b >= vlo, b < vhi))); m != 0; m &= m - 1)
      out.push_back(e[i + lowest_bit(m)]);
  }
  for (; i < n; ++i)
    if (bits_of(e[i]) >= lo && bits_of(e[i]) < hi)
      out.push_back(e[i]);
}

const MulSpec exact_of(const MulSpec& spec) { return {Method::exact, spec.format, spec.rounding}; }
} // namespace

std::vector<double> histogram_edges() {
  std::vector<double> e{0.0};
  for (int k = 0; k <= kLogBins; ++k)
    e.push_back(std::pow(10.0, kLowestDecade + double(k) / kBinsPerDecade));
  e.push_back(std::numeric_limits<double>::infinity());
  return e;
}

ErrorAccumulator::ErrorAccumulator(bool keep_median)
    : keep_median_(keep_median), slots_(slot_table().slots() + 2, 0) {}

void ErrorAccumulator::add(float approx, float exact) { add(&approx, &exact, 1); }

// Two passes per block of pairs: the relative errors, their slot keys and the excluded pairs on
// SIMD lanes (in double, as the scalar definition), then one scalar pass that adds them up in
// order and counts the slots. An excluded pair's lanes hold +0, which leaves the sums as they
// are (they are never -0), and its key is the excluded pairs' slot.
void ErrorAccumulator::add(const float* approx, const float* exact, std::size_t n) {
  const SlotTable& table = slot_table();
  constexpr std::size_t kBlock = 256;
  alignas(64) double rel[kBlock], signed_rel[kBlock];
  alignas(64) int32_t bits[kBlock], key[kBlock];
  alignas(64) float kept[kBlock];
  const double inf = std::numeric_limits<double>::infinity();
  const int32_t excluded = table.keys(), first = table.first_key(), last = table.keys() - 1;
  const uint32_t* split = table.split();
  uint64_t* slots = slots_.data();
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t m = std::min(kBlock, n - i0);
    const float* a = approx + i0;
    const float* e = exact + i0;
    std::size_t j = 0;
    if constexpr (kHasDoubleHalves<Batch::arch_type>) {
      using I = IntLanes<Batch>;
      using D = DoubleLanes<Batch>;
      constexpr std::size_t kHalf = D::size;
      D top(0.0);
      unsigned zeros = 0, nonfinite = 0;
      for (; j + kLanes <= m; j += kLanes) {
        const Batch va = Batch::load_unaligned(a + j), ve = Batch::load_unaligned(e + j);
        const I magnitude = as_int(ve) & I(int32_t(kAbsMask));
        const auto zero = magnitude == I(0);
        const auto special = magnitude >= I(int32_t(kInfBits));
        zeros += unsigned(__builtin_popcount(lane_mask(float_mask(zero))));
        nonfinite += unsigned(__builtin_popcount(lane_mask(float_mask(special))));
        const auto out = float_mask(either(zero, special));
        // Excluded lanes compute (1 - 1) / 1 = +0.
        const Batch sa = xsimd::select(out, Batch(1.0f), va);
        const Batch se = xsimd::select(out, Batch(1.0f), ve);
        const auto relative = [&](const D& da, const D& de) {
          const D s = (da - de) / de;
          return xsimd::select(s == s, s, D(inf)); // NaN: infinitely wrong
        };
        const D lo = relative(low_half_as_double(sa), low_half_as_double(se));
        const D hi = relative(high_half_as_double(sa), high_half_as_double(se));
        const D alo = xsimd::abs(lo), ahi = xsimd::abs(hi);
        top = xsimd::max(top, xsimd::max(alo, ahi));
        lo.store_aligned(signed_rel + j);
        hi.store_aligned(signed_rel + j + kHalf);
        alo.store_aligned(rel + j);
        ahi.store_aligned(rel + j + kHalf);
        const I b = as_int(halves_as_float(alo, ahi));
        const I k = xsimd::min(xsimd::max((b >> SlotTable::kShift) - I(first - 1), I(0)), I(last));
        b.store_aligned(bits + j);
        select(int_mask(out), I(excluded), k).store_aligned(key + j);
      }
      zeros_ += zeros;
      nonfinite_ += nonfinite;
      alignas(64) double t[kHalf];
      top.store_aligned(t);
      for (std::size_t h = 0; h < kHalf; ++h)
        max_ = std::max(max_, t[h]);
    }
    for (; j < m; ++j) {
      const uint32_t magnitude = bits_of(e[j]) & kAbsMask;
      if (magnitude == 0 || magnitude >= kInfBits) {
        ++(magnitude == 0 ? zeros_ : nonfinite_);
        rel[j] = signed_rel[j] = 0;
        bits[j] = 0;
        key[j] = excluded;
        continue;
      }
      double s = (double(a[j]) - double(e[j])) / double(e[j]);
      if (std::isnan(s))
        s = inf;
      signed_rel[j] = s;
      rel[j] = std::fabs(s);
      max_ = std::max(max_, rel[j]);
      bits[j] = int32_t(bits_of(static_cast<float>(rel[j])));
      key[j] = table.key(uint32_t(bits[j]));
    }
    double sum = sum_, sum_signed = sum_signed_;
    std::size_t n_kept = 0;
    for (j = 0; j < m; ++j) {
      const int32_t c = key[j];
      const uint32_t b = uint32_t(bits[j]);
      ++slots[2 * c + (b >= split[c])];
      sum += rel[j];
      sum_signed += signed_rel[j];
      kept[n_kept] = float_of(b);
      n_kept += c != excluded;
    }
    sum_ = sum;
    sum_signed_ = sum_signed;
    count_ += n_kept;
    if (keep_median_)
      errors_.insert(errors_.end(), kept, kept + n_kept);
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
  for (std::size_t k = 0; k < slots_.size(); ++k)
    slots_[k] += o.slots_[k];
  if (keep_median_)
    errors_.insert(errors_.end(), o.errors_.begin(), o.errors_.end());
}

// The median of the relative errors: the middle one, or the mean of the two middle ones, found
// by a selection among the errors of the slots that hold them.
double ErrorAccumulator::median(const std::vector<const ErrorAccumulator*>& parts, uint64_t count,
                                const std::vector<uint64_t>& slots) {
  const SlotTable& table = slot_table();
  const uint64_t k = (count - 1) / 2; // the lower middle one (0-based)
  uint64_t before = 0;                // errors in the slots below `first`
  std::size_t first = 0;
  while (before + slots[first] <= k)
    before += slots[first++];
  std::size_t last = first; // the slot of the upper middle one
  for (uint64_t through = before + slots[first]; count % 2 == 0 && through <= k + 1;)
    through += slots[++last];
  std::vector<float> v;
  for (const ErrorAccumulator* p : parts)
    collect(p->errors_, table.lo(first), table.lo(last + 1), v);
  const std::size_t r = std::size_t(k - before);
  if (r >= v.size() || (count % 2 == 0 && r + 1 >= v.size()))
    throw std::logic_error("ErrorAccumulator: kept errors and slot counts disagree");
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(r), v.end());
  const double lower = v[r];
  if (count % 2 == 1)
    return lower;
  return 0.5 * (lower + *std::min_element(v.begin() + std::ptrdiff_t(r) + 1, v.end()));
}

ErrorStats ErrorAccumulator::finish() const { return finish({this}); }

ErrorStats ErrorAccumulator::finish(const std::vector<const ErrorAccumulator*>& parts) {
  const SlotTable& table = slot_table();
  ErrorStats s;
  double sum = 0, sum_signed = 0;
  bool keep_median = true;
  std::vector<uint64_t> slots(table.slots(), 0);
  for (const ErrorAccumulator* p : parts) {
    s.count += p->count_;
    s.zeros += p->zeros_;
    s.nonfinite += p->nonfinite_;
    sum += p->sum_;
    sum_signed += p->sum_signed_;
    s.max = std::max(s.max, p->max_);
    for (std::size_t k = 0; k < slots.size(); ++k)
      slots[k] += p->slots_[k];
    keep_median = keep_median && p->keep_median_;
  }
  s.histogram.edges = histogram_edges();
  s.histogram.counts.assign(kBins, 0);
  for (std::size_t k = 0; k < slots.size(); ++k)
    s.histogram.counts[table.bin(k)] += slots[k];
  if (s.count > 0) {
    s.mean = sum / double(s.count);
    s.bias = sum_signed / double(s.count);
    if (keep_median)
      s.median = median(parts, s.count, slots);
  }
  return s;
}

ProductErrors::ProductErrors()
    : a_(kPairBlock), b_(kPairBlock), approx_(kPairBlock), exact_(kPairBlock) {}

void ProductErrors::reset(const MulSpec& spec, ErrorAccumulator& acc) {
  flush();
  spec_ = spec;
  acc_ = &acc;
}

namespace {
void put_run(const float* from, float* to, std::size_t n) { std::copy(from, from + n, to); }
void put_run(float value, float* to, std::size_t n) { std::fill(to, to + n, value); }
void skip_run(const float*& p, std::size_t n) { p += n; }
void skip_run(float, std::size_t) {}
} // namespace

template <class A, class B> void ProductErrors::put(A a, B b, std::size_t n) {
  while (n > 0) {
    if (pending_ == kPairBlock)
      flush();
    const std::size_t m = std::min(n, kPairBlock - pending_);
    put_run(a, a_.data() + pending_, m);
    put_run(b, b_.data() + pending_, m);
    skip_run(a, m);
    skip_run(b, m);
    pending_ += m;
    n -= m;
  }
}

void ProductErrors::add(const float* a, const float* b, std::size_t n) { put(a, b, n); }
void ProductErrors::add(float a, const float* b, std::size_t n) { put(a, b, n); }
void ProductErrors::add(const float* a, float b, std::size_t n) { put(a, b, n); }

void ProductErrors::flush() {
  if (pending_ == 0)
    return;
  multiply_elementwise(spec_, a_.data(), b_.data(), approx_.data(), pending_);
  multiply_elementwise(exact_of(spec_), a_.data(), b_.data(), exact_.data(), pending_);
  acc_->add(approx_.data(), exact_.data(), pending_);
  pending_ = 0;
}

std::size_t ProductErrors::bytes() const {
  return (a_.capacity() + b_.capacity() + approx_.capacity() + exact_.capacity()) * sizeof(float);
}

ErrorStats error_stats(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       bool with_median) {
  ErrorAccumulator acc(with_median);
  accumulate_errors(spec, a, b, n, acc);
  return acc.finish();
}

void accumulate_errors(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       ErrorAccumulator& acc) {
  ProductErrors errors;
  errors.reset(spec, acc);
  errors.add(a, b, n);
  errors.flush();
}

} // namespace lmul
