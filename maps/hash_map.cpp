#include "maps/hash_map.h"

#include <linux/bpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

namespace {
// update_impl's `cpu` for the control plane: per-CPU values come from the
// caller's buffer, one per CPU.
constexpr uint32_t kAllCpus = UINT32_MAX;
constexpr uint32_t kMaxStripes = 1024;

uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) ^ rd();
}
}  // namespace

class HashMap::StripeGuard {
 public:
  explicit StripeGuard(Stripe& s) : s_(s) { s_.lock.lock(); }
  ~StripeGuard() { s_.lock.unlock(); }
  StripeGuard(const StripeGuard&) = delete;
  StripeGuard& operator=(const StripeGuard&) = delete;

 private:
  Stripe& s_;
};

HashMap::HashMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus,
          spec.type == BPF_MAP_TYPE_PERCPU_HASH || spec.type == BPF_MAP_TYPE_LRU_PERCPU_HASH,
          qsbr) {
  lru_ = spec.type == BPF_MAP_TYPE_LRU_HASH || spec.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  if (lru_ && (spec.flags & BPF_F_NO_COMMON_LRU)) {
    // Linux: every CPU's list gets the same number of elements.
    uint64_t n = num_cpus_;
    uint64_t up = (uint64_t{spec_.max_entries} + n - 1) / n * n;
    spec_.max_entries = static_cast<uint32_t>(up > UINT32_MAX ? spec_.max_entries / n * n : up);
    num_lists_ = num_cpus_;
  } else if (lru_) {
    num_lists_ = 1;
  }
}

HashMap::~HashMap() = default;

Expected<std::shared_ptr<HashMap>> HashMap::create(const ebpf::MapSpec& spec,
                                                   const MapOptions& options) {
  std::shared_ptr<HashMap> map(make(spec, options, domain_of(options)));
  HashMap& m = *map;
  HashLayout& l = m.layout_;
  uint32_t max_entries = m.spec_.max_entries;
  l.key_size = spec.key_size;
  l.seed = (spec.flags & BPF_F_ZERO_SEED) ? 0 : random_seed();
  uint64_t n_buckets = roundup_pow2(max_entries);
  l.bucket_mask = static_cast<uint32_t>(n_buckets - 1);
  if (!m.buckets_.reserve(n_buckets * sizeof(std::atomic<HashElem*>), n_buckets >= (1u << 19)))
    return errorf("map '{}': cannot reserve {} buckets", spec.name, n_buckets);
  l.buckets = reinterpret_cast<std::atomic<HashElem*>*>(m.buckets_.data());
  l.key_offset = m.lru_ ? 32 : 16;
  l.ref_offset = m.lru_ ? 16 : 0;
  uint32_t elem_size = l.key_offset + round_up8(spec.key_size);
  if (!m.percpu_) {
    l.value_offset = elem_size;
    elem_size += round_up8(spec.value_size);
  }
  // Room for elements retired but not yet reusable (readers may hold them
  // until their next quiescent point, longer when an engine is preempted).
  // Only address space: pages are touched as elements are first used.
  uint64_t capacity = uint64_t{max_entries} + std::max<uint64_t>(max_entries, 1u << 20);
  capacity = std::min<uint64_t>(capacity, UINT32_MAX - 1);
  bool large = uint64_t{max_entries} * elem_size >= (4u << 20);
  if (!m.pool_.init(elem_size, static_cast<uint32_t>(capacity), m.qsbr_, large))
    return errorf("map '{}': cannot reserve {} elements of {} bytes", spec.name, capacity,
                  elem_size);
  if (m.percpu_) {
    l.percpu_stride = round_up8(spec.value_size);
    l.percpu_cpu_stride = (capacity * l.percpu_stride + 4095) / 4096 * 4096;
    if (!m.percpu_values_.reserve(l.percpu_cpu_stride * m.num_cpus_,
                                  uint64_t{max_entries} * l.percpu_stride >= (4u << 20)))
      return errorf("map '{}': cannot reserve per-CPU values", spec.name);
    l.percpu_values = m.percpu_values_.data();
  }
  uint32_t stripes = static_cast<uint32_t>(std::min<uint64_t>(n_buckets, kMaxStripes));
  m.stripes_.reset(new Stripe[stripes]);
  m.stripe_mask_ = stripes - 1;
  if (m.lru_) {
    m.lists_.reset(new LruList[m.num_lists_]);
    for (uint32_t i = 0; i < m.num_lists_; ++i) m.lists_[i].capacity = max_entries / m.num_lists_;
  }
  return map;
}

