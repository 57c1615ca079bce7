// Embind layer of the npm package: translates between the core's C++ types and JS values.
// No arithmetic and no policy here; wasm/index.js validates arguments and is the public API.
//
// Conventions (wasm/index.js relies on them):
// - Typed arrays come in as emscripten::val and are copied into wasm memory with one
//   TypedArray.set; results go out as new typed arrays or plain objects.
// - No C++ exception crosses into JS. Every entry point catches, records the error (its JS
//   class name and message, see takeError) and returns a marker: NaN for numbers, null for
//   objects, false for bools. The wrapper then calls takeError() and throws. This keeps the
//   instance usable after any error and needs no exception support in the JS glue.
// - Multiplier specs travel as four integers (method, E, M, rounding) so a call creates no
//   Embind object; the only bound class is Model, owned by one JS handle with dispose().
#include <cstdint>
#include <list>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include "lmul/kernels.hpp"
#include "lmul/mlp.hpp"
#include "lmul/preprocess.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/stats.hpp"

namespace {

using emscripten::val;

// ---- errors -------------------------------------------------------------------------------

struct PendingError {
  bool set = false;
  std::string type; // a JS error class name: RangeError, TypeError or Error
  std::string message;
};
PendingError pending;

void record(const char* type, const char* message) {
  pending.set = true;
  pending.type = type;
  pending.message = message;
}

// Runs f; on a C++ exception records it and returns `marker` instead.
template <class R, class F> R guarded(R marker, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    record("RangeError", e.what());
  } catch (const std::out_of_range& e) {
    record("RangeError", e.what());
  } catch (const std::length_error& e) {
    record("RangeError", e.what());
  } catch (const std::bad_alloc&) {
    record("RangeError", "out of memory: the WebAssembly heap cannot grow further");
  } catch (const std::exception& e) {
    record("Error", e.what());
  } catch (...) {
    record("Error", "unknown C++ exception");
  }
  return marker;
}

// {type, message} of the last error, or null; clears it.
val take_error() {
  if (!pending.set)
    return val::null();
  val e = val::object();
  e.set("type", pending.type);
  e.set("message", pending.message);
  pending = PendingError{};
  return e;
}

// ---- conversions --------------------------------------------------------------------------

lmul::MulSpec make_spec(int method, int E, int M, int rounding) {
  static const lmul::Method methods[] = {lmul::Method::exact, lmul::Method::float_,
                                         lmul::Method::lmul, lmul::Method::lmul_formula};
  if (method < 0 || method > 3)
    throw std::invalid_argument("method code must be 0..3, got " + std::to_string(method));
  if (rounding < 0 || rounding > 1)
    throw std::invalid_argument("rounding code must be 0..1, got " + std::to_string(rounding));
  lmul::MulSpec spec;
  spec.method = methods[method];
  spec.format = lmul::FloatFormat(E, M);
  spec.rounding = rounding == 0 ? lmul::Rounding::nearest : lmul::Rounding::truncate;
  return spec;
}

// Copies a JS typed array of T (already checked by the wrapper) into v, reusing its storage.
template <class T> void copy_in(const val& array, std::vector<T>& v) {
  v.resize(array["length"].as<std::size_t>());
  if (!v.empty())
    val(emscripten::typed_memory_view(v.size(), v.data())).call<void>("set", array);
}

template <class T> val copy_out(const char* array_type, const T* data, std::size_t n) {
  return val::global(array_type).new_(emscripten::typed_memory_view(n, data));
}

val stats_to_js(const lmul::ErrorStats& s) {
  val o = val::object();
  o.set("count", double(s.count));
  o.set("zeros", double(s.zeros));
  o.set("nonfinite", double(s.nonfinite));
  o.set("mean", s.mean);
  o.set("median", s.median);
  o.set("max", s.max);
  o.set("bias", s.bias);
  std::vector<double> counts(s.histogram.counts.begin(), s.histogram.counts.end());
  val h = val::object();
  h.set("edges", copy_out("Float64Array", s.histogram.edges.data(), s.histogram.edges.size()));
  h.set("counts", copy_out("Float64Array", counts.data(), counts.size()));
  o.set("histogram", h);
  return o;
}

