// Helpers shared by the map implementations (not part of the public API).
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "maps/map.h"
#include "support/qsbr.h"

namespace ebpfaas::maps {

inline uint32_t round_up8(uint32_t n) {
  return (n + 7u) & ~7u;
}

inline QsbrDomain& domain_of(const MapOptions& options) {
  return options.qsbr ? *options.qsbr : QsbrDomain::global();
}

inline uint64_t roundup_pow2(uint64_t n) {
  uint64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// get_next_key of index-keyed maps (array, prog_array, devmap): every index in
// order, whether or not it holds a value; a missing or out-of-range key
// restarts at 0.
inline long array_next_key(const void* key, void* next, uint32_t max_entries) {
  uint32_t index = UINT32_MAX;
  if (key) std::memcpy(&index, key, 4);
  uint32_t n;
  if (index >= max_entries) {
    n = 0;
  } else if (index == max_entries - 1) {
    return -ENOENT;
  } else {
    n = index + 1;
  }
  std::memcpy(next, &n, 4);
  return 0;
}

}  // namespace ebpfaas::maps
