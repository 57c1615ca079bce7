// Exact decimal <-> binary conversion by "simple decimal conversion" (Go's strconv/decimal.go):
// a number is kept as decimal digits and multiplied or divided by powers of two, digit by digit,
// until it lies in [1/2, 1) and its binary digits can be shifted out and rounded. Each step is
// exact (a decimal times 2^k has a finite decimal expansion), so the result is correctly rounded.
#include "lmul/decimal.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace lmul {
namespace {

// 0.d[0] d[1] ... d[nd-1] x 10^dp, digits as the values 0..9, without trailing zeros.
struct Decimal {
  // Every double is exact in 800 digits (the longest, a subnormal, has 767 significant ones);
  // digits of a longer input beyond them only break ties, through `truncated`.
  static constexpr int kMaxDigits = 800;
  // One shift by up to 60 bits keeps the running value below 2^64 (9 * 2^60 + carry).
  static constexpr int kMaxShift = 60;

  uint8_t d[kMaxDigits];
  int nd = 0;
  int dp = 0;
  bool negative = false;
  bool truncated = false; // nonzero digits were dropped past d[kMaxDigits - 1]

  void trim() {
    while (nd > 0 && d[nd - 1] == 0)
      --nd;
    if (nd == 0)
      dp = 0;
  }

  void assign(uint64_t v) {
    uint8_t reversed[20];
    int n = 0;
    for (; v > 0; v /= 10)
      reversed[n++] = uint8_t(v % 10);
    for (nd = 0; nd < n; ++nd)
      d[nd] = reversed[n - 1 - nd];
    dp = nd;
    trim();
  }

  // Times 2^k for k in 1..kMaxShift. Digits are produced from the right into a buffer with room
  // for the at most 19 new ones.
  void left_shift(int k) {
    uint8_t out[kMaxDigits + 20];
    int w = nd + 20;
    uint64_t n = 0;
    for (int r = nd - 1; r >= 0; --r) {
      n += uint64_t(d[r]) << k;
      out[--w] = uint8_t(n % 10);
      n /= 10;
    }
    for (; n > 0; n /= 10)
      out[--w] = uint8_t(n % 10);
    int count = nd + 20 - w;
    dp += count - nd;
    for (int i = kMaxDigits; i < count; ++i)
      truncated = truncated || out[w + i] != 0;
    count = std::min(count, kMaxDigits);
    std::memcpy(d, out + w, std::size_t(count));
    nd = count;
    trim();
  }

  // Divided by 2^k for k in 1..kMaxShift, in place: the digits written never overtake those read.
  void right_shift(int k) {
    int r = 0, w = 0;
    uint64_t n = 0;
    for (; (n >> k) == 0; ++r) {
      if (r >= nd) {
        if (n == 0) {
          nd = 0;
          dp = 0;
          return;
        }
        for (; (n >> k) == 0; ++r)
          n *= 10;
        break;
      }
      n = n * 10 + d[r];
    }
    dp -= r - 1;
    const uint64_t mask = (uint64_t(1) << k) - 1;
    for (; r < nd; ++r) {
      const uint8_t next = d[r];
      d[w++] = uint8_t(n >> k);
      n = (n & mask) * 10 + next;
    }
    for (; n > 0; n = (n & mask) * 10) {
      const auto digit = uint8_t(n >> k);
      if (w < kMaxDigits)
        d[w++] = digit;
      else
        truncated = truncated || digit != 0;
    }
    nd = w;
    trim();
  }

  // Times 2^k, any k.
  void shift(int k) {
    for (; nd > 0 && k > 0; k -= std::min(k, kMaxShift))
      left_shift(std::min(k, kMaxShift));
    for (; nd > 0 && k < 0; k += std::min(-k, kMaxShift))
      right_shift(std::min(-k, kMaxShift));
  }

