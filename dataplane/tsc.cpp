#include "dataplane/tsc.h"

#include <chrono>
#include <thread>

namespace ebpfaas::dataplane {

double tsc_per_ns() {
  static const double rate = [] {
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    const uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const uint64_t c1 = __rdtsc();
    const auto t1 = clock::now();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count();
    return ns > 0 ? static_cast<double>(c1 - c0) / ns : 1.0;
  }();
  return rate;
}

}  // namespace ebpfaas::dataplane
