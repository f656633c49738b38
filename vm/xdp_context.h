// The XDP context layout: what a program sees (Linux's struct xdp_md, 32-bit
// fields) mapped onto what ebpfaas passes in r1 (helpers::XdpBuff). Like the
// kernel's convert_ctx_access, loads of xdp_md fields are translated to loads
// of XdpBuff fields: statically for verified programs, at run time in the
// checked interpreter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "helpers/xdp_buff.h"

namespace ebpfaas::vm {

using helpers::XdpBuff;

// Offsets of struct xdp_md (linux/bpf.h).
inline constexpr uint32_t kXdpMdData = 0, kXdpMdDataEnd = 4, kXdpMdDataMeta = 8,
                          kXdpMdIngressIfindex = 12, kXdpMdRxQueueIndex = 16,
                          kXdpMdEgressIfindex = 20, kXdpMdSize = 24;

// How a load of `size` bytes at xdp_md offset `off` maps onto XdpBuff: the
// XdpBuff offset and width to load instead, or nullopt when Linux rejects it.
struct CtxField {
  uint32_t buff_offset;
  uint8_t size;     // bytes loaded from XdpBuff
  bool is_pointer;  // data/data_end/data_meta
};
std::optional<CtxField> xdp_ctx_field(uint32_t off, uint32_t size);

}  // namespace ebpfaas::vm