  // Whether keeping the first n digits rounds up: above half, or exactly half (nothing after
  // digit n, none dropped) and the kept part odd.
  bool round_up_at(int n) const {
    if (n < 0 || n >= nd)
      return false;
    if (d[n] == 5 && n + 1 == nd)
      return truncated || (n > 0 && d[n - 1] % 2 == 1);
    return d[n] >= 5;
  }

  // To n >= 1 significant digits.
  void round(int n) {
    if (n >= nd)
      return;
    if (!round_up_at(n)) {
      nd = n;
      trim();
      return;
    }
    int i = n - 1;
    while (i >= 0 && d[i] == 9)
      --i;
    if (i < 0) {
      d[0] = 1;
      nd = 1;
      ++dp;
    } else {
      ++d[i];
      nd = i + 1;
    }
  }

  // The value rounded to an integer (ties to even); only called for values below 2^54.
  uint64_t rounded_integer() const {
    uint64_t n = 0;
    int i = 0;
    for (; i < dp && i < nd; ++i)
      n = n * 10 + d[i];
    for (; i < dp; ++i)
      n *= 10;
    return n + (round_up_at(dp) ? 1 : 0);
  }
};

// The IEEE 754 binary formats: double (52, 11) and float (23, 8).
template <int kMantissaBits, int kExponentBits> struct Binary {
  static constexpr int kBias = 1 - (1 << (kExponentBits - 1)); // exponent field 0 is 2^kBias
  static constexpr int kMaxField = (1 << kExponentBits) - 1;   // inf and NaN

  // The bits of the binary number nearest to a (which this consumes).
  static uint64_t bits_of(Decimal& a) {
    int exp = kBias;
    uint64_t mantissa = 0;
    if (a.dp > 310) {
      exp = kMaxField + kBias;             // beyond any double: inf
    } else if (a.nd > 0 && a.dp >= -330) { // below -330, beyond any subnormal: zero
      // Scale by powers of two into [1/2, 1); each step moves the point by about one to eight
      // digits (2^27 is below 10^9).
      static constexpr int kBitsPerDigits[] = {1, 3, 6, 9, 13, 16, 19, 23, 26};
      exp = 0;
      while (a.dp > 0) {
        const int n = a.dp >= 9 ? 27 : kBitsPerDigits[a.dp];
        a.shift(-n);
        exp += n;
      }
      while (a.dp < 0 || (a.dp == 0 && a.d[0] < 5)) {
        const int n = -a.dp >= 9 ? 27 : kBitsPerDigits[-a.dp];
        a.shift(n);
        exp -= n;
      }
      --exp;                 // [1/2, 1) is 2^-1 x [1, 2)
      if (exp < kBias + 1) { // subnormal: keep the exponent at its least, shift the digits
        const int n = kBias + 1 - exp;
        a.shift(-n);
        exp += n;
      }
      if (exp - kBias < kMaxField) {
        a.shift(1 + kMantissaBits);
        mantissa = a.rounded_integer();
        if (mantissa == uint64_t(2) << kMantissaBits) { // rounding carried into a new bit
          mantissa >>= 1;
          ++exp;
        }
        if ((mantissa >> kMantissaBits) == 0)
          exp = kBias; // subnormal
      }
      if (exp - kBias >= kMaxField) {
        exp = kMaxField + kBias;
        mantissa = 0;
      }
    }
    uint64_t bits = mantissa & ((uint64_t(1) << kMantissaBits) - 1);
    bits |= uint64_t((exp - kBias) & kMaxField) << kMantissaBits;
    if (a.negative)
      bits |= uint64_t(1) << (kMantissaBits + kExponentBits);
    return bits;
  }

  // The exact value of a finite number with these bits.
  static Decimal exact(uint64_t bits) {
    Decimal a;
    a.negative = (bits >> (kMantissaBits + kExponentBits)) & 1;
    const int field = int(bits >> kMantissaBits) & kMaxField;
    uint64_t mantissa = bits & ((uint64_t(1) << kMantissaBits) - 1);
    if (field > 0)
      mantissa |= uint64_t(1) << kMantissaBits;
    a.assign(mantissa);
    a.shift(std::max(field, 1) + kBias - kMantissaBits);
    return a;
  }
};

bool read(std::string_view s, Decimal& a) {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    a.negative = s[i++] == '-';
  bool dot = false, digits = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (c < '0' || c > '9')
      break;
    digits = true;
    if (c == '0' && a.nd == 0) { // a leading zero: after the point, it moves the point
      a.dp -= dot ? 1 : 0;
      continue;
    }
    a.dp += dot ? 0 : 1;
    if (a.nd < Decimal::kMaxDigits)
      a.d[a.nd++] = uint8_t(c - '0');
    else
      a.truncated = a.truncated || c != '0';
  }
  if (!digits)
    return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    bool negative = false;
    if (++i < s.size() && (s[i] == '+' || s[i] == '-'))
      negative = s[i++] == '-';
    const std::size_t first = i;
    int e = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
      e = std::min(e * 10 + (s[i] - '0'), 100000); // far beyond the range: inf or zero
    if (i == first)
      return false;
    a.dp += negative ? -e : e;
  }
  a.trim();
  return i == s.size();
}

