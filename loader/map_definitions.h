// Map definitions of an object, in libbpf's order: legacy `maps` section
// entries, BTF-defined `.maps`, then one single-entry array per global data
// section (.data*, .rodata*, .bss*) in section order. Each map remembers where
// it was defined so that relocations can find it. Internal to loader/.
#pragma once

#include <cstdint>
#include <vector>

#include "ebpf/map_spec.h"
#include "loader/btf_data.h"
#include "loader/elf_file.h"
#include "support/error.h"

namespace ebpfaas::loader {

struct MapOrigin {
  enum class Kind { kLegacy, kBtf, kGlobalData };
  Kind kind = Kind::kBtf;
  size_t section = 0;
  uint64_t offset = 0;  // of the definition within its section (0 for global data)
  uint64_t size = 0;    // of the definition (BTF-defined maps)
  // BTF-defined maps with a `values` member (prog array or map-in-map initial
  // contents): its offset within the definition; -1 without.
  int64_t values_offset = -1;
};

struct MapTable {
  std::vector<ebpf::MapSpec> specs;
  std::vector<MapOrigin> origins;
  size_t legacy_section = 0;  // index of `maps`, 0 when absent
  size_t btf_section = 0;     // index of `.maps`, 0 when absent

  // The map defined at `offset` of a map-definition section, or -1.
  int find_definition(size_t section, uint64_t offset) const;
  // The global data map of `section`, or -1.
  int find_global_data(size_t section) const;
  // Whether `section` holds map definitions (`maps` or `.maps`).
  bool is_definition_section(size_t section) const;
};

// The object's map definitions. `btf` is null when the object has no usable BTF.
Expected<MapTable> read_maps(const ElfFile& elf, const BtfData* btf);

// Whether libbpf turns the section into a global data map (by name and type).
bool is_global_data_section(const ElfSection& s);

}  // namespace ebpfaas::loader
