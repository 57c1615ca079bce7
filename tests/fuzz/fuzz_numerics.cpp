// Fuzz target: quantize and every multiplier entry point with arbitrary fp32 bit patterns and
// an arbitrary (E, M, rounding, method) decoded from the input.
//
// Input layout:
//   byte 0   E: below 224 it selects 2 + b % 7; from 224 on one of kBadE (invalid values)
//   byte 1   M: below 224 it selects 1 + b % 23; from 224 on one of kBadM
//   byte 2   bit 0 rounding (1: truncate), bits 1-2 and 4 method (kMethods[(b1-2 | b4 << 2) % 5]),
//            bit 3 "scaled" operands (their exponents are mapped into F's range, so boundaries
//            of small formats are hit often)
//   byte 3   dense layer shape: in = 1 + (b & 15), out = 1 + (b >> 4)
//   rest     little-endian fp32 words: the operand pool
//
// Invariants checked (NUMERICS.md), against an independent closed-form reference written here
// in double arithmetic (no bit tricks, no table):
//  - invalid (E, M) throws std::invalid_argument with the documented message;
//  - parse_method / parse_rounding accept exactly their names;
//  - decimal.hpp: a text that parse_double / parse_float accept reads as the C library's
//    strtod / strtof read the whole of it, bit for bit; shortest_decimal of any double and float
//    equals the fewest "%.*g" digits that read back;
//  - quantize: equals the reference for both roundings, is idempotent, monotonic, keeps the
//    sign, and is the identity at F(8,23); the SIMD Quantizer equals it bit for bit;
//  - round_to_format on arbitrary doubles equals the reference;
//  - multiply() for every method equals the reference (NaN by class), is commutative and
//    signs by XOR; every policy's SIMD product equals its scalar product;
//  - error_stats (NUMERICS.md section 4): counts of pairs, zeros and non-finite exact products,
//    the maximum relative error and every histogram bin equal a plain recount (bins found by a
//    linear search over histogram_edges(), not the library's lookup table); the median lies
//    between the smallest and largest relative error;
//  - the SIMD kernels (multiply_elementwise, dot, DenseLayer / dense_forward, which take the
//    packed fast paths when they prove them safe) equal the scalar references of
//    kernels_scalar.hpp bit for bit, and when no quantized weight is inf or NaN the dense
//    result also equals the plain sum of every product (so skipping zero inputs is exact).
#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "lmul/decimal.hpp"
#include "lmul/kernels_scalar.hpp"
#include "lmul/stats.hpp"

namespace {
using namespace lmul;

constexpr int kBadE[16] = {0,  1,  9,  10,  -1,  -2,   16,      31,
                           32, 33, 64, 255, 256, -255, INT_MIN, INT_MAX};
constexpr int kBadM[16] = {0,  -1, 24,  25,  26,  31,   32,      52,
                           53, 64, 255, -23, -24, 1000, INT_MIN, INT_MAX};
constexpr Method kMethods[] = {Method::exact, Method::floating, Method::lmul, Method::lmul_formula,
                               Method::mitchell};

// NaN == NaN (product NaN payloads are not part of the contract), otherwise bit for bit.
bool same(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || fuzz::bits(a) == fuzz::bits(b);
}

// ---- independent reference -------------------------------------------------------------------
struct Ref {
  int E, M;
  int bias() const { return (1 << (E - 1)) - 1; }
  int emin() const { return 1 - bias(); }
  int emax() const { return (1 << E) - 2 - bias(); }
  double max_finite() const { return std::ldexp(2.0 - std::ldexp(1.0, -M), emax()); }
  double min_normal() const { return std::ldexp(1.0, emin()); }
  int l() const { return M <= 3 ? M : (M == 4 ? 3 : 4); }

