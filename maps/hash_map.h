// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH.
//
// A fixed bucket array (a power of two >= max_entries, like Linux's), chains
// read lock-free (hash_layout.h), writers serialised per stripe of buckets.
// Like Linux:
//  - updating a shared-value element replaces it with a new element, so a
//    reader never sees a half-written value; the old one is reused after a
//    grace period. Per-CPU values are updated in place;
//  - a full hash map refuses new keys with -E2BIG; an LRU map evicts its least
//    recently used element instead (second chance: program lookups mark
//    elements referenced, the evictor spares them once). With
//    BPF_F_NO_COMMON_LRU each CPU has its own LRU list of max_entries / CPUs
//    elements (max_entries is rounded up to a multiple of the CPUs);
//  - the control plane's lookups do not mark LRU elements.
// Unlike Linux's common LRU, which evicts some elements before the map is
// full (per-CPU free-list reservations), this LRU evicts only when full.
#pragma once

#include <memory>
#include <vector>

#include "maps/element_pool.h"
#include "maps/hash_layout.h"
#include "maps/map.h"
#include "maps/region.h"
#include "maps/spin_lock.h"

namespace ebpfaas::maps {

class HashMap : public Map {
 public:
  static Expected<std::shared_ptr<HashMap>> create(const ebpf::MapSpec& spec,
                                                   const MapOptions& options);
  ~HashMap() override;

  const HashLayout& layout() const { return layout_; }
  bool lru() const { return lru_; }
  // Elements in the map now.
  uint32_t count() const;

  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_user_lookup_and_delete(const void* key, void* value) override;
  long do_next_key(const void* key, void* next) override;

 private:
  struct alignas(64) Stripe {
    SpinLock lock;
  };
  struct alignas(64) LruList {
    SpinLock lock;
    uint32_t head = kNoElem;
    uint32_t tail = kNoElem;
    uint32_t count = 0;
    uint32_t capacity = 0;
  };
  class StripeGuard;

  // Lookups specialised for a key size (4, 8, 16), per-CPU values and LRU
  // marking: the program's hottest call, kept to a few instructions so that
  // an engine overlaps the cache misses of many lookups.
  template <uint32_t K, bool kPercpu, bool kLru>
  friend class HashMapFor;

  HashMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);
  static HashMap* make(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);

  HashElem* elem(uint32_t index) const { return reinterpret_cast<HashElem*>(pool_.elem(index)); }
  uint8_t* key_of(HashElem* e) const { return reinterpret_cast<uint8_t*>(e) + layout_.key_offset; }
  uint8_t* value_of(HashElem* e, uint32_t cpu) const;
  HashLru& lru_of(HashElem* e) const {
    return *reinterpret_cast<HashLru*>(reinterpret_cast<uint8_t*>(e) + 16);
  }
  uint32_t hash(const void* key) const { return hash_key(key, layout_.key_size, layout_.seed); }
  Stripe& stripe_of(uint32_t hash) const {
    return stripes_[(hash & layout_.bucket_mask) & stripe_mask_];
  }
  // The link that points at the element with `key` in its chain (or at the
  // chain's terminating nullptr). Caller holds the stripe.
  std::atomic<HashElem*>* find_link(const void* key, uint32_t hash) const;

  // Shared path of the program's and the control plane's updates. `cpu` is
  // kAllCpus for the control plane (per-CPU values: all of them, from `value`).
  long update_impl(const void* key, const void* value, uint64_t flags, uint32_t cpu);
  long erase_impl(const void* key, void* value_out);
  void write_new_values(HashElem* e, const void* value, uint32_t cpu);
  void write_existing_values(HashElem* e, const void* value, uint32_t cpu);
  void copy_out(HashElem* e, void* value);

  // LRU lists; caller holds the list's lock.
  void list_push_head(LruList& l, uint32_t index);
  void list_remove(LruList& l, uint32_t index);
  // Evicts one element of `l` (caller holds `l` and the stripe `held`).
  bool evict_locked(LruList& l, Stripe* held);

  HashLayout layout_;
  bool lru_ = false;
  Region buckets_;
  Region percpu_values_;
  ElementPool pool_;
  std::unique_ptr<Stripe[]> stripes_;
  uint32_t stripe_mask_ = 0;
  alignas(64) std::atomic<uint32_t> count_{0};  // non-LRU maps
  std::unique_ptr<LruList[]> lists_;            // LRU maps
  uint32_t num_lists_ = 0;
};

}  // namespace ebpfaas::maps
