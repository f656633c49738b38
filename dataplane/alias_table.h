// Sampling from a fixed discrete distribution in O(1) per draw: Walker's alias
// method, built with Vose's numerically stable construction (IEEE TSE 1991).
// The generator uses it to pick the flow of each packet (uniform or Zipf), so
// a million flows cost the same per packet as ten.
//
// Each column keeps its own outcome with a probability stored as a 53-bit
// integer threshold, otherwise yields its alias; the resulting probabilities
// equal the normalized weights to within 2^-53 per column.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/random.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

class AliasTable {
 public:
  // Weights must be finite, non-negative, with a positive sum, and fewer than 2^32.
  static Expected<AliasTable> create(std::span<const double> weights);

  // One draw in two steps, so that a caller generating packets can prefetch
  // the table entry of a draw it will resolve a few packets later (a table of
  // a million outcomes does not fit in cache, and its columns are hit uniformly).
  struct Draw {
    uint32_t column;
    uint64_t coin;  // uniform in [0, 2^53)
  };
  Draw draw(Random& rng) const {
    const uint32_t column = static_cast<uint32_t>(rng.below(entries_.size()));
    return {column, rng.next53()};
  }
  void prefetch(const Draw& d) const { __builtin_prefetch(&entries_[d.column]); }
  uint32_t resolve(const Draw& d) const {
    const Entry& e = entries_[d.column];
    return d.coin < e.keep ? d.column : e.alias;
  }
  uint32_t sample(Random& rng) const { return resolve(draw(rng)); }

  size_t size() const { return entries_.size(); }
  // The probability of outcome i as the table realises it (for tests).
  double probability(uint32_t i) const;

 private:
  struct Entry {
    uint64_t keep;  // threshold in [0, 2^53]
    uint32_t alias;
  };
  std::vector<Entry> entries_;
};

// Zipf weights: outcome k (0-based) has weight 1 / (k + 1)^s. s = 0 is uniform.
std::vector<double> zipf_weights(size_t n, double s);

}  // namespace ebpfaas::dataplane