  // Rounds any double to F: scale so that F's quantum at x's binade is 1, round to an integer.
  double round(double x, bool nearest) const {
    if (std::isnan(x) || std::isinf(x) || x == 0)
      return x;
    const double a = std::fabs(x);
    int e;
    std::frexp(a, &e); // a in [2^(e-1), 2^e)
    const int quantum = std::max(e - 1, emin()) - M;
    const double s = std::ldexp(a, -quantum); // exact: a power-of-two scaling
    double v = std::ldexp(nearest ? std::nearbyint(s) : std::trunc(s), quantum);
    if (v > max_finite())
      v = E == 8 && nearest ? std::numeric_limits<double>::infinity() : max_finite();
    return std::copysign(v, x);
  }
  float quantize(float x, bool nearest) const {
    if (std::isnan(x)) { // stays NaN, quiet, keeping the payload bits F has
      if (E == 8 && M == 23)
        return x;
      const uint32_t u = (fuzz::bits(x) | 0x00400000u) & ~((1u << (23 - M)) - 1);
      return float_of(u);
    }
    return static_cast<float>(round(x, nearest));
  }

  // Special-value rules 1-3 of L-Mul; true when they decide the product.
  bool special(float a, float b, float& out) const {
    const bool neg = std::signbit(a) != std::signbit(b);
    if (std::isnan(a) || std::isnan(b))
      out = std::numeric_limits<float>::quiet_NaN();
    else if (std::isinf(a) || std::isinf(b))
      out = (a == 0 || b == 0) ? std::numeric_limits<float>::quiet_NaN()
                               : (neg ? -1.0f : 1.0f) * std::numeric_limits<float>::infinity();
    else if (std::fabs(double(a)) < min_normal() || std::fabs(double(b)) < min_normal())
      out = neg ? -0.0f : 0.0f;
    else
      return false;
    return true;
  }
  // (exponent field, mantissa field) of a normal value of F.
  void fields(float x, int64_t& e, int64_t& f) const {
    int ex;
    const double m = std::frexp(std::fabs(double(x)), &ex); // [0.5, 1)
    e = ex - 1 + bias();
    f = int64_t(std::ldexp(m * 2.0 - 1.0, M)); // exact: x has M fraction bits
  }
  // The adder from its definition: P = Pa + Pb - B * 2^M + offset, read back as fields
  // (lmul: offset 2^(M - l); mitchell: 0).
  float adder(float a, float b, bool with_offset) const {
    float out;
    if (special(a, b, out))
      return out;
    int64_t ea, fa, eb, fb;
    fields(a, ea, fa);
    fields(b, eb, fb);
    const int64_t one = int64_t(1) << M;
    const int64_t P =
        ea * one + fa + eb * one + fb - int64_t(bias()) * one + (with_offset ? one >> l() : 0);
    const bool neg = std::signbit(a) != std::signbit(b);
    double v;
    if (P < one) // exponent field below 1: underflow
      v = 0.0;
    else if (P / one > (int64_t(1) << E) - 2)
      v = E == 8 ? std::numeric_limits<double>::infinity() : max_finite();
    else
      v = std::ldexp(1.0 + double(P % one) / double(one), int(P / one) - bias());
    return static_cast<float>(neg ? -v : v);
  }
  float lmul_formula(float a, float b) const {
    float out;
    if (special(a, b, out))
      return out;
    int xe, ye;
    const double xm = std::frexp(std::fabs(double(a)), &xe) * 2.0 - 1.0;
    const double ym = std::frexp(std::fabs(double(b)), &ye) * 2.0 - 1.0;
    const double v = std::ldexp(1.0 + xm + ym + std::ldexp(1.0, -l()), xe + ye - 2); // exact
    const double r = v < min_normal() ? 0.0 : round(v, true);
    return static_cast<float>(std::signbit(a) != std::signbit(b) ? -r : r);
  }
  float product(Method m, float a, float b, bool nearest) const {
    if (m == Method::exact)
      return a * b;
    const float qa = quantize(a, nearest), qb = quantize(b, nearest);
    switch (m) {
    case Method::exact: return a * b;
    case Method::floating: return static_cast<float>(round(double(qa) * double(qb), true));
    case Method::lmul: return adder(qa, qb, true);
    case Method::lmul_formula: return lmul_formula(qa, qb);
    case Method::mitchell: return adder(qa, qb, false);
    }
    std::abort(); // a method the reference does not know: the fuzzer reports the crash
  }
};

// Maps the exponent of an arbitrary word into F's interesting range (below the subnormals to
// beyond the largest finite value), keeping sign and mantissa; 1 in 32 stay special.
float scaled(uint32_t u, const Ref& r) {
  const uint32_t exponent = (u >> 23) & 0xff;
  if (exponent >= 248)
    return float_of(u | 0x7f800000u); // inf or NaN
  if (exponent >= 240)
    return float_of(u & 0x807fffffu); // zero or fp32 subnormal
  const int span = 2 * r.bias() + r.M + 6;
  const int e = std::clamp(r.emin() - r.M - 3 + int(exponent) % span + 127, 1, 254);
  return float_of((u & 0x807fffffu) | (uint32_t(e) << 23));
}

void check_parsers(const uint8_t* data, std::size_t size) {
  const std::string s(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 16));
  try {
    FUZZ_CHECK(to_string(parse_method(s)) == s, "parse_method('%s') accepted", s.c_str());
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(std::string(e.what()).find("method must be one of") == 0, "'%s'", e.what());
  }
  try {
    FUZZ_CHECK(to_string(parse_rounding(s)) == s, "parse_rounding('%s') accepted", s.c_str());
  } catch (const std::invalid_argument& e) {
    FUZZ_CHECK(std::string(e.what()).find("rounding must be") == 0, "'%s'", e.what());
  }
}

