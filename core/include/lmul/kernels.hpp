// Kernels written once over a multiplier policy (multiply.hpp): elementwise product, dot
// product and dense layers. The scalar references live in kernels_scalar.hpp; tests prove
// the two agree bit for bit.
//
// Summation orders (NUMERICS.md section 3), identical for the scalar references and every
// SIMD width, so native AVX2, native SSE, WebAssembly SIMD and scalar code give the same bits:
//  - dot: 16 interleaved partial sums (term i goes to partial i % 16, in increasing i), then
//    combined by the fixed tree reduce_partials().
//  - dense: each output is bias + (0 + p_0 + p_1 + ...) in increasing input order, where
//    inputs the policy skips (zero operands, whose products are exactly +-0) are left out.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "lmul/multiply.hpp"

namespace lmul {

using Batch = xsimd::batch<float>;
constexpr std::size_t kLanes = Batch::size;
constexpr std::size_t kDotPartials = 16;
static_assert(kDotPartials % kLanes == 0, "SIMD width must divide the dot partial count");

// The fixed reduction tree of the 16 dot partials.
inline float reduce_partials(const float* p) {
  float a[8], b[4];
  for (int j = 0; j < 8; ++j)
    a[j] = p[j] + p[j + 8];
  for (int j = 0; j < 4; ++j)
    b[j] = a[j] + a[j + 4];
  return (b[0] + b[2]) + (b[1] + b[3]);
}

// out[i] = a[i] * b[i] under policy p. Any alignment, any length; out may alias a or b.
template <class P>
void multiply_elementwise(const P& p, const float* a, const float* b, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Batch x = p.operand(Batch::load_unaligned(a + i));
    const Batch y = p.operand(Batch::load_unaligned(b + i));
    p.product(x, y).store_unaligned(out + i);
  }
  for (; i < n; ++i)
    out[i] = p.product(p.operand(a[i]), p.operand(b[i]));
}

// out[i] = p.operand(in[i]) for i < n: operands quantized once, for callers that multiply each
// of them many times (attention's heads, training, the error statistics of a layer). Not
// inlined: the wasm module keeps one copy per policy instead of one in each caller.
template <class P>
[[gnu::noinline]] void quantize_operands(const P& p, const float* in, float* out, std::size_t n) {
  std::size_t i = 0;
  if constexpr (P::kQuantizes)
    for (; i + kLanes <= n; i += kLanes)
      p.operand(Batch::load_unaligned(in + i)).store_unaligned(out + i);
  for (; i < n; ++i)
    out[i] = p.operand(in[i]);
}

// out[i] = qa[i] * qb[i] under policy p for operands quantize_operands() made: the same products
// as multiply_elementwise() of the unquantized operands (operand() is applied once either way).
template <class P>
void multiply_quantized(const P& p, const float* qa, const float* qb, float* out, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    p.product(Batch::load_unaligned(qa + i), Batch::load_unaligned(qb + i))
        .store_unaligned(out + i);
  for (; i < n; ++i)
    out[i] = p.product(qa[i], qb[i]);
}

template <class P> float dot(const P& p, const float* a, const float* b, std::size_t n) {
  constexpr std::size_t kAcc = kDotPartials / kLanes;
  Batch acc[kAcc];
  for (auto& v : acc)
    v = Batch(0.0f);
  std::size_t i = 0;
  for (; i + kDotPartials <= n; i += kDotPartials)
    for (std::size_t k = 0; k < kAcc; ++k) {
      const Batch x = p.operand(Batch::load_unaligned(a + i + k * kLanes));
      const Batch y = p.operand(Batch::load_unaligned(b + i + k * kLanes));
      acc[k] = acc[k] + p.product(x, y);
    }
  alignas(64) float partial[kDotPartials];
  for (std::size_t k = 0; k < kAcc; ++k)
    acc[k].store_aligned(partial + k * kLanes);
  for (std::size_t j = 0; i < n; ++i, ++j)
    partial[j] = partial[j] + p.product(p.operand(a[i]), p.operand(b[i]));
  return reduce_partials(partial);
}

