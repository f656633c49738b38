// The in-memory generator port: frames of the traffic model (`ebpfaas gen`)
// built once, spread over the RX queues by software RSS, then copied into
// packet buffers at every rx_burst (what a NIC's DMA does) so that the data
// plane, and not an I/O path, is what a benchmark measures. TX is a sink that
// counts and frees.
//
// Paced: with `rate=` in the spec, each queue delivers at most its share of
// that rate (packets/s, or bits/s at the frames' mean size + 24 bytes of
// preamble, FCS and gap), counted from its first poll; without it, as fast as
// the engines poll. `rx=off` makes a TX-only port (a sink: counts what is sent
// to it and delivers nothing).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "dataplane/port.h"
#include "dataplane/rss.h"
#include "dataplane/traffic.h"

namespace ebpfaas::dataplane {

struct GenPortOptions {
  TrafficOptions traffic;
  uint32_t frames = 0;  // pre-built frames in all; 0: flows clamped to [4096, 65536]
  uint64_t count = 0;   // packets to deliver in all; 0: unbounded
  bool paced = false;   // the spec named a rate: deliver at traffic.timing's rate
  bool rx = true;       // false: a sink (rx=off)
};

// Parses the part after "gen:" (traffic keys plus frames=, count=, rx=on|off).
Expected<GenPortOptions> parse_gen_spec(std::string_view spec);

class GenPort final : public Port {
 public:
  static Expected<std::unique_ptr<GenPort>> create(std::string name, const GenPortOptions& options,
                                                   const PortOptions& port);
  uint16_t rx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t tx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t rx_burst(uint16_t queue, std::span<Packet*> out) override;
  uint16_t tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) override;
  PortStats stats() const override;
  bool finite() const override { return limited_; }
  bool exhausted() const override;
  // Frames each queue replays (software RSS may leave a queue without flows).
  size_t frames_on_queue(uint16_t q) const { return queues_[q]->frames.size(); }

 private:
  struct Frame {
    uint32_t offset, length, hash;  // in Queue::bytes
  };
  // One cache-line-aligned block per queue: each is written per packet by its
  // own engine (free list, cursor), and neighbours on one line would bounce
  // between the engines' cores.
  struct alignas(64) Queue {
    explicit Queue(uint32_t pool) : pool(pool) {}
    HeapPacketPool pool;
    std::vector<uint8_t> bytes;  // the frames back to back
    std::vector<Frame> frames;
    size_t next = 0;
    uint64_t left = UINT64_MAX;  // packets still to deliver
    std::atomic<bool> done{false};
    double per_tick = 0;  // paced: packets per TSC tick; 0: unpaced
    uint64_t start_tsc = 0, delivered = 0;
  };
  explicit GenPort(std::string name) : Port(std::move(name)) {}
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<QueueCounters> counters_;
  bool limited_ = false;
};

}  // namespace ebpfaas::dataplane
