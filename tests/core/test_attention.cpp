// Attention kernels (attention.hpp): SIMD equals the scalar reference bit for bit for every
// method on random shapes, the documented summation order, NUMERICS' special values inside
// attention, and the attention softmax.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "helpers.hpp"
#include "lmul/attention.hpp"
#include "lmul/attention_scalar.hpp"
#include "lmul/transformer_ops.hpp"

using namespace lmul;
using testing::same;

namespace {
const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();

std::vector<MulSpec> attention_specs() {
  std::vector<MulSpec> specs;
  for (Method m : testing::kAllMethods)
    for (auto [E, M] : {std::pair{8, 23}, {8, 7}, {8, 3}, {8, 1}, {4, 3}, {5, 2}, {8, 14}})
      for (Rounding r : testing::kRoundings)
        specs.push_back(MulSpec{m, FloatFormat(E, M), r});
  return specs;
}

// Activations: normal values over a few binades and, unless `clean`, some zeros and subnormals
// (clean operands let the kernels take the policies' packed paths).
std::vector<float> activations(std::size_t n, std::mt19937_64& rng, bool clean) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) {
    const unsigned kind = clean ? 2 : rng() % 20;
    x = kind == 0   ? 0.0f
        : kind == 1 ? -1e-41f
                    : normal(rng) * std::ldexp(1.0f, int(rng() % 12) - 6);
  }
  return v;
}

// One random problem: q, k, v rows inside wider rows (as in a [T][3D] qkv buffer) and
// probabilities from the exact softmax of random scores.
struct Problem {
  AttentionShape shape;
  std::size_t ld;
  std::vector<float> qkv, probs;
  const float* q() const { return qkv.data(); }
  const float* k() const { return qkv.data() + shape.width(); }
  const float* v() const { return qkv.data() + 2 * shape.width(); }
};

Problem random_problem(std::mt19937_64& rng, bool clean = false) {
  Problem p;
  p.shape.tokens = 1 + rng() % 20;
  const unsigned kind = rng() % 3;
  p.shape.queries = kind == 0 ? p.shape.tokens : kind == 1 ? 1 : 1 + rng() % p.shape.tokens;
  p.shape.heads = 1 + rng() % 4;
  p.shape.head_dim = 1 + rng() % 19;
  p.ld = 3 * p.shape.width() + rng() % 3;
  p.qkv = activations(p.shape.tokens * p.ld, rng, clean);
  const std::size_t rows = p.shape.heads * p.shape.queries;
  p.probs = activations(rows * p.shape.tokens, rng, clean);
  for (std::size_t r = 0; r < rows; ++r)
    attention_softmax(p.probs.data() + r * p.shape.tokens, p.shape.tokens, 0.5f,
                      p.probs.data() + r * p.shape.tokens);
  return p;
}

// Runs the SIMD kernels and the scalar references on `pb` and requires equal bits.
template <class P> void require_agreement(const P& policy, const Problem& pb, const MulSpec& s) {
  const AttentionShape& sh = pb.shape;
  const AttentionKernel<P> kernel(policy);
  std::vector<float> got(sh.heads * sh.queries * sh.tokens), want(got.size());
  kernel.scores(sh, pb.q(), pb.ld, pb.k(), pb.ld, got.data());
  scalar::attention_scores(policy, sh, pb.q(), pb.ld, pb.k(), pb.ld, want.data());
  for (std::size_t i = 0; i < got.size(); ++i)
    REQUIRE_MESSAGE(same(got[i], want[i]), s.describe() << " scores T=" << sh.tokens
                                                        << " Tq=" << sh.queries << " H=" << sh.heads
                                                        << " d=" << sh.head_dim << " i=" << i
                                                        << ": " << got[i] << " vs " << want[i]);
  const std::size_t ldo = sh.width() + 1;
  std::vector<float> o(sh.queries * ldo, -7.0f), o_want(o.size(), -7.0f);
  kernel.mix(sh, pb.probs.data(), pb.v(), pb.ld, o.data(), ldo);
  scalar::attention_mix(policy, sh, pb.probs.data(), pb.v(), pb.ld, o_want.data(), ldo);
  for (std::size_t i = 0; i < o.size(); ++i)
    REQUIRE_MESSAGE(same(o[i], o_want[i]), s.describe() << " mix T=" << sh.tokens
                                                        << " Tq=" << sh.queries << " H=" << sh.heads
                                                        << " d=" << sh.head_dim << " i=" << i
                                                        << ": " << o[i] << " vs " << o_want[i]);
}
} // namespace

