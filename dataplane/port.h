// The packet ports the engines poll. Every port looks the same to an engine:
// RX and TX queues of packets in batches, and counters.
//
//   auto port = open_port("gen:size=64,flows=1024", {.queues = 2});
//   Packet* batch[kBatchSize];
//   uint16_t n = (*port)->rx_burst(queue, batch);
//   ... run the program on each packet in place ...
//   uint16_t sent = (*port)->tx_burst(queue, batch, n);  // owns all n
//
// Queue q of every port is polled (RX) and written (TX) by engine q % engines
// only, so a queue needs no lock. A port with fewer queues than engines is
// polled by the first engines; its TX queues are then shared (the port locks).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/packet.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

struct PortStats {
  uint64_t rx_packets = 0, rx_bytes = 0;
  uint64_t tx_packets = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0;  // the port could not deliver (no buffer, ring full)
  uint64_t tx_dropped = 0;  // tx_burst refused them (counted by the engine too)
};

// Per-queue counters, written by the queue's engine only (relaxed stores).
struct alignas(64) QueueCounters {
  std::atomic<uint64_t> rx_packets{0}, rx_bytes{0}, tx_packets{0}, tx_bytes{0}, rx_dropped{0},
      tx_dropped{0};
  void add_rx(uint64_t packets, uint64_t bytes) {
    rx_packets.store(rx_packets.load(std::memory_order_relaxed) + packets,
                     std::memory_order_relaxed);
    rx_bytes.store(rx_bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  }
  void add_tx(uint64_t packets, uint64_t bytes) {
    tx_packets.store(tx_packets.load(std::memory_order_relaxed) + packets,
                     std::memory_order_relaxed);
    tx_bytes.store(tx_bytes.load(std::memory_order_relaxed) + bytes, std::memory_order_relaxed);
  }
};
inline PortStats sum_counters(std::span<const QueueCounters> queues) {
  PortStats s;
  for (const QueueCounters& q : queues) {
    s.rx_packets += q.rx_packets.load(std::memory_order_relaxed);
    s.rx_bytes += q.rx_bytes.load(std::memory_order_relaxed);
    s.tx_packets += q.tx_packets.load(std::memory_order_relaxed);
    s.tx_bytes += q.tx_bytes.load(std::memory_order_relaxed);
    s.rx_dropped += q.rx_dropped.load(std::memory_order_relaxed);
    s.tx_dropped += q.tx_dropped.load(std::memory_order_relaxed);
  }
  return s;
}

class Port {
 public:
  virtual ~Port() = default;
  // As given in the spec ("gen:size=64", "pcap:in.pcap", "dpdk:net_null0").
  const std::string& name() const { return name_; }
  virtual uint16_t rx_queues() const = 0;
  virtual uint16_t tx_queues() const = 0;
  // Up to out.size() received packets; 0 when none is waiting.
  virtual uint16_t rx_burst(uint16_t queue, std::span<Packet*> out) = 0;
  // Takes ownership of the n packets and returns how many were sent; the
  // others (ring full, no output) were freed and counted as tx_dropped.
  virtual uint16_t tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) = 0;
  virtual PortStats stats() const = 0;
  // An input that ends (a pcap file, a generator with count=) has delivered
  // everything; the run may stop once every finite port is exhausted.
  virtual bool exhausted() const { return false; }
  virtual bool finite() const { return false; }
  // Does the device spread packets over RX queues itself (hardware RSS)?
  virtual bool hardware_rss() const { return false; }
  // What the port is underneath, for reports ("net_af_xdp, 2 queues, RSS").
  virtual std::string device() const { return {}; }
  // Flushes output (pcap files) and reports what went wrong on the way.
  virtual Status close() { return {}; }

 protected:
  explicit Port(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

struct PortOptions {
  uint16_t queues = 1;  // RX/TX queues wanted (one per engine)
  // Buffers per RX queue for software ports.
  uint32_t pool_size = 4096;
};

// Opens a port from its spec:
//   gen:KEY=VALUE,...        in-memory generator: the traffic keys of `ebpfaas gen`
//                            (size, flows, dist, proto, ...) plus frames=N (pre-built
//                            frames per queue, default 4096) and count=N (stop after
//                            N packets; default unbounded)
//   pcap:IN.pcap[,out=OUT.pcap][,timing=fast|capture][,loop=N]
//   pcap:out=OUT.pcap        write only
//   dpdk:PCI-ADDRESS | dpdk:VDEV[,ARGS]   (net_null0, net_ring0, net_tap0,iface=x, ...)
//   iface:NAME               a Linux interface: net_af_xdp, else net_af_packet
// Errors name the spec and the bad key.
Expected<std::unique_ptr<Port>> open_port(std::string_view spec, const PortOptions& options);

// "key=value,key=value" items; an item without '=' is kept with an empty
// value only when `allow_bare` (the first item of pcap:/dpdk: specs).
struct SpecItem {
  std::string key, value;
  bool bare = false;
};
std::vector<SpecItem> split_spec(std::string_view text);

}  // namespace ebpfaas::dataplane
