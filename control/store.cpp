#include "control/store.h"

namespace ebpfaas::control {

// Not implemented yet (the first commit only declares the interface).
Store::~Store() = default;
Result<std::unique_ptr<Store>> Store::open(const std::string&) {
  return fail(ErrorKind::kInternal, "not implemented");
}
Result<std::string> image_digest(std::string_view) {
  return fail(ErrorKind::kInternal, "not implemented");
}
std::string image_of(std::span<const uint8_t>) {
  return {};
}

}  // namespace ebpfaas::control