TEST_SUITE("attention") {

  TEST_CASE("scores and mix: SIMD equals scalar bit for bit, every method, random shapes") {
    std::mt19937_64 rng(13);
    for (const MulSpec& s : attention_specs())
      with_policy(s, [&](const auto& p) {
        for (int trial = 0; trial < 12; ++trial)
          require_agreement(p, random_problem(rng, trial % 2 == 0), s);
      });
  }

  TEST_CASE("AttentionLayer (spec chosen at run time) computes what AttentionKernel does") {
    std::mt19937_64 rng(14);
    const Problem pb = random_problem(rng);
    const AttentionShape& sh = pb.shape;
    for (const MulSpec& s : attention_specs()) {
      const AttentionLayer layer(s);
      std::vector<float> a(sh.heads * sh.queries * sh.tokens), b(a.size());
      std::vector<float> oa(sh.queries * sh.width()), ob(oa.size());
      layer.scores(sh, pb.q(), pb.ld, pb.k(), pb.ld, a.data());
      layer.mix(sh, pb.probs.data(), pb.v(), pb.ld, oa.data(), sh.width());
      with_policy(s, [&](const auto& p) {
        scalar::attention_scores(p, sh, pb.q(), pb.ld, pb.k(), pb.ld, b.data());
        scalar::attention_mix(p, sh, pb.probs.data(), pb.v(), pb.ld, ob.data(), sh.width());
      });
      for (std::size_t i = 0; i < a.size(); ++i)
        REQUIRE(same(a[i], b[i]));
      for (std::size_t i = 0; i < oa.size(); ++i)
        REQUIRE(same(oa[i], ob[i]));
    }
  }

  TEST_CASE("each output sums its products in increasing index order from +0") {
    // 1e8 + 1 - 1e8 = 0 in fp32 but 1e8 - 1e8 + 1 = 1: the order is visible.
    const AttentionShape sh{3, 1, 1, 3};
    const std::vector<float> q = {1e8f, 1.0f, -1e8f}, k = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    const MulSpec exact{Method::exact, FloatFormat(8, 23), Rounding::nearest};
    float s[3];
    AttentionLayer(exact).scores(sh, q.data(), 3, k.data(), 3, s);
    CHECK(s[0] == (1e8f + 1.0f) - 1e8f);
    const std::vector<float> probs = {1e8f, 1.0f, -1e8f}, v = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    float o[3];
    AttentionLayer(exact).mix(sh, probs.data(), v.data(), 3, o, 3);
    CHECK(o[0] == (1e8f + 1.0f) - 1e8f);
    // A sum of zero products is +0, even when every product is -0.
    const std::vector<float> negative = {-0.0f, -0.0f, -0.0f};
    AttentionLayer(exact).scores(sh, negative.data(), 3, k.data(), 3, s);
    CHECK(!std::signbit(s[0]));
  }

  TEST_CASE("special values hold inside attention: nothing is skipped, NaN and inf propagate") {
    // Two heads of 3 components over 4 tokens; query 0 meets each special case in one head.
    const AttentionShape sh{4, 4, 2, 3};
    const std::size_t ld = 3 * sh.width();
    for (Method m : testing::kAllMethods) {
      const MulSpec s{m, FloatFormat(8, 3), Rounding::nearest};
      CAPTURE(s.describe());
      std::vector<float> qkv(sh.tokens * ld, 0.5f);
      float* q = qkv.data();
      float* k = q + sh.width();
      float* v = q + 2 * sh.width();
      q[0] = kInf; // head 0: inf * 0 -> NaN for key 1 ...
      k[1 * ld + 0] = 0.0f;
      k[2 * ld + 0] = -2.0f; // ... inf * -2 -> -inf for key 2, +inf for the others
      q[1 * ld + 3] = kNaN;  // head 1, query 1: NaN reaches every key
      std::vector<float> scores(sh.heads * sh.queries * sh.tokens);
      AttentionLayer(s).scores(sh, q, ld, k, ld, scores.data());
      const auto score = [&](std::size_t h, std::size_t i, std::size_t j) {
        return scores[(h * sh.queries + i) * sh.tokens + j];
      };
      CHECK(std::isnan(score(0, 0, 1)));
      CHECK(score(0, 0, 2) == -kInf);
      CHECK(score(0, 0, 0) == kInf);
      CHECK(score(0, 0, 3) == kInf);
      for (std::size_t j = 0; j < sh.tokens; ++j) {
        CHECK(std::isnan(score(1, 1, j)));
        CHECK(std::isfinite(score(1, 0, j))); // other rows untouched
      }

      // The mix: a zero probability times an infinite value is NaN, not a skipped term.
      std::vector<float> probs(sh.heads * sh.queries * sh.tokens, 0.25f);
      probs[0 * sh.tokens + 2] = 0.0f; // head 0, query 0, key 2
      v[2 * ld + 1] = kInf;            // key 2, head 0, component 1
      v[3 * ld + 4] = -kInf;           // key 3, head 1, component 1
      std::vector<float> o(sh.queries * sh.width());
      AttentionLayer(s).mix(sh, probs.data(), v, ld, o.data(), sh.width());
      CHECK(std::isnan(o[0 * sh.width() + 1])); // query 0: 0 * inf
      CHECK(o[1 * sh.width() + 1] == kInf);     // query 1: 0.25 * inf
      CHECK(o[0 * sh.width() + 4] == -kInf);    // head 1: 0.25 * -inf
      CHECK(std::isfinite(o[0 * sh.width() + 0]));

      with_policy(s, [&](const auto& p) {
        Problem pb{sh, ld, qkv, probs};
        require_agreement(p, pb, s);
      });
    }
  }

  TEST_CASE("special values: SIMD equals scalar with random inf, NaN, zeros and extremes") {
    std::mt19937_64 rng(15);
    const std::vector<float> specials = testing::special_values();
    for (const MulSpec& s : attention_specs())
      with_policy(s, [&](const auto& p) {
        for (int trial = 0; trial < 4; ++trial) {
          Problem pb = random_problem(rng);
          for (std::size_t n = 0; n < 6; ++n) {
            pb.qkv[rng() % pb.qkv.size()] = specials[rng() % specials.size()];
            pb.probs[rng() % pb.probs.size()] = specials[rng() % specials.size()];
          }
          require_agreement(p, pb, s);
        }
      });
  }

  TEST_CASE("attention softmax: probabilities, and what NaN and infinities do") {
    const float s[4] = {1.0f, 2.0f, 3.0f, -kInf};
    float p[4];
    attention_softmax(s, 4, 0.5f, p);
    double sum = 0;
    for (float x : p)
      sum += x;
    CHECK(sum == doctest::Approx(1.0).epsilon(1e-6));
    CHECK(p[3] == 0.0f);
    CHECK(p[2] > p[1]);
    CHECK(p[2] == doctest::Approx(std::exp(0.0) / (std::exp(-1.0) + std::exp(-0.5) + 1.0)));
    for (float bad : {kNaN, kInf}) {
      const float t[3] = {1.0f, bad, 2.0f};
      attention_softmax(t, 3, 1.0f, p);
      for (int j = 0; j < 3; ++j)
        CHECK(std::isnan(p[j]));
    }
    const float none[2] = {-kInf, -kInf};
    attention_softmax(none, 2, 1.0f, p);
    CHECK(std::isnan(p[0]));
    CHECK(std::isnan(p[1]));
  }
}
