#include "lmul/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "lmul/format.hpp"
#include "lmul/kernels.hpp"
#include "slot_table.hpp"

namespace lmul {

namespace {

// The loops of finish_groups over the slots and the kept errors are functions of their own
// (noinline). In WebAssembly, V8 recompiles a function whose loops run long with its optimizing
// compiler; inlined, these loops made all of finish_groups hot: ~75 ms of compiling in Chromium,
// on the two cores that a page's start shares.

// Patterns [lo, hi) of relative errors, and where the errors found in them go.
struct Range {
  uint32_t lo, hi;
  std::vector<float>* out;
};

// Appends each value of `errors` to the ranges its pattern lies in. The ranges (a layer's median,
// its kind's, the whole pass's) lie close together: one test for the span of all of them first.
template <class Errors>
[[gnu::noinline]] void collect(const Errors& errors, const std::vector<Range>& ranges) {
  uint32_t lo = ranges[0].lo, hi = ranges[0].hi;
  for (const Range& r : ranges) {
    lo = std::min(lo, r.lo);
    hi = std::max(hi, r.hi);
  }
  const auto take = [&](float x) {
    for (const Range& r : ranges)
      if (bits_of(x) >= r.lo && bits_of(x) < r.hi)
        r.out->push_back(x);
  };
  const float* e = errors.data();
  const std::size_t n = errors.size();
  std::size_t i = 0;
  using I = IntLanes<Batch>;
  const I vlo = I(int32_t(lo)), vhi = I(int32_t(hi)); // patterns are below 2^31: signed compares
  for (; i + kLanes <= n; i += kLanes) {
    const I b = as_int(Batch::load_unaligned(e + i));
    for (unsigned m = lane_mask(float_mask(both(b >= vlo, b < vhi))); m != 0; m &= m - 1)
      take(e[i + lowest_bit(m)]);
  }
  for (; i < n; ++i)
    take(e[i]);
}

// The value of rank r (0-based) among v, whose patterns lie in [lo, hi), and with `pair` the mean
// of it and the next one: a count of finer buckets of patterns first, so that the selection
// runs among the few values of the buckets that hold them.
[[gnu::noinline]] double select_middle(std::vector<float>& v, std::size_t r, bool pair, uint32_t lo,
                                       uint32_t hi) {
  int shift = 0;
  while (((hi - lo - 1) >> shift) >= 1024)
    ++shift;
  std::vector<std::size_t> count(((hi - lo - 1) >> shift) + 1, 0);
  for (float x : v)
    ++count[(bits_of(x) - lo) >> shift];
  std::size_t before = 0, first = 0;
  while (before + count[first] <= r)
    before += count[first++];
  std::size_t last = first;
  for (std::size_t through = before + count[first]; pair && through <= r + 1;)
    through += count[++last];
  const uint32_t from = lo + (uint32_t(first) << shift), to = lo + (uint32_t(last + 1) << shift);
  v.erase(std::remove_if(v.begin(), v.end(),
                         [&](float x) { return bits_of(x) < from || bits_of(x) >= to; }),
          v.end());
  r -= before;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(r), v.end());
  const double lower = v[r];
  if (!pair)
    return lower;
  return 0.5 * (lower + *std::min_element(v.begin() + std::ptrdiff_t(r) + 1, v.end()));
}

// Adds the counts of one accumulator's slots to another's.
[[gnu::noinline]] void add_slots(std::vector<uint64_t>& to, const std::vector<uint64_t>& from) {
  for (std::size_t k = 0; k < to.size(); ++k)
    to[k] += from[k];
}

// The histogram's counts from the slots' counts.
[[gnu::noinline]] std::vector<uint64_t> bin_counts(const SlotTable& table,
                                                   const std::vector<uint64_t>& slots) {
  std::vector<uint64_t> counts(kBins, 0);
  for (std::size_t k = 0; k < slots.size(); ++k)
    counts[table.bin(k)] += slots[k];
  return counts;
}

// The partial sums of an accumulator, combined by a fixed tree.
double sum_partials(const double* p) {
  static_assert(ErrorAccumulator::kSumLanes == 8, "the tree below adds 8 partials");
  double a[4];
  for (int j = 0; j < 4; ++j)
    a[j] = p[j] + p[j + 4];
  return (a[0] + a[2]) + (a[1] + a[3]);
}
} // namespace

