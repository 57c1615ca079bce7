// The GEMM of gemm.hpp: A and B are packed into zero-padded panels per cache block, then a
// register tile of kRows x kCols outputs adds its products in increasing k.
#include "lmul/gemm.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "lmul/kernels.hpp"

namespace lmul {

namespace {

// Register tile of the micro-kernel: kRows rows of C by two SIMD batches of columns, 12
// accumulators. Cache blocks: a kDepth-deep slice of A (kBlockRows rows) and of B (kBlockCols
// columns) is packed into contiguous, zero-padded panels.
constexpr std::size_t kRows = 6;
constexpr std::size_t kCols = 2 * kLanes;
constexpr std::size_t kDepth = 256;
constexpr std::size_t kBlockRows = 16 * kRows;
constexpr std::size_t kBlockCols = 256 / kCols * kCols;

template <class P> class Gemm {
public:
  Gemm(const P& p, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
       bool accumulate)
      : p_(p), A_(A), B_(B), C_(C), ldc_(ldc), accumulate_(accumulate) {}

  // Computes the rows [r0, r1) x columns [c0, c1) of C.
  void block(std::size_t r0, std::size_t r1, std::size_t c0, std::size_t c1) const {
    // Per-thread packing buffers, kept across calls (training calls gemm thousands of times).
    thread_local std::vector<float> a_pack, b_pack;
    a_pack.resize(kBlockRows * kDepth);
    b_pack.resize(kBlockCols * kDepth);
    const std::size_t depth = A_.cols;
    if (depth == 0) {
      if (!accumulate_)
        for (std::size_t r = r0; r < r1; ++r)
          std::fill(C_ + r * ldc_ + c0, C_ + r * ldc_ + c1, 0.0f);
      return;
    }
    for (std::size_t jc = c0; jc < c1; jc += kBlockCols) {
      const std::size_t nc = std::min(kBlockCols, c1 - jc);
      for (std::size_t pc = 0; pc < depth; pc += kDepth) {
        const std::size_t kc = std::min(kDepth, depth - pc);
        pack_b(pc, kc, jc, nc, b_pack.data());
        const bool first = pc == 0 && !accumulate_;
        for (std::size_t ic = r0; ic < r1; ic += kBlockRows) {
          const std::size_t mc = std::min(kBlockRows, r1 - ic);
          pack_a(ic, mc, pc, kc, a_pack.data());
          for (std::size_t j = 0; j < nc; j += kCols)
            for (std::size_t i = 0; i < mc; i += kRows)
              tile(kc, a_pack.data() + i * kc, b_pack.data() + j * kc, ic + i,
                   std::min(kRows, mc - i), jc + j, std::min(kCols, nc - j), first);
        }
      }
    }
  }

private:
  // Panels of kRows rows: panel[p * kRows + r] = A(i + r, pc + p), zero beyond the matrix.
  void pack_a(std::size_t ic, std::size_t mc, std::size_t pc, std::size_t kc, float* out) const {
    for (std::size_t i = 0; i < mc; i += kRows) {
      float* panel = out + i * kc;
      for (std::size_t r = 0; r < kRows; ++r) {
        if (i + r >= mc) {
          for (std::size_t p = 0; p < kc; ++p)
            panel[p * kRows + r] = 0.0f;
          continue;
        }
        const float* src = A_.data + (ic + i + r) * A_.row_stride + pc * A_.col_stride;
        for (std::size_t p = 0; p < kc; ++p)
          panel[p * kRows + r] = p_.operand(src[p * A_.col_stride]);
      }
    }
  }

  // Panels of kCols columns: panel[p * kCols + c] = B(pc + p, j + c), zero beyond the matrix.
  void pack_b(std::size_t pc, std::size_t kc, std::size_t jc, std::size_t nc, float* out) const {
    for (std::size_t j = 0; j < nc; j += kCols) {
      float* panel = out + j * kc;
      for (std::size_t c = 0; c < kCols; ++c) {
        if (j + c >= nc) {
          for (std::size_t p = 0; p < kc; ++p)
            panel[p * kCols + c] = 0.0f;
          continue;
        }
        const float* src = B_.data + pc * B_.row_stride + (jc + j + c) * B_.col_stride;
        for (std::size_t p = 0; p < kc; ++p)
          panel[p * kCols + c] = p_.operand(src[p * B_.row_stride]);
      }
    }
  }

  // C tile (rows x cols at row, col) op= packed A panel * packed B panel over kc steps.
  void tile(std::size_t kc, const float* a, const float* b, std::size_t row, std::size_t rows,
            std::size_t col, std::size_t cols, bool first) const {
    Batch acc[kRows][2];
    alignas(64) float edge[kRows * kCols];
    const bool full = rows == kRows && cols == kCols;
    for (std::size_t r = 0; r < kRows; ++r) {
      if (first) {
        acc[r][0] = acc[r][1] = Batch(0.0f);
      } else if (full) {
        acc[r][0] = Batch::load_unaligned(C_ + (row + r) * ldc_ + col);
        acc[r][1] = Batch::load_unaligned(C_ + (row + r) * ldc_ + col + kLanes);
      } else {
        for (std::size_t c = 0; c < kCols; ++c)
          edge[r * kCols + c] = (r < rows && c < cols) ? C_[(row + r) * ldc_ + col + c] : 0.0f;
        acc[r][0] = Batch::load_aligned(edge + r * kCols);
        acc[r][1] = Batch::load_aligned(edge + r * kCols + kLanes);
      }
    }
    for (std::size_t p = 0; p < kc; ++p) {
      const Batch b0 = Batch::load_unaligned(b + p * kCols);
      const Batch b1 = Batch::load_unaligned(b + p * kCols + kLanes);
      const float* ap = a + p * kRows;
      for (std::size_t r = 0; r < kRows; ++r) {
        const Batch ar(ap[r]);
        acc[r][0] = acc[r][0] + p_.product(ar, b0);
        acc[r][1] = acc[r][1] + p_.product(ar, b1);
      }
    }
    if (full) {
      for (std::size_t r = 0; r < kRows; ++r) {
        acc[r][0].store_unaligned(C_ + (row + r) * ldc_ + col);
        acc[r][1].store_unaligned(C_ + (row + r) * ldc_ + col + kLanes);
      }
      return;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      acc[r][0].store_aligned(edge + r * kCols);
      acc[r][1].store_aligned(edge + r * kCols + kLanes);
      std::copy(edge + r * kCols, edge + r * kCols + cols, C_ + (row + r) * ldc_ + col);
    }
  }

  P p_;
  MatrixView A_, B_;
  float* C_;
  std::size_t ldc_;
  bool accumulate_;
};

// Below this many multiply-adds a second thread costs more than it saves.
constexpr std::size_t kParallelWork = 1 << 16;

} // namespace

void gemm(const MulSpec& spec, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
          bool accumulate, WorkerPool* pool) {
  if (A.cols != B.rows)
    throw std::invalid_argument("gemm: A is " + std::to_string(A.rows) + " x " +
                                std::to_string(A.cols) + " but B is " + std::to_string(B.rows) +
                                " x " + std::to_string(B.cols));
  if (ldc < B.cols)
    throw std::invalid_argument("gemm: ldc " + std::to_string(ldc) + " is below the " +
                                std::to_string(B.cols) + " columns of C");
  const std::size_t m = A.rows, n = B.cols;
  if (m == 0 || n == 0)
    return;
  with_policy(spec, [&](const auto& p) {
    const Gemm<std::decay_t<decltype(p)>> g(p, A, B, C, ldc, accumulate);
    const std::size_t threads = pool ? pool->size() : 1;
    if (threads == 1 || m * n * A.cols < kParallelWork) {
      g.block(0, m, 0, n);
      return;
    }
    // Split C into one slab per thread along its longer side, in whole register tiles.
    const bool by_columns = (n + kCols - 1) / kCols >= (m + kRows - 1) / kRows;
    const std::size_t unit = by_columns ? kCols : kRows, extent = by_columns ? n : m;
    const std::size_t units = (extent + unit - 1) / unit;
    const std::size_t tasks = std::min(threads, units);
    pool->run(tasks, [&](std::size_t t) {
      const std::size_t lo = std::min(extent, units * t / tasks * unit);
      const std::size_t hi = std::min(extent, units * (t + 1) / tasks * unit);
      if (by_columns)
        g.block(0, m, lo, hi);
      else
        g.block(lo, hi, 0, n);
    });
  });
}

} // namespace lmul
