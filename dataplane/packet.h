// Packet buffers of the data plane. A buffer has vm::XdpFrame's geometry: a
// 4096-byte frame, 256 bytes of headroom (XDP_PACKET_HEADROOM) before the
// packet and the skb_shared_info tailroom at the end, so the XDP helpers
// (adjust_head/tail/meta) work in place and fail where Linux's do. A Packet is
// the descriptor the engines pass around: its XdpBuff is the program's
// context, pointing into the frame; ports hand packets from RX to TX without
// copying them (zero copy).
//
// Packets belong to a PacketPool. A pool is used by one engine at a time (the
// engine that polls the RX queue the pool feeds); packets freed on TX by that
// engine go straight back.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "helpers/linux_helpers.h"
#include "helpers/xdp_buff.h"

namespace ebpfaas::dataplane {

inline constexpr uint32_t kBatchSize = 32;
inline constexpr uint32_t kFrameSize = 4096;
inline constexpr uint32_t kHeadroom = helpers::kXdpHeadroom;
inline constexpr uint32_t kMaxPacketSize = kFrameSize - kHeadroom - helpers::kSkbSharedInfoSize;

class PacketPool;

struct Packet {
  helpers::XdpBuff xdp;  // the program's context (r1)
  uint64_t rx_tsc = 0;   // arrival time (TSC)
  uint32_t rss_hash = 0;
  uint16_t port = 0;   // ingress port index
  uint16_t queue = 0;  // ingress RX queue
  PacketPool* pool = nullptr;
  void* handle = nullptr;  // the port's own buffer (a DPDK rte_mbuf), or null
  uint8_t* frame = nullptr;
  uint32_t frame_size = kFrameSize;

  uint32_t length() const { return static_cast<uint32_t>(xdp.data_end - xdp.data); }
  uint8_t* data() { return xdp.data; }
  std::span<const uint8_t> bytes() const { return {xdp.data, length()}; }
  // Places an empty packet of `len` bytes at the headroom (len <= kMaxPacketSize).
  void reset(uint32_t len) {
    xdp.data_hard_start = frame;
    xdp.data = frame + kHeadroom;
    xdp.data_meta = xdp.data;
    xdp.data_end = xdp.data + len;
    xdp.frame_end = frame + frame_size - helpers::kSkbSharedInfoSize;
    xdp.egress_ifindex = 0;
  }
  // reset() and copy `bytes` in (truncated to kMaxPacketSize).
  void assign(std::span<const uint8_t> bytes) {
    uint32_t len = static_cast<uint32_t>(std::min<size_t>(bytes.size(), kMaxPacketSize));
    reset(len);
    if (len) std::memcpy(xdp.data, bytes.data(), len);
  }
};

class PacketPool {
 public:
  virtual ~PacketPool() = default;
  // Fills up to out.size() packets (reset to length 0); returns how many.
  virtual uint32_t alloc(std::span<Packet*> out) = 0;
  virtual void free(Packet* p) = 0;
  Packet* alloc_one() {
    Packet* p = nullptr;
    return alloc({&p, 1}) ? p : nullptr;
  }
  // free(p) without a virtual call when the pool is a free list the engines
  // may push to directly (HeapPacketPool): engines free per packet.
  void release(Packet* p) {
    if (lifo_)
      lifo_->push_back(p);
    else
      free(p);
  }

 protected:
  std::vector<Packet*>* lifo_ = nullptr;
};

inline void free_packets(std::span<Packet* const> pkts) {
  for (Packet* p : pkts) p->pool->release(p);
}

// A copy of `p` from `pool` (for broadcast), or nullptr when the pool is empty.
Packet* clone_packet(const Packet& p, PacketPool& pool);

// Frames in one allocation with a LIFO free list: the most recently freed
// (cache-warm) buffer is reused first. Not thread-safe (one engine).
class HeapPacketPool final : public PacketPool {
 public:
  explicit HeapPacketPool(uint32_t count);
  uint32_t alloc(std::span<Packet*> out) override;
  void free(Packet* p) override { free_.push_back(p); }
  // The fast path of a port that owns the pool: up to n packets as they were
  // freed (the caller resets them), and their return without a virtual call.
  uint32_t take(Packet** out, uint32_t n) {
    n = std::min<uint32_t>(n, static_cast<uint32_t>(free_.size()));
    Packet** top = free_.data() + free_.size();
    for (uint32_t i = 0; i < n; ++i) out[i] = *--top;
    free_.resize(free_.size() - n);
    return n;
  }
  void put(Packet* p) { free_.push_back(p); }
  uint32_t capacity() const { return static_cast<uint32_t>(packets_.size()); }
  uint32_t available() const { return static_cast<uint32_t>(free_.size()); }

 private:
  struct FrameDeleter {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, FrameDeleter> frames_;
  std::vector<Packet> packets_;
  std::vector<Packet*> free_;
};

}  // namespace ebpfaas::dataplane
