// Initial slots of prog arrays and maps of maps, from the relocations of
// `.maps` (libbpf's bpf_object__collect_map_relos()): a `values` member whose
// pointers name entry programs or other BTF-defined maps. Internal to loader/.
#pragma once

#include <vector>

#include "loader/code_sections.h"
#include "loader/elf_file.h"
#include "loader/map_definitions.h"
#include "loader/object.h"
#include "support/error.h"

namespace ebpfaas::loader {

Expected<std::vector<MapSlotInit>> read_map_inits(const ElfFile& elf, const MapTable& maps,
                                                  const CodeSections& code);

}  // namespace ebpfaas::loader
