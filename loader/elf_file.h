// The ELF side of an object, read with libelf and checked for what the loader
// relies on (a 64-bit little-endian relocatable eBPF object whose sections lie
// inside the file, one symbol table with named symbols). Internal to loader/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"

struct Elf;

namespace ebpfaas::loader {

struct ElfSection {
  size_t index = 0;
  std::string name;
  uint32_t type = 0;  // SHT_*
  uint64_t flags = 0;
  uint64_t file_offset = 0;
  uint64_t size = 0;  // sh_size (also for SHT_NOBITS, which has no bytes)
  uint32_t link = 0;
  uint32_t info = 0;
  uint64_t entsize = 0;
  std::span<const uint8_t> data;  // empty for NOBITS and for sections the loader ignores
  bool has_data = false;

  bool executable() const;
  // "section 'xdp' (#4, file offset 0x98)"
  std::string where() const;
};

struct ElfSymbol {
  size_t index = 0;
  std::string name;
  uint64_t value = 0;
  uint64_t size = 0;
  uint8_t type = 0;        // STT_*
  uint8_t bind = 0;        // STB_*
  uint8_t visibility = 0;  // STV_*
  uint16_t shndx = 0;
};

struct ElfRelocation {
  uint64_t offset = 0;
  uint32_t symbol = 0;
  uint32_t type = 0;
};

class ElfFile {
 public:
  // Copies the bytes; the sections' data points into the copy.
  static Expected<ElfFile> parse(std::span<const uint8_t> bytes);

  ElfFile(ElfFile&&) noexcept;
  ElfFile& operator=(ElfFile&&) noexcept;
  ~ElfFile();

  const std::vector<ElfSection>& sections() const { return sections_; }
  const ElfSection* section(size_t index) const;
  const ElfSection* find_section(std::string_view name) const;
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  size_t symtab_index() const { return symtab_index_; }
  // The entries of an SHT_REL section, checked against the symbol table.
  Expected<std::vector<ElfRelocation>> relocations(const ElfSection& rel) const;

 private:
  ElfFile() = default;
  Status load();

  std::unique_ptr<std::vector<uint8_t>> bytes_;  // stable address for libelf
  Elf* elf_ = nullptr;
  std::vector<ElfSection> sections_;
  std::vector<ElfSymbol> symbols_;
  size_t symtab_index_ = 0;
};

}  // namespace ebpfaas::loader