// How many rows (input vectors) of a dense layer took one path.
struct PathCount {
  std::string name; // "general", or the policy's "<packing>/<product>", e.g. "pure/pure-unsigned"
  uint64_t rows = 0;
};

// How a weight matrix is laid out in memory: PyTorch's nn.Linear [out][in], or [in][out] (the
// value matrix of attention, read as weights).
enum class WeightLayout { out_by_in, in_by_out };

namespace detail {
// The packed paths of a policy, flattened: (packing, product) pairs in order of preference.
template <class Packing, class... Products>
constexpr std::size_t count_products(std::tuple<Products...>*) {
  return sizeof...(Products);
}
template <class... Packings> constexpr std::size_t count_paths(std::tuple<Packings...>*) {
  return (0 + ... + count_products<Packings>(static_cast<typename Packings::Products*>(nullptr)));
}
template <class T, class = void> struct IsIdentityPacking : std::false_type {};
template <class T>
struct IsIdentityPacking<T, std::void_t<decltype(T::kIdentity)>>
    : std::bool_constant<T::kIdentity> {};
// Calls f(Tag<T, index>) for each type T of a tuple, in order; stops when f returns true.
template <class T, std::size_t I> struct Tag {
  using type = T;
  static constexpr std::size_t index = I;
};
template <class... Ts, std::size_t... Is, class Fn>
bool for_each_type(std::tuple<Ts...>*, std::index_sequence<Is...>, Fn& f) {
  return (f(Tag<Ts, Is>{}) || ...);
}
template <class Tuple, class Fn> bool for_each_type(Fn&& f) {
  return for_each_type(static_cast<Tuple*>(nullptr),
                       std::make_index_sequence<std::tuple_size<Tuple>::value>{}, f);
}
} // namespace detail

