// Builds without DPDK: the dpdk: and iface: ports say so.
#include "dataplane/dpdk_port.h"

namespace ebpfaas::dataplane {

bool dpdk_available() {
  return false;
}
std::string dpdk_init_error() {
  return "ebpfaas was built without DPDK";
}

Expected<std::unique_ptr<Port>> open_dpdk_port(std::string name, std::string, const PortOptions&) {
  return errorf("port '{}': ebpfaas was built without DPDK (libdpdk-dev)", name);
}
Expected<std::unique_ptr<Port>> open_iface_port(std::string name, std::string, const PortOptions&) {
  return errorf("port '{}': ebpfaas was built without DPDK (libdpdk-dev)", name);
}

}  // namespace ebpfaas::dataplane
