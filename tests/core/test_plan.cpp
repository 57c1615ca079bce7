#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "helpers.hpp"
#include "lmul/mlp.hpp"
#include "lmul/plan.hpp"
#include "lmul/random.hpp"
#include "lmul/session.hpp"

using namespace lmul;

namespace {
const std::vector<std::string> kNames = {"fc1", "fc2", "fc3"};
const MulSpec kExact{Method::exact, FloatFormat(8, 23), Rounding::nearest};

std::string plan_error(const std::string& text) {
  try {
    parse_plan(text, kNames);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}
} // namespace

TEST_SUITE("plan") {

  TEST_CASE("a bare spec applies everywhere; missing fields come from the defaults") {
    const MulPlan p = parse_plan("lmul:M3", kNames);
    CHECK(p.linear == MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest});
    CHECK(p.attention == p.linear);
    CHECK(p.layers.empty());
    const MulSpec defaults{Method::floating, FloatFormat(5, 10), Rounding::truncate};
    CHECK(parse_plan("mitchell", kNames, defaults).linear ==
          MulSpec{Method::mitchell, FloatFormat(5, 10), Rounding::truncate});
    CHECK(parse_plan("float:e4m3:nearest", kNames).linear ==
          MulSpec{Method::floating, FloatFormat(4, 3), Rounding::nearest});
    CHECK(parse_plan("exact", kNames).linear.method == Method::exact);
  }

  TEST_CASE("kinds and layers, by index or name; a layer's entry wins whatever the order") {
    const MulPlan p =
        parse_plan("layer1=exact,linear=lmul:E8M3,attention=float:bf16,fc3=mitchell:M2", kNames);
    CHECK(p.linear == MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest});
    CHECK(p.attention == MulSpec{Method::floating, FloatFormat(8, 7), Rounding::nearest});
    CHECK(p.spec_for(1, ProductKind::linear) == kExact);
    CHECK(p.spec_for(2, ProductKind::linear) ==
          MulSpec{Method::mitchell, FloatFormat(8, 2), Rounding::nearest});
    CHECK(p.spec_for(0, ProductKind::linear) == p.linear);
    CHECK(p.spec_for(0, ProductKind::attention) == p.attention);
    // all= is the base the kinds override, wherever it stands.
    const MulPlan q = parse_plan("linear=exact,all=lmul:M2", kNames);
    CHECK(q.linear == kExact);
    CHECK(q.attention == MulSpec{Method::lmul, FloatFormat(8, 2), Rounding::nearest});
  }

  TEST_CASE("to_string reads back as the same plan") {
    for (const char* text :
         {"lmul:M3", "linear=exact,attention=lmul:E8M3", "layer0=lmul:E8M2,layer2=exact",
          "float:E4M3:truncate,fc2=mitchell:M1"}) {
      const MulPlan p = parse_plan(text, kNames);
      CAPTURE(text);
      CHECK(parse_plan(to_string(p), kNames) == p);
    }
    CHECK(to_string(parse_plan("linear=exact,attention=lmul:M3", kNames)) ==
          "linear=exact,attention=lmul:E8M3:nearest");
  }

  TEST_CASE("errors quote the plan and point at the bad token") {
    CHECK(plan_error("linear=lmull:E8M3") ==
          "plan 'linear=lmull:E8M3': unknown method 'lmull'; methods are 'exact', 'float', "
          "'lmul', 'lmul-formula', 'mitchell' (at character 8)\n"
          "  linear=lmull:E8M3\n"
          "         ^^^^^");
    CHECK(plan_error("lmul:E9M3") ==
          "plan 'lmul:E9M3': bad format 'E9M3': E must be 2..8 and M 1..23, e.g. E8M3 or M3 (at "
          "character 6)\n  lmul:E9M3\n       ^^^^");
    CHECK(plan_error("layer7=exact") ==
          "plan 'layer7=exact': there is no layer 7; this network's layers are 0..2 (at "
          "character 1)\n  layer7=exact\n  ^^^^^^");
    CHECK(plan_error("lmul,linear=exact,linear=float")
              .find("'linear' is given twice (at character 19)") != std::string::npos);
    CHECK(plan_error("head=exact")
              .find("unknown key 'head'; keys are all, linear, attention, "
                    "layer0..layer2 or a layer name (fc1, fc2, fc3)") != std::string::npos);
    CHECK(plan_error("lmul:M3:M4").find("the format is given twice") != std::string::npos);
    CHECK(plan_error("lmul:nearest:truncate").find("the rounding is given twice") !=
          std::string::npos);
    CHECK(plan_error("lmul:fast").find("'fast' is neither a format") != std::string::npos);
    CHECK(plan_error("linear=").find("a multiplier is missing") != std::string::npos);
    CHECK(plan_error("").find("the plan is empty") != std::string::npos);
  }
}