// A dense layer y = W x + b prepared for one multiplier: weights quantized once and stored
// transposed ([in][out], out padded to whole batches) so the kernel streams over outputs and can
// skip zero inputs (about 80 % of MNIST pixels, half of the ReLU outputs). Where the policy has
// a packing for these weights (see mul_spec.hpp), they are also stored packed, and each input
// vector takes the first of its products whose range proof holds; otherwise the general path
// (P::product on the quantized weights). F is the float lane type: a batch (the fast kernel) or
// float (the same algorithm on one lane, the benchmarks' scalar baseline).
template <class P, class F = Batch> class DenseKernel {
public:
  using Packings = typename P::Packings;
  static constexpr std::size_t kWidth = LaneTypes<F>::size;
  static constexpr std::size_t kPaths = detail::count_paths(static_cast<Packings*>(nullptr));

  explicit DenseKernel(const P& policy) : p_(policy) {}
  // W row-major [out][in] (PyTorch's nn.Linear layout) or [in][out]; bias may be null (zeros).
  DenseKernel(const P& policy, const float* W, const float* bias, std::size_t in, std::size_t out,
              WeightLayout layout = WeightLayout::out_by_in)
      : p_(policy) {
    assign(W, bias, in, out, layout);
  }

  // (Re)prepares the kernel for new weights, reusing its memory: attention prepares one per
  // input. Path counts are kept.
  void assign(const float* W, const float* bias, std::size_t in, std::size_t out,
              WeightLayout layout = WeightLayout::out_by_in) {
    in_ = in;
    out_ = out;
    padded_ = (out + kWidth - 1) / kWidth * kWidth;
    wt_.assign(in * padded_, 0.0f);
    w_range_ = OperandRange{};
    for (std::size_t i = 0; i < in; ++i)
      for (std::size_t o = 0; o < out; ++o) {
        const float w =
            p_.operand(layout == WeightLayout::out_by_in ? W[o * in + i] : W[i * out + o]);
        wt_[i * padded_ + o] = w;
        w_range_.add(w);
      }
    bias_.assign(out, 0.0f);
    if (bias)
      std::copy(bias, bias + out, bias_.begin());
    x_.resize(in);
    active_.resize(in);
    terms_.resize(in * kTermSlots * sizeof(F));
    packing_ = -1;
    if (w_range_.special) // packed paths assume finite operands
      return;
    detail::for_each_type<Packings>([&](auto tag) {
      using Packing = typename decltype(tag)::type;
      if (!Packing::fits(p_, w_range_))
        return false;
      packing_ = int(decltype(tag)::index);
      if constexpr (!detail::IsIdentityPacking<Packing>::value) {
        auto& packed = std::get<decltype(tag)::index>(packed_);
        packed.resize(wt_.size());
        for (std::size_t k = 0; k < wt_.size(); ++k)
          packed[k] = Packing::pack(p_, wt_[k]);
      }
      return true;
    });
  }

  std::size_t in() const { return in_; }
  std::size_t out() const { return out_; }
  // The packing chosen for these weights ("" when none fits).
  std::string packing() const {
    std::string name;
    detail::for_each_type<Packings>([&](auto tag) {
      if (int(decltype(tag)::index) == packing_)
        name = decltype(tag)::type::kName;
      return int(decltype(tag)::index) == packing_;
    });
    return name;
  }
  // Rows by path since construction, every path listed (general last).
  std::vector<PathCount> path_counts() const {
    std::vector<PathCount> counts;
    detail::for_each_type<Packings>([&](auto tag) {
      using Packing = typename decltype(tag)::type;
      detail::for_each_type<typename Packing::Products>([&](auto product) {
        counts.push_back({std::string(Packing::kName) + "/" + decltype(product)::type::kName,
                          rows_[counts.size()]});
        return false;
      });
      return false;
    });
    counts.push_back({"general", rows_[kPaths]});
    return counts;
  }
  // Bytes held for the prepared weights and scratch.
  std::size_t bytes() const {
    std::size_t b = (wt_.capacity() + bias_.capacity() + x_.capacity()) * sizeof(float) +
                    active_.capacity() * sizeof(std::size_t) + terms_.capacity();
    std::apply([&](const auto&... v) { ((b += v.capacity() * sizeof(v[0])), ...); }, packed_);
    return b;
  }

  // One input vector x[in] -> y[out]. Not thread-safe (uses scratch buffers). Not inlined: the
  // dense layers and attention call it once per row, and one copy per policy keeps the wasm
  // module within its size budget.
  [[gnu::noinline]] void forward(const float* x, float* y) const {
    OperandRange x_range;
    const std::size_t n_active = prepare_input(x, x_range);
    // A local copy of the policy lets the compiler keep its constants in registers.
    const P p = p_;
    std::size_t path = 0;
    const bool packed =
        packing_ >= 0 && !x_range.special && detail::for_each_type<Packings>([&](auto tag) {
          using Packing = typename decltype(tag)::type;
          if (int(decltype(tag)::index) != packing_) {
            path += std::tuple_size<typename Packing::Products>::value;
            return false;
          }
          return detail::for_each_type<typename Packing::Products>([&](auto product) {
            using Product = typename decltype(product)::type;
            if (!Product::proves(p, w_range_, x_range)) {
              ++path;
              return false;
            }
            accumulate(
                weights<Packing, decltype(tag)::index>(), n_active,
                [&p](float xi) { return Product::template term<F>(p, xi); },
                [&p](const auto& w, const auto& t) {
                  return Product::template product<F>(p, w, t);
                },
                y);
            return true;
          });
        });
    if (!packed) {
      path = kPaths;
      accumulate(
          wt_.data(), n_active, [](float xi) { return F(xi); },
          [&p](const F& w, const F& xi) { return p.product(w, xi); }, y);
    }
    ++rows_[path];
  }

  // Rows X[n][in] -> Y[n][out].
  void forward_batch(const float* X, std::size_t n, float* Y) const {
    for (std::size_t r = 0; r < n; ++r)
      forward(X + r * in_, Y + r * out_);
  }

private:
  using I = IntLanes<F>;
  static constexpr std::size_t kTermSlots = 3; // a term is at most 3 lanes wide (lmul-formula)

  template <class Packing, std::size_t Index> const typename Packing::Weight* weights() const {
    if constexpr (detail::IsIdentityPacking<Packing>::value)
      return wt_.data();
    else
      return std::get<Index>(packed_).data();
  }

  // Quantizes x into x_, lists the inputs whose products are not all +-0, and records the
  // range of those inputs: one SIMD pass with per-lane bit masks, since most inputs are zero.
  std::size_t prepare_input(const float* x, OperandRange& range) const {
    std::size_t n_active = 0, i = 0;
    if constexpr (kWidth > 1) {
      I min_exp(255), max_exp(0), flags(0); // flags: sign bits and exponent 255 of active lanes
      for (; i + kWidth <= in_; i += kWidth) {
        const F v = F::load_unaligned(x + i);
        // quantize(+-0) = +-0, and zeros are skipped. (Not !any(v != 0): xsimd 8.1's float != is
        // an ordered compare on AVX, false for NaN, which would skip NaN inputs.)
        if (all_of(v == F(0.0f))) {
          v.store_unaligned(x_.data() + i);
          continue;
        }
        const F q = P::kQuantizes ? p_.operand(v) : v;
        q.store_unaligned(x_.data() + i);
        const auto active = !p_.skips(q);
        unsigned mask = lane_mask(active);
        if (mask == 0)
          continue;
        const I bits = as_int(q);
        const I exponent = (bits >> 23) & I(255);
        const auto active_i = int_mask(active);
        const I lowest = select(exponent == I(0), I(OperandRange::kSubnormalField), exponent);
        min_exp = min(min_exp, select(active_i, lowest, I(255)));
        max_exp = max(max_exp, select(active_i, exponent, I(0)));
        flags =
            flags |
            select(active_i, (bits & I(int32_t(kSignBit))) | select(exponent == I(255), I(1), I(0)),
                   I(0));
        for (; mask != 0; mask &= mask - 1)
          active_[n_active++] = i + lowest_bit(mask);
      }
      alignas(64) int32_t lo[kWidth], hi[kWidth], fl[kWidth];
      min_exp.store_aligned(lo);
      max_exp.store_aligned(hi);
      flags.store_aligned(fl);
      for (std::size_t k = 0; k < kWidth; ++k) {
        range.min_exp = std::min(range.min_exp, int(lo[k]));
        range.max_exp = std::max(range.max_exp, int(hi[k]));
        range.negative = range.negative || fl[k] < 0;
        range.special = range.special || (fl[k] & 1);
      }
    }
    for (; i < in_; ++i) {
      x_[i] = p_.operand(x[i]);
      if (!p_.skips(x_[i])) {
        active_[n_active++] = i;
        range.add(x_[i]);
      }
    }
    return n_active;
  }

  // y = bias + sum over active inputs, in tiles of kTile batches of outputs held in registers
  // (the tile width is a template parameter so the inner loop unrolls fully); the rest one
  // batch at a time.
  template <class W, class MakeTerm, class Product>
  void accumulate(const W* weights, std::size_t n_active, MakeTerm make_term, Product product,
                  float* y) const {
    // Each input's broadcast term is computed once, not once per tile.
    using Term = decltype(make_term(0.0f));
    static_assert(sizeof(Term) <= kTermSlots * sizeof(F) && alignof(Term) <= 64,
                  "input terms must fit the scratch space (64-byte aligned)");
    Term* terms = reinterpret_cast<Term*>(terms_.data());
    for (std::size_t k = 0; k < n_active; ++k)
      terms[k] = make_term(x_[active_[k]]);
    constexpr std::size_t kTile = 4;
    std::size_t o0 = 0;
    for (; o0 + kTile * kWidth <= padded_; o0 += kTile * kWidth)
      accumulate_tile<kTile>(weights, o0, n_active, terms, product, y);
    for (; o0 < padded_; o0 += kWidth)
      accumulate_tile<1>(weights, o0, n_active, terms, product, y);
  }

  // Not inlined by the compiler: inside accumulate(), clang unrolls the tiles' loops further
  // (13 KB more wasm across the policies, no faster in Node). wasm-opt still inlines the
  // compiled tile into its only caller.
  template <std::size_t NB, class W, class Terms, class Product>
  [[gnu::noinline]] void accumulate_tile(const W* weights, std::size_t o0, std::size_t n_active,
                                         const Terms* terms, Product& product, float* y) const {
    using WLanes = std::conditional_t<std::is_same<W, float>::value, F, I>;
    F acc[NB];
    for (auto& a : acc)
      a = F(0.0f);
    const std::size_t* active = active_.data();
    for (std::size_t k = 0; k < n_active; ++k) {
      const Terms& term = terms[k];
      const W* w = weights + active[k] * padded_ + o0;
      for (std::size_t j = 0; j < NB; ++j)
        acc[j] = acc[j] + product(load_lanes<WLanes>(w + j * kWidth), term);
    }
    // y = sums + bias, lane by lane: whole batches, or one value at a time in the last tile.
    if (o0 + NB * kWidth <= out_) {
      for (std::size_t j = 0; j < NB; ++j)
        store_lanes(acc[j] + load_lanes<F>(bias_.data() + o0 + j * kWidth), y + o0 + j * kWidth);
      return;
    }
    alignas(64) float sums[NB * kWidth];
    for (std::size_t j = 0; j < NB; ++j)
      store_lanes(acc[j], sums + j * kWidth);
    const std::size_t end = std::min(out_, o0 + NB * kWidth);
    // Not vectorized: clang's vector version with its overlap checks was 10 KB of wasm across
    // the policies' paths, for a loop that runs once per input vector. (GCC has no such pragma.)
#if defined(__clang__)
#pragma clang loop vectorize(disable) unroll(disable)
#endif
    for (std::size_t o = o0; o < end; ++o)
      y[o] = sums[o - o0] + bias_[o];
  }

  // One vector per packing; only the chosen packing's is filled.
  template <class T> struct PackedStore;
  template <class... Ps> struct PackedStore<std::tuple<Ps...>> {
    using type = std::tuple<std::vector<typename Ps::Weight>...>;
  };

  P p_;
  std::size_t in_ = 0, out_ = 0, padded_ = 0;
  std::vector<float> wt_, bias_;
  typename PackedStore<Packings>::type packed_{};
  OperandRange w_range_;
  int packing_ = -1; // index into Packings, or -1
  mutable std::array<uint64_t, kPaths + 1> rows_{};
  mutable std::vector<float> x_;
  mutable std::vector<std::size_t> active_;
  mutable std::vector<uint8_t, xsimd::aligned_allocator<uint8_t, 64>> terms_;
};

