#include "maps/element_pool.h"

#include <mutex>

namespace ebpfaas::maps {

namespace {
// Start a grace period for retired elements once this many have gathered,
// so that they become reusable without waiting for the pool to run dry.
constexpr size_t kBatch = 64;
}  // namespace

bool ElementPool::init(uint32_t elem_size, uint32_t capacity, QsbrDomain* qsbr, bool huge_pages) {
  elem_size_ = elem_size;
  capacity_ = capacity;
  qsbr_ = qsbr;
  if (!memory_.reserve(uint64_t{elem_size} * capacity, huge_pages)) return false;
  base_ = memory_.data();
  return true;
}

void ElementPool::collect_locked() {
  if (!retired_.empty()) {
    waiting_.emplace_back(qsbr_->start_grace_period(), std::move(retired_));
    retired_ = {};
  }
  while (!waiting_.empty() && qsbr_->passed(waiting_.front().first)) {
    auto& v = waiting_.front().second;
    free_.insert(free_.end(), v.begin(), v.end());
    waiting_.pop_front();
  }
}

uint32_t ElementPool::alloc() {
  std::lock_guard<SpinLock> lock(lock_);
  if (free_.empty()) {
    // Reuse what readers have let go of; otherwise take a never-used element
    // while the grace periods run (starting one costs an atomic increment,
    // so retired elements are stamped in batches).
    while (!waiting_.empty() && qsbr_->passed(waiting_.front().first)) {
      auto& v = waiting_.front().second;
      free_.insert(free_.end(), v.begin(), v.end());
      waiting_.pop_front();
    }
    if (free_.empty()) {
      if (fresh_ < capacity_) return fresh_++;
      collect_locked();
      if (free_.empty()) return kNone;
    }
  }
  uint32_t index = free_.back();
  free_.pop_back();
  return index;
}

void ElementPool::release(uint32_t index) {
  std::lock_guard<SpinLock> lock(lock_);
  free_.push_back(index);
}

void ElementPool::retire(uint32_t index) {
  std::lock_guard<SpinLock> lock(lock_);
  retired_.push_back(index);
  if (retired_.size() >= kBatch) {
    waiting_.emplace_back(qsbr_->start_grace_period(), std::move(retired_));
    retired_ = {};
  }
}

size_t ElementPool::waiting() const {
  std::lock_guard<SpinLock> lock(lock_);
  size_t n = retired_.size();
  for (auto& w : waiting_) n += w.second.size();
  return n;
}

}  // namespace ebpfaas::maps
