// A small test-and-test-and-set lock for the maps' short critical sections
// (a bucket's chain, a queue's ring). It yields after a while so that a
// preempted holder on an oversubscribed machine does not stall its waiters.
#pragma once

#include <atomic>
#include <thread>

namespace ebpfaas::maps {

class SpinLock {
 public:
  void lock() {
    for (unsigned spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 128)
          __builtin_ia32_pause();
        else
          std::this_thread::yield();
      }
    }
  }
  bool try_lock() {
    return !locked_.load(std::memory_order_relaxed) &&
           !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace ebpfaas::maps
