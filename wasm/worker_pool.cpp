// The WorkerPool of the WebAssembly build (compiled instead of core/src/worker_pool.cpp): the
// module runs on one thread, so every task runs on the caller, in order.
#include "lmul/worker_pool.hpp"

namespace lmul {

struct WorkerPool::Shared {};

WorkerPool::WorkerPool(std::size_t) {}
WorkerPool::~WorkerPool() = default;

std::size_t WorkerPool::size() const { return 1; }

void WorkerPool::run(std::size_t tasks, const std::function<void(std::size_t)>& task) {
  for (std::size_t i = 0; i < tasks; ++i)
    task(i);
}

} // namespace lmul
