#include "loader/program_linker.h"

#include <algorithm>
#include <map>

#include "ebpf/opcode.h"
#include "loader/section_types.h"

namespace ebpfaas::loader {
namespace {

using ebpf::Insn;

constexpr uint8_t kCallOpcode = ebpf::kClsJmp | ebpf::kJmpCall;
constexpr uint8_t kLddwOpcode = ebpf::kClsLd | ebpf::kModeImm | ebpf::kSizeDW;

// libbpf's insn_is_subprog_call(): other call shapes are left for the verifier.
bool is_subprog_call(const Insn& in) {
  return in.opcode == kCallOpcode && in.src == ebpf::kCallLocal && in.dst == 0 && in.off == 0;
}

class Linker {
 public:
  Linker(const CodeSections& code, const LineTable* lines) : code_(code), lines_(lines) {}

  Expected<ProgramSpec> run(size_t entry) {
    const Function& main = code_.functions[entry];
    std::string section = code_.sections[main.section].elf->name;
    if (!section.empty() && section[0] == '?') {
      section.erase(0, 1);
      prog_.autoload = false;
    }
    prog_.name = main.name;
    prog_.section = section;
    if (auto t = section_type(section)) {
      prog_.type = t->prog_type;
      prog_.expected_attach_type = t->expected_attach_type;
      prog_.xdp_frags = t->xdp_frags;
    }
    if (auto p = place(entry); !p) return p.error();
    struct Frame {
      size_t function;
      uint32_t base;
      uint32_t next;
    };
    std::vector<Frame> stack{{entry, 0, 0}};
    while (!stack.empty()) {
      const Frame fr = stack.back();
      const Function& fn = code_.functions[fr.function];
      bool descended = false;
      for (uint32_t i = fr.next; i < fn.count && !descended; ++i) {
        auto target = target_of(fn, i, prog_.insns[fr.base + i]);
        if (!target) return target.error();
        if (*target == SIZE_MAX) continue;
        const uint32_t pc = fr.base + i;
        auto it = placed_.find(*target);
        uint32_t target_pc;
        if (it != placed_.end()) {
          target_pc = it->second;
        } else {
          auto placed = place(*target);
          if (!placed) return placed.error();
          target_pc = *placed;
          stack.back().next = i + 1;
          stack.push_back({*target, target_pc, 0});
          descended = true;
        }
        Insn& in = prog_.insns[pc];
        in.imm = static_cast<int32_t>(static_cast<int64_t>(target_pc) - pc - 1);
        if (in.opcode == kLddwOpcode) in.src = ebpf::kPseudoFunc;
      }
      if (!descended) stack.pop_back();
    }
    std::stable_sort(prog_.lines.begin(), prog_.lines.end(),
                     [](const SourceLine& a, const SourceLine& b) { return a.pc < b.pc; });
    return std::move(prog_);
  }

 private:
  // Appends a function's code; returns its pc.
  Expected<uint32_t> place(size_t f) {
    const Function& fn = code_.functions[f];
    const CodeSection& cs = code_.sections[fn.section];
    const uint32_t pc = static_cast<uint32_t>(prog_.insns.size());
    if (pc + uint64_t{fn.count} > ebpf::kMaxInstructions)
      return errorf(
          "program '{}': with function '{}' it would exceed {} instructions, Linux's "
          "limit",
          prog_.name, fn.name, ebpf::kMaxInstructions);
    prog_.insns.insert(prog_.insns.end(), cs.insns.begin() + fn.start,
                       cs.insns.begin() + fn.start + fn.count);
    placed_[f] = pc;
    prog_.functions.push_back({fn.name, cs.elf->name, pc, fn.count});
    if (lines_) {
      auto it = lines_->find(cs.elf->name);
      if (it != lines_->end())
        for (const SectionLine& l : it->second)
          if (l.insn >= fn.start && l.insn < fn.start + fn.count)
            prog_.lines.push_back({pc + (l.insn - fn.start), l.file, l.line, l.column, l.text});
    }
    return pc;
  }

  std::string describe(const Function& fn, uint32_t i) const {
    const CodeSection& cs = code_.sections[fn.section];
    return fmt::format("program '{}': insn #{} of section '{}' (offset {:#x}, function '{}' +{})",
                       prog_.name, fn.start + i, cs.elf->name, (fn.start + i) * sizeof(Insn),
                       fn.name, i);
  }

  // The function instruction i of fn calls or takes the address of;
  // SIZE_MAX when it does neither.
  Expected<size_t> target_of(const Function& fn, uint32_t i, const Insn& in) const {
    const CodeSection& cs = code_.sections[fn.section];
    const uint32_t sec_insn = fn.start + i;
    auto rel = cs.code_relocs.find(sec_insn);
    const CodeReloc* r = rel == cs.code_relocs.end() ? nullptr : &rel->second;
    const bool call = is_subprog_call(in) && (!r || r->kind == CodeReloc::Kind::kCall);
    const bool addr = in.opcode == kLddwOpcode && r && r->kind == CodeReloc::Kind::kFunctionAddress;
    if (in.opcode == kLddwOpcode && in.src == ebpf::kPseudoFunc && !r)
      return errorf("{}: function address (lddw src {}) without a relocation", describe(fn, i),
                    ebpf::kPseudoFunc);
    if (!call && !addr) return SIZE_MAX;
    size_t tsec = fn.section;
    int64_t tinsn;
    if (r) {
      const CodeSection* t = code_.by_elf_index(r->target_section);
      tsec = code_.index_of(*t);
      tinsn = call ? static_cast<int64_t>(r->symbol_value / sizeof(Insn)) + in.imm + 1
                   : (static_cast<int64_t>(r->symbol_value) + in.imm) / 8;
    } else {
      // A call within the section: clang resolved it, imm is pc-relative.
      tinsn = static_cast<int64_t>(sec_insn) + in.imm + 1;
    }
    const CodeSection& ts = code_.sections[tsec];
    const std::string what = fmt::format(
        "{} {}{}", call ? "calls" : "takes the address of", r ? "'" + r->symbol + "'" : "",
        r ? fmt::format("{:+d}", in.imm) : fmt::format("pc{:+d}", in.imm));
    if (tinsn < 0 || tinsn >= static_cast<int64_t>(ts.insns.size()))
      return errorf(
          "{} {}: target insn #{} lies outside section '{}' ({} instructions): a call "
          "into the middle of nowhere",
          describe(fn, i), what, tinsn, ts.elf->name, ts.insns.size());
    const uint32_t t = static_cast<uint32_t>(tinsn);
    const Function* f = code_.function_at(tsec, t);
    if (!f)
      return errorf(
          "{} {}: target insn #{} (offset {:#x}) of section '{}' is in no function: a "
          "call into the middle of nowhere",
          describe(fn, i), what, t, t * sizeof(Insn), ts.elf->name);
    if (f->start != t)
      return errorf(
          "{} {}: target insn #{} of section '{}' is inside function '{}' (+{}), not at "
          "its start",
          describe(fn, i), what, t, ts.elf->name, f->name, t - f->start);
    return static_cast<size_t>(f - code_.functions.data());
  }

  const CodeSections& code_;
  const LineTable* lines_;
  ProgramSpec prog_;
  std::map<size_t, uint32_t> placed_;
};

}  // namespace

Expected<ProgramSpec> link_program(const CodeSections& code, size_t entry_function,
                                   const LineTable* lines) {
  return Linker(code, lines).run(entry_function);
}

}  // namespace ebpfaas::loader
