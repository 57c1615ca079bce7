// Wall time for the "seconds" that evaluation and training report.
#pragma once

#include <ctime>

namespace lmul {

// Seconds on a monotonic clock, from an arbitrary start. clock_gettime rather than
// std::chrono::steady_clock: libc++'s now() can throw std::system_error, whose message
// formatting links printf and its long double arithmetic into the .wasm (~7 KB).
inline double monotonic_seconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return double(now.tv_sec) + 1e-9 * double(now.tv_nsec);
}

} // namespace lmul
