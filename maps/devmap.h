// BPF_MAP_TYPE_DEVMAP (indexed by a u32 slot) and BPF_MAP_TYPE_DEVMAP_HASH
// (keyed by any u32): the targets of bpf_redirect_map. A value is a u32
// ifindex (value_size 4) or struct bpf_devmap_val (8: ifindex + program fd on
// write, program id on read). ebpfaas ports play the part of net devices.
//
// For the redirect helper: get(key) resolves an entry without locks, and
// for_each() visits every entry (BPF_F_BROADCAST flooding), in Linux's order.
// Entries are immutable once published; replaced ones are freed after a QSBR
// grace period, so what get() returns stays valid until the engine's next
// quiescent point.
//
// Linux semantics: programs may only look entries up; devmap updates are
// BPF_ANY/BPF_EXIST only (slots always exist: BPF_NOEXIST is -EEXIST, index
// out of range -E2BIG), an ifindex of 0 clears the slot, delete of an empty
// slot succeeds, an out-of-range delete is -EINVAL; devmap_hash ignores
// BPF_EXIST, refuses ifindex 0 (-EINVAL) and new keys beyond max_entries
// (-E2BIG). An unknown ifindex (MapOptions::ifindex_exists) is -EINVAL.
// Devmap programs (bpf_prog.fd > 0) are not supported: -EINVAL.
#pragma once

#include <linux/bpf.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>

#include "maps/map.h"

namespace ebpfaas::maps {

struct DevmapEntry {
  struct bpf_devmap_val val;  // what lookups return; bpf_prog.id is 0
  uint32_t key;
  std::atomic<DevmapEntry*> next;  // devmap_hash chain
};

class DevMap final : public Map {
 public:
  static Expected<std::shared_ptr<DevMap>> create(const ebpf::MapSpec& spec,
                                                  const MapOptions& options);
  ~DevMap() override;

  bool hashed() const { return hashed_; }

  // The entry for `key`, or nullptr.
  const bpf_devmap_val* get(uint32_t key) const {
    const DevmapEntry* e = find(key);
    return e ? &e->val : nullptr;
  }
  // Calls f(key, const bpf_devmap_val&) for every entry.
  template <class F>
  void for_each(F&& f) const {
    uint32_t n = hashed_ ? bucket_mask_ + 1 : spec_.max_entries;
    for (uint32_t i = 0; i < n; ++i)
      for (const DevmapEntry* e = slots_[i].load(std::memory_order_acquire); e;
           e = hashed_ ? e->next.load(std::memory_order_acquire) : nullptr)
        f(e->key, e->val);
  }
  // Entries now.
  uint32_t count() const;

  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_next_key(const void* key, void* next) override;

 private:
  DevMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);
  const DevmapEntry* find(uint32_t key) const {
    if (!hashed_)
      return key < spec_.max_entries ? slots_[key].load(std::memory_order_acquire) : nullptr;
    for (const DevmapEntry* e = slots_[key & bucket_mask_].load(std::memory_order_acquire); e;
         e = e->next.load(std::memory_order_acquire))
      if (e->key == key) return e;
    return nullptr;
  }
  // A new entry for `val` (-EINVAL for an unknown device or a program).
  long make_entry(uint32_t key, const bpf_devmap_val& val, DevmapEntry** out) const;
  void retire(DevmapEntry* e);

  bool hashed_ = false;
  uint32_t bucket_mask_ = 0;
  std::unique_ptr<std::atomic<DevmapEntry*>[]> slots_;  // devmap: by key; hash: buckets
  std::function<bool(uint32_t)> ifindex_exists_;
  mutable std::mutex mu_;  // writers and the control plane's reads
  uint32_t items_ = 0;
};

}  // namespace ebpfaas::maps