// The fewest "%.*g" digits that strtod / strtof read back as v: what shortest_decimal replaced.
template <class T> std::string libc_shortest(T v) {
  char buf[64];
  for (int digits = 1; digits <= (sizeof(T) == 8 ? 17 : 9); ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, double(v));
    if (sizeof(T) == 8 ? std::strtod(buf, nullptr) == double(v) : std::strtof(buf, nullptr) == v)
      break;
  }
  return buf;
}

void check_decimal(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), std::min<std::size_t>(size, 64));
  if (const auto d = parse_double(text)) {
    char* end = nullptr;
    const double want = std::strtod(text.c_str(), &end);
    FUZZ_CHECK(end == text.c_str() + text.size() && fuzz::bits(*d) == fuzz::bits(want),
               "parse_double('%s') = %a, strtod %a", text.c_str(), *d, want);
    const float f = *parse_float(text), want_f = std::strtof(text.c_str(), nullptr);
    FUZZ_CHECK(fuzz::bits(f) == fuzz::bits(want_f), "parse_float('%s') = %a, strtof %a",
               text.c_str(), double(f), double(want_f));
  }
  for (std::size_t at = 0; at + 8 <= size && at < 64; at += 8) {
    double d;
    float f;
    std::memcpy(&d, data + at, sizeof d);
    std::memcpy(&f, data + at, sizeof f);
    if (std::isfinite(d))
      FUZZ_CHECK(shortest_decimal(d) == libc_shortest(d), "shortest_decimal(%a) = %s, libc %s", d,
                 shortest_decimal(d).c_str(), libc_shortest(d).c_str());
    if (std::isfinite(f))
      FUZZ_CHECK(shortest_decimal(f) == libc_shortest(f), "shortest_decimal(%a f) = %s, libc %s",
                 double(f), shortest_decimal(f).c_str(), libc_shortest(f).c_str());
  }
}

