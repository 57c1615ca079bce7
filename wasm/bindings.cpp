// Embind layer of the npm package: translates between the core's C++ types and plain numbers.
// No arithmetic and no policy here; wasm/index.js validates arguments and is the public API.
//
// Conventions (wasm/index.js relies on them):
// - Arrays travel through wasm memory: the wrapper asks for scratch space (buffer), writes the
//   inputs there, passes their addresses, and reads the results at the address a call returns
//   (or at an address it passed). Functions take and return only numbers, so the glue is small
//   and a call creates no JS objects. Memory may grow during any call: the wrapper takes fresh
//   views of HEAPU8 after each one.
// - No C++ exception crosses into JS. Every entry point catches, records the error (its JS
//   class name and message, see takeError) and returns a marker: 0 for addresses, false,
//   -1 for counts, NaN for numbers. The wrapper then calls takeError() and throws.
// - Multiplier specs travel as four integers (method, E, M, rounding). The only bound class is
//   Model, owned by one JS object with dispose().
// Result blocks are arrays of doubles; their layouts are documented at each function.
#include <algorithm>
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
    record("RangeError", "out of memory: the WebAssembly heap cannot grow further");
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

// ---- conversions --------------------------------------------------------------------------

lmul::MulSpec make_spec(int method, int E, int M, int rounding) {
  static const lmul::Method methods[] = {lmul::Method::exact, lmul::Method::floating,
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

// Error statistics block: count, zeros, nonfinite, mean, median, max, bias, then the histogram
// counts (histogram_edges().size() - 1 of them).
void append_stats(std::vector<double>& out, const lmul::ErrorStats& s) {
  out.insert(out.end(), {double(s.count), double(s.zeros), double(s.nonfinite), s.mean, s.median,
                         s.max, s.bias});
  out.insert(out.end(), s.histogram.counts.begin(), s.histogram.counts.end());
}

std::vector<uint8_t> scratch; // inputs written by the wrapper
std::vector<double> result;   // the last result block of a free function

// ---- free functions -----------------------------------------------------------------------

// Address of at least `bytes` bytes of scratch memory (valid until the next buffer call), or 0.
Address buffer(double bytes) {
  return guarded(Address(0), [&] {
    scratch.resize(std::size_t(bytes) + 16);
    return address(scratch.data());
  });
}

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

// out[i] = a[i] * b[i] for n floats (the SIMD kernel).
bool mul_into(Address a, Address b, Address out, double n, int method, int E, int M, int rounding) {
  return guarded(false, [&] {
    lmul::multiply_elementwise(make_spec(method, E, M, rounding), at<float>(a), at<float>(b),
                               at<float>(out), std::size_t(n));
    return true;
  });
}

// Address of an error statistics block for the n pairs a[i], b[i], or 0.
Address error_stats(Address a, Address b, double n, int method, int E, int M, int rounding) {
  return guarded(Address(0), [&] {
    const lmul::ErrorStats s = lmul::error_stats(make_spec(method, E, M, rounding), at<float>(a),
                                                 at<float>(b), std::size_t(n));
    result.clear();
    append_stats(result, s);
    return address(result.data());
  });
}

// Address of [number of edges, edges...] of the error histograms.
Address histogram_edges() {
  static std::vector<double> block;
  if (block.empty()) {
    const std::vector<double> e = lmul::histogram_edges();
    block.push_back(double(e.size()));
    block.insert(block.end(), e.begin(), e.end());
  }
  return address(block.data());
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

// [wasm memory bytes, bytes handed out by malloc]
Address memory() {
  static double block[2];
  block[0] = double(emscripten_get_heap_size());
  block[1] = double(mallinfo().uordblks);
  return address(block);
}

// ---- models -------------------------------------------------------------------------------

// A loaded MLP and its prepared inference objects, most recently used first.
class Model {
public:
  static constexpr std::size_t kCachedSpecs = 8;

  bool load(Address bytes, double size) {
    return guarded(false, [&] {
      lmul::SafetensorsContent content =
          lmul::parse_safetensors(at<uint8_t>(bytes), std::size_t(size));
      cache_.clear();
      mlp_ = lmul::mlp_from_tensors(content.tensors);
      metadata_ = std::move(content.metadata);
      return true;
    });
  }

  // Address of [number of sizes, sizes...], input first.
  Address sizes() {
    block_.clear();
    const std::vector<std::size_t> s = mlp_.sizes();
    block_.push_back(double(s.size()));
    block_.insert(block_.end(), s.begin(), s.end());
    return address(block_.data());
  }

  emscripten::val metadata() const {
    emscripten::val o = emscripten::val::object();
    for (const auto& [key, value] : metadata_)
      o.set(key, value);
    return o;
  }

  // Address of [digit, logits..., probs..., error statistics block if with_errors] for the
  // input_size floats at x, or 0.
  Address predict(Address x, int method, int E, int M, int rounding, bool with_errors) {
    return guarded(Address(0), [&] {
      const lmul::MlpInference& net = inference(make_spec(method, E, M, rounding));
      const std::size_t n = mlp_.output_size();
      logits_.resize(n);
      probs_.resize(n);
      if (with_errors) {
        lmul::ErrorAccumulator acc;
        net.logits_with_errors(at<float>(x), logits_.data(), acc);
        stats_ = acc.finish();
      } else {
        net.logits(at<float>(x), logits_.data());
      }
      lmul::softmax(logits_.data(), n, probs_.data());
      block_.clear();
      block_.push_back(lmul::argmax(logits_.data(), n));
      block_.insert(block_.end(), logits_.begin(), logits_.end());
      block_.insert(block_.end(), probs_.begin(), probs_.end());
      if (with_errors)
        append_stats(block_, stats_);
      return address(block_.data());
    });
  }

  // Predictions of n images (input_size bytes each) written to out; returns how many match
  // labels, or -1.
  double evaluate(Address images, Address labels, double n, Address out, int method, int E, int M,
                  int rounding) {
    return guarded(-1.0, [&] {
      const lmul::EvalResult e =
          lmul::evaluate(inference(make_spec(method, E, M, rounding)), at<uint8_t>(images),
                         at<uint8_t>(labels), std::size_t(n));
      std::copy(e.predictions.begin(), e.predictions.end(), at<uint8_t>(out));
      return double(e.correct);
    });
  }

private:
  // Out of line: predict and evaluate share it (it inlines the MlpInference destructor).
  __attribute__((noinline)) const lmul::MlpInference& inference(const lmul::MulSpec& spec) {
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
  std::list<std::unique_ptr<lmul::MlpInference>> cache_; // they point into mlp_
  std::vector<float> logits_, probs_;
  lmul::ErrorStats stats_;
  std::vector<double> block_; // the last result block
};

} // namespace

EMSCRIPTEN_BINDINGS(lmul) {
  using namespace emscripten;
  function("takeError", &take_error);
  function("buffer", &buffer);
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
      .function("evaluate", &Model::evaluate);
}
