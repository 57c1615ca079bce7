#include "lmul/vit_train.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "lmul/random.hpp"
#include "vit_backprop.hpp"

namespace lmul {

namespace {
bool is_weight(const std::string& name) {
  return name.size() > 7 && name.compare(name.size() - 7, 7, ".weight") == 0;
}
} // namespace

Vit init_vit(const VitConfig& config, uint64_t seed) {
  Vit vit(config);
  Rng rng(seed);
  const auto truncated_normal = [&rng] {
    double z;
    do
      z = rng.normal();
    while (std::abs(z) > 2.0);
    return float(0.02 * z);
  };
  const double conv_bound = 1.0 / double(config.patch);
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>& shape,
                           std::vector<float>& values) {
    if (name.rfind("patch_embed.", 0) == 0) {
      for (float& v : values)
        v = float(rng.uniform(-conv_bound, conv_bound));
    } else if (name == "cls_token" || name == "pos_embed" ||
               (shape.size() == 2 && is_weight(name))) {
      for (float& v : values)
        v = truncated_normal();
    }
    // Biases stay zero, LayerNorm weights one (Vit's constructor).
  });
  return vit;
}

double vit_learning_rate(const VitTrainConfig& config, std::size_t step, std::size_t warmup,
                         std::size_t total) {
  if (step <= warmup)
    return config.lr * double(step) / double(warmup);
  const double progress = double(step - warmup) / double(std::max<std::size_t>(total - warmup, 1));
  return config.min_lr + (config.lr - config.min_lr) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

VitGradients vit_batch_gradients(const Vit& vit, const MulPlan& forward, const float* X,
                                 const uint8_t* labels, std::size_t rows, WorkerPool* pool) {
  vit.validate();
  if (rows == 0)
    throw std::invalid_argument("vit_batch_gradients: empty batch");
  check_labels(labels, rows, vit.config.classes, "vit_batch_gradients");
  VitBackprop bp(vit, forward, rows, pool ? pool->size() : 1);
  VitGradients g;
  g.gradient = Vit(vit.config);
  g.loss = bp.run(vit, X, labels, rows, pool, g.gradient);
  g.logits.assign(bp.logits(), bp.logits() + rows * vit.config.classes);
  return g;
}

namespace {
// One parameter tensor with its gradient and Adam state.
struct Slot {
  std::vector<float>* param;
  const std::vector<float>* grad;
  bool decays; // decoupled weight decay, as timm's ViT recipe: weight matrices (linear layers,
               // the patch embedding), not biases, norms or embeddings
  AdamSlot adam;
};

// The image shifted by (dx, dy) pixels, zeros coming in, as model inputs.
void shifted(const uint8_t* image, std::size_t side, int dx, int dy, const float* pixel,
             float* out) {
  for (std::size_t y = 0; y < side; ++y)
    for (std::size_t x = 0; x < side; ++x) {
      const long sy = long(y) - dy, sx = long(x) - dx;
      const bool inside = sy >= 0 && sy < long(side) && sx >= 0 && sx < long(side);
      out[y * side + x] = inside ? pixel[image[sy * long(side) + sx]] : 0.0f;
    }
}
} // namespace

TrainResult train_vit(Vit& vit, const uint8_t* images, const uint8_t* labels, std::size_t n,
                      const VitTrainConfig& config,
                      const std::function<bool(const TrainProgress&)>& progress) {
  vit.validate();
  const VitConfig& c = vit.config;
  if (n == 0)
    throw std::invalid_argument("train_vit: no training images");
  if (config.batch == 0)
    throw std::invalid_argument("train_vit: batch size must be at least 1");
  if (config.epochs == 0)
    throw std::invalid_argument("train_vit: epochs must be at least 1");
  if (!(config.lr > 0) || !std::isfinite(config.lr))
    throw std::invalid_argument("train_vit: learning rate must be positive and finite");
  if (!(config.min_lr >= 0) || config.min_lr > config.lr)
    throw std::invalid_argument("train_vit: min_lr must be in [0, lr]");
  if (!(config.weight_decay >= 0) || !std::isfinite(config.weight_decay))
    throw std::invalid_argument("train_vit: weight decay must be non-negative and finite");
  if (config.shift >= c.image)
    throw std::invalid_argument("train_vit: shift must be below the image size " +
                                std::to_string(c.image));
  check_labels(labels, n, c.classes, "train_vit");

  const TrainTracker tracker(progress, config.epochs, n * config.epochs);
  WorkerPool pool(config.threads);
  const std::size_t batch = std::min(config.batch, n);
  const std::size_t batches = (n + batch - 1) / batch;
  const std::size_t total_steps = batches * config.epochs;
  const std::size_t warmup_steps = std::min(batches * config.warmup, total_steps);

  VitBackprop backprop(vit, config.forward, batch, pool.size());
  Vit grad(c);
  std::vector<const std::vector<float>*> grads;
  for_each_tensor(grad, [&](const std::string&, const std::vector<std::size_t>&,
                            const std::vector<float>& g) { grads.push_back(&g); });
  std::vector<Slot> slots;
  for_each_tensor(vit, [&](const std::string& name, const std::vector<std::size_t>& shape,
                           std::vector<float>& values) {
    slots.push_back({&values, grads[slots.size()], shape.size() >= 2 && is_weight(name),
                     AdamSlot(values.size())});
  });

  const std::size_t in = c.pixels();
  std::vector<float> x(batch * in);
  std::vector<uint8_t> y(batch);
  float pixel[256];
  for (int p = 0; p < 256; ++p)
    pixel[p] = pixel_to_input(uint8_t(p));
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  Rng rng(config.seed ^ 0x564954545241494eull); // "VITTRAIN": shuffles and shifts
  const int span = int(2 * config.shift + 1);

  TrainResult result;
  std::size_t step = 0, images_done = 0;
  for (std::size_t epoch = 1; epoch <= config.epochs; ++epoch) {
    rng.shuffle(order.data(), n);
    double loss_sum = 0;
    std::size_t epoch_images = 0;
    for (std::size_t b = 0; b < batches; ++b) {
      const std::size_t first = b * batch, rows = std::min(batch, n - first);
      for (std::size_t r = 0; r < rows; ++r) {
        const int dx = int(rng.below(uint64_t(span))) - int(config.shift);
        const int dy = int(rng.below(uint64_t(span))) - int(config.shift);
        shifted(images + std::size_t(order[first + r]) * in, c.image, dx, dy, pixel,
                x.data() + r * in);
        y[r] = labels[order[first + r]];
      }
      const double batch_loss = backprop.run(vit, x.data(), y.data(), rows, &pool, grad);
      if (!std::isfinite(batch_loss))
        throw std::runtime_error("training diverged: the loss is not finite at epoch " +
                                 std::to_string(epoch) + ", batch " + std::to_string(b + 1) +
                                 " (try a smaller learning rate)");
      loss_sum += batch_loss;
      epoch_images += rows;

      ++step;
      AdamConfig adam_config;
      adam_config.lr = vit_learning_rate(config, step, warmup_steps, total_steps);
      adam_config.beta1 = config.beta1;
      adam_config.beta2 = config.beta2;
      adam_config.eps = config.eps;
      const float keep = float(1.0 - adam_config.lr * config.weight_decay);
      for (Slot& t : slots) {
        if (t.decays)
          for (float& v : *t.param)
            v = v * keep;
        t.adam.step(t.param->data(), t.grad->data(), t.param->size(), adam_config, step);
      }
      images_done += rows;
      if (!tracker.batch_done(result, epoch, b + 1, batches, images_done, loss_sum, epoch_images))
        return result;
    }
  }
  result.seconds = tracker.seconds();
  return result;
}

} // namespace lmul
