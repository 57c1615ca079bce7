// An independent, slow reference for NUMERICS.md, written without the library's fast paths:
// it decodes every value of F(E, M) from its fields into a double, rounds by searching the
// table of values, and evaluates the multipliers on decoded values in double arithmetic.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "lmul/mul_spec.hpp"

namespace ref {

struct Format {
  int E, M;
  int bias() const { return (1 << (E - 1)) - 1; }
  int emin() const { return 1 - bias(); }
  int emax() const { return (1 << E) - 2 - bias(); }
  unsigned codes() const { return 1u << (1 + E + M); }
  // Value of a code (sign | exponent field | mantissa field), straight from the definition.
  double decode(unsigned code) const {
    const unsigned f = code & ((1u << M) - 1);
    const unsigned e = (code >> M) & ((1u << E) - 1);
    const bool neg = (code >> (E + M)) & 1;
    double v;
    if (e == (1u << E) - 1)
      v = f == 0 ? std::numeric_limits<double>::infinity()
                 : std::numeric_limits<double>::quiet_NaN();
    else if (e == 0)
      v = std::ldexp(double(f), emin() - M);
    else
      v = std::ldexp(1.0 + double(f) / double(1u << M), int(e) - bias());
    return neg ? -v : v;
  }
  double max_finite() const { return std::ldexp(2.0 - std::ldexp(1.0, -M), emax()); }
  double min_normal() const { return std::ldexp(1.0, emin()); }
};

// Non-negative finite values of F in increasing order; index == code (sign bit clear).
struct Table {
  Format fmt;
  std::vector<double> v;
  explicit Table(Format f) : fmt(f) {
    const unsigned n = ((1u << f.E) - 1) << f.M; // all codes below the inf/NaN exponent
    for (unsigned c = 0; c < n; ++c)
      v.push_back(f.decode(c));
  }

  // Round |x| to nearest (ties to the even code) or toward zero, with the overflow rules.
  double round(double x, bool nearest) const {
    if (std::isnan(x) || std::isinf(x) || x == 0)
      return x;
    const double a = std::fabs(x);
    double r;
    if (a > v.back()) {
      if (fmt.E == 8 && nearest) {
        const double mid = v.back() + std::ldexp(1.0, fmt.emax() - fmt.M - 1);
        r = a >= mid ? std::numeric_limits<double>::infinity() : v.back();
      } else {
        r = v.back();
      }
    } else {
      const std::size_t hi = std::lower_bound(v.begin(), v.end(), a) - v.begin(); // v[hi] >= a
      if (v[hi] == a) {
        r = a;
      } else {
        const std::size_t lo = hi - 1;
        if (!nearest)
          r = v[lo];
        else if (a - v[lo] < v[hi] - a)
          r = v[lo];
        else if (a - v[lo] > v[hi] - a)
          r = v[hi];
        else
          r = (lo % 2 == 0) ? v[lo] : v[hi];
      }
    }
    return std::copysign(r, x);
  }
};

inline int l_of(int M) { return M <= 3 ? M : (M == 4 ? 3 : 4); }

// Products on operands that are already values of F.
inline double float_product(const Table& t, double a, double b) { return t.round(a * b, true); }

// frexp-style split of a normal F value: |x| = (1 + m) * 2^e, m in [0, 1).
inline void split(double x, double& m, int& e) {
  int ex;
  const double fr = std::frexp(std::fabs(x), &ex); // [0.5, 1)
  e = ex - 1;
  m = fr * 2.0 - 1.0;
}

// Special-value rules 1-3 of NUMERICS.md; returns true when they decide the result.
inline bool lmul_special(const Format& f, double a, double b, double& out) {
  const bool neg = std::signbit(a) != std::signbit(b);
  const double inf = std::numeric_limits<double>::infinity();
  if (std::isnan(a) || std::isnan(b)) {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (std::isinf(a) || std::isinf(b)) {
    out = (a == 0 || b == 0) ? std::numeric_limits<double>::quiet_NaN() : (neg ? -inf : inf);
    return true;
  }
  if (std::fabs(a) < f.min_normal() || std::fabs(b) < f.min_normal()) {
    out = neg ? -0.0 : 0.0;
    return true;
  }
  return false;
}

// Normal operands of an L-Mul product as mantissa fractions and exponents.
struct LMulOperands {
  bool neg;
  double xm, ym;
  int xe, ye;
};

// Applies special-value rules 1-3; otherwise splits the operands and returns false.
inline bool lmul_prepare(const Format& f, double a, double b, double& out, LMulOperands& o) {
  if (lmul_special(f, a, b, out))
    return true;
  o.neg = std::signbit(a) != std::signbit(b);
  split(a, o.xm, o.xe);
  split(b, o.ym, o.ye);
  return false;
}

// The integer adder with mantissa offset `offset` (lmul: 2^-l(M); mitchell: 0).
inline double integer_adder(const Table& t, double a, double b, double offset) {
  const Format& f = t.fmt;
  double out;
  LMulOperands o;
  if (lmul_prepare(f, a, b, out, o))
    return out;
  // The packed fields (exponent, mantissa) are added as one integer, so the mantissa sum s
  // (in units of 1) carries into the exponent once for s >= 1 and twice for s >= 2 (possible
  // when 2^-l(M) > 2^-M, i.e. M >= 4, and both mantissas are near their maximum).
  const double s = o.xm + o.ym + offset;
  int e = o.xe + o.ye;
  double v;
  if (s < 1.0) {
    v = std::ldexp(1.0 + s, e);
  } else if (s < 2.0) { // one carry: Mitchell's 2 * (xm + ym + 2^-l) * 2^(xe + ye)
    e += 1;
    v = std::ldexp(s, e);
  } else { // two carries: mantissa field s - 2, exponent + 2
    e += 2;
    v = std::ldexp(s - 1.0, e);
  }
  if (e < f.emin())
    v = 0.0;
  else if (e > f.emax())
    v = f.E == 8 ? std::numeric_limits<double>::infinity() : f.max_finite();
  return o.neg ? -v : v;
}

inline double lmul_adder(const Table& t, double a, double b) {
  return integer_adder(t, a, b, std::ldexp(1.0, -l_of(t.fmt.M)));
}
inline double mitchell(const Table& t, double a, double b) { return integer_adder(t, a, b, 0.0); }

inline double lmul_formula(const Table& t, double a, double b) {
  const Format& f = t.fmt;
  double out;
  LMulOperands o;
  if (lmul_prepare(f, a, b, out, o))
    return out;
  const double v = std::ldexp(1.0 + o.xm + o.ym + std::ldexp(1.0, -l_of(f.M)), o.xe + o.ye);
  const double r = v < f.min_normal() ? 0.0 : t.round(v, true);
  return o.neg ? -r : r;
}

// The reference product of method m (operands already in F).
inline double product(lmul::Method m, const Table& t, double a, double b) {
  switch (m) {
  case lmul::Method::exact: return static_cast<float>(a) * static_cast<float>(b);
  case lmul::Method::floating: return float_product(t, a, b);
  case lmul::Method::lmul: return lmul_adder(t, a, b);
  case lmul::Method::lmul_formula: return lmul_formula(t, a, b);
  case lmul::Method::mitchell: return mitchell(t, a, b);
  }
  throw std::logic_error("reference: unknown method");
}

} // namespace ref
