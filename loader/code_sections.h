// The code of an object: every executable section as instructions, the
// functions in it (STT_FUNC symbols, as libbpf's bpf_object__add_programs()),
// and its relocations (libbpf's bpf_program__record_reloc()). Map and global
// data references do not depend on where code ends up, so they are applied
// here; calls and function addresses are kept for the linker. Internal to
// loader/.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ebpf/insn.h"
#include "loader/elf_file.h"
#include "loader/map_definitions.h"
#include "support/error.h"

namespace ebpfaas::loader {

struct Function {
  std::string name;
  size_t section = 0;  // index into CodeSections::sections
  uint32_t start = 0;  // first instruction, within the section
  uint32_t count = 0;
  bool global = false;
};

// A call (src = BPF_PSEUDO_CALL) or a function address (lddw) relocated
// against a symbol: the target is symbol value + the instruction's addend.
struct CodeReloc {
  enum class Kind { kCall, kFunctionAddress };
  Kind kind = Kind::kCall;
  size_t target_section = 0;  // ELF section index of the symbol
  uint64_t symbol_value = 0;
  std::string symbol;
};

struct CodeSection {
  const ElfSection* elf = nullptr;
  std::vector<ebpf::Insn> insns;              // maps and global data already relocated
  std::vector<size_t> functions;              // into CodeSections::functions, by start
  std::map<uint32_t, CodeReloc> code_relocs;  // by instruction index
};

struct CodeSections {
  std::vector<CodeSection> sections;
  std::vector<Function> functions;
  size_t text = SIZE_MAX;        // index of .text in sections, if any
  std::vector<int> elf_to_code;  // ELF section index -> index in sections, or -1

  // The code section for an ELF section index, or null.
  const CodeSection* by_elf_index(size_t index) const;
  size_t index_of(const CodeSection& s) const { return static_cast<size_t>(&s - sections.data()); }
  // The function of `section` that holds instruction `insn`, or null.
  const Function* function_at(size_t section, uint32_t insn) const;
  // Entry programs: every function outside .text, and a lone .text function
  // when it is the only one in the object (libbpf's prog_is_subprog()).
  std::vector<size_t> entry_functions() const;
};

Expected<CodeSections> read_code(const ElfFile& elf, const MapTable& maps);

}  // namespace ebpfaas::loader
