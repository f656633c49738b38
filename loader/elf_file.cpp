#include "loader/elf_file.h"

#include <gelf.h>
#include <libelf.h>

#include <cstring>
#include <mutex>

namespace ebpfaas::loader {
namespace {

#ifndef SHT_LLVM_ADDRSIG
#define SHT_LLVM_ADDRSIG 0x6FFF4C03
#endif

std::string elf_error() {
  const char* msg = elf_errmsg(-1);
  return msg ? msg : "unknown libelf error";
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Sections whose bytes the loader never reads, as in libbpf's
// ignore_elf_section(): string tables (read through libelf), DWARF and its
// relocations, relocations of .BTF/.BTF.ext, the linker's address-significance
// table. Their contents cannot make an object fail to load.
bool ignored(const GElf_Shdr& sh, std::string_view name) {
  if (sh.sh_type == SHT_STRTAB || sh.sh_type == SHT_LLVM_ADDRSIG || sh.sh_type == SHT_NULL)
    return true;
  if (starts_with(name, ".debug_")) return true;
  if (starts_with(name, ".rel")) {
    std::string_view target = name.substr(4);
    if (starts_with(target, ".debug_") || target == ".BTF" || target == ".BTF.ext") return true;
  }
  return false;
}

}  // namespace

bool ElfSection::executable() const {
  return type == SHT_PROGBITS && (flags & SHF_EXECINSTR);
}

std::string ElfSection::where() const {
  return fmt::format("section '{}' (#{}, file offset {:#x})", name, index, file_offset);
}

ElfFile::ElfFile(ElfFile&& o) noexcept
    : bytes_(std::move(o.bytes_)),
      elf_(std::exchange(o.elf_, nullptr)),
      sections_(std::move(o.sections_)),
      symbols_(std::move(o.symbols_)),
      symtab_index_(o.symtab_index_) {}

ElfFile& ElfFile::operator=(ElfFile&& o) noexcept {
  if (this != &o) {
    if (elf_) elf_end(elf_);
    bytes_ = std::move(o.bytes_);
    elf_ = std::exchange(o.elf_, nullptr);
    sections_ = std::move(o.sections_);
    symbols_ = std::move(o.symbols_);
    symtab_index_ = o.symtab_index_;
  }
  return *this;
}

ElfFile::~ElfFile() {
  if (elf_) elf_end(elf_);
}

Expected<ElfFile> ElfFile::parse(std::span<const uint8_t> bytes) {
  static std::once_flag once;
  std::call_once(once, [] { elf_version(EV_CURRENT); });
  ElfFile f;
  f.bytes_ = std::make_unique<std::vector<uint8_t>>(bytes.begin(), bytes.end());
  if (auto s = f.load(); !s) return s.error();
  return f;
}

const ElfSection* ElfFile::section(size_t index) const {
  return index < sections_.size() ? &sections_[index] : nullptr;
}

const ElfSection* ElfFile::find_section(std::string_view name) const {
  for (const ElfSection& s : sections_)
    if (s.index != 0 && s.name == name) return &s;
  return nullptr;
}

Status ElfFile::load() {
  std::vector<uint8_t>& image = *bytes_;
  const size_t file_size = image.size();
  if (file_size < EI_NIDENT || std::memcmp(image.data(), ELFMAG, SELFMAG) != 0)
    return errorf("offset 0x0: not an ELF file (no \\x7fELF magic)");
  if (image[EI_CLASS] != ELFCLASS64)
    return errorf("ELF header (offset {:#x}): not a 64-bit ELF object (class {})", EI_CLASS,
                  image[EI_CLASS]);
  if (image[EI_DATA] != ELFDATA2LSB)
    return errorf("ELF header (offset {:#x}): not a little-endian object (data encoding {})",
                  EI_DATA, image[EI_DATA]);
  if (file_size < sizeof(Elf64_Ehdr))
    return errorf("ELF header: truncated ({} bytes, the header needs {})", file_size,
                  sizeof(Elf64_Ehdr));

  elf_ = elf_memory(reinterpret_cast<char*>(image.data()), file_size);
  if (!elf_ || elf_kind(elf_) != ELF_K_ELF)
    return errorf("ELF header (offset 0x0): {}", elf_error());
  GElf_Ehdr eh;
  if (!gelf_getehdr(elf_, &eh)) return errorf("ELF header (offset 0x0): {}", elf_error());
  if (eh.e_type != ET_REL)
    return errorf("ELF header (offset {:#x}): not a relocatable object (e_type {})",
                  offsetof(Elf64_Ehdr, e_type), eh.e_type);
  // Old LLVM wrote EM_NONE; libbpf accepts it, and so do we.
  if (eh.e_machine != EM_BPF && eh.e_machine != EM_NONE)
    return errorf("ELF header (offset {:#x}): e_machine is {}, not EM_BPF ({}): not an eBPF object",
                  offsetof(Elf64_Ehdr, e_machine), eh.e_machine, EM_BPF);

  size_t count = 0, shstrndx = 0;
  if (elf_getshdrnum(elf_, &count) != 0)
    return errorf("section header table (offset {:#x}): {}", eh.e_shoff, elf_error());
  if (elf_getshdrstrndx(elf_, &shstrndx) != 0)
    return errorf("section header table (offset {:#x}): no section-name table: {}", eh.e_shoff,
                  elf_error());
  if (count == 0) return errorf("section header table (offset {:#x}): no sections", eh.e_shoff);
  if (shstrndx == SHN_UNDEF || shstrndx >= count)
    return errorf("ELF header: section-name table index {} is outside the {} sections", shstrndx,
                  count);

  // The section-name table must lie inside the file before names are read.
  {
    Elf_Scn* scn = elf_getscn(elf_, shstrndx);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return errorf("section #{} (section names): {}", shstrndx, elf_error());
    if (sh.sh_type != SHT_STRTAB)
      return errorf("section #{} (section names, file offset {:#x}): not a string table", shstrndx,
                    sh.sh_offset);
    if (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset)
      return errorf(
          "section #{} (section names, file offset {:#x}, size {:#x}) extends past the end of the "
          "file ({:#x} bytes): truncated object",
          shstrndx, sh.sh_offset, sh.sh_size, file_size);
    if (!elf_rawdata(scn, nullptr))
      return errorf("section #{} (section names, file offset {:#x}): {}", shstrndx, sh.sh_offset,
                    elf_error());
  }

  sections_.resize(count);
  size_t symtab = 0;
  for (size_t i = 1; i < count; ++i) {
    Elf_Scn* scn = elf_getscn(elf_, i);
    GElf_Shdr sh;
    if (!scn || !gelf_getshdr(scn, &sh))
      return errorf("section #{}: bad section header: {}", i, elf_error());
    ElfSection& s = sections_[i];
    s.index = i;
    const char* name = elf_strptr(elf_, shstrndx, sh.sh_name);
    if (!name)
      return errorf(
          "section #{} (file offset {:#x}): name offset {:#x} is outside the "
          "section-name table",
          i, sh.sh_offset, sh.sh_name);
    s.name = name;
    s.type = sh.sh_type;
    s.flags = sh.sh_flags;
    s.file_offset = sh.sh_offset;
    s.size = sh.sh_size;
    s.link = sh.sh_link;
    s.info = sh.sh_info;
    s.entsize = sh.sh_entsize;
    if (sh.sh_type == SHT_SYMTAB) {
      if (symtab) return errorf("{}: a second symbol table (the first is #{})", s.where(), symtab);
      symtab = i;
    }
    if (ignored(sh, s.name) || sh.sh_type == SHT_NOBITS) continue;
    if (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset)
      return errorf(
          "{}: size {:#x} extends past the end of the file ({:#x} bytes): truncated "
          "object",
          s.where(), sh.sh_size, file_size);
    if (sh.sh_flags & SHF_COMPRESSED)
      return errorf("{}: compressed sections are not supported", s.where());
    Elf_Data* d = elf_getdata(scn, nullptr);
    if (!d) return errorf("{}: cannot read the section: {}", s.where(), elf_error());
    if (d->d_size > 0 && !d->d_buf) return errorf("{}: section has no data", s.where());
    s.data = {static_cast<const uint8_t*>(d->d_buf), d->d_size};
    s.has_data = true;
  }

  if (!symtab) return errorf("no symbol table (.symtab): stripped object?");
  symtab_index_ = symtab;
  const ElfSection& st = sections_[symtab];
  if (st.entsize != sizeof(Elf64_Sym))
    return errorf("{}: symbol entry size {} is not {}", st.where(), st.entsize, sizeof(Elf64_Sym));
  if (st.link == 0 || st.link >= count || sections_[st.link].type != SHT_STRTAB)
    return errorf("{}: linked string table #{} is missing or not a string table", st.where(),
                  st.link);
  {
    const ElfSection& strtab = sections_[st.link];
    if (strtab.file_offset > file_size || strtab.size > file_size - strtab.file_offset)
      return errorf(
          "{}: size {:#x} extends past the end of the file ({:#x} bytes): truncated "
          "object",
          strtab.where(), strtab.size, file_size);
  }
  const size_t nsyms = st.data.size() / sizeof(Elf64_Sym);
  symbols_.resize(nsyms);
  for (size_t i = 0; i < nsyms; ++i) {
    Elf64_Sym raw;
    std::memcpy(&raw, st.data.data() + i * sizeof raw, sizeof raw);
    ElfSymbol& sym = symbols_[i];
    sym.index = i;
    sym.value = raw.st_value;
    sym.size = raw.st_size;
    sym.type = ELF64_ST_TYPE(raw.st_info);
    sym.bind = ELF64_ST_BIND(raw.st_info);
    sym.visibility = ELF64_ST_VISIBILITY(raw.st_other);
    sym.shndx = raw.st_shndx;
    const char* name = elf_strptr(elf_, st.link, raw.st_name);
    if (!name)
      return errorf("{}: symbol #{} (entry offset {:#x}): name offset {:#x} is outside {}",
                    st.where(), i, i * sizeof raw, raw.st_name, sections_[st.link].name);
    // Relocations against a static function or string name the section
    // symbol, which has no name of its own.
    if (!*name && sym.type == STT_SECTION && sym.shndx < count)
      name = sections_[sym.shndx].name.c_str();
    sym.name = name;
  }
  return {};
}

Expected<std::vector<ElfRelocation>> ElfFile::relocations(const ElfSection& rel) const {
  if (rel.type != SHT_REL) return errorf("{}: not a REL section", rel.where());
  if (rel.entsize != sizeof(Elf64_Rel))
    return errorf("{}: relocation entry size {} is not {}", rel.where(), rel.entsize,
                  sizeof(Elf64_Rel));
  std::vector<ElfRelocation> out(rel.data.size() / sizeof(Elf64_Rel));
  for (size_t i = 0; i < out.size(); ++i) {
    Elf64_Rel raw;
    std::memcpy(&raw, rel.data.data() + i * sizeof raw, sizeof raw);
    out[i].offset = raw.r_offset;
    out[i].symbol = static_cast<uint32_t>(ELF64_R_SYM(raw.r_info));
    out[i].type = static_cast<uint32_t>(ELF64_R_TYPE(raw.r_info));
    if (out[i].symbol >= symbols_.size())
      return errorf(
          "{}: relocation #{} (entry offset {:#x}) refers to symbol #{}, but the symbol "
          "table has {} symbols",
          rel.where(), i, i * sizeof raw, out[i].symbol, symbols_.size());
  }
  return out;
}

}  // namespace ebpfaas::loader
