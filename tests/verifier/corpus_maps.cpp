#include <linux/bpf.h>

#include "tests/verifier/corpus.h"

namespace ebpfaas::verifier::testing {

ebpf::MapSpec map_of_type(uint32_t type, uint32_t key, uint32_t value, uint32_t max,
                          uint32_t flags) {
  ebpf::MapSpec m;
  m.name = "m";
  m.type = type;
  m.key_size = key;
  m.value_size = value;
  m.max_entries = max;
  m.flags = flags;
  return m;
}

ebpf::MapSpec hash_map(uint32_t key, uint32_t value, uint32_t max) {
  return map_of_type(BPF_MAP_TYPE_HASH, key, value, max);
}

ebpf::MapSpec array_map(uint32_t value, uint32_t max, uint32_t flags) {
  return map_of_type(BPF_MAP_TYPE_ARRAY, 4, value, max, flags);
}

}  // namespace ebpfaas::verifier::testing