ErrorAccumulator::ErrorAccumulator(bool keep_median)
    : keep_median_(keep_median), slots_(slot_table().slots(), 0) {}

ErrorAccumulator::~ErrorAccumulator() = default;
ErrorAccumulator::ErrorAccumulator(const ErrorAccumulator&) = default;
ErrorAccumulator::ErrorAccumulator(ErrorAccumulator&&) noexcept = default;
ErrorAccumulator& ErrorAccumulator::operator=(const ErrorAccumulator&) = default;
ErrorAccumulator& ErrorAccumulator::operator=(ErrorAccumulator&&) noexcept = default;

void ErrorAccumulator::add(float approx, float exact) { add(&approx, &exact, 1); }

// Two passes per block of pairs: the relative errors and the excluded pairs on SIMD lanes, then
// one scalar pass over the kept errors that counts their slots. An excluded pair's lanes hold
// +0, which leaves the sums as they are (they are never -0).
//
// A relative error is computed in fp32 and summed in double. For an approximation within a
// factor 2 of the exact product (every error below 50 %) the difference is exact (Sterbenz), so
// the error is the correctly rounded fp32 value of the true quotient: the same as rounding the
// double quotient to fp32 (double rounding is innocuous for a quotient of fp32 values), which is
// what decides the histogram bins and the median.
//
// The sums are kSumLanes interleaved partial sums: the pair at position p (counting every pair
// ever added, excluded ones too) goes to partial p % kSumLanes, in order, so that they are the
// same however the pairs are batched, and on SIMD lanes and scalar code alike.

