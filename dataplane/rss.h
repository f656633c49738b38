// Receive-side scaling in software, for ports whose device cannot spread
// packets over RX queues (generator, pcap files, single-queue vdevs). Same
// semantics as a NIC's RSS: the Toeplitz hash of the flow's addresses (and
// ports for TCP/UDP), in network byte order, under a 40-byte key; the hash's
// low bits index a 128-entry redirection table of queues. The hash input is
// what Microsoft's RSS specification defines (and NICs implement):
//   IPv4 with ports: src addr, dst addr, src port, dst port (12 bytes)
//   IPv4 without:    src addr, dst addr (8 bytes); likewise IPv6 (36 / 32).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace ebpfaas::dataplane {

inline constexpr size_t kRssKeySize = 40;
inline constexpr size_t kRetaSize = 128;
using RssKey = std::array<uint8_t, kRssKeySize>;

// The key of Microsoft's verification suite (and many NIC defaults).
inline constexpr RssKey kMicrosoftRssKey = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
    0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
    0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa};

// The Toeplitz hash of `input` (at most kRssKeySize - 4 bytes) under `key`.
uint32_t toeplitz_hash(const RssKey& key, std::span<const uint8_t> input);

struct RssTuple {
  std::array<uint8_t, 36> bytes{};
  uint8_t size = 0;  // 0: not IP (hash 0, queue of RETA entry 0)
};
// The RSS input of an Ethernet frame (one optional 802.1Q tag; TCP/UDP ports
// unless the packet is a fragment).
RssTuple rss_tuple(std::span<const uint8_t> frame);

class RssDispatch {
 public:
  // `queues` >= 1; the table spreads queues round robin (as NIC drivers do).
  explicit RssDispatch(uint16_t queues, const RssKey& key = kMicrosoftRssKey);
  uint32_t hash(std::span<const uint8_t> frame) const;
  uint16_t queue_for_hash(uint32_t hash) const { return reta_[hash % kRetaSize]; }
  uint16_t queue(std::span<const uint8_t> frame) const { return queue_for_hash(hash(frame)); }
  uint16_t queues() const { return queues_; }
  const RssKey& key() const { return key_; }

 private:
  RssKey key_;
  uint16_t queues_;
  std::array<uint16_t, kRetaSize> reta_{};
};

}  // namespace ebpfaas::dataplane
