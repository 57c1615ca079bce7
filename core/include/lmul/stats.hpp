// Error measures of NUMERICS.md section 4: relative error of approximate products against the
// fp32 product of the unquantized operands, signed bias, and a log10-binned histogram.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "lmul/multiply.hpp"
#include "lmul/uninitialized.hpp"

namespace lmul {

struct Histogram {
  std::vector<double> edges;    // bin k is [edges[k], edges[k+1]); the last bin is closed
  std::vector<uint64_t> counts; // edges.size() - 1 entries
};

struct ErrorStats {
  uint64_t count = 0;     // pairs with a finite, nonzero exact product
  uint64_t zeros = 0;     // pairs whose exact product is 0 (excluded, the "underflow bin")
  uint64_t nonfinite = 0; // pairs whose exact product is inf or NaN (excluded)
  double mean = 0, median = 0, max = 0, bias = 0;
  Histogram histogram;
};

// Histogram bins: [0, 1e-8), then kBinsPerDecade per decade up to 1, then [1, inf].
// Approximations that are off by 100 % or more (or not finite) land in the last bin.
constexpr int kBinsPerDecade = 4;
constexpr int kLowestDecade = -8;
std::vector<double> histogram_edges();

// Collects (approx, exact) pairs; the median needs every relative error, so it is optional.
// A relative error is the fp32 quotient |approx - exact| / |exact| (for errors below 50 % the
// difference is exact, so the quotient is the correctly rounded true value); the maximum is that
// float, and the sums are taken in double.
//
// The relative errors are counted in "slots" finer than the histogram's bins (a factor of at
// most 1 + 2^-4 wide, each inside one bin), so the median is a selection among the few errors
// of the slot that holds it, found by one pass over the kept errors. The sums are kSumLanes
// interleaved partial sums (the n-th pair ever added goes to partial n % kSumLanes, in order),
// combined by a fixed tree: the mean and the bias are the same however the pairs are batched,
// and on every SIMD target and in scalar code.
class ErrorAccumulator {
public:
  explicit ErrorAccumulator(bool keep_median = true);
  // Out of line: code compiled for size (-Oz in the WebAssembly build) destroys a million kept
  // errors one float at a time.
  ~ErrorAccumulator();
  ErrorAccumulator(const ErrorAccumulator&);
  ErrorAccumulator(ErrorAccumulator&&) noexcept;
  ErrorAccumulator& operator=(const ErrorAccumulator&);
  ErrorAccumulator& operator=(ErrorAccumulator&&) noexcept;
  void add(float approx, float exact);
  void add(const float* approx, const float* exact, std::size_t n);
  // Records n pairs whose exact product is zero without looking at them.
  void add_zeros(uint64_t n) { zeros_ += n; }
  void merge(const ErrorAccumulator& other);
  // Room for `pairs` more relative errors, for callers that know how many will come.
  void reserve(std::size_t pairs);
  ErrorStats finish() const;
  // The statistics of every pair added to any of `parts`, the same as merging them into one and
  // finishing it, without copying their relative errors (a ViT's pass has about a million).
  static ErrorStats finish(const std::vector<const ErrorAccumulator*>& parts);
  // finish(group) for each group, reading the kept errors of an accumulator that is in several
  // groups (a layer, its kind of products, the whole pass) once for all their medians.
  static std::vector<ErrorStats>
  finish_groups(const std::vector<std::vector<const ErrorAccumulator*>>& groups);

  static constexpr std::size_t kSumLanes = 8; // a multiple of every SIMD target's lanes

private:
  bool keep_median_;
  uint64_t count_ = 0, zeros_ = 0, nonfinite_ = 0;
  double sum_[kSumLanes] = {}, sum_signed_[kSumLanes] = {}, max_ = 0;
  std::vector<uint64_t> slots_; // relative errors per slot
  // With keep_median: every relative error (as a float), in the order added. It grows without
  // zeroing what add() writes over at once (a ViT's pass keeps about a million).
  UninitializedVector<float> errors_;
};

// Products of operand pairs that arrive a few at a time (a row of weights and an input, one
// head's slice of two tokens), measured under one multiplier against exact fp32 products a
// block at a time. The multiplier's policy is built once per reset(), and each run's products
// go straight into the block.
class ProductErrors {
public:
  // A run of operands with their twins quantized by the multiplier (quantize_operands() under the
  // spec of reset()), for callers whose operands each meet many others: a layer's weights meet
  // every token, an input every weight. Quantizing each once instead of once per product is
  // what makes a ViT's statistics affordable (about a million products per image).
  struct Run {
    const float* x;
    const float* quantized;
  };
  struct One {
    float x, quantized;
  };

  ProductErrors();
  // The pairs from now on are measured under spec and go to acc (the pending ones are measured
  // first, into the accumulator before).
  void reset(const MulSpec& spec, ErrorAccumulator& acc);
  void add(const float* a, const float* b, std::size_t n); // pairs a[i], b[i]; quantized here
  void add(Run a, Run b, std::size_t n);                   // pairs a[i], b[i]
  void add(One a, Run b, std::size_t n);                   // pairs a, b[i]
  void add(Run a, One b, std::size_t n);                   // pairs a[i], b
  // Measures the pending pairs; call before reading the accumulator.
  void flush();
  std::size_t bytes() const; // the block buffers

private:
  static constexpr std::size_t kPairBlock = 1024;
  void measure(Run a, Run b, std::size_t n);
  // Pairs from other kinds of operands (One, unquantized), a block at a time.
  template <class A, class B> void put(A a, B b, std::size_t n);
  MulSpec spec_;
  AnyPolicy policy_; // spec_'s, built once
  ErrorAccumulator* acc_ = nullptr;
  std::size_t pending_ = 0;
  std::vector<float> approx_, exact_;                    // the pending pairs' products
  std::vector<float> a_, quantized_a_, b_, quantized_b_; // operands repeated or quantized here
};

// Statistics of every product a[i] * b[i] under spec against exact fp32 products.
ErrorStats error_stats(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       bool with_median = true);
// Adds those n products to acc: error_stats over pairs that arrive in pieces (the package
// copies long arrays into wasm memory a piece at a time) gives the same statistics.
void accumulate_errors(const MulSpec& spec, const float* a, const float* b, std::size_t n,
                       ErrorAccumulator& acc);

} // namespace lmul