namespace detail {
template <class... Ps> std::variant<DenseKernel<Ps>...> kernel_variant(std::tuple<Ps...>*);
}

// A dense layer for a multiplier chosen at run time.
class DenseLayer {
public:
  DenseLayer(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
             std::size_t out, WeightLayout layout = WeightLayout::out_by_in);
  explicit DenseLayer(const MulSpec& spec); // empty: assign() weights before forward()
  const MulSpec& spec() const { return spec_; }
  void assign(const float* W, const float* bias, std::size_t in, std::size_t out,
              WeightLayout layout = WeightLayout::out_by_in);
  std::size_t in() const;
  std::size_t out() const;
  void forward(const float* x, float* y) const;
  void forward_batch(const float* X, std::size_t n, float* Y) const;
  std::string packing() const;
  std::vector<PathCount> path_counts() const;
  std::size_t bytes() const;

private:
  MulSpec spec_;
  decltype(detail::kernel_variant(static_cast<Policies*>(nullptr))) kernel_;
};

// Runtime-dispatched entry points (one dispatch per call, not per product).
void multiply_elementwise(const MulSpec& spec, const float* a, const float* b, float* out,
                          std::size_t n);
void quantize_operands(const MulSpec& spec, const float* in, float* out, std::size_t n);
float dot(const MulSpec& spec, const float* a, const float* b, std::size_t n);
// W row-major [out][in]; X [n][in] -> Y [n][out].
void dense_forward(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
                   std::size_t out, const float* X, std::size_t n, float* Y);

} // namespace lmul
