// Lanes: the one place that names SIMD intrinsics, and the shims that let one function serve a
// scalar and an xsimd batch alike.
//
// Numeric rules (rounding, special values, packed products) are written once as templates over
// a float lane type F: either `float` (one lane, the scalar reference and the one-lane baseline
// of the benchmarks) or `xsimd::batch<float, A>`. IntLanes<F> is the matching int32 type, with
// the semantics of an xsimd int32 lane in both cases: wrap-around arithmetic, arithmetic right
// shifts, signed comparisons. Generic code uses operators and the functions below (select, min,
// max, abs, as_int, as_float, ones_where), never intrinsics.
//
// Only this header includes intrinsics directly; xsimd 8.1 lacks a few operations we need on
// its SSE and AVX register layouts (also WebAssembly SIMD, where Emscripten maps SSE onto
// SIMD128): mask casts between float and int32 lanes, movemask, and float <-> double halves.
// Every shim has a generic fallback, so architectures without those layouts still compile.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <xsimd/xsimd.hpp>

namespace lmul {

// ---- one scalar int32 lane ---------------------------------------------------------------

// An int32 lane as xsimd's batch<int32_t> lanes behave (plain int32_t would make overflow
// undefined; uint32_t would compare and shift differently). Stores the bits as uint32_t.
class Int32 {
public:
  Int32() = default;
  constexpr Int32(int32_t x) : u_(static_cast<uint32_t>(x)) {}
  static constexpr Int32 bits(uint32_t u) {
    Int32 r(0);
    r.u_ = u;
    return r;
  }
  constexpr uint32_t unsigned_bits() const { return u_; }
  constexpr int32_t value() const { return static_cast<int32_t>(u_); } // two's complement