void ErrorAccumulator::add(const float* approx, const float* exact, std::size_t n) {
  const SlotTable& table = slot_table();
  constexpr std::size_t kBlock = 256;
  static_assert(kBlock % kSumLanes == 0 && kSumLanes % kLanes == 0, "lanes must tile the block");
  alignas(64) float unkept[kBlock]; // the errors, when the median is not wanted
  const float inf = std::numeric_limits<float>::infinity();
  uint64_t* slots = slots_.data();
  // The partials in the order of this call's pairs: pair j goes to local partial j % kSumLanes.
  const std::size_t phase = std::size_t((count_ + zeros_ + nonfinite_) % kSumLanes);
  alignas(64) double sum[kSumLanes], sum_signed[kSumLanes];
  for (std::size_t l = 0; l < kSumLanes; ++l) {
    sum[l] = sum_[(phase + l) % kSumLanes];
    sum_signed[l] = sum_signed_[(phase + l) % kSumLanes];
  }
  for (std::size_t i0 = 0; i0 < n; i0 += kBlock) {
    const std::size_t m = std::min(kBlock, n - i0);
    const float* a = approx + i0;
    const float* e = exact + i0;
    std::size_t j = 0, n_kept = 0;
    // The block's errors go straight to the end of errors_ (a copy of a kilobyte here is a call
    // out to JavaScript in Emscripten 3.1.6's memcpy).
    const std::size_t kept_before = errors_.size();
    if (keep_median_)
      errors_.resize(kept_before + m);
    float* kept = keep_median_ ? errors_.data() + kept_before : unkept;
    if constexpr (kHasDoubleHalves<Batch::arch_type>) {
      using I = IntLanes<Batch>;
      using D = DoubleLanes<Batch>;
      constexpr std::size_t kHalf = D::size, kParts = kSumLanes / kHalf;
      D part[kParts], part_signed[kParts];
      I top(0); // the largest relative error's pattern (they are never negative)
      for (std::size_t k = 0; k < kParts; ++k) {
        part[k] = D::load_aligned(sum + k * kHalf);
        part_signed[k] = D::load_aligned(sum_signed + k * kHalf);
      }
      unsigned zeros = 0, nonfinite = 0;
      // kSumLanes pairs per step, so that each batch's partials are fixed (and in registers).
      for (; j + kSumLanes <= m; j += kSumLanes)
        for (std::size_t h = 0; h < kSumLanes / kLanes; ++h) {
          const std::size_t i = j + h * kLanes;
          const Batch va = Batch::load_unaligned(a + i), ve = Batch::load_unaligned(e + i);
          const I magnitude = as_int(ve) & I(int32_t(kAbsMask));
          const auto zero = magnitude == I(0);
          const auto special = magnitude >= I(int32_t(kInfBits));
          zeros += unsigned(__builtin_popcount(lane_mask(float_mask(zero))));
          nonfinite += unsigned(__builtin_popcount(lane_mask(float_mask(special))));
          const auto out = float_mask(either(zero, special));
          const unsigned out_lanes = lane_mask(out);
          // Excluded lanes compute (1 - 1) / 1 = +0.
          const Batch sa = xsimd::select(out, Batch(1.0f), va);
          const Batch se = xsimd::select(out, Batch(1.0f), ve);
          Batch sr = (sa - se) / se;
          sr = xsimd::select(sr == sr, sr, Batch(inf)); // NaN: infinitely wrong
          const Batch ar = xsimd::abs(sr);
          const std::size_t k = h * kLanes / kHalf; // lanes i.. are partials h * kLanes..
          part[k] = part[k] + low_half_as_double(ar);
          part[k + 1] = part[k + 1] + high_half_as_double(ar);
          part_signed[k] = part_signed[k] + low_half_as_double(sr);
          part_signed[k + 1] = part_signed[k + 1] + high_half_as_double(sr);
          top = xsimd::max(top, as_int(ar));
          if (out_lanes == 0) {
            ar.store_unaligned(kept + n_kept);
            n_kept += kLanes;
          } else {
            alignas(64) float lanes[kLanes];
            ar.store_aligned(lanes);
            for (std::size_t l = 0; l < kLanes; ++l)
              if (!(out_lanes >> l & 1))
                kept[n_kept++] = lanes[l];
          }
        }
      for (std::size_t k = 0; k < kParts; ++k) {
        part[k].store_aligned(sum + k * kHalf);
        part_signed[k].store_aligned(sum_signed + k * kHalf);
      }
      zeros_ += zeros;
      nonfinite_ += nonfinite;
      alignas(64) int32_t t[kLanes];
      top.store_aligned(t);
      for (std::size_t l = 0; l < kLanes; ++l)
        max_ = std::max(max_, double(float_of(uint32_t(t[l]))));
    }
    for (; j < m; ++j) {
      const uint32_t magnitude = bits_of(e[j]) & kAbsMask;
      if (magnitude == 0 || magnitude >= kInfBits) {
        ++(magnitude == 0 ? zeros_ : nonfinite_);
        continue;
      }
      float s = (a[j] - e[j]) / e[j];
      if (std::isnan(s))
        s = inf;
      const float r = std::fabs(s);
      sum[j % kSumLanes] += double(r);
      sum_signed[j % kSumLanes] += double(s);
      max_ = std::max(max_, double(r));
      kept[n_kept++] = r;
    }
    for (j = 0; j < n_kept; ++j)
      ++slots[table.slot(bits_of(kept[j]))];
    count_ += n_kept;
    if (keep_median_)
      errors_.resize(kept_before + n_kept);
  }
  // Blocks are whole multiples of kSumLanes but the last: its local partials rotate back by the
  // same phase as the call's (the pairs of the next call continue after them).
  for (std::size_t l = 0; l < kSumLanes; ++l) {
    sum_[(phase + l) % kSumLanes] = sum[l];
    sum_signed_[(phase + l) % kSumLanes] = sum_signed[l];
  }
}

