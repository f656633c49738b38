// An in-memory port fed and drained by the caller: frames injected into an RX
// queue come out of rx_burst; transmitted packets are kept (as bytes, with
// the TX queue) until taken. Thread-safe; for tests and for control-plane
// code that talks to a running data plane.
#pragma once

#include <deque>
#include <mutex>
#include <vector>

#include "dataplane/port.h"

namespace ebpfaas::dataplane {

class MemoryPort final : public Port {
 public:
  struct Sent {
    uint16_t queue;
    std::vector<uint8_t> bytes;
  };
  MemoryPort(std::string name, uint16_t queues, uint32_t pool_size = 1024);
  void inject(uint16_t queue, std::vector<uint8_t> frame);
  std::vector<Sent> take_sent();
  size_t pending(uint16_t queue) const;

  uint16_t rx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t tx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t rx_burst(uint16_t queue, std::span<Packet*> out) override;
  uint16_t tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) override;
  PortStats stats() const override { return sum_counters(counters_); }

 private:
  struct Queue {
    explicit Queue(uint32_t pool) : pool(pool) {}
    HeapPacketPool pool;  // the polling engine's only
    mutable std::mutex mu;
    std::deque<std::vector<uint8_t>> rx;
  };
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<QueueCounters> counters_;
  std::mutex sent_mu_;
  std::vector<Sent> sent_;
};

}  // namespace ebpfaas::dataplane
