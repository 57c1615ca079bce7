// The native WorkerPool: threads - 1 std::threads that wait for a generation of tasks, plus
// the caller, all taking task indices from one counter.
#include "lmul/worker_pool.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace lmul {

struct WorkerPool::Shared {
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(std::size_t)>* task = nullptr;
  std::size_t tasks = 0, next = 0, finished = 0;
  uint64_t generation = 0;
  bool stop = false;
  std::vector<std::thread> threads;

  // Takes tasks of the current generation until none are left. Called with the lock held.
  void drain(std::unique_lock<std::mutex>& lock) {
    while (next < tasks) {
      const std::size_t i = next++;
      lock.unlock();
      (*task)(i);
      lock.lock();
      if (++finished == tasks)
        done.notify_all();
    }
  }
};

WorkerPool::WorkerPool(std::size_t threads) : shared_(std::make_unique<Shared>()) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  Shared* s = shared_.get();
  for (std::size_t t = 1; t < threads; ++t)
    s->threads.emplace_back([s] {
      std::unique_lock<std::mutex> lock(s->mutex);
      uint64_t seen = 0;
      for (;;) {
        s->wake.wait(lock, [&] { return s->stop || s->generation != seen; });
        if (s->stop)
          return;
        seen = s->generation;
        s->drain(lock);
      }
    });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(shared_->mutex);
    shared_->stop = true;
  }
  shared_->wake.notify_all();
  for (auto& t : shared_->threads)
    t.join();
}

std::size_t WorkerPool::size() const { return shared_->threads.size() + 1; }

void WorkerPool::run(std::size_t tasks, const std::function<void(std::size_t)>& task) {
  if (tasks == 0)
    return;
  if (tasks == 1 || shared_->threads.empty()) {
    for (std::size_t i = 0; i < tasks; ++i)
      task(i);
    return;
  }
  Shared& s = *shared_;
  std::unique_lock<std::mutex> lock(s.mutex);
  s.task = &task;
  s.tasks = tasks;
  s.next = 0;
  s.finished = 0;
  ++s.generation;
  s.wake.notify_all();
  s.drain(lock);
  s.done.wait(lock, [&] { return s.finished == s.tasks; });
  s.task = nullptr;
}

} // namespace lmul
