// Embind layer of the npm package: translates between the core's C++ types and JS values. No
// arithmetic and no policy here; wasm/index.js validates arguments and is the public API.
//
// Conventions (wasm/index.js relies on them):
// - Arrays travel through wasm memory: the wrapper asks for scratch space (buffer), writes the
//   inputs there and passes their addresses; large outputs are written to an address it passed.
//   After a call that needed much scratch space it gives the space back (releaseBuffer).
//   Memory may grow during any call: the wrapper takes fresh views of HEAPU8 after each one.
// - Out of memory is reported as its own error type (OutOfMemory): the wrapper says how many
//   models are alive. What can never fit (a model too large for a 2 GiB heap) is refused up
//   front with the size it needs.
// - Multipliers travel as objects with named fields, any of them left out: { method, E, M,
//   rounding } (the core's MulSpec defaults fill the rest), and for models also `plan`: a plan
//   string in the CLI grammar, or { linear, attention, layers: { index: spec } }.
// - Results are plain JS objects with named fields, built here once (index.d.ts describes them).
// - No C++ exception crosses into JS. Every entry point catches, records the error (its JS class
//   name and message, see takeError) and returns a marker: 0 for addresses, false, null for
//   objects, NaN for numbers. The wrapper then calls takeError() and throws.
#include <algorithm>
#include <cstdint>
#include <malloc.h>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>

#include "lmul/kernels.hpp"
#include "lmul/load_network.hpp"
#include "lmul/model_metadata.hpp"
#include "lmul/plan.hpp"
#include "lmul/preprocess.hpp"
#include "lmul/safetensors.hpp"
#include "lmul/session.hpp"
#include "lmul/stats.hpp"

namespace {

using emscripten::val;
using Address = uintptr_t;

template <class T> T* at(Address a) { return reinterpret_cast<T*>(a); }
template <class T> Address address(const T* p) { return reinterpret_cast<Address>(p); }

// ---- errors -------------------------------------------------------------------------------

std::string pending_error; // "RangeError\tmessage", or empty

void record(const char* type, const char* message) {
  pending_error = type;
  pending_error += '\t';
  pending_error += message;
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
    // Its own type, so the wrapper can add what to do about it (dispose models).
    record("OutOfMemory", "out of memory: the WebAssembly heap cannot grow further");
  } catch (const std::exception& e) {
    record("Error", e.what());
  } catch (...) {
    record("Error", "unknown C++ exception");
  }
  return marker;
}

// "Type\tmessage" of the last error, or ""; clears it.
std::string take_error() {
  std::string e;
  e.swap(pending_error);
  return e;
}

// ---- JS values -> core ----------------------------------------------------------------------

template <class T> std::optional<T> field(const val& o, const char* name) {
  const val v = o[name];
  if (v.isUndefined() || v.isNull())
    return std::nullopt;
  return v.as<T>();
}

lmul::SpecFields spec_fields(const val& o) {
  lmul::SpecFields f;
  if (o.isUndefined() || o.isNull())
    return f;
  f.method = field<std::string>(o, "method");
  f.rounding = field<std::string>(o, "rounding");
  f.E = field<int>(o, "E");
  f.M = field<int>(o, "M");
  return f;
}

lmul::MulSpec spec_of(const val& o) { return lmul::make_spec(spec_fields(o)); }

lmul::PlanRequest plan_request(const val& opts) {
  lmul::PlanRequest r;
  r.everywhere = spec_fields(opts);
  const val plan = opts["plan"];
  if (plan.isString()) {
    r.text = plan.as<std::string>();
  } else if (!plan.isUndefined() && !plan.isNull()) {
    if (!plan["linear"].isUndefined())
      r.linear = spec_fields(plan["linear"]);
    if (!plan["attention"].isUndefined())
      r.attention = spec_fields(plan["attention"]);
    const val layers = plan["layers"];
    if (!layers.isUndefined()) {
      const val keys = val::global("Object").call<val>("keys", layers);
      const unsigned n = keys["length"].as<unsigned>();
      for (unsigned i = 0; i < n; ++i) {
        const std::string key = keys[i].as<std::string>();
        r.layers[std::stoul(key)] = spec_fields(layers[key]);
      }
    }
  }
  return r;
}

// ---- core -> JS values ----------------------------------------------------------------------

val float_array(const std::vector<float>& v) {
  return val::global("Float32Array").new_(emscripten::typed_memory_view(v.size(), v.data()));
}

