#include "lmul/attention.hpp"

namespace lmul {

struct AttentionLayer::Kernels {
  virtual ~Kernels() = default;
  virtual void scores(const AttentionShape& shape, const float* q, std::size_t ldq, const float* k,
                      std::size_t ldk, float* s) const = 0;
  virtual void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
                   float* o, std::size_t ldo) const = 0;
};

namespace {
template <class P> struct KernelsOf final : AttentionLayer::Kernels {
  AttentionKernel<P> kernel;
  explicit KernelsOf(const P& p) : kernel(p) {}
  void scores(const AttentionShape& shape, const float* q, std::size_t ldq, const float* k,
              std::size_t ldk, float* s) const override {
    kernel.scores(shape, q, ldq, k, ldk, s);
  }
  void mix(const AttentionShape& shape, const float* probs, const float* v, std::size_t ldv,
           float* o, std::size_t ldo) const override {
    kernel.mix(shape, probs, v, ldv, o, ldo);
  }
};
} // namespace

AttentionLayer::AttentionLayer(const MulSpec& spec)
    : spec_(spec), kernels_(with_policy(spec, [](const auto& p) -> std::unique_ptr<Kernels> {
        return std::make_unique<KernelsOf<std::decay_t<decltype(p)>>>(p);
      })) {}
AttentionLayer::~AttentionLayer() = default;
AttentionLayer::AttentionLayer(AttentionLayer&&) noexcept = default;
AttentionLayer& AttentionLayer::operator=(AttentionLayer&&) noexcept = default;

void AttentionLayer::scores(const AttentionShape& shape, const float* q, std::size_t ldq,
                            const float* k, std::size_t ldk, float* s) const {
  kernels_->scores(shape, q, ldq, k, ldk, s);
}

void AttentionLayer::mix(const AttentionShape& shape, const float* probs, const float* v,
                         std::size_t ldv, float* o, std::size_t ldo) const {
  kernels_->mix(shape, probs, v, ldv, o, ldo);
}

} // namespace lmul
