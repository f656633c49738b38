// One packet in a buffer laid out like Linux's XDP buffers (and
// BPF_PROG_TEST_RUN's): a 4096-byte frame, 256 bytes of headroom whose first
// bytes hold the kernel's xdp_frame, the packet, and the skb_shared_info
// tailroom at the end. With this geometry bpf_xdp_adjust_head/_tail/_meta
// succeed and fail exactly where the kernel's do.
#pragma once

#include <cstdint>
#include <span>

#include "helpers/linux_helpers.h"
#include "helpers/run_context.h"
#include "support/error.h"
#include "vm/program.h"

namespace ebpfaas::vm {

class XdpFrame {
 public:
  static constexpr uint32_t kFrameSize = 4096;
  static constexpr uint32_t kMaxPacket =
      kFrameSize - helpers::kXdpHeadroom - helpers::kSkbSharedInfoSize;

  // Places a packet at the headroom; an error names its size when it does not fit.
  Status load(std::span<const uint8_t> packet, uint32_t ingress_ifindex = 0,
              uint32_t rx_queue_index = 0);
  helpers::XdpBuff& buff() { return buff_; }
  // The packet now (after the program moved its head or tail).
  std::span<const uint8_t> data() const {
    return {buff_.data, static_cast<size_t>(buff_.data_end - buff_.data)};
  }
  // Metadata the program added, then the packet: what BPF_PROG_TEST_RUN copies out.
  std::span<const uint8_t> meta_and_data() const {
    return {buff_.data_meta, static_cast<size_t>(buff_.data_end - buff_.data_meta)};
  }
  uint32_t meta_len() const { return static_cast<uint32_t>(buff_.data - buff_.data_meta); }

 private:
  alignas(64) uint8_t frame_[kFrameSize];
  helpers::XdpBuff buff_;
};

// Runs an XDP program on the buffer: r1 is the XdpBuff; in checked mode the
// packet region follows the buffer. Returns the XDP action (r0); a fault
// (checked mode) leaves rc.stop == kFault and returns XDP_ABORTED.
uint32_t run_xdp(const Program& prog, helpers::XdpBuff& buff, helpers::RunContext& rc);

}  // namespace ebpfaas::vm
