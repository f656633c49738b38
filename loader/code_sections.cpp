#include "loader/code_sections.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "ebpf/opcode.h"

namespace ebpfaas::loader {
namespace {

using ebpf::Insn;

constexpr uint8_t kCallOpcode = ebpf::kClsJmp | ebpf::kJmpCall;                 // 0x85
constexpr uint8_t kLddwOpcode = ebpf::kClsLd | ebpf::kModeImm | ebpf::kSizeDW;  // 0x18
constexpr uint32_t kInsnSize = sizeof(Insn);

bool is_extern(const ElfSymbol& s) {
  return s.shndx == SHN_UNDEF && (s.bind == STB_GLOBAL || s.bind == STB_WEAK) &&
         s.type == STT_NOTYPE;
}

class Reader {
 public:
  Reader(const ElfFile& elf, const MapTable& maps) : elf_(elf), maps_(maps) {}

  Expected<CodeSections> run() {
    for (const ElfSection& s : elf_.sections()) {
      if (s.index == 0 || !s.executable() || !s.has_data || s.data.empty()) continue;
      CodeSection cs;
      cs.elf = &s;
      cs.insns.resize(s.data.size() / kInsnSize);
      if (!cs.insns.empty())
        std::memcpy(static_cast<void*>(cs.insns.data()), s.data.data(),
                    cs.insns.size() * kInsnSize);
      if (s.name == ".text") out_.text = out_.sections.size();
      out_.sections.push_back(std::move(cs));
    }
    out_.elf_to_code.assign(elf_.sections().size(), -1);
    for (size_t i = 0; i < out_.sections.size(); ++i)
      out_.elf_to_code[out_.sections[i].elf->index] = static_cast<int>(i);
    EBPFAAS_TRY(read_functions());
    for (const ElfSection& rel : elf_.sections()) {
      if (rel.index == 0 || rel.type != SHT_REL || !rel.has_data) continue;
      if (rel.info >= elf_.sections().size())
        return errorf("{}: relocates section #{}, but the object has {} sections", rel.where(),
                      rel.info, elf_.sections().size());
      const CodeSection* target = out_.by_elf_index(rel.info);
      if (!target) continue;  // relocations of data sections: libbpf ignores them too
      EBPFAAS_TRY(read_relocations(rel, out_.sections[out_.index_of(*target)]));
    }
    return std::move(out_);
  }

 private:
  Status read_functions() {
    for (const ElfSymbol& sym : elf_.symbols()) {
      if (sym.type != STT_FUNC) continue;
      const CodeSection* cs = out_.by_elf_index(sym.shndx);
      if (!cs) continue;
      const ElfSection& s = *cs->elf;
      if (sym.value > s.data.size() || sym.size > s.data.size() - sym.value)
        return errorf(
            "{}: function '{}' at offset {:#x} (size {:#x}) crosses the end of the "
            "section ({:#x} bytes)",
            s.where(), sym.name, sym.value, sym.size, s.data.size());
      if (sym.size == 0 || sym.size % kInsnSize || sym.value % kInsnSize)
        return errorf(
            "{}: corrupted function '{}' at offset {:#x}, size {:#x} (not whole "
            "instructions)",
            s.where(), sym.name, sym.value, sym.size);
      const bool text = out_.text != SIZE_MAX && cs == &out_.sections[out_.text];
      if (!text && sym.bind == STB_LOCAL)
        return errorf(
            "{}: function '{}' at offset {:#x} is static; functions outside .text must "
            "be global (libbpf rejects static programs)",
            s.where(), sym.name, sym.value);
      Function f;
      f.name = sym.name;
      f.section = out_.index_of(*cs);
      f.start = static_cast<uint32_t>(sym.value / kInsnSize);
      f.count = static_cast<uint32_t>(sym.size / kInsnSize);
      f.global = sym.bind != STB_LOCAL;
      out_.sections[f.section].functions.push_back(out_.functions.size());
      out_.functions.push_back(std::move(f));
    }
    for (CodeSection& cs : out_.sections) {
      std::sort(cs.functions.begin(), cs.functions.end(), [&](size_t a, size_t b) {
        return out_.functions[a].start < out_.functions[b].start;
      });
      for (size_t i = 1; i < cs.functions.size(); ++i) {
        const Function& prev = out_.functions[cs.functions[i - 1]];
        const Function& cur = out_.functions[cs.functions[i]];
        if (cur.start < prev.start + prev.count)
          return errorf("{}: functions '{}' (offset {:#x}) and '{}' (offset {:#x}) overlap",
                        cs.elf->where(), prev.name, prev.start * kInsnSize, cur.name,
                        cur.start * kInsnSize);
      }
    }
    return {};
  }

