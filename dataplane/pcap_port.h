// A pcap file as a port. RX replays a capture loaded into memory, spread over
// the RX queues by software RSS, either as fast as the engines take it or at
// the capture's own timing (packet i leaves when its offset from the first
// timestamp has elapsed); loop=N replays it N times (0: forever). TX writes
// the packets as the program left them to out=FILE (nanosecond pcap), under a
// lock because every engine may transmit to it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include "dataplane/pcap_file.h"
#include "dataplane/port.h"

namespace ebpfaas::dataplane {

struct PcapPortOptions {
  std::string in;   // empty: write-only port
  std::string out;  // empty: TX drops (counted)
  bool capture_timing = false;
  uint64_t loops = 1;  // 0: forever
};

Expected<PcapPortOptions> parse_pcap_spec(std::string_view spec);

class PcapPort final : public Port {
 public:
  static Expected<std::unique_ptr<PcapPort>> create(std::string name,
                                                    const PcapPortOptions& options,
                                                    const PortOptions& port);
  uint16_t rx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t tx_queues() const override { return static_cast<uint16_t>(queues_.size()); }
  uint16_t rx_burst(uint16_t queue, std::span<Packet*> out) override;
  uint16_t tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) override;
  PortStats stats() const override;
  bool finite() const override { return !options_.in.empty() && options_.loops != 0; }
  bool exhausted() const override;
  Status close() override;

 private:
  struct Queue {
    explicit Queue(uint32_t pool) : pool(pool) {}
    HeapPacketPool pool;
    std::vector<uint32_t> records;  // indexes into trace_
    size_t next = 0;
    uint64_t loop = 0;
    std::atomic<bool> done{false};
  };
  explicit PcapPort(std::string name) : Port(std::move(name)) {}
  PcapPortOptions options_;
  PacketTrace trace_;
  std::vector<std::unique_ptr<Queue>> queues_;
  std::vector<QueueCounters> counters_;
  std::atomic<uint64_t> start_ns_{0};  // steady clock at the first rx (capture timing)
  uint64_t first_ts_ = 0;
  uint64_t span_ns_ = 0;  // last - first timestamp, + 1 packet gap per loop
  std::mutex out_mu_;
  std::optional<PcapWriter> writer_;
};

}  // namespace ebpfaas::dataplane
