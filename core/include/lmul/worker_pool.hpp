// The worker pool: runs a batch of tasks on a fixed set of threads and waits for them. Training
// and `lmul eval` share it. The native build uses core/src/worker_pool.cpp (std::thread); the
// WebAssembly module is single-threaded, so its build compiles wasm/worker_pool.cpp instead,
// which runs every task on the caller.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace lmul {

// Runs tasks on a fixed set of threads (the caller is one of them).
class WorkerPool {
public:
  explicit WorkerPool(std::size_t threads); // 0: one per hardware thread
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  std::size_t size() const;
  // Calls task(i) for i in [0, tasks) and returns when all are done.
  void run(std::size_t tasks, const std::function<void(std::size_t)>& task);

private:
  struct Shared;
  std::unique_ptr<Shared> shared_;
};

} // namespace lmul
