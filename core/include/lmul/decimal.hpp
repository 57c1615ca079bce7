// Decimal text <-> float and double, correctly rounded (ties to even), without the C library's
// strtod and printf: in the WebAssembly build those bring musl's 128-bit long double arithmetic
// (~21 KB of the .wasm, 10 KB gzipped; issue 13's size budget) for the few numbers a model file's
// metadata and the error messages hold. The conversions are exact for any input (the "simple
// decimal conversion" of Go's strconv: the digits are shifted by powers of two until the binary
// value can be read off) and slow; they are meant for metadata and messages, not data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lmul {

// The nearest float or double to the decimal number `text`, which must be the whole string:
// an optional sign, digits with an optional '.', and an optional exponent (1e-05, -0.5, 3., .25,
// 12E+3). No whitespace, hex, "inf" or "nan". Too large a magnitude reads as +-inf, too small
// as +-0 (callers that need a finite, nonzero value check it). std::nullopt: not a number.
std::optional<double> parse_double(std::string_view text);
std::optional<float> parse_float(std::string_view text);

// The decimal with the fewest significant digits that reads back as v, written like printf's
// "%.<digits>g" ("1e-05", "0.001", "100", "1.5e+20"); "nan", "inf" and "-inf" for the others.
std::string shortest_decimal(double v);
std::string shortest_decimal(float v);

} // namespace lmul