// Scratch buffers reused across calls so repeated calls do not churn the heap.
std::vector<float> scratch_a, scratch_b, scratch_out;

// ---- multipliers --------------------------------------------------------------------------

float mul(float a, float b, int method, int E, int M, int rounding) {
  return guarded(lmul::float_of(lmul::kCanonicalNaN),
                 [&] { return lmul::multiply(a, b, make_spec(method, E, M, rounding)); });
}

float quantize(float x, int E, int M, int rounding) {
  return guarded(lmul::float_of(lmul::kCanonicalNaN), [&] {
    const lmul::MulSpec spec = make_spec(0, E, M, rounding);
    return lmul::quantize(x, spec.format, spec.rounding);
  });
}

// out[i] = a[i] * b[i] (SIMD kernel); a, b, out: Float32Arrays of one length.
bool mul_into(val a, val b, val out, int method, int E, int M, int rounding) {
  return guarded(false, [&] {
    const lmul::MulSpec spec = make_spec(method, E, M, rounding);
    copy_in(a, scratch_a);
    copy_in(b, scratch_b);
    if (scratch_a.size() != scratch_b.size())
      throw std::invalid_argument("a and b must have the same length");
    scratch_out.resize(scratch_a.size());
    lmul::multiply_elementwise(spec, scratch_a.data(), scratch_b.data(), scratch_out.data(),
                               scratch_out.size());
    out.call<void>("set",
                   val(emscripten::typed_memory_view(scratch_out.size(), scratch_out.data())));
    return true;
  });
}

val error_stats(val a, val b, int method, int E, int M, int rounding) {
  return guarded(val::null(), [&] {
    const lmul::MulSpec spec = make_spec(method, E, M, rounding);
    std::vector<float> va, vb; // whole arrays: the median needs every pair
    copy_in(a, va);
    copy_in(b, vb);
    if (va.size() != vb.size())
      throw std::invalid_argument("a and b must have the same length");
    return stats_to_js(lmul::error_stats(spec, va.data(), vb.data(), va.size()));
  });
}

val histogram_edges() {
  return guarded(val::null(), [] {
    const std::vector<double> e = lmul::histogram_edges();
    return copy_out("Float64Array", e.data(), e.size());
  });
}

// ---- preprocessing ------------------------------------------------------------------------

val preprocess(val gray, double width, double height) {
  return guarded(val::null(), [&] {
    copy_in(gray, scratch_a);
    const lmul::DigitInput d =
        lmul::preprocess_digit(scratch_a.data(), std::size_t(width), std::size_t(height));
    return copy_out("Float32Array", d.pixels.data(), d.pixels.size());
  });
}

// ---- models -------------------------------------------------------------------------------

// A loaded MLP and its prepared inference objects, most recently used first.
class Model {
public:
  static constexpr std::size_t kCachedSpecs = 8;

  bool load(val bytes) {
    return guarded(false, [&] {
      std::vector<uint8_t> data;
      copy_in(bytes, data);
      lmul::SafetensorsContent content = lmul::parse_safetensors(data.data(), data.size());
      mlp_ = lmul::mlp_from_tensors(content.tensors);
      metadata_ = std::move(content.metadata);
      cache_.clear();
      return true;
    });
  }

  val sizes() const {
    return guarded(val::null(), [&] {
      const std::vector<std::size_t> s = mlp_.sizes();
      const std::vector<double> d(s.begin(), s.end());
      return copy_out("Float64Array", d.data(), d.size());
    });
  }

  val metadata() const {
    return guarded(val::null(), [&] {
      val o = val::object();
      for (const auto& [key, value] : metadata_)
        o.set(key, value);
      return o;
    });
  }

