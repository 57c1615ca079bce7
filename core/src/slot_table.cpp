#include "slot_table.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace lmul {

std::vector<double> histogram_edges() {
  std::vector<double> e{0.0};
  for (int k = 0; k <= kLogBins; ++k)
    e.push_back(std::pow(10.0, kLowestDecade + double(k) / kBinsPerDecade));
  e.push_back(std::numeric_limits<double>::infinity());
  return e;
}

SlotTable::SlotTable() {
  const std::vector<double> e = histogram_edges();
  uint32_t edge[kBins + 1]; // bins are decided on float values, so on float patterns
  for (int k = 0; k <= kBins; ++k)
    edge[k] = bits_of(static_cast<float>(e[k]));
  first_key_ = int32_t(edge[1] >> kShift);
  const int32_t last_key = int32_t(edge[kBins - 1] >> kShift);
  keys_ = last_key - first_key_ + 3;
  std::vector<uint32_t> key_split(std::size_t(keys_), 0); // where each key's second slot starts
  lo_.resize(2 * std::size_t(keys_) + 1);
  bin_.resize(2 * std::size_t(keys_));
  for (int32_t c = 0; c < keys_; ++c) {
    const uint32_t lo = c == 0 ? 0 : uint32_t(first_key_ + c - 1) << kShift;
    const uint32_t hi = c == 0           ? uint32_t(first_key_) << kShift
                        : c == keys_ - 1 ? kInfBits + 1
                                         : lo + (1u << kShift);
    int b = 0;
    while (b + 1 < kBins && lo >= edge[b + 1])
      ++b;
    uint32_t split = hi;
    if (b + 1 < kBins && edge[b + 1] < hi) {
      split = edge[b + 1];
      if (b + 2 < kBins && edge[b + 2] < hi)
        throw std::logic_error("histogram edges closer than a slot key");
    }
    key_split[std::size_t(c)] = split;
    lo_[2 * c] = lo;
    lo_[2 * c + 1] = split;
    bin_[2 * c] = b;
    bin_[2 * c + 1] = split < hi ? b + 1 : b;
  }
  lo_[2 * keys_] = kInfBits + 1;
  // Per pattern prefix (bits >> kShift, up to inf's): its key's first slot and split.
  const std::size_t prefixes = (kInfBits >> kShift) + 1;
  first_slot_of_.resize(prefixes);
  split_of_.resize(prefixes);
  for (std::size_t r = 0; r < prefixes; ++r) {
    const int32_t c = key(uint32_t(r) << kShift);
    first_slot_of_[r] = uint16_t(2 * c);
    split_of_[r] = key_split[std::size_t(c)];
  }
}

const SlotTable& slot_table() {
  static const SlotTable table;
  return table;
}

} // namespace lmul