void ErrorAccumulator::merge(const ErrorAccumulator& o) {
  if (keep_median_ && !o.keep_median_ && o.count_ > 0)
    throw std::logic_error("ErrorAccumulator::merge: the median needs every relative error, "
                           "and the other accumulator did not keep them");
  count_ += o.count_;
  zeros_ += o.zeros_;
  nonfinite_ += o.nonfinite_;
  for (std::size_t l = 0; l < kSumLanes; ++l) {
    sum_[l] += o.sum_[l];
    sum_signed_[l] += o.sum_signed_[l];
  }
  max_ = std::max(max_, o.max_);
  add_slots(slots_, o.slots_);
  if (keep_median_)
    errors_.insert(errors_.end(), o.errors_.begin(), o.errors_.end());
}

void ErrorAccumulator::reserve(std::size_t pairs) {
  if (keep_median_)
    errors_.reserve(errors_.size() + pairs);
}

ErrorStats ErrorAccumulator::finish() const { return finish({this}); }

ErrorStats ErrorAccumulator::finish(const std::vector<const ErrorAccumulator*>& parts) {
  return std::move(finish_groups({parts})[0]);
}

// The median of the relative errors is the middle one, or the mean of the two middle ones: a
// selection among the errors of the slots that hold them, collected from the kept errors.
std::vector<ErrorStats>
ErrorAccumulator::finish_groups(const std::vector<std::vector<const ErrorAccumulator*>>& groups) {
  const SlotTable& table = slot_table();
  std::vector<ErrorStats> stats(groups.size());
  struct Median {
    std::size_t group;
    uint32_t lo, hi;  // the patterns of the slots that hold the middle one(s)
    std::size_t rank; // of the lower middle one among them
    std::vector<float> errors;
  };
  std::vector<Median> medians;
  std::vector<uint64_t> slots(table.slots());
  const std::vector<double> edges = histogram_edges(); // 35 calls of pow(), once
  for (std::size_t g = 0; g < groups.size(); ++g) {
    ErrorStats& s = stats[g];
    double sum[kSumLanes] = {}, sum_signed[kSumLanes] = {};
    bool keep_median = true;
    std::fill(slots.begin(), slots.end(), 0);
    for (const ErrorAccumulator* p : groups[g]) {
      s.count += p->count_;
      s.zeros += p->zeros_;
      s.nonfinite += p->nonfinite_;
      for (std::size_t l = 0; l < kSumLanes; ++l) {
        sum[l] += p->sum_[l];
        sum_signed[l] += p->sum_signed_[l];
      }
      s.max = std::max(s.max, p->max_);
      add_slots(slots, p->slots_);
      keep_median = keep_median && p->keep_median_;
    }
    s.histogram.edges = edges;
    s.histogram.counts = bin_counts(table, slots);
    if (s.count == 0)
      continue;
    s.mean = sum_partials(sum) / double(s.count);
    s.bias = sum_partials(sum_signed) / double(s.count);
    if (!keep_median)
      continue;
    const uint64_t k = (s.count - 1) / 2; // the lower middle one (0-based)
    uint64_t before = 0;                  // errors in the slots below `first`
    std::size_t first = 0;
    while (before + slots[first] <= k)
      before += slots[first++];
    std::size_t last = first; // the slot of the upper middle one
    for (uint64_t through = before + slots[first]; s.count % 2 == 0 && through <= k + 1;)
      through += slots[++last];
    medians.push_back({g, table.lo(first), table.lo(last + 1), std::size_t(k - before), {}});
  }
  // Each accumulator's errors once, for every median of a group it is in.
  std::vector<const ErrorAccumulator*> done;
  std::vector<Range> ranges;
  for (const Median& m : medians)
    for (const ErrorAccumulator* p : groups[m.group]) {
      if (std::find(done.begin(), done.end(), p) != done.end())
        continue;
      done.push_back(p);
      ranges.clear();
      for (Median& w : medians) {
        const auto& g = groups[w.group];
        if (std::find(g.begin(), g.end(), p) != g.end())
          ranges.push_back({w.lo, w.hi, &w.errors});
      }
      collect(p->errors_, ranges);
    }
  for (Median& m : medians) {
    const bool pair = stats[m.group].count % 2 == 0;
    if (m.rank + pair >= m.errors.size())
      throw std::logic_error("ErrorAccumulator: kept errors and slot counts disagree");
    stats[m.group].median = select_middle(m.errors, m.rank, pair, m.lo, m.hi);
  }
  return stats;
}

