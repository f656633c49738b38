// What a program knows about a map: its definition, as libbpf reads it from an
// object (BTF-defined `.maps`, legacy `maps`, or global data sections). The
// verifier checks programs against it; maps/ creates maps from it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ebpfaas::ebpf {

// Values are Linux's enum bpf_map_type / LIBBPF_PIN_* numbers.
struct MapSpec {
  std::string name;
  uint32_t type = 0;  // BPF_MAP_TYPE_*
  uint32_t key_size = 0;
  uint32_t value_size = 0;
  uint32_t max_entries = 0;
  uint32_t flags = 0;    // BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, ...
  uint32_t pinning = 0;  // 0 none, 1 by name
  // Global data (.data, .rodata, .bss, .rodata.str1.1): a single-entry array
  // whose value starts as `initial_value` (zeros for .bss).
  bool global_data = false;
  std::vector<uint8_t> initial_value;

  // Same definition: maps whose name and definition match are carried over
  // when a function is updated.
  bool same_definition(const MapSpec& o) const {
    return type == o.type && key_size == o.key_size && value_size == o.value_size &&
           max_entries == o.max_entries && flags == o.flags;
  }
};

}  // namespace ebpfaas::ebpf
