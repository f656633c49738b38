// What engines count: packets and bytes, verdicts, drops by cause, and a
// latency histogram (arrival TSC to verdict applied). Each engine writes its
// own counters (relaxed stores, no read-modify-write on shared lines); any
// thread may read a snapshot at any time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

namespace ebpfaas::dataplane {

// Why a packet went nowhere.
enum class DropCause : uint8_t {
  kProgram,         // XDP_DROP
  kAborted,         // XDP_ABORTED (or a fault in checked mode)
  kInvalidVerdict,  // a return value that is no XDP action
  kNoProgram,       // nothing published yet
  kUnknownIfindex,  // redirect to an ifindex that is no port
  kEmptyBroadcast,  // broadcast with no target left
  kPassNoHost,      // XDP_PASS without a host port
  kTxFailed,        // the egress port refused it (ring full, no output file)
  kCloneFailed,     // no buffer to copy a broadcast packet into
  kCount
};
const char* drop_cause_name(DropCause c);

// Latency in ns: log2 buckets with 8 linear steps each (12.5 % resolution).
class LatencyHistogram {
 public:
  static constexpr size_t kBuckets = 64 * 8;
  static size_t bucket(uint64_t ns);
  static uint64_t bucket_floor(size_t b);
  void add(uint64_t ns, uint64_t count) {
    auto& c = counts_[bucket(ns)];
    c.store(c.load(std::memory_order_relaxed) + count, std::memory_order_relaxed);
  }
  std::array<uint64_t, kBuckets> snapshot() const;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
};

// Quantile q (0..1) of a histogram snapshot, in ns (the bucket's floor); 0 if empty.
uint64_t latency_quantile(const std::array<uint64_t, LatencyHistogram::kBuckets>& h, double q);

struct EngineCounters {
  uint64_t batches = 0;
  uint64_t rx_packets = 0, rx_bytes = 0;
  uint64_t tx_packets = 0, tx_bytes = 0;  // handed to a port and accepted
  std::array<uint64_t, 5> verdicts{};     // XDP_ABORTED .. XDP_REDIRECT
  std::array<uint64_t, static_cast<size_t>(DropCause::kCount)> drops{};
  uint64_t broadcast_copies = 0;
  uint64_t version = 0;       // of the program the engine ran last
  uint64_t swaps = 0;         // new programs picked up
  uint64_t last_swap_ns = 0;  // publish -> first packet, last swap
  uint64_t max_swap_ns = 0;
  uint64_t total_swap_ns = 0;
  uint64_t drops_total() const;
  EngineCounters& operator+=(const EngineCounters& o);
};

// Single writer (the engine), many readers.
class EngineStats {
 public:
  EngineCounters snapshot() const;
  // Writer side: publish the engine's private tally.
  void store(const EngineCounters& c);
  // Writer side: the tally as the engine takes program `version`, before it
  // runs a packet of it. The last kMarks are kept.
  void mark_version(uint64_t version, const EngineCounters& c);
  // The tally the engine marked when it took `version`, or the first later
  // version it took (it may skip one published and replaced before its next
  // batch); nullopt when it marked none of them.
  std::optional<EngineCounters> marked_at_or_after(uint64_t version) const;
  LatencyHistogram latency;

 private:
  static constexpr size_t kWords = sizeof(EngineCounters) / sizeof(uint64_t);
  static constexpr size_t kMarks = 16;
  struct Mark {
    std::atomic<uint64_t> version{0};  // 0 while written (a seqlock)
    std::array<std::atomic<uint64_t>, kWords> words{};
  };
  std::array<std::atomic<uint64_t>, kWords> words_{};
  std::array<Mark, kMarks> marks_{};
  uint64_t next_mark_ = 0;  // writer only
};

}  // namespace ebpfaas::dataplane
