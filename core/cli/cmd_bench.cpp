// `lmul bench`: throughput of the kernels and of whole-model evaluation, reported as ratios
// measured in one run. The same code runs natively and, built with Emscripten, under Node
// (build/wasm/lmul-cli.cjs), so the two columns of the README compare like with like.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "args.hpp"
#include "command.hpp"
#include "lmul/idx.hpp"
#include "lmul/kernels.hpp"
#include "lmul/kernels_scalar.hpp"
#include "lmul/mlp.hpp"
#include "lmul/random.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/session.hpp"
#include "mnist_data.hpp"
#include "platform.hpp"

namespace {

using namespace lmul;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string name;
  MulSpec spec;
};

std::vector<Config> configs() {
  const auto spec = [](Method m, int M) {
    return MulSpec{m, FloatFormat(8, M), Rounding::nearest};
  };
  return {{"exact", spec(Method::exact, 23)},
          {"float M=3", spec(Method::floating, 3)},
          {"float M=7", spec(Method::floating, 7)},
          {"lmul M=3", spec(Method::lmul, 3)},
          {"lmul M=7", spec(Method::lmul, 7)},
          {"lmul-formula M=3", spec(Method::lmul_formula, 3)},
          {"lmul-formula M=7", spec(Method::lmul_formula, 7)},
          {"mitchell M=3", spec(Method::mitchell, 3)},
          {"mitchell M=7", spec(Method::mitchell, 7)}};
}

// Best time of `reps` runs of f, after warming up for at least 0.2 s: WebAssembly starts in a
// baseline tier and V8 swaps in optimized code when its background compile is done.
double best_seconds(int reps, const std::function<void()>& f) {
  const auto warm = Clock::now();
  do
    f();
  while (std::chrono::duration<double>(Clock::now() - warm).count() < 0.2);
  double best = 1e30;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

// The naive scalar dense layer: weights quantized once and zero inputs skipped, but every
// product through the policy's general scalar product, [out][in] order. Against the packed
// kernels it measures what packing buys.
template <class P> struct NaiveDense {
  P p;
  std::size_t in, out;
  std::vector<float> w; // quantized, [out][in]
  std::vector<float> bias, xq;
  NaiveDense(const P& policy, const LinearParams& l)
      : p(policy), in(l.in), out(l.out), w(l.weight), bias(l.bias), xq(l.in) {
    for (float& v : w)
      v = p.operand(v);
  }
  void forward(const float* x, float* y) {
    for (std::size_t i = 0; i < in; ++i)
      xq[i] = p.operand(x[i]);
    for (std::size_t o = 0; o < out; ++o) {
      float acc = 0.0f;
      for (std::size_t i = 0; i < in; ++i)
        if (!p.skips(xq[i]))
          acc += p.product(w[o * in + i], xq[i]);
      y[o] = acc + bias[o];
    }
  }
};

struct Data {
  std::vector<float> a, b;     // elementwise operands (standard normal)
  std::vector<float> images;   // inputs for the dense benchmarks, [n][784] in [0, 1]
  std::vector<uint8_t> pixels; // the same as bytes, for evaluate()
  std::vector<uint8_t> labels;
  std::size_t n_images = 0;
  bool mnist = false;
  Mlp model;
  bool has_model = false;
};

Data load_data(const cli::Args& args, std::size_t elementwise_n, std::size_t rows) {
  Data d;
  Rng rng(7);
  d.a.resize(elementwise_n);
  d.b.resize(elementwise_n);
  for (std::size_t i = 0; i < elementwise_n; ++i) {
    d.a[i] = float(rng.normal());
    d.b[i] = float(rng.normal());
  }
  const std::string mnist_dir = args.get("mnist", cli::kDefaultMnistDir);
  try {
    MnistSet test = cli::load_mnist(mnist_dir, false);
    d.n_images = std::min(rows, test.images.count);
    d.pixels = std::move(test.images.pixels);
    d.labels = std::move(test.labels);
    d.mnist = true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmul bench: %s; using synthetic inputs (80 %% zeros) instead\n",
                 e.what());
    d.n_images = rows;
    d.pixels.resize(rows * kMnistPixels);
    for (auto& p : d.pixels)
      p = rng.uniform() < 0.8 ? 0 : uint8_t(1 + rng.below(255));
  }
  d.images.resize(d.pixels.size());
  for (std::size_t i = 0; i < d.pixels.size(); ++i)
    d.images[i] = pixel_to_input(d.pixels[i]);
  const std::string model = args.get("model", "models/mlp-784-128-10.safetensors");
  try {
    d.model = load_mlp_file(model);
    d.has_model = true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lmul bench: %s; model benchmarks skipped\n", e.what());
  }
  return d;
}

