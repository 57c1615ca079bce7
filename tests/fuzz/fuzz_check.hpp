// Shared by the fuzz targets in this folder. Each target defines LLVMFuzzerTestOneInput and is
// built twice: with libFuzzer (LMUL_FUZZ=ON, clang) to search, and with replay_main.cpp
// (sanitizer builds) to run the committed corpus as a regression test.
//
// FUZZ_CHECK(cond, ...) prints the failed invariant with printf-style details and aborts, which
// libFuzzer reports as a crash (and saves the input) and ctest as a failed test.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#define FUZZ_CHECK(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond);     \
      std::fprintf(stderr, __VA_ARGS__);                                                           \
      std::fprintf(stderr, "\n");                                                                  \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

namespace fuzz {

// Consumes bytes from the front of the input; reads past the end give zeros.
class Reader {
public:
  Reader(const uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  std::size_t left() const { return std::size_t(end_ - p_); }
  uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  uint32_t u32() { // little-endian
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t(byte()) << (8 * i);
    return v;
  }
  const uint8_t* rest() const { return p_; }

private:
  const uint8_t* p_;
  const uint8_t* end_;
};

inline bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

inline uint32_t bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline uint64_t bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, 8);
  return u;
}

} // namespace fuzz