using Double = Binary<52, 11>;
using Float = Binary<23, 8>;

template <class Format> std::optional<uint64_t> parse_bits(std::string_view text) {
  Decimal a;
  if (!read(text, a))
    return std::nullopt;
  return Format::bits_of(a);
}

// printf's "%.<precision>g" of a, which has at most `precision` digits.
std::string g_style(const Decimal& a, int precision) {
  std::string s = a.negative ? "-" : "";
  const auto digit = [&](int i) { return char('0' + (i < a.nd ? a.d[i] : 0)); };
  const int exponent = a.dp - 1;
  if (a.nd == 0) {
    s += '0';
  } else if (exponent < -4 || exponent >= precision) {
    s += digit(0);
    if (a.nd > 1)
      s += '.';
    for (int i = 1; i < a.nd; ++i)
      s += digit(i);
    s += exponent < 0 ? "e-" : "e+";
    if (std::abs(exponent) < 10)
      s += '0';
    s += std::to_string(std::abs(exponent));
  } else if (a.dp <= 0) {
    s += "0.";
    s.append(std::size_t(-a.dp), '0');
    for (int i = 0; i < a.nd; ++i)
      s += digit(i);
  } else {
    for (int i = 0; i < std::max(a.nd, a.dp); ++i) {
      if (i == a.dp)
        s += '.';
      s += digit(i);
    }
  }
  return s;
}

template <class Format, class T, class Bits> std::string shortest(T v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v < 0 ? "-inf" : "inf";
  Bits bits;
  std::memcpy(&bits, &v, sizeof bits);
  const Decimal exact = Format::exact(bits);
  for (int digits = 1;; ++digits) {
    Decimal rounded = exact;
    rounded.round(digits);
    std::string s = g_style(rounded, digits);
    if (parse_bits<Format>(s) == bits || rounded.nd == exact.nd)
      return s;
  }
}

} // namespace

std::optional<double> parse_double(std::string_view text) {
  const auto bits = parse_bits<Double>(text);
  if (!bits)
    return std::nullopt;
  double v;
  std::memcpy(&v, &*bits, sizeof v);
  return v;
}

std::optional<float> parse_float(std::string_view text) {
  const auto bits = parse_bits<Float>(text);
  if (!bits)
    return std::nullopt;
  const auto narrow = uint32_t(*bits);
  float v;
  std::memcpy(&v, &narrow, sizeof v);
  return v;
}

std::string shortest_decimal(double v) { return shortest<Double, double, uint64_t>(v); }
std::string shortest_decimal(float v) { return shortest<Float, float, uint32_t>(v); }

} // namespace lmul