  Status read_relocations(const ElfSection& rel, CodeSection& cs) {
    auto relocs = elf_.relocations(rel);
    if (!relocs) return relocs.error();
    const ElfSection& target = *cs.elf;
    for (size_t i = 0; i < relocs->size(); ++i) {
      const ElfRelocation& r = (*relocs)[i];
      const std::string at = fmt::format("{}: relocation #{} (entry offset {:#x})", rel.where(), i,
                                         i * sizeof(Elf64_Rel));
      if (r.offset % kInsnSize || r.offset >= cs.insns.size() * kInsnSize)
        return errorf(
            "{} at offset {:#x} lies outside section '{}' ({:#x} bytes) or between "
            "instructions",
            at, r.offset, target.name, target.data.size());
      const uint32_t idx = static_cast<uint32_t>(r.offset / kInsnSize);
      // Code outside any function (an overridden weak function, libbpf says)
      // is never loaded, so neither are its relocations.
      if (!out_.function_at(out_.index_of(cs), idx)) continue;
      const ElfSymbol& sym = elf_.symbols()[r.symbol];
      if (sym.shndx >= elf_.sections().size() && sym.shndx < SHN_LORESERVE)
        return errorf(
            "{} at offset {:#x}: symbol '{}' (#{}) is in section #{}, which does not "
            "exist",
            at, r.offset, sym.name, sym.index, sym.shndx);
      if (cs.code_relocs.count(idx) || patched_.count({out_.index_of(cs), idx}))
        return errorf("{} at offset {:#x}: a second relocation for the same instruction", at,
                      r.offset);
      EBPFAAS_TRY(apply(at, cs, idx, sym));
    }
    return {};
  }