// An error statistics block; the wrapper attaches the (shared) histogram edges.
val stats_object(const lmul::ErrorStats& s) {
  val o = val::object();
  o.set("count", double(s.count));
  o.set("zeros", double(s.zeros));
  o.set("nonfinite", double(s.nonfinite));
  o.set("mean", s.mean);
  o.set("median", s.median);
  o.set("max", s.max);
  o.set("bias", s.bias);
  const std::vector<double> counts(s.histogram.counts.begin(), s.histogram.counts.end());
  o.set("counts", val::global("Float64Array")
                      .new_(emscripten::typed_memory_view(counts.size(), counts.data())));
  return o;
}

const char* kind_name(lmul::ProductKind k) { return lmul::to_string(k); }

// `with_attention`: the caller asked for attention maps (an empty list for networks without).
val prediction_object(const lmul::Prediction& p, bool with_attention) {
  val o = val::object();
  o.set("digit", p.digit < 0 ? val::null() : val(p.digit));
  o.set("logits", float_array(p.logits));
  o.set("probs", float_array(p.probs));
  o.set("errors", p.has_errors ? stats_object(p.products) : val::null());
  val by_kind = val::object();
  by_kind.set("linear", p.has_errors && p.approx_linear ? stats_object(p.linear) : val::null());
  by_kind.set("attention",
              p.has_errors && p.approx_attention ? stats_object(p.attention) : val::null());
  o.set("errorsByKind", by_kind);
  val layers = val::array();
  for (std::size_t k = 0; k < p.layers.size(); ++k) {
    val l = val::object();
    l.set("name", p.layers[k].name);
    l.set("kind", std::string(kind_name(p.layers[k].kind)));
    l.set("activationError", p.layers[k].activation_error);
    l.set("products", stats_object(p.layers[k].products));
    layers.set(k, l);
  }
  o.set("layers", layers);
  if (p.digit < 0) {
    val nf = val::object();
    nf.set("layer", p.nonfinite_layer);
    val logits = val::array();
    for (std::size_t k = 0; k < p.nonfinite_logits.size(); ++k)
      logits.set(k, p.nonfinite_logits[k]);
    nf.set("logits", logits);
    o.set("nonFinite", nf);
  } else {
    o.set("nonFinite", val::null());
  }
  if (with_attention) {
    val maps = val::array();
    for (std::size_t b = 0; b < p.attention_maps.size(); ++b) {
      val m = val::object();
      m.set("heads", double(p.heads));
      m.set("patches", double(p.patches));
      m.set("weights", float_array(p.attention_maps[b]));
      maps.set(b, m);
    }
    o.set("attention", maps);
  }
  return o;
}

val string_or_null(const std::string& s) { return s.empty() ? val::null() : val(s); }

// The model file's metadata as the core's schema reads it (model_metadata.hpp), plus the raw
// strings.
val metadata_object(const lmul::ModelMetadata& m, const std::map<std::string, std::string>& raw) {
  val o = val::object();
  o.set("arch", m.arch);
  if (m.tuned) {
    val t = val::object();
    t.set("method", std::string(lmul::to_string(m.tuned->method)));
    t.set("E", m.tuned->format.E());
    t.set("M", m.tuned->format.M());
    t.set("rounding", std::string(lmul::to_string(m.tuned->rounding)));
    if (!m.tuned_plan.empty())
      t.set("plan", m.tuned_plan);
    o.set("tuned", t);
  } else {
    o.set("tuned", val::null());
  }
  o.set("baseModel", string_or_null(m.base_model));
  o.set("baseFingerprint", string_or_null(m.base_fingerprint));
  if (m.training) {
    val t = val::object();
    t.set("epochs", double(m.training->epochs));
    t.set("batch", double(m.training->batch));
    t.set("lr", m.training->lr);
    t.set("seed", double(m.training->seed));
    t.set("trainImages", double(m.training->train_images));
    t.set("holdout", double(m.training->holdout));
    o.set("training", t);
  } else {
    o.set("training", val::null());
  }
  o.set("recipe", string_or_null(m.recipe));
  val strings = val::object();
  for (const auto& [key, value] : raw)
    strings.set(key, value);
  o.set("raw", strings);
  return o;
}

// Inputs written by the wrapper. Not a std::vector: growing one copies its old bytes and
// zero-fills the new ones (a model's ~400 KB on every load), all of which the wrapper overwrites.
struct Scratch {
  std::unique_ptr<uint8_t[]> bytes;
  std::size_t size = 0;
} scratch;

// ---- free functions -----------------------------------------------------------------------

// Address of at least `bytes` bytes of scratch memory (valid until the next buffer call), or 0.
Address buffer(double bytes) {
  return guarded(Address(0), [&] {
    const std::size_t size = std::size_t(bytes) + 16;
    if (size > scratch.size) {
      scratch = {}; // the old block goes back first, so the two never coexist
      scratch.bytes.reset(new uint8_t[size]);
      scratch.size = size;
    }
    return address(scratch.bytes.get());
  });
}

