// The training loop of train.hpp: init, shuffled mini-batches, MlpBackprop, Adam, progress.
#include "lmul/train.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "lmul/clock.hpp"
#include "lmul/random.hpp"

namespace lmul {

Mlp init_mlp(const std::vector<std::size_t>& sizes, uint64_t seed) {
  if (sizes.size() < 2)
    throw std::invalid_argument("an MLP needs at least an input and an output size, got " +
                                std::to_string(sizes.size()) + " sizes");
  Rng rng(seed);
  std::vector<LinearParams> layers;
  for (std::size_t k = 0; k + 1 < sizes.size(); ++k) {
    LinearParams l;
    l.in = sizes[k];
    l.out = sizes[k + 1];
    if (l.in == 0 || l.out == 0)
      throw std::invalid_argument("layer sizes must be positive");
    const double bound = 1.0 / std::sqrt(double(l.in));
    l.weight.resize(l.in * l.out);
    l.bias.resize(l.out);
    for (auto& w : l.weight)
      w = float(rng.uniform(-bound, bound));
    for (auto& b : l.bias)
      b = float(rng.uniform(-bound, bound));
    layers.push_back(std::move(l));
  }
  return Mlp(std::move(layers));
}

Mlp round_weights(const Mlp& mlp, const MulSpec& spec) {
  std::vector<LinearParams> layers = mlp.layers();
  with_policy(spec, [&](const auto& p) {
    for (auto& l : layers)
      for (auto& w : l.weight)
        w = p.operand(w);
  });
  return Mlp(std::move(layers));
}

TrainResult train_mlp(Mlp& mlp, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const TrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress) {
  auto& layers = mlp.mutable_layers();
  if (layers.empty())
    throw std::invalid_argument("train_mlp: the MLP has no layers");
  if (n == 0)
    throw std::invalid_argument("train_mlp: no training images");
  if (config.batch == 0)
    throw std::invalid_argument("train_mlp: batch size must be at least 1");
  if (!(config.lr > 0) || !std::isfinite(config.lr))
    throw std::invalid_argument("train_mlp: learning rate must be positive and finite");
  const std::size_t in = mlp.input_size();
  check_labels(labels, n, mlp.output_size(), "train_mlp");

  const TrainTracker tracker(progress, config.epochs, n * config.epochs);
  WorkerPool pool(config.threads);
  const std::size_t batch = std::min(config.batch, n);
  const std::size_t batches = (n + batch - 1) / batch;

  MlpBackprop backprop(mlp, config.forward, batch);
  std::vector<AdamSlot> adam_weight, adam_bias;
  for (const auto& l : layers) {
    adam_weight.emplace_back(l.weight.size());
    adam_bias.emplace_back(l.out);
  }
  std::vector<float> x(batch * in);
  std::vector<uint8_t> y(batch);
  float pixel[256];
  for (int p = 0; p < 256; ++p)
    pixel[p] = pixel_to_input(uint8_t(p));

  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Rng shuffle_rng(config.seed ^ 0x53485546464c45ull); // "SHUFFLE": a stream apart from init
  TrainResult result;
  std::size_t step = 0, images_done = 0;

  for (std::size_t epoch = 1; epoch <= config.epochs; ++epoch) {
    shuffle_rng.shuffle(order.data(), n);
    double loss_sum = 0;
    std::size_t epoch_images = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * batch, rows = std::min(batch, n - first);
      for (std::size_t r = 0; r < rows; ++r) {
        const uint8_t* img = images + std::size_t(order[first + r]) * in;
        for (std::size_t i = 0; i < in; ++i)
          x[r * in + i] = pixel[img[i]];
        y[r] = labels[order[first + r]];
      }

      const double batch_loss = backprop.run(mlp, x.data(), y.data(), rows, &pool);
      if (!std::isfinite(batch_loss))
        throw std::runtime_error("training diverged: the loss is not finite at epoch " +
                                 std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                                 " (try a smaller learning rate)");
      loss_sum += batch_loss;
      epoch_images += rows;

      ++step;
      for (std::size_t k = 0; k < layers.size(); ++k) {
        adam_weight[k].step(layers[k].weight.data(), backprop.grad_weight(k).data(),
                            layers[k].weight.size(), config, step);
        adam_bias[k].step(layers[k].bias.data(), backprop.grad_bias(k).data(), layers[k].out,
                          config, step);
      }
      images_done += rows;
      if (!tracker.batch_done(result, epoch, b + 1, batches, images_done, loss_sum, epoch_images))
        return result;
    }
  }
  result.seconds = tracker.seconds();
  return result;
}

TrainTracker::TrainTracker(const std::function<bool(const TrainProgress&)>& progress,
                           std::size_t epochs, std::size_t images_total)
    : progress_(progress), epochs_(epochs), images_total_(images_total),
      start_(monotonic_seconds()) {}

double TrainTracker::seconds() const { return monotonic_seconds() - start_; }

bool TrainTracker::batch_done(TrainResult& result, std::size_t epoch, std::size_t batch,
                              std::size_t batches, std::size_t images_done, double loss_sum,
                              std::size_t epoch_images) const {
  const bool epoch_done = batch == batches;
  const double mean_loss = loss_sum / double(epoch_images);
  if (epoch_done)
    result.epoch_loss.push_back(mean_loss);
  if (!progress_)
    return true;
  TrainProgress p;
  p.epoch = epoch;
  p.epochs = epochs_;
  p.batch = batch;
  p.batches = batches;
  p.images = images_done;
  p.images_total = images_total_;
  p.epoch_loss = mean_loss;
  p.seconds = seconds();
  p.epoch_done = epoch_done;
  if (progress_(p))
    return true;
  result.cancelled = true;
  result.seconds = p.seconds;
  return false;
}

} // namespace lmul
