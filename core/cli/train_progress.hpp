// What `lmul train` shows while it trains (MLPs and ViTs alike): on a terminal a progress bar
// redrawn at most ten times a second, and one line per finished epoch with its loss, speed and
// what `report()` says about the model then.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <unistd.h>

#include "args.hpp"
#include "lmul/train.hpp"

namespace lmul::cli {

inline std::string duration(double seconds) {
  if (seconds < 60)
    return format("%.0fs", seconds);
  return format("%dm%02ds", int(seconds) / 60, int(seconds) % 60);
}

class TrainProgressLine {
public:
  explicit TrainProgressLine(std::function<std::string()> report) : report_(std::move(report)) {}

  bool operator()(const TrainProgress& p) {
    const double rate = double(p.images) / std::max(p.seconds, 1e-9);
    if (p.epoch_done) {
      std::fprintf(stderr, "%sepoch %zu/%zu  loss %.4f  %.1f s (%.0f img/s)  %s\n",
                   tty_ ? "\r\033[K" : "", p.epoch, p.epochs, p.epoch_loss,
                   p.seconds - epoch_start_, rate, report_().c_str());
      epoch_start_ = p.seconds;
      return true;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!tty_ || now - last_draw_ < std::chrono::milliseconds(100))
      return true;
    last_draw_ = now;
    constexpr int kWidth = 24;
    const int filled = int(kWidth * p.batch / p.batches);
    const double eta = double(p.images_total - p.images) / std::max(rate, 1e-9);
    std::fprintf(stderr, "\r\033[Kepoch %zu/%zu [%s%s] %zu/%zu  loss %.4f  %.0f img/s  ETA %s",
                 p.epoch, p.epochs, std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), p.batch, p.batches, p.epoch_loss, rate,
                 duration(eta).c_str());
    return true;
  }

private:
  std::function<std::string()> report_;
  bool tty_ = isatty(fileno(stderr));
  std::chrono::steady_clock::time_point last_draw_ =
      std::chrono::steady_clock::now() - std::chrono::seconds(1);
  double epoch_start_ = 0;
};

} // namespace lmul::cli
