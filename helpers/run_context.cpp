#include "helpers/run_context.h"

namespace ebpfaas::helpers {

bool RunContext::access_ok(uint64_t addr, uint64_t len, bool write) const {
  if (!checked) return true;
  if (stack.contains(addr, len) || packet.contains(addr, len)) return true;
  for (const Region& r : static_regions)
    if (r.contains(addr, len)) return !write || r.writable;
  for (const Region& r : dynamic_regions)
    if (r.contains(addr, len)) return !write || r.writable;
  return false;
}

bool RunContext::map_ok(uint64_t handle) const {
  if (!checked) return true;
  for (uint64_t m : linked_maps)
    if (m == handle) return true;
  return false;
}

}  // namespace ebpfaas::helpers
