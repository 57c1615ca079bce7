// Fuzz target: safetensors bytes -> Mlp (parse_safetensors, mlp_from_tensors, load_mlp).
//
// Invariants, beyond "no crash, no leak, no undefined behaviour":
//  - a rejected file throws std::invalid_argument whose message starts with "safetensors: ",
//    and load_mlp rejects it with the same message as the step that failed;
//  - a parsed tensor holds exactly product(shape) values;
//  - a loaded Mlp chains, is finite, and survives save_mlp -> load_mlp bit for bit (metadata
//    too), and saving is a fixed point (save(load(save(m))) == save(m));
//  - for small models, MlpInference gives the same logits, bit for bit, as the scalar dense
//    reference (kernels_scalar.hpp) with ReLU, for four multipliers; logits_traced gives the
//    same logits, one output per layer, and accounts for every product of every layer.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz_check.hpp"
#include "lmul/kernels_scalar.hpp"
#include "lmul/safetensors.hpp"

namespace {
using namespace lmul;

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), 4 * a.size()) == 0);
}

bool same_layers(const Mlp& a, const Mlp& b) {
  if (a.layers().size() != b.layers().size())
    return false;
  for (std::size_t k = 0; k < a.layers().size(); ++k) {
    const LinearParams &x = a.layers()[k], &y = b.layers()[k];
    if (x.in != y.in || x.out != y.out || !same_bits(x.weight, y.weight) ||
        !same_bits(x.bias, y.bias))
      return false;
  }
  return true;
}

// NaN == NaN (payloads are not part of the contract), otherwise bit for bit.
bool same(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || fuzz::bits(a) == fuzz::bits(b);
}

// MlpInference::logits recomputed with the scalar dense reference and ReLU between layers.
std::vector<float> reference_logits(const Mlp& mlp, const MulSpec& spec, std::vector<float> x) {
  with_policy(spec, [&](const auto& p) {
    const auto& layers = mlp.layers();
    for (std::size_t k = 0; k < layers.size(); ++k) {
      const LinearParams& l = layers[k];
      std::vector<float> y(l.out);
      scalar::dense(p, l.weight.data(), l.bias.data(), l.in, l.out, x.data(), y.data());
      if (k + 1 < layers.size())
        for (float& v : y)
          v = v < 0.0f ? 0.0f : v; // ReLU keeps NaN, as torch.relu does
      x = std::move(y);
    }
  });
  return x;
}