ProductErrors::ProductErrors()
    : policy_(make_policy(MulSpec{})), approx_(kPairBlock), exact_(kPairBlock), a_(kPairBlock),
      quantized_a_(kPairBlock), b_(kPairBlock), quantized_b_(kPairBlock) {}

void ProductErrors::reset(const MulSpec& spec, ErrorAccumulator& acc) {
  flush();
  spec_ = spec;
  policy_ = make_policy(spec);
  acc_ = &acc;
}

// The products of a run go straight into the block (no copies of the operands), under the
// policy kept since reset(): one std::visit per run.
void ProductErrors::measure(Run a, Run b, std::size_t n) {
  const ExactMul exact{MulSpec{}};
  while (n > 0) {
    if (pending_ == kPairBlock)
      flush();
    const std::size_t m = std::min(n, kPairBlock - pending_);
    std::visit(
        [&](const auto& p) {
          multiply_quantized(p, a.quantized, b.quantized, approx_.data() + pending_, m);
        },
        policy_);
    multiply_elementwise(exact, a.x, b.x, exact_.data() + pending_, m);
    a = {a.x + m, a.quantized + m};
    b = {b.x + m, b.quantized + m};
    pending_ += m;
    n -= m;
  }
}

namespace {
// Pairs i..i+m of an operand, as a run: a run's own, one value repeated into the buffers x and
// quantized, or unquantized values quantized into `quantized`.
ProductErrors::Run block(const MulSpec&, ProductErrors::Run r, std::size_t i, std::size_t, float*,
                         float*) {
  return {r.x + i, r.quantized + i};
}
ProductErrors::Run block(const MulSpec&, ProductErrors::One v, std::size_t, std::size_t m, float* x,
                         float* quantized) {
  std::fill(x, x + m, v.x);
  std::fill(quantized, quantized + m, v.quantized);
  return {x, quantized};
}
ProductErrors::Run block(const MulSpec& spec, const float* unquantized, std::size_t i,
                         std::size_t m, float*, float* quantized) {
  quantize_operands(spec, unquantized + i, quantized, m);
  return {unquantized + i, quantized};
}
} // namespace

template <class A, class B> void ProductErrors::put(A a, B b, std::size_t n) {
  for (std::size_t i = 0; i < n; i += kPairBlock) {
    const std::size_t m = std::min(n - i, kPairBlock);
    measure(block(spec_, a, i, m, a_.data(), quantized_a_.data()),
            block(spec_, b, i, m, b_.data(), quantized_b_.data()), m);
  }
}

void ProductErrors::add(Run a, Run b, std::size_t n) { measure(a, b, n); }
void ProductErrors::add(One a, Run b, std::size_t n) { put(a, b, n); }
void ProductErrors::add(Run a, One b, std::size_t n) { put(a, b, n); }
void ProductErrors::add(const float* a, const float* b, std::size_t n) { put(a, b, n); }

void ProductErrors::flush() {
  if (pending_ == 0)
    return;
  acc_->add(approx_.data(), exact_.data(), pending_);
  pending_ = 0;
}

std::size_t ProductErrors::bytes() const {
  std::size_t floats = 0;
  for (const std::vector<float>* v : {&approx_, &exact_, &a_, &quantized_a_, &b_, &quantized_b_})
    floats += v->capacity();
  return floats * sizeof(float);
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
