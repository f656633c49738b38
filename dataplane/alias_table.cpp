#include "dataplane/alias_table.h"

#include <cmath>

namespace ebpfaas::dataplane {

Expected<AliasTable> AliasTable::create(std::span<const double> weights) {
  const size_t n = weights.size();
  if (n == 0) return errorf("alias table: no outcomes");
  if (n > UINT32_MAX) return errorf("alias table: {} outcomes, at most 2^32 - 1", n);
  long double total = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(weights[i]) || weights[i] < 0)
      return errorf("alias table: weight {} of outcome {} is not a finite non-negative number",
                    weights[i], i);
    total += weights[i];
  }
  if (!(total > 0)) return errorf("alias table: the weights sum to zero");

  constexpr long double kOne = 9007199254740992.0L;  // 2^53
  // Scaled so that the average column holds exactly 1.
  std::vector<long double> scaled(n);
  std::vector<uint32_t> small, large;
  for (size_t i = 0; i < n; ++i) {
    scaled[i] = weights[i] * static_cast<long double>(n) / total;
    (scaled[i] < 1 ? small : large).push_back(static_cast<uint32_t>(i));
  }
  AliasTable t;
  t.entries_.resize(n);
  for (size_t i = 0; i < n; ++i)
    t.entries_[i] = Entry{static_cast<uint64_t>(kOne), static_cast<uint32_t>(i)};
  while (!small.empty() && !large.empty()) {
    const uint32_t s = small.back();
    small.pop_back();
    const uint32_t l = large.back();
    t.entries_[s] = Entry{static_cast<uint64_t>(std::llroundl(scaled[s] * kOne)), l};
    scaled[l] = (scaled[l] + scaled[s]) - 1;
    if (scaled[l] < 1) {
      large.pop_back();
      small.push_back(l);
    }
  }
  // Whatever remains holds 1 up to rounding error: it keeps its own outcome.
  return t;
}

double AliasTable::probability(uint32_t i) const {
  constexpr long double kOne = 9007199254740992.0L;
  const long double n = static_cast<long double>(entries_.size());
  long double p = entries_[i].keep / kOne / n;
  for (size_t c = 0; c < entries_.size(); ++c)
    if (entries_[c].alias == i && c != i) p += (1 - entries_[c].keep / kOne) / n;
  return static_cast<double>(p);
}

std::vector<double> zipf_weights(size_t n, double s) {
  std::vector<double> w(n);
  for (size_t k = 0; k < n; ++k) w[k] = std::pow(static_cast<double>(k + 1), -s);
  return w;
}

}  // namespace ebpfaas::dataplane