void check_quantize(const std::vector<float>& pool, const FloatFormat& f, const Ref& ref) {
  const FloatFormat fp32(8, 23);
  for (Rounding r : {Rounding::nearest, Rounding::truncate}) {
    const bool nearest = r == Rounding::nearest;
    const Quantizer qz(f, r);
    float prev_x = 0, prev_q = 0;
    bool have_prev = false;
    for (std::size_t i = 0; i < pool.size(); ++i) {
      const float x = pool[i];
      const float q = quantize(x, f, r);
      const float expected = ref.quantize(x, nearest);
      FUZZ_CHECK(fuzz::bits(q) == fuzz::bits(expected),
                 "quantize(%a = 0x%08x, %s, %s) = %a, reference %a", double(x), fuzz::bits(x),
                 f.name().c_str(), to_string(r), double(q), double(expected));
      FUZZ_CHECK(fuzz::bits(quantize(q, f, r)) == fuzz::bits(q), "quantize not idempotent at %a",
                 double(x));
      FUZZ_CHECK(std::signbit(q) == std::signbit(x), "quantize changed the sign of %a", double(x));
      FUZZ_CHECK(fuzz::bits(quantize(x, fp32, r)) == fuzz::bits(x), "F(8,23) changed 0x%08x",
                 fuzz::bits(x));
      FUZZ_CHECK(fuzz::bits(round_to_format(double(x), f, r)) == fuzz::bits(q) || std::isnan(x),
                 "round_to_format(double(%a)) != quantize", double(x));
      if (!std::isnan(x)) {
        if (have_prev) { // monotonic
          const bool ordered = prev_x <= x ? prev_q <= q : q <= prev_q;
          FUZZ_CHECK(ordered, "quantize not monotonic: %a -> %a, %a -> %a", double(prev_x),
                     double(prev_q), double(x), double(q));
        }
        prev_x = x;
        prev_q = q;
        have_prev = true;
      }
    }
    // The SIMD quantizer, lane by lane, bit for bit.
    for (std::size_t i = 0; i < pool.size(); i += kLanes) {
      alignas(64) float lanes[kLanes], out[kLanes];
      for (std::size_t k = 0; k < kLanes; ++k)
        lanes[k] = pool[(i + k) % pool.size()];
      qz(Batch::load_aligned(lanes)).store_aligned(out);
      for (std::size_t k = 0; k < kLanes; ++k)
        FUZZ_CHECK(fuzz::bits(out[k]) == fuzz::bits(quantize(lanes[k], f, r)),
                   "SIMD quantize(0x%08x, %s, %s) = 0x%08x, scalar 0x%08x", fuzz::bits(lanes[k]),
                   f.name().c_str(), to_string(r), fuzz::bits(out[k]),
                   fuzz::bits(quantize(lanes[k], f, r)));
    }
    // Arbitrary doubles (pairs of words) through round_to_format.
    for (std::size_t i = 0; i + 1 < pool.size(); i += 2) {
      const uint64_t u = uint64_t(fuzz::bits(pool[i])) | uint64_t(fuzz::bits(pool[i + 1])) << 32;
      const double d = double_of(u);
      if (std::isnan(d))
        continue; // documented for NaN only as "passes through"
      const float got = round_to_format(d, f, r);
      const float expected = static_cast<float>(ref.round(d, nearest));
      FUZZ_CHECK(fuzz::bits(got) == fuzz::bits(expected),
                 "round_to_format(%a, %s, %s) = %a, reference %a", d, f.name().c_str(),
                 to_string(r), double(got), double(expected));
    }
  }
}

template <class P>
void check_policy_products(const P& p, const MulSpec& spec, const std::vector<float>& a,
                           const std::vector<float>& b) {
  for (std::size_t i = 0; i < a.size(); i += kLanes) {
    alignas(64) float av[kLanes], bv[kLanes], out[kLanes];
    for (std::size_t k = 0; k < kLanes; ++k) {
      av[k] = a[(i + k) % a.size()];
      bv[k] = b[(i + k) % b.size()];
    }
    p.product(p.operand(Batch::load_aligned(av)), p.operand(Batch::load_aligned(bv)))
        .store_aligned(out);
    for (std::size_t k = 0; k < kLanes; ++k) {
      const float s = p.product(p.operand(av[k]), p.operand(bv[k]));
      FUZZ_CHECK(same(out[k], s), "%s: SIMD product(%a, %a) = %a, scalar %a",
                 spec.describe().c_str(), double(av[k]), double(bv[k]), double(out[k]), double(s));
    }
  }
}

void check_products(const std::vector<float>& a, const std::vector<float>& b, const FloatFormat& f,
                    Rounding r, const Ref& ref) {
  for (Method m : kMethods) {
    const MulSpec spec{m, f, r};
    for (std::size_t i = 0; i < a.size(); ++i) {
      const float got = multiply(a[i], b[i], spec);
      const float expected = ref.product(m, a[i], b[i], r == Rounding::nearest);
      FUZZ_CHECK(same(got, expected), "%s: multiply(%a = 0x%08x, %a = 0x%08x) = %a, reference %a",
                 spec.describe().c_str(), double(a[i]), fuzz::bits(a[i]), double(b[i]),
                 fuzz::bits(b[i]), double(got), double(expected));
      FUZZ_CHECK(same(got, multiply(b[i], a[i], spec)), "%s: not commutative at %a, %a",
                 spec.describe().c_str(), double(a[i]), double(b[i]));
      FUZZ_CHECK(std::isnan(got) || std::signbit(got) == (std::signbit(a[i]) != std::signbit(b[i])),
                 "%s: sign of %a * %a", spec.describe().c_str(), double(a[i]), double(b[i]));
    }
    with_policy(spec, [&](const auto& p) { check_policy_products(p, spec, a, b); });
  }
}

