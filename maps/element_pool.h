// Fixed-size elements of a hash map, numbered 0..capacity-1 in one reserved
// region (pages are touched only as elements are first used). Elements
// unlinked from the map are retired: they become reusable only after a QSBR
// grace period, because engines may still be reading them. Retired elements
// are kept here, typed, rather than as deferred functions in the domain, so
// reuse costs no allocation and no indirect call.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "maps/region.h"
#include "maps/spin_lock.h"
#include "support/qsbr.h"

namespace ebpfaas::maps {

class ElementPool {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  // False if the region cannot be reserved.
  bool init(uint32_t elem_size, uint32_t capacity, QsbrDomain* qsbr, bool huge_pages);

  uint8_t* elem(uint32_t index) const { return base_ + uint64_t{index} * elem_size_; }
  uint32_t elem_size() const { return elem_size_; }
  uint32_t capacity() const { return capacity_; }

  // An element no reader can see, or kNone when every element is in use or
  // still waiting for a grace period.
  uint32_t alloc();
  // An element that was never published.
  void release(uint32_t index);
  // An element that was unlinked: reusable after a grace period.
  void retire(uint32_t index);
  // Elements waiting for a grace period (tests).
  size_t waiting() const;

 private:
  void collect_locked();

  uint8_t* base_ = nullptr;
  uint32_t elem_size_ = 0;
  uint32_t capacity_ = 0;
  uint32_t fresh_ = 0;  // elements [fresh_, capacity_) were never used
  QsbrDomain* qsbr_ = nullptr;
  Region memory_;
  mutable SpinLock lock_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> retired_;  // not yet in a grace period
  std::deque<std::pair<uint64_t, std::vector<uint32_t>>> waiting_;
};

}  // namespace ebpfaas::maps