std::string rejection(const uint8_t* data, std::size_t size) {
  try {
    load_mlp(data, size);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

void check_message(const std::invalid_argument& e) {
  const std::string m = e.what();
  FUZZ_CHECK(fuzz::starts_with(m, "safetensors: ") && m.size() > 20,
             "message does not name the format and the problem: '%s'", m.c_str());
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  SafetensorsContent content;
  try {
    content = parse_safetensors(data, size);
  } catch (const std::invalid_argument& e) {
    check_message(e);
    const std::string again = rejection(data, size);
    FUZZ_CHECK(again == e.what(), "load_mlp says '%s' where parse_safetensors said '%s'",
               again.c_str(), e.what());
    return 0;
  }
  for (const auto& [name, t] : content.tensors) {
    std::size_t count = 1;
    for (std::size_t d : t.shape)
      count *= d; // cannot overflow: the values were read from the input
    FUZZ_CHECK(count == t.values.size(), "tensor '%s' holds %zu values for %zu", name.c_str(),
               t.values.size(), count);
  }

  Mlp mlp;
  try {
    mlp = mlp_from_tensors(content.tensors);
  } catch (const std::invalid_argument& e) {
    check_message(e);
    const std::string again = rejection(data, size);
    FUZZ_CHECK(again == e.what(), "load_mlp says '%s' where mlp_from_tensors said '%s'",
               again.c_str(), e.what());
    return 0;
  }

  // A model was loaded.
  FUZZ_CHECK(same_layers(mlp, load_mlp(data, size)), "load_mlp differs from parse + build");
  const auto& layers = mlp.layers();
  FUZZ_CHECK(!layers.empty(), "an Mlp without layers was loaded");
  std::size_t params = 0, widest = 0;
  for (std::size_t k = 0; k < layers.size(); ++k) {
    const LinearParams& l = layers[k];
    FUZZ_CHECK(l.in > 0 && l.out > 0 && l.weight.size() == l.in * l.out && l.bias.size() == l.out,
               "layer %zu has a bad shape", k);
    FUZZ_CHECK(k == 0 || layers[k - 1].out == l.in, "layers %zu and %zu do not chain", k - 1, k);
    for (float v : l.weight)
      FUZZ_CHECK(std::isfinite(v), "layer %zu has a non-finite weight", k);
    for (float v : l.bias)
      FUZZ_CHECK(std::isfinite(v), "layer %zu has a non-finite bias", k);
    params += l.weight.size() + l.bias.size();
    widest = std::max({widest, l.in, l.out});
  }

  const std::vector<uint8_t> saved = save_mlp(mlp, content.metadata);
  const SafetensorsContent reread = parse_safetensors(saved.data(), saved.size());
  FUZZ_CHECK(reread.metadata == content.metadata, "metadata changed through save_mlp");
  const Mlp back = load_mlp(saved.data(), saved.size());
  FUZZ_CHECK(same_layers(mlp, back), "save_mlp -> load_mlp changed the model");
  FUZZ_CHECK(save_mlp(back, reread.metadata) == saved, "save_mlp is not a fixed point");

  if (params <= 4096 && widest <= 256) {
    std::vector<float> x(mlp.input_size());
    for (std::size_t i = 0; i < x.size(); ++i)
      x[i] = i % 3 == 0 ? 0.0f : float(i % 7) / 7.0f - 0.25f;
    const MulSpec specs[] = {{Method::exact, FloatFormat(8, 23), Rounding::nearest},
                             {Method::floating, FloatFormat(4, 3), Rounding::nearest},
                             {Method::lmul, FloatFormat(8, 3), Rounding::truncate},
                             {Method::lmul_formula, FloatFormat(5, 2), Rounding::nearest}};
    for (const MulSpec& spec : specs) {
      const MlpInference net(mlp, spec);
      std::vector<float> logits(mlp.output_size());
      net.logits(x.data(), logits.data());
      const std::vector<float> expected = reference_logits(mlp, spec, x);
      for (std::size_t o = 0; o < logits.size(); ++o)
        FUZZ_CHECK(same(logits[o], expected[o]), "%s: logit %zu is %a, scalar reference %a",
                   spec.describe().c_str(), o, double(logits[o]), double(expected[o]));
      ForwardTrace trace;
      std::vector<float> again(mlp.output_size());
      net.logits_traced(x.data(), again.data(), trace, true);
      FUZZ_CHECK(std::memcmp(again.data(), logits.data(), 4 * logits.size()) == 0,
                 "%s: logits_traced changed the logits", spec.describe().c_str());
      FUZZ_CHECK(trace.layers.size() == layers.size(), "%s: %zu layer traces for %zu layers",
                 spec.describe().c_str(), trace.layers.size(), layers.size());
      for (std::size_t k = 0; k < layers.size(); ++k) {
        const ErrorStats stats = trace.layers[k].products.finish();
        const std::size_t products = layers[k].in * layers[k].out;
        FUZZ_CHECK(trace.layers[k].output.size() == layers[k].out &&
                       stats.count + stats.zeros + stats.nonfinite == products,
                   "%s: layer %zu: %zu outputs, %llu + %llu + %llu products counted, it has %zu",
                   spec.describe().c_str(), k, trace.layers[k].output.size(),
                   (unsigned long long)stats.count, (unsigned long long)stats.zeros,
                   (unsigned long long)stats.nonfinite, products);
      }
    }
  }
  return 0;
}
