// Quiescent-state-based reclamation (QSBR), the user-space counterpart of RCU.
//
// Readers (engine threads running programs) take no locks and touch no shared
// counters while they run: they register with a domain once and announce a
// quiescent point between batches, i.e. a moment at which they hold no pointer
// into shared structures. Writers unlink memory (a map element, an old program)
// and retire it; it is freed once every registered, online thread has passed a
// quiescent point after the unlink.
//
//   QsbrDomain domain;
//   QsbrThread self(domain);          // engine thread: registered, online
//   for (;;) { run_batch(); self.quiescent(); }
//   ...
//   unlink(p); domain.retire(p, [](void* q) { delete static_cast<T*>(q); });
//
// A thread that idles goes offline() (an extended quiescent state) so that it
// does not hold reclamation up. A single-threaded user registers its thread and
// calls quiescent() after each invocation. Threads that never registered must
// not keep pointers across calls: with no reader registered, retired memory is
// freed at the next reclaim().
//
// Two levels of API: retire()/reclaim() for arbitrary deferred work, and the
// grace-period primitives (start_grace_period()/passed()) for structures that
// keep their own typed free lists (hash-map element pools).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace ebpfaas {

class QsbrThread;

class QsbrDomain {
 public:
  static constexpr size_t kMaxThreads = 256;

  QsbrDomain();
  // Runs every pending deferred function: no reader may be left.
  ~QsbrDomain();
  QsbrDomain(const QsbrDomain&) = delete;
  QsbrDomain& operator=(const QsbrDomain&) = delete;

  // The process-wide domain that maps and the data plane share by default.
  static QsbrDomain& global();

  // ---- grace periods ---------------------------------------------------------
  // Starts a grace period: memory unlinked before this call may be reused once
  // passed(target) returns true for the returned target.
  uint64_t start_grace_period();
  // Has every online registered thread passed a quiescent point since the
  // grace period `target` started? True when no thread is registered.
  bool passed(uint64_t target) const;
  // Blocks until a grace period started now has passed. Must not be called by
  // an online registered thread (it would wait for itself).
  void synchronize();

  // ---- deferred work ---------------------------------------------------------
  // Runs `deleter(p)` after a grace period.
  void retire(void* p, void (*deleter)(void*));
  // Runs `fn` after a grace period.
  void retire(std::function<void()> fn);
  // Runs the deferred work whose grace period has passed (starting one for work
  // retired since the last call). Returns how many items ran.
  size_t reclaim();
  // Waits for every item retired so far and runs it (shutdown, tests).
  void drain();
  // Items retired and not yet run.
  size_t pending() const;
  // Registered threads (online or offline).
  size_t threads() const;

 private:
  friend class QsbrThread;
  struct alignas(64) Slot {
    std::atomic<uint64_t> seen{0};  // epoch observed at the last quiescent point; 0: offline
    std::atomic<bool> used{false};
  };
  struct Item {
    void (*fn)(void*);
    void* arg;
  };
  struct Batch {
    uint64_t target;
    std::vector<Item> items;
  };

  Slot* acquire_slot();
  void release_slot(Slot* slot);
  void try_reclaim();             // from quiescent(): never blocks on the lock
  void try_start_grace_period();  // batches pending work; never blocks
  size_t reclaim_locked(std::unique_lock<std::mutex>& lock);

  alignas(64) std::atomic<uint64_t> epoch_{1};
  alignas(64) std::atomic<bool> has_work_{false};
  std::atomic<size_t> threads_{0};
  std::atomic<size_t> high_water_{0};  // slots_[high_water_..] were never used
  mutable std::mutex mu_;
  std::vector<Item> pending_;
  std::deque<Batch> batches_;
  size_t waiting_ = 0;  // items in batches_
  Slot slots_[kMaxThreads];
};

// A thread's registration with a domain (RAII). Movable, not copyable. A
// default-constructed QsbrThread is not registered and its calls do nothing.
class QsbrThread {
 public:
  QsbrThread() = default;
  explicit QsbrThread(QsbrDomain& domain);
  ~QsbrThread();
  QsbrThread(QsbrThread&& other) noexcept;
  QsbrThread& operator=(QsbrThread&& other) noexcept;
  QsbrThread(const QsbrThread&) = delete;
  QsbrThread& operator=(const QsbrThread&) = delete;

  bool registered() const { return slot_ != nullptr; }
  QsbrDomain* domain() const { return domain_; }

  // The thread holds no pointer into shared structures now. Cheap: a load and
  // a store, plus reclamation when the domain has work waiting.
  void quiescent() {
    if (!slot_) return;
    // With work waiting, start its grace period first so that this very
    // quiescent point counts for it (a lone thread frees at once).
    bool work = domain_->has_work_.load(std::memory_order_relaxed);
    if (work) domain_->try_start_grace_period();
    slot_->seen.store(domain_->epoch_.load(std::memory_order_acquire), std::memory_order_release);
    if (work) domain_->try_reclaim();
  }
  // Extended quiescent state (idle): reclamation does not wait for this thread.
  void offline();
  // Back from offline(): may read shared structures again.
  void online();

 private:
  QsbrDomain* domain_ = nullptr;
  QsbrDomain::Slot* slot_ = nullptr;
};

}  // namespace ebpfaas
