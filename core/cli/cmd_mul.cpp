// `lmul mul`: products, quantized operands and error statistics of given operand pairs under
// one multiplier, as JSON. It exists so other front ends (the npm package's tests) can compare
// their results with the native core bit for bit.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/kernels.hpp"
#include "lmul/stats.hpp"

namespace {

const char* const kUsage = R"(usage: lmul mul [options] A B [A B ...]

Multiplies each pair (A, B) with one multiplier and prints JSON: for every pair the operands
after quantization, the scalar product and the SIMD (elementwise kernel) product, each as a
value and as fp32 bits; with --stats also the error statistics of all pairs against exact
fp32 products. Without operands on the command line, whitespace-separated operands are read
from standard input.

options:
  --method NAME       exact, float, lmul (default), lmul-formula or mitchell
  --M N               mantissa bits, 1..23 (default 7)
  --E N               exponent bits, 2..8 (default 8)
  --rounding MODE     operand rounding: nearest (default) or truncate
  --bits              operands are fp32 bit patterns in hex (3f800000 or 0x3f800000);
                      otherwise decimal or hex floats, inf, nan (as strtof reads them)
  --stats             add the error statistics (count, zeros, mean, median, max, bias,
                      histogram) of all pairs
)";

float parse_operand(const std::string& token, bool bits) {
  errno = 0;
  char* end = nullptr;
  float value = 0;
  if (bits) {
    const unsigned long long u = std::strtoull(token.c_str(), &end, 16);
    if (u > 0xffffffffull)
      end = nullptr;
    value = lmul::float_of(static_cast<uint32_t>(u));
  } else {
    value = std::strtof(token.c_str(), &end);
    if (errno == ERANGE) // out of fp32 range is still a valid operand (inf or a subnormal)
      errno = 0;
  }
  if (token.empty() || end == nullptr || *end != '\0' || errno != 0)
    throw std::invalid_argument(std::string("cannot read operand '") + token + "' as " +
                                (bits ? "a hex fp32 bit pattern" : "a number"));
  return value;
}

std::string hex_bits(float x) { return lmul::cli::format("0x%08x", lmul::bits_of(x)); }

// JSON has no inf or NaN: those become the strings JavaScript's String(x) gives.
nlohmann::json number(double x) {
  if (std::isnan(x))
    return "NaN";
  if (std::isinf(x))
    return x > 0 ? "Infinity" : "-Infinity";
  return x;
}

nlohmann::json value_and_bits(float x) { return {{"value", number(x)}, {"bits", hex_bits(x)}}; }

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(argv, {"help", "bits", "stats"}, {"method", "M", "E", "rounding"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  lmul::MulSpec spec;
  spec.method = lmul::parse_method(args.get("method", "lmul"));
  spec.format = lmul::FloatFormat(
      int(args.get_int("E", 8, lmul::FloatFormat::kMinE, lmul::FloatFormat::kMaxE)),
      int(args.get_int("M", 7, lmul::FloatFormat::kMinM, lmul::FloatFormat::kMaxM)));
  spec.rounding = lmul::parse_rounding(args.get("rounding", "nearest"));
  const bool bits = args.has("bits");

  std::vector<std::string> tokens = args.positional();
  if (tokens.empty())
    tokens.assign(std::istream_iterator<std::string>(std::cin),
                  std::istream_iterator<std::string>());
  if (tokens.empty() || tokens.size() % 2 != 0)
    throw std::invalid_argument("expected operand pairs A B, got " + std::to_string(tokens.size()) +
                                " operands");
  const std::size_t n = tokens.size() / 2;
  std::vector<float> a(n), b(n), simd(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = parse_operand(tokens[2 * i], bits);
    b[i] = parse_operand(tokens[2 * i + 1], bits);
  }
  lmul::multiply_elementwise(spec, a.data(), b.data(), simd.data(), n);

  nlohmann::json pairs = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i)
    pairs.push_back({{"a", value_and_bits(a[i])},
                     {"b", value_and_bits(b[i])},
                     {"qa", value_and_bits(lmul::quantize(a[i], spec.format, spec.rounding))},
                     {"qb", value_and_bits(lmul::quantize(b[i], spec.format, spec.rounding))},
                     {"product", value_and_bits(lmul::multiply(a[i], b[i], spec))},
                     {"simd", value_and_bits(simd[i])}});
  nlohmann::json out = {{"method", lmul::to_string(spec.method)},
                        {"E", spec.format.E()},
                        {"M", spec.format.M()},
                        {"rounding", lmul::to_string(spec.rounding)},
                        {"pairs", pairs}};
  if (args.has("stats")) {
    const lmul::ErrorStats s = lmul::error_stats(spec, a.data(), b.data(), n);
    nlohmann::json edges = nlohmann::json::array();
    for (double e : s.histogram.edges)
      edges.push_back(number(e));
    out["stats"] = {{"count", s.count},
                    {"zeros", s.zeros},
                    {"nonfinite", s.nonfinite},
                    {"mean", number(s.mean)},
                    {"median", number(s.median)},
                    {"max", number(s.max)},
                    {"bias", number(s.bias)},
                    {"histogram", {{"edges", edges}, {"counts", s.histogram.counts}}}};
  }
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

const lmul::cli::RegisterCommand reg("mul", "products of given operand pairs as JSON (bit exact)",
                                     run);

} // namespace
