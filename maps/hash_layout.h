// The memory layout of hash maps (hash, percpu_hash, lru_hash,
// lru_percpu_hash) and their lookup fast path, in a header of its own so that
// a JIT can inline it: hash the key, load the bucket, walk the chain.
//
//   buckets[hash & bucket_mask] -> HashElem -> HashElem -> ... -> nullptr
//
// Chains are read without locks. Writers (under a per-bucket-stripe lock)
// publish new elements with release stores and never modify a published
// element's key or hash; a replaced or deleted element stays readable until
// every engine has passed a quiescent point (support/qsbr.h). So a reader
// needs only acquire loads (plain loads on x86-64).
//
// Element layout (all offsets from the element's address):
//   0            next        std::atomic<HashElem*>
//   8            hash        uint32_t, hash_key(key)
//   12           index       uint32_t, the element's number (per-CPU values)
//   16           [LRU maps]  HashLru (16 bytes)
//   key_offset   key         key_size bytes, padded to 8
//   value_offset value       value_size bytes (shared values only)
// A per-CPU map's value for CPU c is at
//   percpu_values + c * percpu_cpu_stride + index * percpu_stride.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>

namespace ebpfaas::maps {

struct HashElem {
  std::atomic<HashElem*> next;
  uint32_t hash;
  uint32_t index;
};
static_assert(sizeof(HashElem) == 16);

// LRU bookkeeping, at offset 16 of an LRU map's elements. `ref` is set by
// program lookups (only when clear, so hot elements' lines stay shared) and
// cleared by the evictor, which gives referenced elements a second chance.
struct HashLru {
  std::atomic<uint8_t> ref;
  uint8_t in_list;
  uint16_t list;  // which LRU list (per CPU with BPF_F_NO_COMMON_LRU)
  uint32_t prev;  // element indices; kNoElem ends the list
  uint32_t next;
  uint32_t pad;
};
static_assert(sizeof(HashLru) == 16);

inline constexpr uint32_t kNoElem = UINT32_MAX;

struct HashLayout {
  std::atomic<HashElem*>* buckets = nullptr;
  uint32_t bucket_mask = 0;  // buckets: a power of two >= max_entries
  uint32_t key_size = 0;
  uint64_t seed = 0;           // hash_key's seed (random unless BPF_F_ZERO_SEED)
  uint32_t key_offset = 16;    // 32 for LRU maps
  uint32_t value_offset = 0;   // shared values; 0 for per-CPU maps
  uint32_t ref_offset = 0;     // LRU maps: HashLru::ref (16); 0: none
  uint32_t percpu_stride = 0;  // per-CPU maps: round_up(value_size, 8)
  uint64_t percpu_cpu_stride = 0;
  uint8_t* percpu_values = nullptr;
};

namespace hash_detail {
inline uint64_t mix(uint64_t a, uint64_t b) {
  __uint128_t r = static_cast<__uint128_t>(a) * b;
  return static_cast<uint64_t>(r) ^ static_cast<uint64_t>(r >> 64);
}
inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline uint64_t load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
inline constexpr uint64_t kP0 = 0xa0761d6478bd642full;
inline constexpr uint64_t kP1 = 0xe7037ed1a0b428dbull;
inline constexpr uint64_t kP2 = 0x8ebc6af09c88c6e3ull;
}  // namespace hash_detail

// The keyed hash of maps, in the style of wyhash: keys up to 16 bytes cost
// one 64x64->128 multiply of seeded words (so an attacker who does not know
// the seed cannot aim keys at one bucket), longer keys one per 16 bytes. With
// a constant `size` the compiler reduces it to a few instructions.
inline uint32_t hash_key(const void* key, uint32_t size, uint64_t seed) {
  using namespace hash_detail;
  const auto* p = static_cast<const uint8_t*>(key);
  uint64_t s0 = seed ^ kP0;
  uint64_t s1 = (seed * kP2) ^ kP1 ^ size;
  uint64_t a, b;
  if (size <= 8) {
    if (size >= 4) {
      a = (load32(p) << 32) | load32(p + size - 4);
    } else if (size > 0) {
      a = (uint64_t{p[0]} << 16) | (uint64_t{p[size >> 1]} << 8) | p[size - 1];
    } else {
      a = 0;
    }
    b = 0;
  } else if (size <= 16) {
    a = load64(p);
    b = load64(p + size - 8);
  } else {
    uint32_t i = size;
    while (i > 16) {
      s0 = mix(load64(p) ^ s0, load64(p + 8) ^ kP1);
      p += 16;
      i -= 16;
    }
    a = load64(p + i - 16);
    b = load64(p + i - 8);
  }
  uint64_t h = mix(a ^ s0, b ^ s1);
  return static_cast<uint32_t>(h ^ (h >> 32));
}

inline bool key_equal(const void* a, const void* b, uint32_t size) {
  switch (size) {
    case 4:
      return std::memcmp(a, b, 4) == 0;
    case 8:
      return std::memcmp(a, b, 8) == 0;
    case 16:
      return std::memcmp(a, b, 16) == 0;
    default:
      return std::memcmp(a, b, size) == 0;
  }
}

inline const uint8_t* elem_key(const HashLayout& l, const HashElem* e) {
  return reinterpret_cast<const uint8_t*>(e) + l.key_offset;
}

// The element holding `key` (whose hash_key is `hash`), or nullptr.
inline HashElem* hash_find(const HashLayout& l, const void* key, uint32_t hash) {
  HashElem* e = l.buckets[hash & l.bucket_mask].load(std::memory_order_acquire);
  while (e) {
    if (e->hash == hash && key_equal(elem_key(l, e), key, l.key_size)) return e;
    e = e->next.load(std::memory_order_acquire);
  }
  return nullptr;
}

// The program's lookup: the value for `key` (per-CPU maps: CPU `cpu`'s copy),
// or nullptr. Marks LRU elements referenced.
inline void* hash_lookup(const HashLayout& l, const void* key, uint32_t cpu) {
  HashElem* e = hash_find(l, key, hash_key(key, l.key_size, l.seed));
  if (!e) return nullptr;
  if (l.ref_offset) {
    auto* ref =
        reinterpret_cast<std::atomic<uint8_t>*>(reinterpret_cast<uint8_t*>(e) + l.ref_offset);
    if (!ref->load(std::memory_order_relaxed)) ref->store(1, std::memory_order_relaxed);
  }
  if (l.percpu_values)
    return l.percpu_values + cpu * l.percpu_cpu_stride + uint64_t{e->index} * l.percpu_stride;
  return reinterpret_cast<uint8_t*>(e) + l.value_offset;
}

}  // namespace ebpfaas::maps