void check_error_stats(const MulSpec& spec, const std::vector<float>& a,
                       const std::vector<float>& b) {
  const ErrorStats s = error_stats(spec, a.data(), b.data(), a.size(), true);
  const std::vector<double> edges = histogram_edges();
  const std::size_t bins = edges.size() - 1;
  std::vector<uint64_t> counts(bins, 0);
  uint64_t count = 0, zeros = 0, nonfinite = 0;
  double max = 0, lowest = std::numeric_limits<double>::infinity(), highest = 0; // median: floats
  for (std::size_t i = 0; i < a.size(); ++i) {
    const float exact = a[i] * b[i], approx = multiply(a[i], b[i], spec);
    if (exact == 0) {
      ++zeros;
      continue;
    }
    if (!std::isfinite(exact)) {
      ++nonfinite;
      continue;
    }
    // The relative error is an fp32 quotient (stats.cpp; within 50 % it is the correctly rounded
    // true value).
    float rel_f = std::fabs((approx - exact) / exact);
    if (std::isnan(rel_f))
      rel_f = std::numeric_limits<float>::infinity();
    ++count;
    max = std::max(max, double(rel_f));
    lowest = std::min(lowest, double(rel_f));
    highest = std::max(highest, double(rel_f));
    std::size_t k = 0;
    while (k + 1 < bins && rel_f >= static_cast<float>(edges[k + 1]))
      ++k;
    ++counts[k];
  }
  const std::string what = spec.describe();
  FUZZ_CHECK(s.count == count && s.zeros == zeros && s.nonfinite == nonfinite,
             "%s: error_stats counts %llu/%llu/%llu, recount %llu/%llu/%llu", what.c_str(),
             (unsigned long long)s.count, (unsigned long long)s.zeros,
             (unsigned long long)s.nonfinite, (unsigned long long)count, (unsigned long long)zeros,
             (unsigned long long)nonfinite);
  FUZZ_CHECK(s.max == max, "%s: error_stats max %g, recount %g", what.c_str(), s.max, max);
  FUZZ_CHECK(s.histogram.counts == counts, "%s: histogram bins differ from a linear search",
             what.c_str());
  if (count > 0)
    FUZZ_CHECK(s.median >= lowest && s.median <= highest && s.mean <= max * (1 + 1e-12),
               "%s: median %g (of %g..%g) or mean %g (max %g) out of range", what.c_str(), s.median,
               lowest, highest, s.mean, max);
}

