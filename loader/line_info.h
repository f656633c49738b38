// Source line info from .BTF.ext: for each code section, which instruction
// starts which source line. libbpf validates the section (btf_ext__new); the
// records are then walked here, with every bound checked again. Internal to
// loader/.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "loader/btf_data.h"
#include "support/error.h"

namespace ebpfaas::loader {

struct SectionLine {
  uint32_t insn = 0;  // instruction index within the section
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string text;
};

// Section name -> its lines, sorted by instruction.
using LineTable = std::map<std::string, std::vector<SectionLine>>;

// `where` names .BTF.ext in errors.
Expected<LineTable> read_line_info(std::span<const uint8_t> btf_ext, const BtfData& btf,
                                   const std::string& where);

// Number of CO-RE relocation records in a .BTF.ext that read_line_info()
// accepted; 0 when it has none.
size_t count_core_relocations(std::span<const uint8_t> btf_ext);

}  // namespace ebpfaas::loader
