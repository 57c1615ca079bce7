// What the ViT commands share: the three plans of issue 13 (one multiplier for every product,
// for attention's products only, for the linear layers' only) and test-set accuracy spread over
// the worker pool.
#pragma once

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "lmul/vit.hpp"
#include "lmul/worker_pool.hpp"

namespace lmul::cli {

// Which products take the approximate multiplier; the others stay exact.
enum class Products { all, attention, linear };

inline Products parse_products(const std::string& s) {
  if (s == "all")
    return Products::all;
  if (s == "attention")
    return Products::attention;
  if (s == "linear")
    return Products::linear;
  throw std::invalid_argument("--products must be 'all', 'attention' or 'linear', got '" + s + "'");
}

inline const char* to_string(Products p) {
  return p == Products::all ? "all" : p == Products::attention ? "attention" : "linear";
}

inline MulPlan plan_for(Products products, const MulSpec& spec) {
  const MulSpec exact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
  MulPlan plan(spec);
  if (products == Products::attention)
    plan.linear = exact;
  if (products == Products::linear)
    plan.attention = exact;
  return plan;
}

// Accuracy of `vit` under `plan` on n images, the images split between the pool's threads (one
// VitInference each). Predictions come back in image order.
inline EvalResult evaluate_split(const Vit& vit, const MulPlan& plan, const uint8_t* images,
                                 const uint8_t* labels, std::size_t n, WorkerPool& pool) {
  const std::size_t parts = std::max<std::size_t>(1, std::min(pool.size(), n));
  std::vector<EvalResult> results(parts);
  pool.run(parts, [&](std::size_t t) {
    const std::size_t lo = n * t / parts, hi = n * (t + 1) / parts;
    const VitInference net(vit, plan);
    results[t] = evaluate(net, images + lo * vit.config.pixels(), labels + lo, hi - lo);
  });
  EvalResult r;
  for (const EvalResult& part : results) {
    r.correct += part.correct;
    r.total += part.total;
    r.seconds = std::max(r.seconds, part.seconds);
    r.predictions.insert(r.predictions.end(), part.predictions.begin(), part.predictions.end());
  }
  r.accuracy = r.total ? double(r.correct) / double(r.total) : 0.0;
  return r;
}

} // namespace lmul::cli