TEST_SUITE("session") {

  TEST_CASE("prepared plans are cached by bytes, evicted least recently used, and freed") {
    Rng rng(5);
    std::vector<LinearParams> layers;
    for (auto [in, out] : {std::pair<std::size_t, std::size_t>{64, 32}, {32, 10}}) {
      LinearParams l{in, out, {}, {}};
      for (std::size_t k = 0; k < in * out; ++k)
        l.weight.push_back(float(rng.normal() * 0.2));
      l.bias.assign(out, 0.1f);
      layers.push_back(l);
    }
    ModelSession session(std::make_unique<Mlp>(std::move(layers)));
    std::vector<float> x(64);
    for (auto& v : x)
      v = float(rng.uniform());
    const MulPlan lmul3(MulSpec{Method::lmul, FloatFormat(8, 3), Rounding::nearest});
    const MulPlan float3(MulSpec{Method::floating, FloatFormat(8, 3), Rounding::nearest});
    const Prediction first = session.predict(x.data(), lmul3);
    CHECK(first.has_errors);
    CHECK(session.prepared_plans() == 2); // the plan and the exact network for the statistics
    const std::size_t two = session.prepared_bytes();
    CHECK(two > 0);
    session.predict(x.data(), float3);
    CHECK(session.prepared_plans() == 3);
    // A budget below one prepared copy keeps only the most recent; results do not change.
    session.set_budget(1);
    CHECK(session.prepared_plans() == 1);
    const Prediction again = session.predict(x.data(), lmul3);
    CHECK(again.logits == first.logits);
    CHECK(again.products.mean == first.products.mean);
    CHECK(session.prepared_plans() == 1);
    session.clear();
    CHECK(session.prepared_bytes() == 0);
    CHECK(session.prepared_plans() == 0);
  }

  TEST_CASE("predict reports per-layer activation error and per-kind product statistics") {
    Rng rng(6);
    std::vector<LinearParams> layers;
    for (auto [in, out] : {std::pair<std::size_t, std::size_t>{50, 40}, {40, 30}, {30, 10}}) {
      LinearParams l{in, out, {}, {}};
      for (std::size_t k = 0; k < in * out; ++k)
        l.weight.push_back(float(rng.normal() * 0.3));
      l.bias.assign(out, 0.05f);
      layers.push_back(l);
    }
    ModelSession session(std::make_unique<Mlp>(std::move(layers)));
    std::vector<float> x(50);
    for (auto& v : x)
      v = float(rng.uniform());
    const Prediction exact = session.predict(x.data(), MulPlan(kExact));
    CHECK_FALSE(exact.has_errors);
    CHECK(exact.layers.empty());
    CHECK(exact.has_linear);
    CHECK_FALSE(exact.has_attention);

    MulPlan first_only(kExact);
    first_only.layers[0] = MulSpec{Method::lmul, FloatFormat(8, 2), Rounding::nearest};
    const Prediction p = session.predict(x.data(), first_only);
    REQUIRE(p.layers.size() == 3);
    CHECK(p.layers[0].name == "fc1");
    CHECK(p.layers[0].activation_error > 0);
    CHECK(p.layers[0].products.max > 0);
    CHECK(p.layers[1].products.max == 0);    // exact layers: exact products...
    CHECK(p.layers[1].activation_error > 0); // ...but the error travels on
    CHECK(p.products.count == p.linear.count);
    CHECK(p.attention.count == 0);
    CHECK(p.approx_linear);
    CHECK_FALSE(p.approx_attention);
    CHECK(p.products.count + p.products.zeros == 50 * 40 + 40 * 30 + 30 * 10);
    CHECK(p.digit >= 0);
  }

  TEST_CASE("evaluate writes each image's logits when asked: those of predict under the plan") {
    Rng rng(7);
    std::vector<LinearParams> layers;
    for (auto [in, out] : {std::pair<std::size_t, std::size_t>{36, 20}, {20, 10}}) {
      LinearParams l{in, out, {}, {}};
      for (std::size_t k = 0; k < in * out; ++k)
        l.weight.push_back(float(rng.normal() * 0.4));
      l.bias.assign(out, -0.02f);
      layers.push_back(l);
    }
    ModelSession session(std::make_unique<Mlp>(std::move(layers)));
    const std::size_t n = 40;
    std::vector<uint8_t> images(n * 36), labels(n);
    for (auto& v : images)
      v = uint8_t(rng.below(256));
    for (auto& v : labels)
      v = uint8_t(rng.below(10));
    MulPlan plan(MulSpec{Method::lmul, FloatFormat(8, 2), Rounding::nearest});
    plan.layers[1] = kExact;
    std::vector<float> logits(n * 10, -1.0f);
    const EvalResult r = session.evaluate(images.data(), labels.data(), n, plan, {}, logits.data());
    const EvalResult without = session.evaluate(images.data(), labels.data(), n, plan);
    CHECK(r.predictions == without.predictions);
    for (std::size_t k = 0; k < n; ++k) {
      std::vector<float> x(36);
      for (std::size_t i = 0; i < 36; ++i)
        x[i] = pixel_to_input(images[k * 36 + i]);
      const Prediction p = session.predict(x.data(), plan, PredictOptions{false});
      REQUIRE(std::vector<float>(logits.begin() + long(k * 10),
                                 logits.begin() + long(k * 10 + 10)) == p.logits);
      CHECK(r.predictions[k] == p.digit);
    }
  }
}
