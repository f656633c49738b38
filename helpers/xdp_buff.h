// The buffer an XDP program runs on, as ebpfaas passes it in r1 (Linux's
// struct xdp_buff, with full pointers). Programs see it through struct xdp_md,
// whose 32-bit fields the VM translates (vm/xdp_context.h).
#pragma once

#include <cstdint>

namespace ebpfaas::helpers {

inline constexpr uint32_t kXdpHeadroom = 256;  // XDP_PACKET_HEADROOM

struct XdpBuff {
  uint8_t* data = nullptr;
  uint8_t* data_end = nullptr;
  uint8_t* data_meta = nullptr;        // == data when there is no metadata
  uint8_t* data_hard_start = nullptr;  // start of the headroom
  uint8_t* frame_end = nullptr;        // end of the buffer: limit for adjust_tail
  uint32_t ingress_ifindex = 0;
  uint32_t rx_queue_index = 0;
  uint32_t egress_ifindex = 0;
  uint32_t reserved = 0;
};

}  // namespace ebpfaas::helpers
