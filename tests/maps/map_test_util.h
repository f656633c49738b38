// Shorthands for the maps tests.
#pragma once

#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "maps/map.h"
#include "support/qsbr.h"

namespace ebpfaas::maps::testing {

inline ebpf::MapSpec spec(uint32_t type, uint32_t key_size, uint32_t value_size,
                          uint32_t max_entries, uint32_t flags = 0, std::string name = "m") {
  ebpf::MapSpec s;
  s.name = std::move(name);
  s.type = type;
  s.key_size = key_size;
  s.value_size = value_size;
  s.max_entries = max_entries;
  s.flags = flags;
  return s;
}

inline std::shared_ptr<Map> make(const ebpf::MapSpec& s, uint32_t num_cpus = 1,
                                 QsbrDomain* qsbr = nullptr) {
  MapOptions o;
  o.num_cpus = num_cpus;
  o.qsbr = qsbr;
  auto m = create_map(s, o);
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message());
  return m.ok() ? *m : nullptr;
}

inline uint64_t load64(const void* p) {
  uint64_t v = 0;
  std::memcpy(&v, p, 8);
  return v;
}

// An LPM key: prefixlen then the bytes of `data`.
inline std::vector<uint8_t> lpm_key(uint32_t prefixlen, std::vector<uint8_t> data) {
  std::vector<uint8_t> k(4 + data.size());
  std::memcpy(k.data(), &prefixlen, 4);
  std::memcpy(k.data() + 4, data.data(), data.size());
  return k;
}

}  // namespace ebpfaas::maps::testing
