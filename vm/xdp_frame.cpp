#include "vm/xdp_frame.h"

#include <linux/bpf.h>

#include <cstring>

#include "vm/interpreter.h"

namespace ebpfaas::vm {

Status XdpFrame::load(std::span<const uint8_t> packet, uint32_t ingress_ifindex,
                      uint32_t rx_queue_index) {
  if (packet.size() > kMaxPacket)
    return errorf("packet of {} bytes does not fit an XDP buffer (at most {})", packet.size(),
                  kMaxPacket);
  if (packet.size() < helpers::kEthHeaderLen)
    return errorf("packet of {} bytes is shorter than an Ethernet header", packet.size());
  buff_.data_hard_start = frame_;
  buff_.data = frame_ + helpers::kXdpHeadroom;
  buff_.data_meta = buff_.data;
  buff_.data_end = buff_.data + packet.size();
  buff_.frame_end = frame_ + kFrameSize - helpers::kSkbSharedInfoSize;
  buff_.ingress_ifindex = ingress_ifindex;
  buff_.rx_queue_index = rx_queue_index;
  buff_.egress_ifindex = 0;
  // BPF_PROG_TEST_RUN hands the program a zeroed buffer: headroom the program
  // exposes (bpf_xdp_adjust_meta/head) reads as zeros there, not as what the
  // previous packet left. (Tailroom a program grows into is zeroed by
  // bpf_xdp_adjust_tail itself, as in Linux.)
  std::memset(frame_, 0, helpers::kXdpHeadroom);
  if (!packet.empty()) std::memcpy(buff_.data, packet.data(), packet.size());
  return {};
}

uint32_t run_xdp(const Program& prog, helpers::XdpBuff& buff, helpers::RunContext& rc) {
  rc.xdp = &buff;
  if (rc.checked)
    rc.packet = helpers::Region{reinterpret_cast<uint64_t>(buff.data_meta),
                                reinterpret_cast<uint64_t>(buff.data_end), true};
  const uint64_t r0 = interpret(prog, reinterpret_cast<uint64_t>(&buff), 0, rc);
  if (rc.stop == helpers::RunContext::Stop::kFault) return XDP_ABORTED;
  return static_cast<uint32_t>(r0);
}

}  // namespace ebpfaas::vm
