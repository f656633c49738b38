#include "dataplane/engine_stats.h"

#include <bit>
#include <cstring>

namespace ebpfaas::dataplane {

const char* drop_cause_name(DropCause c) {
  switch (c) {
    case DropCause::kProgram:
      return "program (XDP_DROP)";
    case DropCause::kAborted:
      return "aborted";
    case DropCause::kInvalidVerdict:
      return "invalid verdict";
    case DropCause::kNoProgram:
      return "no program";
    case DropCause::kUnknownIfindex:
      return "redirect to unknown ifindex";
    case DropCause::kEmptyBroadcast:
      return "broadcast without targets";
    case DropCause::kPassNoHost:
      return "XDP_PASS without host port";
    case DropCause::kTxFailed:
      return "tx refused by port";
    case DropCause::kCloneFailed:
      return "no buffer for broadcast copy";
    case DropCause::kCount:
      break;
  }
  return "?";
}

size_t LatencyHistogram::bucket(uint64_t ns) {
  if (ns < 8) return static_cast<size_t>(ns);
  const unsigned msb = 63 - static_cast<unsigned>(std::countl_zero(ns));
  const uint64_t sub = (ns >> (msb - 3)) & 7;
  return (msb - 2) * 8 + sub;
}

uint64_t LatencyHistogram::bucket_floor(size_t b) {
  if (b < 8) return b;
  const unsigned msb = static_cast<unsigned>(b / 8 + 2);
  return (uint64_t{1} << msb) | (uint64_t{b % 8} << (msb - 3));
}

std::array<uint64_t, LatencyHistogram::kBuckets> LatencyHistogram::snapshot() const {
  std::array<uint64_t, kBuckets> out{};
  for (size_t i = 0; i < kBuckets; ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

uint64_t latency_quantile(const std::array<uint64_t, LatencyHistogram::kBuckets>& h, double q) {
  uint64_t total = 0;
  for (uint64_t c : h) total += c;
  if (!total) return 0;
  const double rank = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    seen += h[i];
    if (static_cast<double>(seen) >= rank && h[i]) return LatencyHistogram::bucket_floor(i);
  }
  return LatencyHistogram::bucket_floor(h.size() - 1);
}

uint64_t EngineCounters::drops_total() const {
  uint64_t n = 0;
  for (uint64_t d : drops) n += d;
  return n;
}

EngineCounters& EngineCounters::operator+=(const EngineCounters& o) {
  batches += o.batches;
  rx_packets += o.rx_packets;
  rx_bytes += o.rx_bytes;
  tx_packets += o.tx_packets;
  tx_bytes += o.tx_bytes;
  for (size_t i = 0; i < verdicts.size(); ++i) verdicts[i] += o.verdicts[i];
  for (size_t i = 0; i < drops.size(); ++i) drops[i] += o.drops[i];
  broadcast_copies += o.broadcast_copies;
  version = std::max(version, o.version);
  swaps += o.swaps;
  last_swap_ns = std::max(last_swap_ns, o.last_swap_ns);
  max_swap_ns = std::max(max_swap_ns, o.max_swap_ns);
  total_swap_ns += o.total_swap_ns;
  return *this;
}

static_assert(sizeof(EngineCounters) % sizeof(uint64_t) == 0);

EngineCounters EngineStats::snapshot() const {
  uint64_t w[kWords];
  for (size_t i = 0; i < kWords; ++i) w[i] = words_[i].load(std::memory_order_relaxed);
  // A reader that saw a tally stored after a mark sees that mark.
  std::atomic_thread_fence(std::memory_order_acquire);
  EngineCounters c;
  std::memcpy(&c, w, sizeof c);
  return c;
}

void EngineStats::store(const EngineCounters& c) {
  uint64_t w[kWords];
  std::memcpy(w, &c, sizeof c);
  std::atomic_thread_fence(std::memory_order_release);
  for (size_t i = 0; i < kWords; ++i) words_[i].store(w[i], std::memory_order_relaxed);
}

void EngineStats::mark_version(uint64_t version, const EngineCounters& c) {
  Mark& m = marks_[next_mark_++ % kMarks];
  uint64_t w[kWords];
  std::memcpy(w, &c, sizeof c);
  m.version.store(0, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  for (size_t i = 0; i < kWords; ++i) m.words[i].store(w[i], std::memory_order_relaxed);
  m.version.store(version, std::memory_order_release);
}

std::optional<EngineCounters> EngineStats::marked_at_or_after(uint64_t version) const {
  std::optional<EngineCounters> best;
  uint64_t best_version = 0;
  for (const Mark& m : marks_) {
    const uint64_t v1 = m.version.load(std::memory_order_acquire);
    if (v1 == 0 || v1 < version || (best && v1 >= best_version)) continue;
    uint64_t w[kWords];
    for (size_t i = 0; i < kWords; ++i) w[i] = m.words[i].load(std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_acquire);
    if (m.version.load(std::memory_order_relaxed) != v1) continue;  // rewritten meanwhile
    EngineCounters c;
    std::memcpy(&c, w, sizeof c);
    best = c;
    best_version = v1;
  }
  return best;
}

}  // namespace ebpfaas::dataplane
