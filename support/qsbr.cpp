#include "support/qsbr.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <utility>

namespace ebpfaas {

namespace {
// Retire this many items before reclaiming from retire() itself, so that a
// writer with no reader around (a control plane alone) does not pile up work.
constexpr size_t kRetireReclaimThreshold = 4096;

void call_function(void* p) {
  auto* fn = static_cast<std::function<void()>*>(p);
  (*fn)();
  delete fn;
}
}  // namespace

QsbrDomain::QsbrDomain() = default;

QsbrDomain::~QsbrDomain() {
  // No reader may be left: run everything.
  std::vector<Item> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& b : batches_)
      for (auto& it : b.items) items.push_back(it);
    for (auto& it : pending_) items.push_back(it);
    batches_.clear();
    pending_.clear();
  }
  for (auto& it : items) it.fn(it.arg);
}

QsbrDomain& QsbrDomain::global() {
  // Never destroyed: engines and maps may outlive static destructors.
  static QsbrDomain* domain = new QsbrDomain();
  return *domain;
}

uint64_t QsbrDomain::start_grace_period() {
  // seq_cst: orders the caller's unlinks before the new epoch that readers
  // load at their next quiescent point.
  return epoch_.fetch_add(1, std::memory_order_seq_cst) + 1;
}

bool QsbrDomain::passed(uint64_t target) const {
  // Pairs with the fence in QsbrThread::online(): a thread coming online
  // either is seen here or sees every unlink made before this scan.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (threads_.load(std::memory_order_acquire) == 0) return true;
  size_t n = high_water_.load(std::memory_order_acquire);
  for (size_t i = 0; i < n; ++i) {
    const Slot& s = slots_[i];
    if (!s.used.load(std::memory_order_acquire)) continue;
    uint64_t seen = s.seen.load(std::memory_order_acquire);
    if (seen != 0 && seen < target) return false;
  }
  return true;
}

void QsbrDomain::synchronize() {
  uint64_t target = start_grace_period();
  for (int spins = 0; !passed(target); ++spins) {
    if (spins < 64)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
}

void QsbrDomain::retire(void* p, void (*deleter)(void*)) {
  bool reclaim_now;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(Item{deleter, p});
    has_work_.store(true, std::memory_order_relaxed);
    reclaim_now = pending_.size() >= kRetireReclaimThreshold;
  }
  if (reclaim_now) reclaim();
}

void QsbrDomain::retire(std::function<void()> fn) {
  retire(new std::function<void()>(std::move(fn)), &call_function);
}

size_t QsbrDomain::reclaim_locked(std::unique_lock<std::mutex>& lock) {
  if (!pending_.empty()) {
    waiting_ += pending_.size();
    batches_.push_back(Batch{start_grace_period(), std::move(pending_)});
    pending_ = {};
  }
  std::vector<Item> ready;
  while (!batches_.empty() && passed(batches_.front().target)) {
    auto& items = batches_.front().items;
    waiting_ -= items.size();
    if (ready.empty())
      ready = std::move(items);
    else
      ready.insert(ready.end(), items.begin(), items.end());
    batches_.pop_front();
  }
  has_work_.store(!batches_.empty() || !pending_.empty(), std::memory_order_relaxed);
  lock.unlock();
  // Outside the lock: a deleter may retire more (an old program releasing maps).
  for (auto& it : ready) it.fn(it.arg);
  return ready.size();
}

size_t QsbrDomain::reclaim() {
  std::unique_lock<std::mutex> lock(mu_);
  return reclaim_locked(lock);
}

void QsbrDomain::try_reclaim() {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (lock.owns_lock()) reclaim_locked(lock);
}

void QsbrDomain::try_start_grace_period() {
  std::unique_lock<std::mutex> lock(mu_, std::try_to_lock);
  if (!lock.owns_lock() || pending_.empty()) return;
  waiting_ += pending_.size();
  batches_.push_back(Batch{start_grace_period(), std::move(pending_)});
  pending_ = {};
}

void QsbrDomain::drain() {
  for (;;) {
    reclaim();
    if (pending() == 0) return;
    synchronize();
  }
}

size_t QsbrDomain::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pending_.size() + waiting_;
}

size_t QsbrDomain::threads() const {
  return threads_.load(std::memory_order_acquire);
}

QsbrDomain::Slot* QsbrDomain::acquire_slot() {
  for (size_t i = 0; i < kMaxThreads; ++i) {
    Slot& s = slots_[i];
    bool expected = false;
    if (s.used.load(std::memory_order_relaxed)) continue;
    if (s.used.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) {
      size_t hw = high_water_.load(std::memory_order_relaxed);
      while (hw < i + 1 &&
             !high_water_.compare_exchange_weak(hw, i + 1, std::memory_order_acq_rel)) {
      }
      threads_.fetch_add(1, std::memory_order_acq_rel);
      return &s;
    }
  }
  // A fixed table keeps passed() a flat scan; more engines than this is a
  // configuration error, not bad input.
  std::fprintf(stderr, "QsbrDomain: more than %zu registered threads\n", kMaxThreads);
  std::abort();
}

void QsbrDomain::release_slot(Slot* slot) {
  slot->seen.store(0, std::memory_order_release);
  slot->used.store(false, std::memory_order_release);
  threads_.fetch_sub(1, std::memory_order_acq_rel);
}

QsbrThread::QsbrThread(QsbrDomain& domain) : domain_(&domain), slot_(domain.acquire_slot()) {
  online();
}

QsbrThread::~QsbrThread() {
  if (slot_) domain_->release_slot(slot_);
}

QsbrThread::QsbrThread(QsbrThread&& other) noexcept
    : domain_(std::exchange(other.domain_, nullptr)), slot_(std::exchange(other.slot_, nullptr)) {}

QsbrThread& QsbrThread::operator=(QsbrThread&& other) noexcept {
  if (this != &other) {
    if (slot_) domain_->release_slot(slot_);
    domain_ = std::exchange(other.domain_, nullptr);
    slot_ = std::exchange(other.slot_, nullptr);
  }
  return *this;
}

void QsbrThread::offline() {
  if (!slot_) return;
  slot_->seen.store(0, std::memory_order_release);
  if (domain_->has_work_.load(std::memory_order_relaxed)) domain_->try_reclaim();
}

void QsbrThread::online() {
  if (!slot_) return;
  slot_->seen.store(domain_->epoch_.load(std::memory_order_acquire), std::memory_order_relaxed);
  // Pairs with the fence in passed(): either the reclaimer sees this thread
  // online, or this thread sees the unlinks made before the reclaimer's scan.
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace ebpfaas
