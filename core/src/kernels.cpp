#include "lmul/kernels.hpp"

namespace lmul {

namespace {
using Kernels = decltype(detail::kernel_variant(static_cast<Policies*>(nullptr)));
Kernels make_kernel(const MulSpec& spec) {
  return with_policy(
      spec, [&](const auto& p) -> Kernels { return DenseKernel<std::decay_t<decltype(p)>>(p); });
}
} // namespace

DenseLayer::DenseLayer(const MulSpec& spec) : spec_(spec), kernel_(make_kernel(spec)) {}

DenseLayer::DenseLayer(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
                       std::size_t out, WeightLayout layout)
    : DenseLayer(spec) {
  assign(W, bias, in, out, layout);
}

void DenseLayer::assign(const float* W, const float* bias, std::size_t in, std::size_t out,
                        WeightLayout layout) {
  std::visit([&](auto& k) { k.assign(W, bias, in, out, layout); }, kernel_);
}
std::size_t DenseLayer::in() const {
  return std::visit([](const auto& k) { return k.in(); }, kernel_);
}
std::size_t DenseLayer::out() const {
  return std::visit([](const auto& k) { return k.out(); }, kernel_);
}
void DenseLayer::forward(const float* x, float* y) const {
  std::visit([&](const auto& k) { k.forward(x, y); }, kernel_);
}
void DenseLayer::forward_batch(const float* X, std::size_t n, float* Y) const {
  std::visit([&](const auto& k) { k.forward_batch(X, n, Y); }, kernel_);
}
std::string DenseLayer::packing() const {
  return std::visit([](const auto& k) { return k.packing(); }, kernel_);
}
std::vector<PathCount> DenseLayer::path_counts() const {
  return std::visit([](const auto& k) { return k.path_counts(); }, kernel_);
}
std::size_t DenseLayer::bytes() const {
  return std::visit([](const auto& k) { return k.bytes(); }, kernel_);
}

void multiply_elementwise(const MulSpec& spec, const float* a, const float* b, float* out,
                          std::size_t n) {
  with_policy(spec, [&](const auto& p) { multiply_elementwise(p, a, b, out, n); });
}

void quantize_operands(const MulSpec& spec, const float* in, float* out, std::size_t n) {
  with_policy(spec, [&](const auto& p) { quantize_operands(p, in, out, n); });
}

float dot(const MulSpec& spec, const float* a, const float* b, std::size_t n) {
  return with_policy(spec, [&](const auto& p) { return dot(p, a, b, n); });
}

void dense_forward(const MulSpec& spec, const float* W, const float* bias, std::size_t in,
                   std::size_t out, const float* X, std::size_t n, float* Y) {
  DenseLayer(spec, W, bias, in, out).forward_batch(X, n, Y);
}

} // namespace lmul
