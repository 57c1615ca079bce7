#include "lmul/predict.hpp"

#include <cmath>
#include <limits>

#include "lmul/mlp.hpp"

namespace lmul {

bool all_exact(const MulPlan& plan, const std::vector<LayerInfo>& layers) {
  for (std::size_t k = 0; k < layers.size(); ++k)
    if (plan.spec_for(k, layers[k].kind).method != Method::exact)
      return false;
  return true;
}

namespace {
double relative_l2(const std::vector<float>& approx, const std::vector<float>& exact) {
  double diff = 0, norm = 0;
  for (std::size_t i = 0; i < exact.size(); ++i) {
    const double d = double(approx[i]) - double(exact[i]);
    diff += d * d;
    norm += double(exact[i]) * double(exact[i]);
  }
  if (!std::isfinite(diff) || !std::isfinite(norm))
    return std::numeric_limits<double>::infinity();
  if (norm == 0)
    return diff == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  return std::sqrt(diff / norm);
}

int first_nonfinite_layer(const ForwardTrace& trace) {
  for (std::size_t k = 0; k < trace.layers.size(); ++k)
    for (float v : trace.layers[k].output)
      if (!std::isfinite(v))
        return int(k);
  return -1;
}
} // namespace

Prediction predict(const std::vector<LayerInfo>& layers, const PreparedNetwork& net,
                   const PreparedNetwork* exact, const float* x, std::size_t classes,
                   const PredictOptions& options) {
  Prediction p;
  p.logits.resize(classes);
  p.probs.resize(classes);
  const bool with_errors = options.errors && !all_exact(net.plan(), layers);
  ForwardTrace trace;
  const bool traced = with_errors || options.attention;
  if (traced)
    net.logits_traced(x, p.logits.data(), trace, with_errors);
  else
    net.logits(x, p.logits.data());
  softmax(p.logits.data(), classes, p.probs.data());
  p.digit = predicted_class(p.logits.data(), classes);
  if (p.digit < 0) {
    for (std::size_t i = 0; i < classes; ++i)
      if (!std::isfinite(p.logits[i]))
        p.nonfinite_logits.push_back(int(i));
    if (!traced) { // rare: trace the pass again to find where it overflowed
      std::vector<float> again(classes);
      net.logits_traced(x, again.data(), trace, false);
    }
    p.nonfinite_layer = first_nonfinite_layer(trace);
  }
  if (options.attention) {
    p.attention_maps = trace.attention;
    p.heads = trace.heads;
    p.patches = trace.patches;
  }
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const bool attention = layers[k].kind == ProductKind::attention;
    (attention ? p.has_attention : p.has_linear) = true;
    if (net.plan().spec_for(k, layers[k].kind).method != Method::exact)
      (attention ? p.approx_attention : p.approx_linear) = true;
  }
  if (!with_errors)
    return p;

  ForwardTrace reference;
  std::vector<float> exact_logits(classes);
  exact->logits_traced(x, exact_logits.data(), reference, false);
  // One group per layer, then the whole pass and each kind of product where it differs.
  std::vector<std::vector<const ErrorAccumulator*>> groups;
  std::vector<const ErrorAccumulator*> all, linear, attention;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const ErrorAccumulator* e = &trace.layers[k].products;
    groups.push_back({e});
    all.push_back(e);
    (layers[k].kind == ProductKind::attention ? attention : linear).push_back(e);
  }
  groups.push_back(all);
  // A kind of product in every layer has the whole pass's statistics.
  for (const auto* kind : {&linear, &attention})
    if (kind->size() != all.size())
      groups.push_back(*kind);
  std::vector<ErrorStats> stats = ErrorAccumulator::finish_groups(groups);
  for (std::size_t k = 0; k < layers.size(); ++k)
    p.layers.push_back({layers[k].name, layers[k].kind,
                        relative_l2(trace.layers[k].output, reference.layers[k].output),
                        std::move(stats[k])});
  p.has_errors = true;
  std::size_t next = layers.size();
  p.products = std::move(stats[next++]);
  p.linear = linear.size() == all.size() ? p.products : std::move(stats[next++]);
  p.attention = attention.size() == all.size() ? p.products : std::move(stats[next++]);
  return p;
}

} // namespace lmul