// Shrinks the scratch memory after a large call, so its bytes return to the allocator.
void release_buffer() { scratch = {}; }

float mul(float a, float b, val spec) {
  return guarded(lmul::float_of(lmul::kCanonicalNaN),
                 [&] { return lmul::multiply(a, b, spec_of(spec)); });
}

float quantize(float x, val spec) {
  return guarded(lmul::float_of(lmul::kCanonicalNaN), [&] {
    const lmul::MulSpec s = spec_of(spec);
    return lmul::quantize(x, s.format, s.rounding);
  });
}

// out[i] = a[i] * b[i] for n floats (the SIMD kernel).
bool mul_into(Address a, Address b, Address out, double n, val spec) {
  return guarded(false, [&] {
    lmul::multiply_elementwise(spec_of(spec), at<float>(a), at<float>(b), at<float>(out),
                               std::size_t(n));
    return true;
  });
}

// Error statistics of pairs that arrive in pieces: the wrapper copies long arrays into wasm
// memory a piece at a time, so its scratch memory stays small whatever their length.
class ErrorStatsRun {
public:
  bool start(val spec) {
    return guarded(false, [&] {
      spec_ = spec_of(spec);
      acc_ = lmul::ErrorAccumulator();
      return true;
    });
  }
  // Adds the n pairs a[i], b[i].
  bool add(Address a, Address b, double n) {
    return guarded(false, [&] {
      lmul::accumulate_errors(spec_, at<float>(a), at<float>(b), std::size_t(n), acc_);
      return true;
    });
  }
  // The statistics of every pair added, or null.
  val finish() const {
    return guarded(val::null(), [&] { return stats_object(acc_.finish()); });
  }

private:
  lmul::MulSpec spec_;
  lmul::ErrorAccumulator acc_;
};

val histogram_edges() {
  val a = val::array();
  const std::vector<double> e = lmul::histogram_edges();
  for (std::size_t k = 0; k < e.size(); ++k)
    a.set(k, e[k]);
  return a;
}

// The registry and the defaults, so the package's constants can be checked against the core.
val registry() {
  val methods = val::array();
  const std::vector<lmul::Method> all = lmul::all_methods();
  for (std::size_t k = 0; k < all.size(); ++k)
    methods.set(k, std::string(lmul::to_string(all[k])));
  const lmul::MulSpec d{};
  val defaults = val::object();
  defaults.set("method", std::string(lmul::to_string(d.method)));
  defaults.set("M", d.format.M());
  defaults.set("E", d.format.E());
  defaults.set("rounding", std::string(lmul::to_string(d.rounding)));
  val o = val::object();
  o.set("methods", methods);
  o.set("defaults", defaults);
  return o;
}

// 784 floats at out from width * height floats at gray.
bool preprocess(Address gray, double width, double height, Address out) {
  return guarded(false, [&] {
    const lmul::DigitInput d =
        lmul::preprocess_digit(at<float>(gray), std::size_t(width), std::size_t(height));
    std::copy(d.pixels.begin(), d.pixels.end(), at<float>(out));
    return true;
  });
}

// { heapBytes: the wasm memory's size, mallocBytes: bytes malloc has handed out }
val memory() {
  val o = val::object();
  o.set("heapBytes", double(emscripten_get_heap_size()));
  o.set("mallocBytes", double(mallinfo().uordblks));
  return o;
}

// ---- models -------------------------------------------------------------------------------

std::string mib(std::size_t bytes) {
  return std::to_string((bytes + (1u << 20) - 1) >> 20) + " MiB";
}

// Refuses what cannot fit in the largest WebAssembly heap (2 GiB), saying what it needs and
// what to do instead.
void check_fits(std::size_t needed, const char* what, const char* instead) {
  const std::size_t limit = emscripten_get_heap_max();
  if (needed > limit)
    throw std::length_error(std::string(what) + " needs about " + mib(needed) + ", more than the " +
                            mib(limit) + " a WebAssembly instance can hold; " + instead);
}

// A loaded network and its session (prepared plans are cached there).
class Model {
public:
  bool load(Address bytes, double size) {
    return guarded(false, [&] {
      lmul::SafetensorsContent content =
          lmul::parse_safetensors(at<uint8_t>(bytes), std::size_t(size));
      metadata_problems_.clear();
      metadata_ = lmul::ModelMetadata::from_map(content.metadata, &metadata_problems_);
      std::map<std::string, std::string> raw = content.metadata;
      auto session =
          std::make_unique<lmul::ModelSession>(lmul::network_from_safetensors(std::move(content)));
      check_fits(session->predict_bytes_estimate(false),
                 "this model (its weights and one prepared copy of them for a multiplier)",
                 "use a smaller model here, or the native CLI (lmul eval)");
      session_ = std::move(session);
      raw_metadata_ = std::move(raw);
      for (const lmul::LayerInfo& l : session_->layers())
        names_.push_back(l.name);
      return true;
    });
  }