uint32_t HashMap::count() const {
  if (!lru_) return count_.load(std::memory_order_relaxed);
  uint32_t n = 0;
  for (uint32_t i = 0; i < num_lists_; ++i) {
    std::lock_guard<SpinLock> lock(lists_[i].lock);
    n += lists_[i].count;
  }
  return n;
}

uint8_t* HashMap::value_of(HashElem* e, uint32_t cpu) const {
  if (percpu_)
    return layout_.percpu_values + cpu * layout_.percpu_cpu_stride +
           uint64_t{e->index} * layout_.percpu_stride;
  return reinterpret_cast<uint8_t*>(e) + layout_.value_offset;
}

void* HashMap::lookup(const void* key, uint32_t cpu) {
  // Any key size; the common ones go through HashMapFor.
  if (percpu_ && cpu >= num_cpus_) return nullptr;
  HashElem* e = hash_find(layout_, key, hash(key));
  if (!e) return nullptr;
  if (lru_) {
    auto& ref = lru_of(e).ref;
    if (!ref.load(std::memory_order_relaxed)) ref.store(1, std::memory_order_relaxed);
  }
  return value_of(e, cpu);
}

template <uint32_t K, bool kPercpu, bool kLru>
class HashMapFor final : public HashMap {
 public:
  HashMapFor(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
      : HashMap(spec, options, qsbr) {}

  void* lookup(const void* key, uint32_t cpu) override {
    if (kPercpu && cpu >= num_cpus_) return nullptr;
    constexpr uint32_t kKeyOffset = kLru ? 32 : 16;
    uint32_t h = hash_key(key, K, layout_.seed);
    HashElem* e = layout_.buckets[h & layout_.bucket_mask].load(std::memory_order_acquire);
    // Keys of up to 16 bytes are compared directly: cheaper than comparing
    // the stored hash first, and the key shares the element's cache line.
    while (e && std::memcmp(reinterpret_cast<const uint8_t*>(e) + kKeyOffset, key, K) != 0)
      e = e->next.load(std::memory_order_acquire);
    if (!e) return nullptr;
    if constexpr (kLru) {
      auto& ref = lru_of(e).ref;
      if (!ref.load(std::memory_order_relaxed)) ref.store(1, std::memory_order_relaxed);
    }
    if constexpr (kPercpu)
      return layout_.percpu_values + cpu * layout_.percpu_cpu_stride +
             uint64_t{e->index} * layout_.percpu_stride;
    return reinterpret_cast<uint8_t*>(e) + kKeyOffset + ((K + 7) & ~7u);
  }
};

namespace {
template <uint32_t K>
HashMap* make_for(bool percpu, bool lru, const ebpf::MapSpec& spec, const MapOptions& options,
                  QsbrDomain& qsbr) {
  if (percpu && lru) return new HashMapFor<K, true, true>(spec, options, qsbr);
  if (percpu) return new HashMapFor<K, true, false>(spec, options, qsbr);
  if (lru) return new HashMapFor<K, false, true>(spec, options, qsbr);
  return new HashMapFor<K, false, false>(spec, options, qsbr);
}
}  // namespace

HashMap* HashMap::make(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr) {
  bool percpu = spec.type == BPF_MAP_TYPE_PERCPU_HASH || spec.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  bool lru = spec.type == BPF_MAP_TYPE_LRU_HASH || spec.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  switch (spec.key_size) {
    case 4:
      return make_for<4>(percpu, lru, spec, options, qsbr);
    case 8:
      return make_for<8>(percpu, lru, spec, options, qsbr);
    case 16:
      return make_for<16>(percpu, lru, spec, options, qsbr);
    default:
      return new HashMap(spec, options, qsbr);
  }
}

std::atomic<HashElem*>* HashMap::find_link(const void* key, uint32_t hash) const {
  std::atomic<HashElem*>* link = &layout_.buckets[hash & layout_.bucket_mask];
  for (HashElem* e = link->load(std::memory_order_relaxed); e;
       e = link->load(std::memory_order_relaxed)) {
    if (e->hash == hash && key_equal(key_of(e), key, layout_.key_size)) return link;
    link = &e->next;
  }
  return link;
}

void HashMap::write_new_values(HashElem* e, const void* value, uint32_t cpu) {
  if (!percpu_) {
    std::memcpy(value_of(e, 0), value, spec_.value_size);
    return;
  }
  uint32_t stride = layout_.percpu_stride;
  const auto* in = static_cast<const uint8_t*>(value);
  for (uint32_t c = 0; c < num_cpus_; ++c) {
    uint8_t* dst = value_of(e, c);
    if (cpu == kAllCpus) {
      std::memcpy(dst, in + c * stride, stride);
    } else if (c == cpu) {
      // Linux zeroes the other CPUs' copies of a new element: a program can
      // only ever write its own CPU's.
      std::memcpy(dst, value, spec_.value_size);
      std::memset(dst + spec_.value_size, 0, stride - spec_.value_size);
    } else {
      std::memset(dst, 0, stride);
    }
  }
}

void HashMap::write_existing_values(HashElem* e, const void* value, uint32_t cpu) {
  if (cpu != kAllCpus) {
    std::memcpy(value_of(e, cpu), value, spec_.value_size);
    return;
  }
  uint32_t stride = layout_.percpu_stride;
  const auto* in = static_cast<const uint8_t*>(value);
  for (uint32_t c = 0; c < num_cpus_; ++c) std::memcpy(value_of(e, c), in + c * stride, stride);
}

void HashMap::copy_out(HashElem* e, void* value) {
  if (!percpu_) {
    std::memcpy(value, value_of(e, 0), spec_.value_size);
    return;
  }
  uint32_t stride = layout_.percpu_stride;
  auto* out = static_cast<uint8_t*>(value);
  for (uint32_t c = 0; c < num_cpus_; ++c) std::memcpy(out + c * stride, value_of(e, c), stride);
}

void HashMap::list_push_head(LruList& l, uint32_t index) {
  HashLru& r = lru_of(elem(index));
  r.prev = kNoElem;
  r.next = l.head;
  if (l.head != kNoElem)
    lru_of(elem(l.head)).prev = index;
  else
    l.tail = index;
  l.head = index;
  r.in_list = 1;
}

void HashMap::list_remove(LruList& l, uint32_t index) {
  HashLru& r = lru_of(elem(index));
  if (r.prev != kNoElem)
    lru_of(elem(r.prev)).next = r.next;
  else
    l.head = r.next;
  if (r.next != kNoElem)
    lru_of(elem(r.next)).prev = r.prev;
  else
    l.tail = r.prev;
  r.in_list = 0;
}

bool HashMap::evict_locked(LruList& l, Stripe* held) {
  // Second chance from the tail: referenced elements move to the head with
  // their mark cleared; the first unreferenced one whose stripe is free goes.
  // Stripes other than our own are only tried (lock order: stripe, then list).
  for (uint64_t budget = 2 * uint64_t{l.count} + 2; budget > 0 && l.tail != kNoElem; --budget) {
    uint32_t vi = l.tail;
    HashElem* v = elem(vi);
    HashLru& r = lru_of(v);
    if (r.ref.load(std::memory_order_relaxed)) {
      r.ref.store(0, std::memory_order_relaxed);
      list_remove(l, vi);
      list_push_head(l, vi);
      continue;
    }
    Stripe& vs = stripe_of(v->hash);
    bool locked_here = &vs != held;
    if (locked_here && !vs.lock.try_lock()) {
      list_remove(l, vi);
      list_push_head(l, vi);
      continue;
    }
    std::atomic<HashElem*>* link = &layout_.buckets[v->hash & layout_.bucket_mask];
    while (link->load(std::memory_order_relaxed) && link->load(std::memory_order_relaxed) != v)
      link = &link->load(std::memory_order_relaxed)->next;
    if (link->load(std::memory_order_relaxed) == v)
      link->store(v->next.load(std::memory_order_relaxed), std::memory_order_release);
    list_remove(l, vi);
    --l.count;
    if (locked_here) vs.lock.unlock();
    pool_.retire(vi);
    return true;
  }
  return false;
}

long HashMap::update_impl(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
  if (percpu_ || lru_) {
    if (flags > BPF_EXIST) return -EINVAL;
  } else {
    if ((flags & ~uint64_t{BPF_F_LOCK}) > BPF_EXIST) return -EINVAL;
    if (flags & BPF_F_LOCK) return -EINVAL;  // no bpf_spin_lock in the value
  }
  if (percpu_ && cpu != kAllCpus && cpu >= num_cpus_) return -EINVAL;
  uint32_t h = hash(key);
  Stripe& stripe = stripe_of(h);
  HashElem* old;
  uint32_t index;
  {
    StripeGuard guard(stripe);
    std::atomic<HashElem*>* link = find_link(key, h);
    old = link->load(std::memory_order_relaxed);
    if (old && flags == BPF_NOEXIST) return -EEXIST;
    if (!old && flags == BPF_EXIST) return -ENOENT;
    if (old && percpu_) {
      // Per-CPU values are written in place, as Linux does.
      write_existing_values(old, value, cpu);
      if (lru_) lru_of(old).ref.store(1, std::memory_order_relaxed);
      return 0;
    }
    bool counted = !old && !lru_;
    if (counted && count_.fetch_add(1, std::memory_order_relaxed) >= spec_.max_entries) {
      count_.fetch_sub(1, std::memory_order_relaxed);
      return -E2BIG;
    }
    index = pool_.alloc();
    if (index == ElementPool::kNone) {
      if (counted) count_.fetch_sub(1, std::memory_order_relaxed);
      return -ENOMEM;
    }
    HashElem* e = elem(index);
    e->hash = h;
    e->index = index;
    std::memcpy(key_of(e), key, layout_.key_size);
    write_new_values(e, value, cpu);
    if (lru_) {
      uint32_t list =
          old ? lru_of(old).list : (num_lists_ == 1 || cpu == kAllCpus ? 0 : cpu % num_lists_);
      LruList& l = lists_[list];
      std::lock_guard<SpinLock> list_guard(l.lock);
      if (!old && l.count >= l.capacity && !evict_locked(l, &stripe)) {
        pool_.release(index);
        return -ENOMEM;
      }
      HashLru& r = lru_of(e);
      r.ref.store(old ? 1 : 0, std::memory_order_relaxed);
      r.list = static_cast<uint16_t>(list);
      if (old) {
        list_remove(l, old->index);
      } else {
        ++l.count;
      }
      list_push_head(l, index);
    }
    if (old) {
      // Readers see either the old element or the new one, never a mix.
      e->next.store(old->next.load(std::memory_order_relaxed), std::memory_order_relaxed);
      link->store(e, std::memory_order_release);
    } else {
      // Re-read the head: an eviction above may have changed this chain.
      std::atomic<HashElem*>& head = layout_.buckets[h & layout_.bucket_mask];
      e->next.store(head.load(std::memory_order_relaxed), std::memory_order_relaxed);
      head.store(e, std::memory_order_release);
    }
  }
  if (old) pool_.retire(old->index);
  return 0;
}

long HashMap::erase_impl(const void* key, void* value_out) {
  uint32_t h = hash(key);
  HashElem* e;
  {
    StripeGuard guard(stripe_of(h));
    std::atomic<HashElem*>* link = find_link(key, h);
    e = link->load(std::memory_order_relaxed);
    if (!e) return -ENOENT;
    if (value_out) copy_out(e, value_out);
    link->store(e->next.load(std::memory_order_relaxed), std::memory_order_release);
    if (lru_) {
      LruList& l = lists_[lru_of(e).list];
      std::lock_guard<SpinLock> list_guard(l.lock);
      list_remove(l, e->index);
      --l.count;
    } else {
      count_.fetch_sub(1, std::memory_order_relaxed);
    }
  }
  pool_.retire(e->index);
  return 0;
}

long HashMap::update(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
  // `cpu` picks the per-CPU value and, with BPF_F_NO_COMMON_LRU, the LRU list.
  return update_impl(key, value, flags, cpu == kAllCpus ? 0 : cpu);
}

long HashMap::erase(const void* key, uint32_t) {
  return erase_impl(key, nullptr);
}

long HashMap::do_user_lookup(const void* key, void* value) {
  uint32_t h = hash(key);
  StripeGuard guard(stripe_of(h));
  HashElem* e = find_link(key, h)->load(std::memory_order_relaxed);
  if (!e) return -ENOENT;
  copy_out(e, value);
  return 0;
}

long HashMap::do_user_update(const void* key, const void* value, uint64_t flags) {
  return update_impl(key, value, flags, percpu_ ? kAllCpus : 0);
}

long HashMap::do_user_delete(const void* key) {
  return erase_impl(key, nullptr);
}

long HashMap::do_user_lookup_and_delete(const void* key, void* value) {
  return erase_impl(key, value);
}

long HashMap::do_next_key(const void* key, void* next) {
  // Linux's order: along the bucket's chain, then the following buckets; a
  // key that is not in the map restarts from the first bucket.
  uint64_t i = 0;
  if (key) {
    uint32_t h = hash(key);
    StripeGuard guard(stripe_of(h));
    HashElem* e = find_link(key, h)->load(std::memory_order_relaxed);
    if (e) {
      HashElem* n = e->next.load(std::memory_order_relaxed);
      if (n) {
        std::memcpy(next, key_of(n), layout_.key_size);
        return 0;
      }
      i = uint64_t{h & layout_.bucket_mask} + 1;
    }
  }
  for (; i <= layout_.bucket_mask; ++i) {
    if (!layout_.buckets[i].load(std::memory_order_relaxed)) continue;
    StripeGuard guard(stripes_[i & stripe_mask_]);
    if (HashElem* e = layout_.buckets[i].load(std::memory_order_relaxed)) {
      std::memcpy(next, key_of(e), layout_.key_size);
      return 0;
    }
  }
  return -ENOENT;
}

}  // namespace ebpfaas::maps
