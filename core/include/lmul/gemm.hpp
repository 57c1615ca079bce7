// The matrix product of training: a blocked, packed SIMD GEMM whose every product is the
// multiplier of a MulSpec and whose every output sums its products in increasing k, so its
// results do not depend on blocking, thread count or SIMD width.
#pragma once

#include <cstddef>

#include "lmul/multiply.hpp"
#include "lmul/worker_pool.hpp"

namespace lmul {

// A matrix read through strides: element (r, c) is data[r * row_stride + c * col_stride], so
// one view type covers a matrix and its transpose.
struct MatrixView {
  const float* data = nullptr;
  std::size_t rows = 0, cols = 0, row_stride = 0, col_stride = 1;
  MatrixView transposed() const { return {data, cols, rows, col_stride, row_stride}; }
};

// C = A * B (or C += A * B when accumulate), C row-major [A.rows][B.cols] with leading
// dimension ldc, every product a * b computed by the multiplier of `spec` on operands it
// quantized (exact: plain fp32). Each C element adds its products in increasing k, starting
// from 0 (or from C), so the result is the same for any blocking, thread count and SIMD width.
// A blocked, packed SIMD GEMM; pool may be null (single-threaded).
void gemm(const MulSpec& spec, const MatrixView& A, const MatrixView& B, float* C, std::size_t ldc,
          bool accumulate, WorkerPool* pool);

} // namespace lmul