template <class P>
void check_kernels(const P& p, const MulSpec& spec, const std::vector<float>& a,
                   const std::vector<float>& b, const std::vector<float>& pool, std::size_t in,
                   std::size_t out) {
  const std::size_t n = a.size();
  const std::string what = spec.describe();
  // Elementwise and dot.
  std::vector<float> simd(n), ref(n);
  multiply_elementwise(spec, a.data(), b.data(), simd.data(), n);
  scalar::multiply_elementwise(p, a.data(), b.data(), ref.data(), n);
  for (std::size_t i = 0; i < n; ++i) {
    FUZZ_CHECK(same(simd[i], ref[i]), "%s: elementwise[%zu] of %zu = %a, scalar %a", what.c_str(),
               i, n, double(simd[i]), double(ref[i]));
    FUZZ_CHECK(same(ref[i], multiply(a[i], b[i], spec)), "%s: scalar kernel != multiply",
               what.c_str());
  }
  const float d = dot(spec, a.data(), b.data(), n), dref = scalar::dot(p, a.data(), b.data(), n);
  FUZZ_CHECK(same(d, dref), "%s: dot of %zu = %a, scalar %a", what.c_str(), n, double(d),
             double(dref));

  // A dense layer: W [out][in], two input rows, bias, all taken round-robin from the pool.
  std::size_t next = 0;
  auto take = [&]() { return pool[next++ % pool.size()]; };
  std::vector<float> W(out * in), X(2 * in), bias(out);
  for (float& v : W)
    v = take();
  for (float& v : X)
    v = take();
  for (float& v : bias)
    v = take();
  std::vector<float> Y(2 * out), Yref(2 * out);
  const DenseLayer layer(spec, W.data(), bias.data(), in, out);
  layer.forward_batch(X.data(), 2, Y.data());
  bool finite_weights = true;
  for (float w : W)
    finite_weights = finite_weights && std::isfinite(p.operand(w));
  for (std::size_t r = 0; r < 2; ++r) {
    const float* x = X.data() + r * in;
    scalar::dense(p, W.data(), bias.data(), in, out, x, Yref.data() + r * out);
    for (std::size_t o = 0; o < out; ++o) {
      const float y = Y[r * out + o], yref = Yref[r * out + o];
      FUZZ_CHECK(same(y, yref), "%s: dense %zux%zu row %zu output %zu = %a, scalar %a",
                 what.c_str(), out, in, r, o, double(y), double(yref));
      if (finite_weights) { // every product, none skipped, in input order
        float acc = 0.0f;
        for (std::size_t i = 0; i < in; ++i)
          acc += multiply(W[o * in + i], x[i], spec);
        const float plain = acc + bias[o];
        FUZZ_CHECK(same(yref, plain), "%s: dense output %zu = %a, plain sum of products %a",
                   what.c_str(), o, double(yref), double(plain));
      }
    }
  }
  std::vector<float> Y2(2 * out);
  dense_forward(spec, W.data(), bias.data(), in, out, X.data(), 2, Y2.data());
  for (std::size_t k = 0; k < Y.size(); ++k)
    FUZZ_CHECK(fuzz::bits(Y2[k]) == fuzz::bits(Y[k]), "%s: dense_forward != DenseLayer",
               what.c_str());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  check_parsers(data, size);
  check_decimal(data, size);
  if (size < 4)
    return 0;
  fuzz::Reader in(data, size);
  const uint8_t eb = in.byte(), mb = in.byte(), flags = in.byte(), shape = in.byte();
  const int E = eb < 224 ? 2 + eb % 7 : kBadE[eb % 16];
  const int M = mb < 224 ? 1 + mb % 23 : kBadM[mb % 16];
  const Rounding rounding = flags & 1 ? Rounding::truncate : Rounding::nearest;
  const Method method =
      kMethods[(((flags >> 1) & 3) | ((flags >> 4) & 1) << 2) % std::size(kMethods)];

  const bool valid = E >= 2 && E <= 8 && M >= 1 && M <= 23;
  if (!valid) {
    try {
      const FloatFormat f(E, M);
      FUZZ_CHECK(false, "FloatFormat(%d, %d) was accepted", E, M);
    } catch (const std::invalid_argument& e) {
      const std::string expected =
          E < 2 || E > 8
              ? "E (exponent bits) must be an integer in 2..8, got " + std::to_string(E)
              : "M (mantissa bits) must be an integer in 1..23, got " + std::to_string(M);
      FUZZ_CHECK(expected == e.what(), "FloatFormat(%d, %d) says '%s'", E, M, e.what());
    }
    return 0;
  }
  const FloatFormat f(E, M);
  const Ref ref{E, M};

  std::vector<float> pool;
  while (in.left() >= 4 && pool.size() < 256) {
    const uint32_t u = in.u32();
    pool.push_back(flags & 8 ? scaled(u, ref) : float_of(u));
  }
  if (pool.empty())
    return 0;

  check_quantize(pool, f, ref);

  // Operand pairs: (pool[i], pool[i + 1]), cyclically, so n pairs from n words.
  std::vector<float> a(pool), b(pool.size());
  for (std::size_t i = 0; i < pool.size(); ++i)
    b[i] = pool[(i + 1) % pool.size()];
  check_products(a, b, f, rounding, ref);

  const MulSpec spec{method, f, rounding};
  check_error_stats(spec, a, b);
  with_policy(spec, [&](const auto& p) {
    check_kernels(p, spec, a, b, pool, 1 + (shape & 15), 1 + (shape >> 4));
  });
  return 0;
}
