// The slots of ErrorAccumulator (stats.cpp): counts finer than the histogram's bins, from which
// the median is selected. Private to the core library.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "lmul/format.hpp"
#include "lmul/stats.hpp"

namespace lmul {

constexpr int kLogBins = -kLowestDecade * kBinsPerDecade; // bins between 1e-8 and 1
constexpr int kBins = kLogBins + 2;                       // plus [0, 1e-8) and [1, inf]

// The slots of ErrorAccumulator. A relative error is a non-negative float (NaN becomes inf), so
// its bit pattern orders like its value. Its key is the pattern's top bits (>> 19): a run of
// 2^19 patterns, a factor of at most 1 + 2^-4, so a key holds at most one histogram edge
// (neighbouring edges are a factor 10^(1/4) apart) and is split there into two slots, each
// inside one bin. Keys below the one of the edge 1e-8 share one slot, as do keys above the one
// of the edge 1. Slot s holds the patterns [lo(s), lo(s + 1)).
class SlotTable {
public:
  static constexpr int kShift = 19;
  SlotTable(); // slot_table.cpp, compiled for size: it runs once
  // The slot of a relative error's pattern (not NaN: bits <= inf's).
  std::size_t slot(uint32_t bits) const {
    const uint32_t r = bits >> kShift;
    return first_slot_of_[r] + (bits >= split_of_[r]);
  }
  std::size_t slots() const { return 2 * std::size_t(keys_); }
  uint32_t lo(std::size_t slot) const { return lo_[slot]; }
  int bin(std::size_t slot) const { return bin_[slot]; }
  // The key of a relative error's pattern.
  int32_t key(uint32_t bits) const {
    return std::clamp(int32_t(bits >> kShift) - first_key_ + 1, int32_t(0), keys_ - 1);
  }

private:
  int32_t first_key_ = 0, keys_ = 0;
  std::vector<uint32_t> lo_;
  std::vector<int> bin_;
  std::vector<uint16_t> first_slot_of_;
  std::vector<uint32_t> split_of_;
};

const SlotTable& slot_table();

} // namespace lmul