  friend constexpr Int32 operator+(Int32 a, Int32 b) { return bits(a.u_ + b.u_); }
  friend constexpr Int32 operator-(Int32 a, Int32 b) { return bits(a.u_ - b.u_); }
  friend constexpr Int32 operator&(Int32 a, Int32 b) { return bits(a.u_ & b.u_); }
  friend constexpr Int32 operator|(Int32 a, Int32 b) { return bits(a.u_ | b.u_); }
  friend constexpr Int32 operator^(Int32 a, Int32 b) { return bits(a.u_ ^ b.u_); }
  friend constexpr Int32 operator~(Int32 a) { return bits(~a.u_); }
  friend constexpr Int32 operator<<(Int32 a, int n) { return bits(a.u_ << n); }
  // Arithmetic shift, as the SIMD lanes do (sign bits come in from the left).
  friend constexpr Int32 operator>>(Int32 a, int n) {
    return bits(a.value() < 0 ? ~(~a.u_ >> n) : a.u_ >> n);
  }
  friend constexpr bool operator==(Int32 a, Int32 b) { return a.u_ == b.u_; }
  friend constexpr bool operator!=(Int32 a, Int32 b) { return a.u_ != b.u_; }
  friend constexpr bool operator<(Int32 a, Int32 b) { return a.value() < b.value(); }
  friend constexpr bool operator>(Int32 a, Int32 b) { return a.value() > b.value(); }
  friend constexpr bool operator<=(Int32 a, Int32 b) { return a.value() <= b.value(); }
  friend constexpr bool operator>=(Int32 a, Int32 b) { return a.value() >= b.value(); }

private:
  uint32_t u_;
};

// ---- lane types --------------------------------------------------------------------------

template <class F> struct LaneTypes {
  using Int = xsimd::batch<int32_t, typename F::arch_type>;
  using Double = xsimd::batch<double, typename F::arch_type>;
  using Int64 = xsimd::batch<int64_t, typename F::arch_type>;
  static constexpr std::size_t size = F::size;
};
template <> struct LaneTypes<float> {
  using Int = Int32;
  using Double = double;
  using Int64 = uint64_t;
  static constexpr std::size_t size = 1;
};
template <class F> using IntLanes = typename LaneTypes<F>::Int;
template <class F> using DoubleLanes = typename LaneTypes<F>::Double;

// ---- scalar overloads of what xsimd offers for batches --------------------------------------

inline Int32 as_int(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return Int32::bits(u);
}
inline float as_float(Int32 x) {
  const uint32_t u = x.unsigned_bits();
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}
inline uint64_t as_int64(double x) {
  uint64_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline double as_double(uint64_t u) {
  double x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}
template <class T> T select(bool c, const T& a, const T& b) { return c ? a : b; }
inline Int32 min(Int32 a, Int32 b) { return b < a ? b : a; }
inline Int32 max(Int32 a, Int32 b) { return a < b ? b : a; }
inline float min(float a, float b) { return b < a ? b : a; }
inline float max(float a, float b) { return a < b ? b : a; }
inline double max(double a, double b) { return a < b ? b : a; }
inline double min(double a, double b) { return b < a ? b : a; }
inline float abs(float x) { return std::fabs(x); }
// All bits set where c holds: ones_where<Int32>(c), ones_where<uint64_t>(c).
template <class I> I ones_where(bool c) { return c ? ~I(0) : I(0); }

// ---- the same for xsimd batches -------------------------------------------------------------

template <class A> xsimd::batch<int32_t, A> as_int(const xsimd::batch<float, A>& x) {
  return xsimd::bitwise_cast<xsimd::batch<int32_t, A>>(x);
}
template <class A> xsimd::batch<float, A> as_float(const xsimd::batch<int32_t, A>& x) {
  return xsimd::bitwise_cast<xsimd::batch<float, A>>(x);
}
template <class A> xsimd::batch<int64_t, A> as_int64(const xsimd::batch<double, A>& x) {
  return xsimd::bitwise_cast<xsimd::batch<int64_t, A>>(x);
}
template <class A> xsimd::batch<double, A> as_double(const xsimd::batch<int64_t, A>& x) {
  return xsimd::bitwise_cast<xsimd::batch<double, A>>(x);
}

// xsimd 8.1 has no cast between float and int32 lane masks; on SSE/AVX (and WebAssembly SIMD)
// both are the same register, all ones or all zeros per lane.
template <class A> xsimd::batch_bool<int32_t, A> int_mask(const xsimd::batch_bool<float, A>& b) {
  return xsimd::bitwise_cast<xsimd::batch<int32_t, A>>(xsimd::batch<float, A>(b.data)).data;
}
template <class A> xsimd::batch_bool<float, A> float_mask(const xsimd::batch_bool<int32_t, A>& b) {
  return xsimd::bitwise_cast<xsimd::batch<float, A>>(xsimd::batch<int32_t, A>(b.data)).data;
}
// Lane-wise or / and of masks (bool for scalar lanes, where | would be a bitwise trick).
inline bool either(bool a, bool b) { return a || b; }
inline bool both(bool a, bool b) { return a && b; }
template <class T, class A>
xsimd::batch_bool<T, A> either(const xsimd::batch_bool<T, A>& a, const xsimd::batch_bool<T, A>& b) {
  return a | b;
}
template <class T, class A>
xsimd::batch_bool<T, A> both(const xsimd::batch_bool<T, A>& a, const xsimd::batch_bool<T, A>& b) {
  return a & b;
}
inline bool int_mask(bool b) { return b; }
inline bool float_mask(bool b) { return b; }

// (min, max, abs and select of batches are xsimd's own, found by argument-dependent lookup.)
// Selecting float lanes with an int32 lane mask:
template <class A>
xsimd::batch<float, A> select(const xsimd::batch_bool<int32_t, A>& c,
                              const xsimd::batch<float, A>& a, const xsimd::batch<float, A>& b) {
  return xsimd::select(float_mask(c), a, b);
}
// All bits set in the lanes where c holds (the mask register read as integers).
template <class I, class A> I ones_where(const xsimd::batch_bool<int32_t, A>& c) {
  return xsimd::batch<int32_t, A>(c.data);
}

// Bit k set where lane k of b is true (movemask; WebAssembly's i32x4.bitmask).
template <class A> unsigned lane_mask(const xsimd::batch_bool<float, A>& b) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return static_cast<unsigned>(_mm256_movemask_ps(b));
  else
#endif
      if constexpr (std::is_base_of<xsimd::sse2, A>::value)
    return static_cast<unsigned>(_mm_movemask_ps(b));
  else {
    alignas(64) bool lanes[xsimd::batch<float, A>::size];
    b.store_aligned(lanes);
    unsigned m = 0;
    for (std::size_t k = 0; k < xsimd::batch<float, A>::size; ++k)
      m |= unsigned(lanes[k]) << k;
    return m;
  }
}
inline unsigned lane_mask(bool b) { return b ? 1u : 0u; }

// A float batch's low and high halves as double batches, and back (narrowing values that are
// exact in fp32, or overflow to inf). WebAssembly: f64x2.promote_low_f32x4 and demote.
template <class A>
constexpr bool kHasDoubleHalves = std::is_base_of<xsimd::sse2, A>::value
#if XSIMD_WITH_AVX
                                  || std::is_base_of<xsimd::avx, A>::value
#endif
    ;
template <class A> xsimd::batch<double, A> low_half_as_double(const xsimd::batch<float, A>& x) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_cvtps_pd(_mm256_castps256_ps128(x));
  else
#endif
    return _mm_cvtps_pd(x);
}
template <class A> xsimd::batch<double, A> high_half_as_double(const xsimd::batch<float, A>& x) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_cvtps_pd(_mm256_extractf128_ps(x, 1));
  else