  // Network::sizes(): an MLP's layer widths, otherwise input and output size.
  val sizes() const {
    val a = val::array();
    const std::vector<std::size_t> s = session_->network().sizes();
    for (std::size_t k = 0; k < s.size(); ++k)
      a.set(k, double(s[k]));
    return a;
  }

  val describe() const {
    val a = val::array();
    const auto& layers = session_->layers();
    for (std::size_t k = 0; k < layers.size(); ++k) {
      val l = val::object();
      l.set("index", double(k));
      l.set("name", layers[k].name);
      l.set("kind", std::string(kind_name(layers[k].kind)));
      l.set("products", double(layers[k].products));
      a.set(k, l);
    }
    return a;
  }

  val metadata() const {
    val o = metadata_object(metadata_, raw_metadata_);
    val problems = val::array();
    for (std::size_t k = 0; k < metadata_problems_.size(); ++k)
      problems.set(k, metadata_problems_[k]);
    o.set("problems", problems);
    return o;
  }

  // The prediction for the input_size floats at x, or null. opts: spec fields, plan, and
  // `errors`, `attention` (booleans).
  val predict(Address x, val opts) {
    return guarded(val::null(), [&] {
      const lmul::MulPlan plan = lmul::make_plan(plan_request(opts), names_);
      lmul::PredictOptions o;
      o.errors = !opts["errors"].isFalse();
      o.attention = opts["attention"].isTrue();
      if (o.errors && !lmul::all_exact(plan, session_->layers()))
        check_fits(session_->predict_bytes_estimate(true),
                   "a prediction with error statistics for this model (its weights, a prepared "
                   "copy for the multiplier and one for exact fp32, and the relative error of "
                   "every product)",
                   "pass { errors: false } to predict without them");
      return prediction_object(session_->predict(at<float>(x), plan, o), o.attention);
    });
  }

  // Predictions of n images (input_size bytes each) written to out, and with a nonzero `logits`
  // their n * output_size logits there; returns { correct, nonfinite }, or null.
  val evaluate(Address images, Address labels, double n, Address out, Address logits, val opts) {
    return guarded(val::null(), [&] {
      const lmul::MulPlan plan = lmul::make_plan(plan_request(opts), names_);
      const lmul::EvalResult e =
          session_->evaluate(at<uint8_t>(images), at<uint8_t>(labels), std::size_t(n), plan, {},
                             logits ? at<float>(logits) : nullptr);
      std::copy(e.predictions.begin(), e.predictions.end(), at<uint8_t>(out));
      val o = val::object();
      o.set("correct", double(e.correct));
      o.set("nonfinite", double(e.nonfinite));
      return o;
    });
  }

  // { bytes, plans, budget } of the prepared copies this model holds.
  val prepared() const {
    val o = val::object();
    o.set("bytes", double(session_->prepared_bytes()));
    o.set("plans", double(session_->prepared_plans()));
    o.set("budget", double(session_->budget()));
    return o;
  }

private:
  std::unique_ptr<lmul::ModelSession> session_;
  lmul::ModelMetadata metadata_;
  std::vector<std::string> metadata_problems_; // malformed groups left out, and why
  std::map<std::string, std::string> raw_metadata_;
  std::vector<std::string> names_;
};

} // namespace

EMSCRIPTEN_BINDINGS(lmul) {
  using namespace emscripten;
  function("takeError", &take_error);
  function("buffer", &buffer);
  function("releaseBuffer", &release_buffer);
  function("mul", &mul);
  function("quantize", &quantize);
  function("mulInto", &mul_into);
  function("histogramEdges", &histogram_edges);
  function("registry", &registry);
  function("preprocess", &preprocess);
  function("memory", &memory);
  class_<Model>("Model")
      .constructor<>()
      .function("load", &Model::load)
      .function("sizes", &Model::sizes)
      .function("describe", &Model::describe)
      .function("metadata", &Model::metadata)
      .function("predict", &Model::predict)
      .function("evaluate", &Model::evaluate)
      .function("prepared", &Model::prepared);
  class_<ErrorStatsRun>("ErrorStatsRun")
      .constructor<>()
      .function("start", &ErrorStatsRun::start)
      .function("add", &ErrorStatsRun::add)
      .function("finish", &ErrorStatsRun::finish);
}