  // {digit, logits, probs, errors}: errors is null unless with_errors.
  val predict(val x, int method, int E, int M, int rounding, bool with_errors) {
    return guarded(val::null(), [&] {
      const lmul::MlpInference& net = inference(make_spec(method, E, M, rounding));
      copy_in(x, input_);
      if (input_.size() != mlp_.input_size())
        throw std::invalid_argument("the input has " + std::to_string(input_.size()) +
                                    " values, the model takes " +
                                    std::to_string(mlp_.input_size()));
      logits_.resize(mlp_.output_size());
      probs_.resize(mlp_.output_size());
      val errors = val::null();
      if (with_errors) {
        lmul::ErrorAccumulator acc;
        net.logits_with_errors(input_.data(), logits_.data(), acc);
        errors = stats_to_js(acc.finish());
      } else {
        net.logits(input_.data(), logits_.data());
      }
      lmul::softmax(logits_.data(), logits_.size(), probs_.data());
      val r = val::object();
      r.set("digit", lmul::argmax(logits_.data(), logits_.size()));
      r.set("probs", copy_out("Float32Array", probs_.data(), probs_.size()));
      r.set("logits", copy_out("Float32Array", logits_.data(), logits_.size()));
      r.set("errors", errors);
      return r;
    });
  }

  // {correct, total, predictions: Uint8Array} over the images of one chunk.
  val evaluate(val images, val labels, int method, int E, int M, int rounding) {
    return guarded(val::null(), [&] {
      const lmul::MlpInference& net = inference(make_spec(method, E, M, rounding));
      copy_in(images, pixels_);
      copy_in(labels, labels_);
      if (pixels_.size() != labels_.size() * mlp_.input_size())
        throw std::invalid_argument("images must hold labels.length * " +
                                    std::to_string(mlp_.input_size()) + " pixels");
      const lmul::EvalResult e =
          lmul::evaluate(net, pixels_.data(), labels_.data(), labels_.size());
      val r = val::object();
      r.set("correct", double(e.correct));
      r.set("total", double(e.total));
      r.set("predictions", copy_out("Uint8Array", e.predictions.data(), e.predictions.size()));
      return r;
    });
  }

  // Drops the prepared inference objects (the wrapper calls this before delete()).
  void clear_cache() { cache_.clear(); }
  double cached_specs() const { return double(cache_.size()); }

private:
  const lmul::MlpInference& inference(const lmul::MulSpec& spec) {
    for (auto it = cache_.begin(); it != cache_.end(); ++it) {
      const lmul::MulSpec& s = (*it)->spec();
      if (s.method == spec.method && s.format == spec.format && s.rounding == spec.rounding) {
        cache_.splice(cache_.begin(), cache_, it);
        return *cache_.front();
      }
    }
    if (mlp_.layers().empty())
      throw std::invalid_argument("no model is loaded");
    if (cache_.size() >= kCachedSpecs)
      cache_.pop_back();
    cache_.push_front(std::make_unique<lmul::MlpInference>(mlp_, spec));
    return *cache_.front();
  }

  lmul::Mlp mlp_;
  std::map<std::string, std::string> metadata_;
  std::list<std::unique_ptr<lmul::MlpInference>> cache_; // point into mlp_
  std::vector<float> input_, logits_, probs_;
  std::vector<uint8_t> pixels_, labels_;
};

// ---- diagnostics --------------------------------------------------------------------------

// {heapBytes, mallocBytes}: the size of wasm memory and the bytes malloc has handed out.
val memory() {
  val o = val::object();
  o.set("heapBytes", double(emscripten_get_heap_size()));
  o.set("mallocBytes", double(mallinfo().uordblks));
  return o;
}

} // namespace

EMSCRIPTEN_BINDINGS(lmul) {
  using namespace emscripten;
  function("takeError", &take_error);
  function("mul", &mul);
  function("quantize", &quantize);
  function("mulInto", &mul_into);
  function("errorStats", &error_stats);
  function("histogramEdges", &histogram_edges);
  function("preprocess", &preprocess);
  function("memory", &memory);
  class_<Model>("Model")
      .constructor<>()
      .function("load", &Model::load)
      .function("sizes", &Model::sizes)
      .function("metadata", &Model::metadata)
      .function("predict", &Model::predict)
      .function("evaluate", &Model::evaluate)
      .function("clearCache", &Model::clear_cache)
      .function("cachedSpecs", &Model::cached_specs);
}