#endif
    return _mm_cvtps_pd(_mm_movehl_ps(x, x));
}
template <class A>
xsimd::batch<float, A> halves_as_float(const xsimd::batch<double, A>& lo,
                                       const xsimd::batch<double, A>& hi) {
#if XSIMD_WITH_AVX
  if constexpr (std::is_base_of<xsimd::avx, A>::value)
    return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi),
                                1);
  else
#endif
#ifdef __wasm_simd128__
    // Through _mm_movelh_ps(_mm_cvtpd_ps ...) LLVM 14 turns the two conversions into four scalar
    // f32.demote_f64; a lane shuffle of the two keeps f32x4.demote_zero_f64x2.
    return wasm_i32x4_shuffle(wasm_f32x4_demote_f64x2_zero(lo), wasm_f32x4_demote_f64x2_zero(hi), 0,
                              1, 4, 5);
#else
  return _mm_movelh_ps(_mm_cvtpd_ps(lo), _mm_cvtpd_ps(hi));
#endif
}

// g (double lanes -> double lanes) applied to x widened to double, narrowed back to float.
template <class G> float widen_apply(float x, G&& g) { return static_cast<float>(g(double(x))); }
template <class A, class G>
xsimd::batch<float, A> widen_apply(const xsimd::batch<float, A>& x, G&& g) {
  return halves_as_float(g(low_half_as_double(x)), g(high_half_as_double(x)));
}

// Loads and stores of lanes from memory: one value for scalar lanes, a whole batch otherwise.
template <class L, class T> L load_lanes(const T* p) {
  if constexpr (std::is_arithmetic<L>::value || std::is_same<L, Int32>::value)
    return L(*p);
  else
    return L::load_unaligned(p);
}
inline void store_lanes(float v, float* p) { *p = v; }
template <class A> void store_lanes(const xsimd::batch<float, A>& v, float* p) {
  v.store_unaligned(p);
}
inline bool all_of(bool m) { return m; }
template <class A> bool all_of(const xsimd::batch_bool<float, A>& m) { return xsimd::all(m); }

// Index of the lowest set bit of a nonzero mask.
inline unsigned lowest_bit(unsigned m) { return static_cast<unsigned>(__builtin_ctz(m)); }

} // namespace lmul
