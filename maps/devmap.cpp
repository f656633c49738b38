#include "maps/devmap.h"

#include <cerrno>
#include <cstring>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

DevMap::DevMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus, false, qsbr),
      hashed_(spec.type == BPF_MAP_TYPE_DEVMAP_HASH),
      ifindex_exists_(options.ifindex_exists) {
  // Lookups return a pointer straight into the entry: Linux makes devmaps
  // read-only for programs.
  spec_.flags |= BPF_F_RDONLY_PROG;
}

DevMap::~DevMap() {
  uint32_t n = hashed_ ? bucket_mask_ + 1 : spec_.max_entries;
  for (uint32_t i = 0; i < n; ++i) {
    DevmapEntry* e = slots_[i].load(std::memory_order_relaxed);
    while (e) {
      DevmapEntry* next = hashed_ ? e->next.load(std::memory_order_relaxed) : nullptr;
      delete e;
      e = next;
    }
  }
}

Expected<std::shared_ptr<DevMap>> DevMap::create(const ebpf::MapSpec& spec,
                                                 const MapOptions& options) {
  std::shared_ptr<DevMap> m(new DevMap(spec, options, domain_of(options)));
  uint64_t n = spec.max_entries;
  if (m->hashed_) {
    n = roundup_pow2(spec.max_entries);
    m->bucket_mask_ = static_cast<uint32_t>(n - 1);
  }
  try {
    m->slots_.reset(new std::atomic<DevmapEntry*>[n]);
  } catch (const std::bad_alloc&) {
    return errorf("map '{}': cannot allocate {} slots", spec.name, n);
  }
  for (uint64_t i = 0; i < n; ++i) m->slots_[i].store(nullptr, std::memory_order_relaxed);
  return m;
}

uint32_t DevMap::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_;
}

void DevMap::retire(DevmapEntry* e) {
  if (e) qsbr_->retire(e, [](void* p) { delete static_cast<DevmapEntry*>(p); });
}

long DevMap::make_entry(uint32_t key, const bpf_devmap_val& val, DevmapEntry** out) const {
  if (val.ifindex == 0) return -EINVAL;
  if (ifindex_exists_ && !ifindex_exists_(val.ifindex)) return -EINVAL;
  if (val.bpf_prog.fd > 0) return -EINVAL;  // devmap programs: not supported
  auto* e = new DevmapEntry;
  e->val.ifindex = val.ifindex;
  e->val.bpf_prog.id = 0;
  e->key = key;
  e->next.store(nullptr, std::memory_order_relaxed);
  *out = e;
  return 0;
}

void* DevMap::lookup(const void* key, uint32_t) {
  uint32_t k;
  std::memcpy(&k, key, 4);
  return const_cast<bpf_devmap_val*>(get(k));
}

// Programs may only look devmaps up.
long DevMap::update(const void*, const void*, uint64_t, uint32_t) {
  return -EINVAL;
}
long DevMap::erase(const void*, uint32_t) {
  return -EINVAL;
}

long DevMap::do_user_lookup(const void* key, void* value) {
  uint32_t k;
  std::memcpy(&k, key, 4);
  std::lock_guard<std::mutex> lock(mu_);
  const DevmapEntry* e = find(k);
  if (!e) return -ENOENT;
  std::memcpy(value, &e->val, spec_.value_size);
  return 0;
}

long DevMap::do_user_update(const void* key, const void* value, uint64_t flags) {
  uint32_t k;
  std::memcpy(&k, key, 4);
  bpf_devmap_val val{};
  val.bpf_prog.fd = -1;
  if (flags > BPF_EXIST) return -EINVAL;
  std::lock_guard<std::mutex> lock(mu_);
  if (!hashed_) {
    if (k >= spec_.max_entries) return -E2BIG;
    if (flags == BPF_NOEXIST) return -EEXIST;
    std::memcpy(&val, value, spec_.value_size);
    DevmapEntry* e = nullptr;
    if (val.ifindex == 0) {
      if (val.bpf_prog.fd > 0) return -EINVAL;  // a program needs a device
    } else if (long err = make_entry(k, val, &e)) {
      return err;
    }
    DevmapEntry* old = slots_[k].exchange(e, std::memory_order_acq_rel);
    if (old) {
      retire(old);
      if (!e) --items_;
    } else if (e) {
      ++items_;
    }
    return 0;
  }
  std::memcpy(&val, value, spec_.value_size);
  // Linux's order: no device at all, then BPF_NOEXIST, then an unknown device.
  if (val.ifindex == 0) return -EINVAL;
  std::atomic<DevmapEntry*>* link = &slots_[k & bucket_mask_];
  while (DevmapEntry* cur = link->load(std::memory_order_relaxed)) {
    if (cur->key == k) break;
    link = &cur->next;
  }
  DevmapEntry* old = link->load(std::memory_order_relaxed);
  if (old && (flags & BPF_NOEXIST)) return -EEXIST;
  DevmapEntry* e = nullptr;
  if (long err = make_entry(k, val, &e)) return err;
  if (old) {
    link->store(old->next.load(std::memory_order_relaxed), std::memory_order_release);
  } else {
    if (items_ >= spec_.max_entries) {
      delete e;
      return -E2BIG;
    }
    ++items_;
  }
  // Like Linux, the new entry goes to the head of its bucket.
  std::atomic<DevmapEntry*>& head = slots_[k & bucket_mask_];
  e->next.store(head.load(std::memory_order_relaxed), std::memory_order_relaxed);
  head.store(e, std::memory_order_release);
  retire(old);
  return 0;
}

long DevMap::do_user_delete(const void* key) {
  uint32_t k;
  std::memcpy(&k, key, 4);
  std::lock_guard<std::mutex> lock(mu_);
  if (!hashed_) {
    if (k >= spec_.max_entries) return -EINVAL;
    DevmapEntry* old = slots_[k].exchange(nullptr, std::memory_order_acq_rel);
    if (old) {
      --items_;
      retire(old);
    }
    return 0;
  }
  std::atomic<DevmapEntry*>* link = &slots_[k & bucket_mask_];
  while (DevmapEntry* cur = link->load(std::memory_order_relaxed)) {
    if (cur->key == k) {
      link->store(cur->next.load(std::memory_order_relaxed), std::memory_order_release);
      --items_;
      retire(cur);
      return 0;
    }
    link = &cur->next;
  }
  return -ENOENT;
}

long DevMap::do_next_key(const void* key, void* next) {
  if (!hashed_) return array_next_key(key, next, spec_.max_entries);
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t i = 0;
  if (key) {
    uint32_t k;
    std::memcpy(&k, key, 4);
    if (const DevmapEntry* e = find(k)) {
      if (const DevmapEntry* n = e->next.load(std::memory_order_relaxed)) {
        std::memcpy(next, &n->key, 4);
        return 0;
      }
      i = uint64_t{k & bucket_mask_} + 1;
    }
  }
  for (; i <= bucket_mask_; ++i) {
    if (const DevmapEntry* e = slots_[i].load(std::memory_order_relaxed)) {
      std::memcpy(next, &e->key, 4);
      return 0;
    }
  }
  return -ENOENT;
}

}  // namespace ebpfaas::maps