  Status apply(const std::string& at, CodeSection& cs, uint32_t idx, const ElfSymbol& sym) {
    Insn& insn = cs.insns[idx];
    const uint64_t off = uint64_t{idx} * kInsnSize;
    const bool call = insn.opcode == kCallOpcode;
    const bool lddw = insn.opcode == kLddwOpcode;
    if (!call && !lddw)
      return errorf(
          "{} at offset {:#x} against '{}': instruction opcode {:#04x} is neither a call "
          "nor a 64-bit load (lddw)",
          at, off, sym.name, insn.opcode);
    if (is_extern(sym))
      return errorf(
          "{} at offset {:#x}: '{}' is an extern (kfunc, ksym or kconfig); externs are "
          "not supported",
          at, off, sym.name);
    if (call) {
      if (insn.src != ebpf::kCallLocal)
        return errorf(
            "{} at offset {:#x} against '{}': a relocated call must be a bpf-to-bpf "
            "call (src {}), not src {}",
            at, off, sym.name, ebpf::kCallLocal, static_cast<int>(insn.src));
      const CodeSection* t = out_.by_elf_index(sym.shndx);
      if (!t)
        return errorf("{} at offset {:#x}: call to '{}', which is not in a code section", at, off,
                      sym.name);
      if (sym.value % kInsnSize)
        return errorf("{} at offset {:#x}: call to '{}' at unaligned offset {:#x}", at, off,
                      sym.name, sym.value);
      cs.code_relocs[idx] = {CodeReloc::Kind::kCall, sym.shndx, sym.value, sym.name};
      return {};
    }
    if (idx + 1 >= cs.insns.size())
      return errorf("{} at offset {:#x}: lddw is the section's last instruction (no second half)",
                    at, off);
    if (sym.shndx == SHN_UNDEF || sym.shndx >= SHN_LORESERVE)
      return errorf(
          "{} at offset {:#x}: '{}' is in no section (special section {:#x}); an "
          "uninitialized global variable?",
          at, off, sym.name, sym.shndx);
    if (out_.by_elf_index(sym.shndx)) {
      if (sym.value % kInsnSize || insn.imm % static_cast<int32_t>(kInsnSize))
        return errorf(
            "{} at offset {:#x}: address of function '{}' at unaligned offset "
            "{:#x}{:+d}",
            at, off, sym.name, sym.value, insn.imm);
      cs.code_relocs[idx] = {CodeReloc::Kind::kFunctionAddress, sym.shndx, sym.value, sym.name};
      return {};
    }
    const ElfSection& home = elf_.sections()[sym.shndx];
    if (maps_.is_definition_section(sym.shndx)) {
      int map = maps_.find_definition(sym.shndx, sym.value);
      if (map < 0)
        return errorf(
            "{} at offset {:#x}: no map is defined at offset {:#x} of section '{}' "
            "(symbol '{}')",
            at, off, sym.value, home.name, sym.name);
      insn.src = ebpf::kPseudoMapIdx;
      insn.imm = map;
      patched_.insert({out_.index_of(cs), idx});
      return {};
    }
    if (is_global_data_section(home)) {
      int map = maps_.find_global_data(sym.shndx);
      if (map < 0)
        return errorf("{} at offset {:#x}: '{}' refers to section '{}', which is empty", at, off,
                      sym.name, home.name);
      // libbpf: offset = symbol value + the addend clang leaves in imm.
      const int64_t value_off = static_cast<int64_t>(sym.value) + insn.imm;
      const uint32_t size = maps_.specs[map].value_size;
      if (value_off < 0 || value_off >= size)
        return errorf(
            "{} at offset {:#x}: '{}'{:+d} is offset {} of section '{}', outside its {} "
            "bytes",
            at, off, sym.name, insn.imm, value_off, home.name, size);
      cs.insns[idx + 1].imm = static_cast<int32_t>(value_off);
      insn.src = ebpf::kPseudoMapIdxValue;
      insn.imm = map;
      patched_.insert({out_.index_of(cs), idx});
      return {};
    }
    return errorf(
        "{} at offset {:#x}: '{}' is in section '{}', which holds neither maps, global "
        "data nor code",
        at, off, sym.name, home.name);
  }

  const ElfFile& elf_;
  const MapTable& maps_;
  CodeSections out_;
  std::set<std::pair<size_t, uint32_t>> patched_;
};

}  // namespace

const CodeSection* CodeSections::by_elf_index(size_t index) const {
  if (index >= elf_to_code.size() || elf_to_code[index] < 0) return nullptr;
  return &sections[static_cast<size_t>(elf_to_code[index])];
}

const Function* CodeSections::function_at(size_t section, uint32_t insn) const {
  const std::vector<size_t>& fs = sections[section].functions;
  auto it = std::upper_bound(fs.begin(), fs.end(), insn,
                             [&](uint32_t v, size_t f) { return v < functions[f].start; });
  if (it == fs.begin()) return nullptr;
  const Function& f = functions[*(it - 1)];
  return insn < f.start + f.count ? &f : nullptr;
}

std::vector<size_t> CodeSections::entry_functions() const {
  std::vector<size_t> out;
  for (const CodeSection& cs : sections) {
    const bool is_text = text != SIZE_MAX && &cs == &sections[text];
    if (is_text && functions.size() > 1) continue;
    out.insert(out.end(), cs.functions.begin(), cs.functions.end());
  }
  return out;
}

Expected<CodeSections> read_code(const ElfFile& elf, const MapTable& maps) {
  return Reader(elf, maps).run();
}

}  // namespace ebpfaas::loader