// The first layer of the model, or a 784x128 layer of normal(0, 0.05) weights.
LinearParams first_layer(const Data& d) {
  if (d.has_model)
    return d.model.layers().front();
  LinearParams l;
  l.in = kMnistPixels;
  l.out = 128;
  Rng rng(3);
  l.weight.resize(l.in * l.out);
  for (auto& w : l.weight)
    w = float(rng.normal() * 0.05);
  l.bias.assign(l.out, 0.0f);
  return l;
}

int run_bench(const std::vector<std::string>& argv) {
  const cli::Args args(argv, {"json", "quick", "help"}, {"model", "mnist", "reps"});
  if (args.has("help")) {
    std::printf(
        "usage: lmul bench [--json] [--quick] [--reps N] [--model F] [--mnist DIR]\n\n"
        "Products/s of the elementwise kernel (SIMD vs scalar), dense layer throughput for\n"
        "batch 1 and 1000 (SIMD vs scalar), full test-set evaluation per method, predict\n"
        "latency with error statistics, and peak memory. --quick runs a few iterations only\n"
        "(a smoke test).\n");
    return 0;
  }
  const bool quick = args.has("quick");
  const int reps = int(args.get_int("reps", quick ? 1 : 5, 1, 1000));
  const std::size_t elementwise_n = quick ? 4096 : (1 << 20);
  const std::size_t batch = quick ? 20 : 1000;
  const Data d = load_data(args, elementwise_n, quick ? 200 : 10000);
  const LinearParams layer = first_layer(d);
  const double macs_per_row = double(layer.in) * double(layer.out);
  const auto row_count = std::min(batch, d.n_images);

  nlohmann::json out;
  out["target"] = cli::target_name();
  out["lanes"] = kLanes;
  out["inputs"] = d.mnist ? "MNIST test images" : "synthetic, 80 % zeros";
  out["dense_layer"] = std::to_string(layer.in) + "x" + std::to_string(layer.out);
  auto& rows = out["kernels"] = nlohmann::json::array();

  for (const Config& c : configs()) {
    with_policy(c.spec, [&](const auto& p) {
      using P = std::decay_t<decltype(p)>;
      nlohmann::json r;
      r["method"] = c.name;
      std::vector<float> o(elementwise_n);
      const double simd = best_seconds(
          reps, [&] { multiply_elementwise(p, d.a.data(), d.b.data(), o.data(), elementwise_n); });
      const double scalar = best_seconds(reps, [&] {
        scalar::multiply_elementwise(p, d.a.data(), d.b.data(), o.data(), elementwise_n);
      });
      r["elementwise_simd_mproducts_s"] = elementwise_n / simd / 1e6;
      r["elementwise_scalar_mproducts_s"] = elementwise_n / scalar / 1e6;
      r["elementwise_simd_vs_scalar"] = scalar / simd;

      const DenseKernel<P> k(p, layer.weight.data(), layer.bias.data(), layer.in, layer.out);
      // The same kernel, packing and active list on one float lane: what SIMD itself buys.
      const DenseKernel<P, float> one_lane(p, layer.weight.data(), layer.bias.data(), layer.in,
                                           layer.out);
      NaiveDense<P> s(p, layer);
      std::vector<float> y(layer.out * row_count);
      // batch 1: one row at a time, averaged over the rows (latency of a single input)
      const double one = best_seconds(reps,
                                      [&] {
                                        for (std::size_t i = 0; i < row_count; ++i)
                                          k.forward(d.images.data() + i * layer.in, y.data());
                                      }) /
                         double(row_count);
      const double many =
          best_seconds(reps, [&] { k.forward_batch(d.images.data(), row_count, y.data()); }) /
          double(row_count);
      const std::size_t scalar_rows = std::min<std::size_t>(row_count, quick ? 5 : 100);
      const double scalar_row =
          best_seconds(reps,
                       [&] {
                         for (std::size_t i = 0; i < scalar_rows; ++i)
                           s.forward(d.images.data() + i * layer.in, y.data());
                       }) /
          double(scalar_rows);
      r["dense_batch1_us"] = one * 1e6;
      r["dense_batch_us_per_row"] = many * 1e6;
      r["dense_batch_rows"] = row_count;
      const double packed_scalar_row =
          best_seconds(reps,
                       [&] { one_lane.forward_batch(d.images.data(), scalar_rows, y.data()); }) /
          double(scalar_rows);
      r["dense_naive_scalar_us_per_row"] = scalar_row * 1e6;
      r["dense_packed_scalar_us_per_row"] = packed_scalar_row * 1e6;
      r["dense_gmac_s"] = macs_per_row / many / 1e9; // dense-equivalent (skipped zeros count)
      r["dense_simd_vs_packed_scalar"] = packed_scalar_row / many;        // SIMD alone
      r["dense_packed_vs_naive_scalar"] = scalar_row / packed_scalar_row; // packing alone
      rows.push_back(r);
    });
  }
  // Ratios against exact, as the README states them.
  for (auto& r : rows) {
    r["dense_vs_exact"] =
        rows[0]["dense_batch_us_per_row"].get<double>() / r["dense_batch_us_per_row"].get<double>();
  }

  if (d.has_model && d.mnist) {
    auto& evals = out["evaluate"] = nlohmann::json::array();
    const std::size_t n = quick ? d.n_images : d.labels.size();
    for (const Config& c : configs()) {
      const MlpInference net(d.model, c.spec);
      EvalResult res;
      const double t = best_seconds(quick ? 1 : std::max(1, reps / 2), [&] {
        res = evaluate(net, d.pixels.data(), d.labels.data(), n);
      });
      evals.push_back(
          {{"method", c.name}, {"images", n}, {"seconds", t}, {"accuracy", res.accuracy}});
    }
    // What the package's predict does: the plan's pass with every product's error, and an
    // exact pass for the per-layer activation errors.
    ModelSession session(std::make_unique<Mlp>(d.model));
    const MulPlan plan(configs()[4].spec); // lmul M=7, the package default
    const std::size_t k = std::min<std::size_t>(quick ? 10 : 1000, d.n_images);
    const double t = best_seconds(reps,
                                  [&] {
                                    for (std::size_t i = 0; i < k; ++i)
                                      session.predict(d.images.data() + i * kMnistPixels, plan);
                                  }) /
                     double(k);
    out["predict_with_errors_us"] = t * 1e6;
    std::size_t weight_bytes = 0, widest = 0;
    for (const auto& l : d.model.layers()) {
      weight_bytes += l.weight.size() * sizeof(float);
      widest = std::max({widest, l.in, l.out});
    }
    out["model"] = args.get("model", "models/mlp-784-128-10.safetensors");
    out["model_weight_mib"] = double(weight_bytes) / (1 << 20);
    out["batch_x_out_x_in_mib"] = double(n) * macs_per_row * sizeof(float) / (1 << 20);
  }
  out["peak_memory_mib"] = cli::peak_memory_mib();

  if (args.has("json")) {
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::printf("lmul bench: %s, %s, dense layer %s\n\n", out["target"].get<std::string>().c_str(),
              out["inputs"].get<std::string>().c_str(),
              out["dense_layer"].get<std::string>().c_str());
  std::printf("| method | elementwise Mprod/s | SIMD/scalar | dense batch 1 us | dense batch %zu "
              "us/row | dense GMAC/s | dense SIMD / packed scalar | dense packed / naive scalar "
              "| vs exact |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
              row_count);
  for (const auto& r : rows)
    std::printf("| %s | %.0f | %.1fx | %.2f | %.2f | %.1f | %.1fx | %.1fx | %.2fx |\n",
                r["method"].get<std::string>().c_str(),
                r["elementwise_simd_mproducts_s"].get<double>(),
                r["elementwise_simd_vs_scalar"].get<double>(), r["dense_batch1_us"].get<double>(),
                r["dense_batch_us_per_row"].get<double>(), r["dense_gmac_s"].get<double>(),
                r["dense_simd_vs_packed_scalar"].get<double>(),
                r["dense_packed_vs_naive_scalar"].get<double>(), r["dense_vs_exact"].get<double>());
  if (out.contains("evaluate")) {
    std::printf("\n| method | full test set (s) | accuracy |\n|---|---:|---:|\n");
    for (const auto& e : out["evaluate"])
      std::printf("| %s | %.3f | %.2f %% |\n", e["method"].get<std::string>().c_str(),
                  e["seconds"].get<double>(), 100 * e["accuracy"].get<double>());
    std::printf("\npredict with error statistics (lmul M=7): %.1f us\n",
                out["predict_with_errors_us"].get<double>());
    std::printf("model weights %.2f MiB; a [batch, out, in] tensor would be %.0f MiB\n",
                out["model_weight_mib"].get<double>(), out["batch_x_out_x_in_mib"].get<double>());
  }
  std::printf("peak memory: %.1f MiB\n", out["peak_memory_mib"].get<double>());
  return 0;
}

const lmul::cli::RegisterCommand reg("bench",
                                     "kernel and evaluation throughput, SIMD vs scalar, "
                                     "ratios from one run",
                                     run_bench);

} // namespace
