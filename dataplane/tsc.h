// The time-stamp counter as the data plane's clock: read in a few cycles at
// every RX batch; converted to nanoseconds with a rate measured once against
// the steady clock.
#pragma once

#include <x86intrin.h>

#include <cstdint>

namespace ebpfaas::dataplane {

inline uint64_t tsc_now() {
  return __rdtsc();
}
// TSC ticks per nanosecond (measured over 20 ms at the first call).
double tsc_per_ns();
inline double tsc_to_ns(uint64_t ticks) {
  return static_cast<double>(ticks) / tsc_per_ns();
}

}  // namespace ebpfaas::dataplane
