// bfloat16 = F(8, 7): every one of the 2^32 operand pairs of the L-Mul adder, through the SIMD
// kernel, against the paper's own formulation (one integer addition of the bit patterns with
// the magic constant 0x3F780000); plus 10^8 random pairs against the value-based reference.
// Native only (a few seconds here; minutes under WebAssembly).
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "helpers.hpp"
#include "lmul/kernels.hpp"
#include "reference.hpp"

using namespace lmul;

namespace {
// Expected result bits for bf16 operand patterns (fp32 layout, low 16 bits zero).
uint32_t paper_lmul_bf16(uint32_t ua, uint32_t ub) {
  const uint32_t sign = (ua ^ ub) & 0x80000000u;
  const uint32_t ea = (ua >> 23) & 255, eb = (ub >> 23) & 255;
  const bool nan_a = ea == 255 && (ua & 0x7fffff), nan_b = eb == 255 && (ub & 0x7fffff);
  const bool inf_a = ea == 255 && !nan_a, inf_b = eb == 255 && !nan_b;
  const bool zero_a = (ua & 0x7fffffffu) == 0, zero_b = (ub & 0x7fffffffu) == 0;
  if (nan_a || nan_b || ((inf_a || inf_b) && (zero_a || zero_b)))
    return 0x7fc00000u;
  if (inf_a || inf_b)
    return sign | 0x7f800000u;
  if (ea == 0 || eb == 0)
    return sign;
  const int64_t r = int64_t(ua & 0x7fffffffu) + int64_t(ub & 0x7fffffffu) - 0x3F780000;
  if (r < 0x00800000)
    return sign;
  if (r >= 0x7f800000)
    return sign | 0x7f800000u;
  return sign | uint32_t(r);
}

bool same_bits(uint32_t got, uint32_t want) {
  const bool nan_got = (got & 0x7fffffffu) > 0x7f800000u,
             nan_want = (want & 0x7fffffffu) > 0x7f800000u;
  return nan_got || nan_want ? nan_got && nan_want : got == want;
}
} // namespace

TEST_CASE(
    "exhaustive bf16: all 65536 x 65536 operand pairs of lmul against the paper's bit identity") {
  const MulSpec spec{Method::lmul, FloatFormat(8, 7), Rounding::nearest};
  std::vector<float> all(65536);
  for (uint32_t c = 0; c < 65536; ++c)
    all[c] = float_of(c << 16);
  std::atomic<uint32_t> next{0};
  std::atomic<uint64_t> bad{0}, checked{0};
  auto worker = [&] {
    std::vector<float> a(65536), out(65536);
    for (uint32_t ca; (ca = next++) < 65536;) {
      std::fill(a.begin(), a.end(), all[ca]);
      multiply_elementwise(spec, a.data(), all.data(), out.data(), 65536);
      uint64_t local_bad = 0;
      for (uint32_t cb = 0; cb < 65536; ++cb)
        local_bad += !same_bits(bits_of(out[cb]), paper_lmul_bf16(ca << 16, cb << 16));
      bad += local_bad;
      checked += 65536;
    }
  };
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t)
    threads.emplace_back(worker);
  for (auto& t : threads)
    t.join();
  CHECK(checked.load() == (uint64_t(1) << 32));
  CHECK(bad.load() == 0);
}

TEST_CASE("bf16: 10^8 random pairs of lmul and lmul-formula against the value-based reference") {
  const ref::Table table(ref::Format{8, 7});
  std::atomic<uint64_t> bad{0};
  auto worker = [&](uint64_t seed, uint64_t count) {
    std::mt19937_64 rng(seed);
    constexpr std::size_t kChunk = 1 << 16;
    std::vector<float> a(kChunk), b(kChunk), adder(kChunk), formula(kChunk);
    const MulSpec s_adder{Method::lmul, FloatFormat(8, 7), Rounding::nearest};
    const MulSpec s_formula{Method::lmul_formula, FloatFormat(8, 7), Rounding::nearest};
    for (uint64_t done = 0; done < count; done += kChunk) {
      for (std::size_t k = 0; k < kChunk; ++k) {
        const uint64_t r = rng();
        a[k] = float_of(uint32_t(r) & 0xffff0000u);
        b[k] = float_of(uint32_t(r >> 32) & 0xffff0000u);
      }
      multiply_elementwise(s_adder, a.data(), b.data(), adder.data(), kChunk);
      multiply_elementwise(s_formula, a.data(), b.data(), formula.data(), kChunk);
      for (std::size_t k = 0; k < kChunk; ++k) {
        bad += !testing::same(adder[k], ref::lmul_adder(table, a[k], b[k]));
        bad += !testing::same(formula[k], ref::lmul_formula(table, a[k], b[k]));
      }
    }
  };
  const uint64_t total = 100000000, per = (total / 2 + (1 << 16) - 1) & ~uint64_t((1 << 16) - 1);
  std::thread t1(worker, 1, per), t2(worker, 2, per);
  t1.join();
  t2.join();
  CHECK(bad.load() == 0);
}
