#include "vm/xdp_context.h"

namespace ebpfaas::vm {

std::optional<CtxField> xdp_ctx_field(uint32_t off, uint32_t size) {
  // Linux (xdp_is_valid_access) accepts only whole 32-bit reads of the fields.
  if (size != 4 || off % 4 != 0 || off >= kXdpMdSize) return std::nullopt;
  switch (off) {
    case kXdpMdData:
      return CtxField{offsetof(XdpBuff, data), 8, true};
    case kXdpMdDataEnd:
      return CtxField{offsetof(XdpBuff, data_end), 8, true};
    case kXdpMdDataMeta:
      return CtxField{offsetof(XdpBuff, data_meta), 8, true};
    case kXdpMdIngressIfindex:
      return CtxField{offsetof(XdpBuff, ingress_ifindex), 4, false};
    case kXdpMdRxQueueIndex:
      return CtxField{offsetof(XdpBuff, rx_queue_index), 4, false};
    case kXdpMdEgressIfindex:
      return CtxField{offsetof(XdpBuff, egress_ifindex), 4, false};
  }
  return std::nullopt;
}

}  // namespace ebpfaas::vm
