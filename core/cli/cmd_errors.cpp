// `lmul errors`: how precise is each multiplier? Mean and max relative error and signed bias
// of every approximate multiplier (float, lmul, lmul-formula, mitchell: the registry's order)
// against fp32 products, over standard-normal pairs.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/kernels.hpp"
#include "lmul/random.hpp"
#include "lmul/stats.hpp"

namespace {

using namespace lmul;

struct Row {
  FloatFormat format;
  std::string label; // "M=3" or "E4M3"
  Rounding rounding;
  Method method;
  ErrorStats stats;
};

std::vector<std::pair<FloatFormat, std::string>> table_formats() {
  std::vector<std::pair<FloatFormat, std::string>> f;
  for (int M = 1; M <= 10; ++M)
    f.emplace_back(FloatFormat(8, M), "E8M" + std::to_string(M));
  f.emplace_back(FloatFormat(4, 3), "E4M3");
  f.emplace_back(FloatFormat(5, 2), "E5M2");
  return f;
}

ErrorStats measure(const MulSpec& spec, const std::vector<float>& a, const std::vector<float>& b,
                   const std::vector<float>& exact) {
  ErrorAccumulator acc(/*keep_median=*/false);
  constexpr std::size_t kChunk = 1 << 14;
  std::vector<float> approx(kChunk);
  for (std::size_t i = 0; i < a.size(); i += kChunk) {
    const std::size_t n = std::min(kChunk, a.size() - i);
    multiply_elementwise(spec, a.data() + i, b.data() + i, approx.data(), n);
    acc.add(approx.data(), exact.data() + i, n);
  }
  return acc.finish();
}

std::string percent(double x) { return lmul::cli::format("%.3f %%", 100.0 * x); }
std::string signed_percent(double x) { return lmul::cli::format("%+.3f %%", 100.0 * x); }

void print_markdown(const std::vector<Row>& rows, std::size_t pairs, uint64_t seed) {
  std::printf("Relative error of one product vs the fp32 product, %zu standard-normal pairs "
              "(seed %llu)\n",
              pairs, static_cast<unsigned long long>(seed));
  for (Rounding r : {Rounding::nearest, Rounding::truncate}) {
    std::printf("\nOperand rounding: %s\n\n", to_string(r));
    std::string head = "| format ", rule = "|---";
    for (Method m : approximate_methods()) {
      head +=
          cli::format("| %s mean | %s max | %s bias ", to_string(m), to_string(m), to_string(m));
      rule += "|---:|---:|---:";
    }
    std::printf("%s|\n%s|\n", head.c_str(), rule.c_str());
    for (const auto& [format, label] : table_formats()) {
      std::printf("| %s ", label.c_str());
      for (Method m : approximate_methods())
        for (const Row& row : rows)
          if (row.format == format && row.rounding == r && row.method == m)
            std::printf("| %s | %s | %s ", percent(row.stats.mean).c_str(),
                        percent(row.stats.max).c_str(), signed_percent(row.stats.bias).c_str());
      std::printf("|\n");
    }
  }
}

void print_json(const std::vector<Row>& rows, std::size_t pairs, uint64_t seed, double seconds) {
  nlohmann::json j;
  j["pairs"] = pairs;
  j["seed"] = seed;
  j["operands"] = "standard normal fp32 (lmul::Rng Box-Muller)";
  j["exact"] = "fp32 product of the unquantized operands";
  j["seconds"] = seconds;
  auto& out = j["results"] = nlohmann::json::array();
  for (const Row& row : rows)
    out.push_back({{"format", row.label},
                   {"E", row.format.E()},
                   {"M", row.format.M()},
                   {"rounding", to_string(row.rounding)},
                   {"method", to_string(row.method)},
                   {"count", row.stats.count},
                   {"zeros", row.stats.zeros},
                   {"mean", row.stats.mean},
                   {"max", row.stats.max},
                   {"bias", row.stats.bias}});
  std::printf("%s\n", j.dump(2).c_str());
}

int run_errors(const std::vector<std::string>& argv) {
  const cli::Args args(argv, {"json", "help"}, {"pairs", "seed", "threads"});
  if (args.has("help")) {
    std::printf("usage: lmul errors [--pairs N] [--seed S] [--threads T] [--json]\n\n"
                "Mean / max relative error and signed bias of float, lmul, lmul-formula and\n"
                "mitchell\n"
                "for M = 1..10 (E = 8) and E4M3 / E5M2, both operand roundings, over N pairs of\n"
                "standard-normal fp32 operands (default N = 10^7, seed 2024).\n");
    return 0;
  }
  const auto pairs = static_cast<std::size_t>(args.get_int("pairs", 10000000, 1, 1000000000));
  const auto seed = static_cast<uint64_t>(args.get_int("seed", 2024, 0, 1LL << 62));
  const unsigned threads = static_cast<unsigned>(
      args.get_int("threads", std::max(1u, std::thread::hardware_concurrency()), 1, 256));

  const auto start = std::chrono::steady_clock::now();
  std::vector<float> a(pairs), b(pairs), exact(pairs);
  Rng rng(seed);
  for (std::size_t i = 0; i < pairs; ++i) {
    a[i] = static_cast<float>(rng.normal());
    b[i] = static_cast<float>(rng.normal());
  }
  multiply_elementwise(MulSpec{Method::exact, FloatFormat(8, 23), Rounding::nearest}, a.data(),
                       b.data(), exact.data(), pairs);

  std::vector<Row> rows;
  for (Rounding r : {Rounding::nearest, Rounding::truncate})
    for (const auto& [format, label] : table_formats())
      for (Method m : approximate_methods())
        rows.push_back(Row{format, label, r, m, {}});

  std::vector<std::thread> pool;
  std::atomic<std::size_t> next{0};
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (std::size_t k; (k = next++) < rows.size();)
        rows[k].stats =
            measure(MulSpec{rows[k].method, rows[k].format, rows[k].rounding}, a, b, exact);
    });
  for (auto& t : pool)
    t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  if (args.has("json"))
    print_json(rows, pairs, seed, seconds);
  else
    print_markdown(rows, pairs, seed);
  std::fprintf(stderr, "lmul errors: %zu pairs x %zu configurations in %.1f s\n", pairs,
               rows.size(), seconds);
  return 0;
}

const lmul::cli::RegisterCommand reg("errors",
                                     "relative error and bias of each multiplier (M = 1..10, "
                                     "E4M3, E5M2) over standard-normal pairs",
                                     run_errors);

} // namespace
