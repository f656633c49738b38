// Test objects (built from progs/*.c) and a small editor that writes corrupted
// copies of them for the malformed-object tests.
#pragma once

#include <elf.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "loader/object.h"

namespace ebpfaas::loader::testing {

std::string prog_path(std::string_view name);  // progs/<name>.o
std::vector<uint8_t> read_prog(std::string_view name);
// Opens progs/<name>.o; a failure is reported as a test failure and yields an
// empty object.
ObjectFile open_prog(std::string_view name);

// Reads and edits an ELF image in place (the structures are the file's own).
class ElfEditor {
 public:
  explicit ElfEditor(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  std::vector<uint8_t>& bytes() { return bytes_; }

  Elf64_Ehdr& header();
  size_t section_count();
  Elf64_Shdr& section(size_t index);
  // Index of the named section; 0 (and a test failure) when missing.
  size_t section_index(std::string_view name);
  Elf64_Shdr& section(std::string_view name) { return section(section_index(name)); }
  std::string section_name(size_t index);
  uint8_t* data(std::string_view name) { return bytes_.data() + section(name).sh_offset; }
  // Symbol by name (first match); null when missing.
  Elf64_Sym* symbol(std::string_view name);
  size_t symbol_count();
  std::vector<Elf64_Rel*> relocations(std::string_view rel_section);

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace ebpfaas::loader::testing
