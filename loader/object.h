// Opening BPF ELF objects the way libbpf's bpf_object__open() does: programs by
// section (SEC("xdp") ...), map definitions (BTF-defined `.maps`, legacy
// `maps`, global data sections), the license, and every relocation resolved so
// that each program is a self-contained instruction stream:
//   - lddw of a map        -> src = kPseudoMapIdx,      imm = index into ObjectFile::maps
//   - lddw of global data  -> src = kPseudoMapIdxValue, imm = map index,
//                             second slot imm = offset within the section
//   - bpf-to-bpf calls and function pointers: the called functions are appended
//     to the program (each once, depth first, as libbpf lays them out) and the
//     call's imm / the lddw (src = kPseudoFunc) points at the appended copy.
// Nothing is created here: maps are made and programs linked to the VM later.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ebpf/insn.h"
#include "ebpf/map_spec.h"
#include "support/error.h"

namespace ebpfaas::loader {

// A source line from .BTF.ext line info: the instruction at `pc` starts code of
// `file`:`line`:`column`, whose text is `text`.
struct SourceLine {
  uint32_t pc = 0;
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
  std::string text;
};

// A function placed in a program: the entry function at pc 0, then every
// subprogram appended by relocation.
struct FunctionPlacement {
  std::string name;
  std::string section;
  uint32_t pc = 0;
  uint32_t insn_count = 0;
};

struct ProgramSpec {
  std::string name;     // the function's symbol name
  std::string section;  // ELF section, without a leading '?' (libbpf's "no autoload" mark)
  // Derived from the section name like libbpf's sec_defs: Linux's
  // BPF_PROG_TYPE_* and BPF_* attach type; 0 when the section is unknown.
  uint32_t type = 0;
  uint32_t expected_attach_type = 0;
  bool xdp_frags = false;  // xdp.frags: the program accepts multi-buffer packets
  bool autoload = true;    // false for SEC("?...")
  std::vector<ebpf::Insn> insns;
  std::vector<FunctionPlacement> functions;  // functions[0] is the entry function
  std::vector<SourceLine> lines;             // sorted by pc; empty without .BTF.ext

  uint32_t entry_insn_count() const { return functions.empty() ? 0 : functions[0].insn_count; }
  // The source line that covers pc (the last line entry at or before it), or null.
  const SourceLine* line_at(uint32_t pc) const;
  // The function placement that holds pc, or null.
  const FunctionPlacement* function_at(uint32_t pc) const;
};

// Initial contents of a prog array or map-in-map declared with
// `.values = { [key] = &prog_or_map }` (libbpf's init slots): slot `key` of
// maps[map] holds the entry program `program`, or maps[inner_map].
struct MapSlotInit {
  uint32_t map = 0;
  uint32_t key = 0;
  std::string program;  // prog arrays
  int inner_map = -1;   // map-in-map
};

struct ObjectFile {
  std::string name;  // the file name up to its first '.', as libbpf names objects
  std::string license;
  uint32_t kern_version = 0;  // the `version` section, 0 when absent
  std::vector<ebpf::MapSpec> maps;
  std::vector<ProgramSpec> programs;  // entry programs, ordered by section index and offset
  std::vector<MapSlotInit> map_inits;
  // Problems that do not stop the object from loading (libbpf ignores them too),
  // e.g. a corrupt .BTF.ext that only costs the source line info.
  std::vector<std::string> warnings;

  // By program name first, then by section name (the first program in it).
  const ProgramSpec* find_program(std::string_view name_or_section) const;
  // Index into maps, or -1.
  int find_map(std::string_view name) const;
};

// Reads an object file; errors name the file, the section and the offset.
Expected<ObjectFile> open_object(const std::string& path);
// Reads an object from memory; `name` stands for the file in names and errors.
Expected<ObjectFile> open_object_bytes(std::span<const uint8_t> bytes, std::string name);

// Linux's name of a BPF_PROG_TYPE_* ("xdp", "sched_cls"), or "" when unknown.
std::string_view program_type_name(uint32_t type);
// Linux's name of a BPF_MAP_TYPE_* ("hash", "lpm_trie"), or "" when unknown.
std::string_view map_type_name(uint32_t type);

}  // namespace ebpfaas::loader
