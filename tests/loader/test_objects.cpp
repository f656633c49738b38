#include "tests/loader/test_objects.h"

#include <gtest/gtest.h>

#include <cstring>

#include "support/file.h"

namespace ebpfaas::loader::testing {

std::string prog_path(std::string_view name) {
  return std::string(EBPFAAS_LOADER_PROGS_DIR) + "/" + std::string(name) + ".o";
}

std::vector<uint8_t> read_prog(std::string_view name) {
  auto bytes = read_file(prog_path(name));
  if (!bytes) {
    ADD_FAILURE() << bytes.error().message();
    return {};
  }
  return std::move(*bytes);
}

ObjectFile open_prog(std::string_view name) {
  auto obj = open_object(prog_path(name));
  if (!obj) {
    ADD_FAILURE() << obj.error().message();
    return {};
  }
  return std::move(*obj);
}

Elf64_Ehdr& ElfEditor::header() {
  return *reinterpret_cast<Elf64_Ehdr*>(bytes_.data());
}

size_t ElfEditor::section_count() {
  return header().e_shnum;
}

Elf64_Shdr& ElfEditor::section(size_t index) {
  return reinterpret_cast<Elf64_Shdr*>(bytes_.data() + header().e_shoff)[index];
}

std::string ElfEditor::section_name(size_t index) {
  const Elf64_Shdr& names = section(header().e_shstrndx);
  return reinterpret_cast<const char*>(bytes_.data() + names.sh_offset + section(index).sh_name);
}

size_t ElfEditor::section_index(std::string_view name) {
  for (size_t i = 1; i < section_count(); ++i)
    if (section_name(i) == name) return i;
  ADD_FAILURE() << "no section " << name;
  return 0;
}

size_t ElfEditor::symbol_count() {
  for (size_t i = 1; i < section_count(); ++i)
    if (section(i).sh_type == SHT_SYMTAB) return section(i).sh_size / sizeof(Elf64_Sym);
  return 0;
}

Elf64_Sym* ElfEditor::symbol(std::string_view name) {
  for (size_t i = 1; i < section_count(); ++i) {
    const Elf64_Shdr& st = section(i);
    if (st.sh_type != SHT_SYMTAB) continue;
    const char* strings =
        reinterpret_cast<const char*>(bytes_.data() + section(st.sh_link).sh_offset);
    auto* syms = reinterpret_cast<Elf64_Sym*>(bytes_.data() + st.sh_offset);
    for (size_t s = 0; s < st.sh_size / sizeof(Elf64_Sym); ++s)
      if (name == strings + syms[s].st_name) return &syms[s];
  }
  return nullptr;
}

std::vector<Elf64_Rel*> ElfEditor::relocations(std::string_view rel_section) {
  Elf64_Shdr& sh = section(rel_section);
  std::vector<Elf64_Rel*> out;
  auto* rels = reinterpret_cast<Elf64_Rel*>(bytes_.data() + sh.sh_offset);
  for (size_t i = 0; i < sh.sh_size / sizeof(Elf64_Rel); ++i) out.push_back(&rels[i]);
  return out;
}

}  // namespace ebpfaas::loader::testing
