#include "ebpf/disassembler.h"

#include <linux/bpf.h>

#include <array>
#include <map>
#include <set>

#include "ebpf/opcode.h"

namespace ebpfaas::ebpf {
namespace {

constexpr std::string_view kHelperNames[] = {
#define EBPFAAS_HELPER_NAME_(name) #name
    __BPF_FUNC_MAPPER(EBPFAAS_HELPER_NAME_)
#undef EBPFAAS_HELPER_NAME_
};

std::string reg(int r) {
  return fmt::format("%r{}", r);
}

std::string mem(int r, int16_t off) {
  return off < 0 ? fmt::format("[%r{}-{}]", r, -static_cast<int>(off))
                 : fmt::format("[%r{}+{}]", r, off);
}

std::string rel(int64_t offset) {
  return offset < 0 ? fmt::format("{}", offset) : fmt::format("+{}", offset);
}

// Lower-case ALU mnemonic stem of a binop, derived from the Op's name.
std::string stem(const OpInfo& info) {
  std::string name(info.name);
  // "Add64Imm" -> "add", "Sdiv32Reg" -> "sdiv"
  size_t digits = name.find_first_of("0123456789");
  std::string s = name.substr(0, digits);
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string_view helper_name(int32_t id) {
  if (id <= 0 || static_cast<size_t>(id) >= std::size(kHelperNames)) return {};
  return kHelperNames[id];
}

std::string format_instruction(const Instruction& in, uint32_t pc, std::string_view target_label) {
  const OpInfo& info = in.info();
  const int64_t relative = in.target - static_cast<int64_t>(pc) - 1;
  const std::string target = target_label.empty() ? rel(relative) : std::string(target_label);
  const std::string sfx = info.width == 32 ? "32" : "";
  switch (info.kind) {
    case OpKind::kAlu: {
      switch (in.op) {
        case Op::Neg32:
        case Op::Neg64:
          return fmt::format("neg{} {}", sfx, reg(in.dst));
        case Op::MovSx8To32:
          return fmt::format("movsx832 {}, {}", reg(in.dst), reg(in.src));
        case Op::MovSx16To32:
          return fmt::format("movsx1632 {}, {}", reg(in.dst), reg(in.src));
        case Op::MovSx8To64:
          return fmt::format("movsx864 {}, {}", reg(in.dst), reg(in.src));
        case Op::MovSx16To64:
          return fmt::format("movsx1664 {}, {}", reg(in.dst), reg(in.src));
        case Op::MovSx32To64:
          return fmt::format("movsx3264 {}, {}", reg(in.dst), reg(in.src));
        case Op::Le16:
        case Op::Le32:
        case Op::Le64:
          return fmt::format("le{} {}", info.width, reg(in.dst));
        case Op::Be16:
        case Op::Be32:
        case Op::Be64:
          return fmt::format("be{} {}", info.width, reg(in.dst));
        case Op::Bswap16:
        case Op::Bswap32:
        case Op::Bswap64:
          return fmt::format("bswap{} {}", info.width, reg(in.dst));
        default:
          return fmt::format("{}{} {}, {}", stem(info), sfx, reg(in.dst),
                             info.reg_source ? reg(in.src) : fmt::format("{}", in.imm));
      }
    }
    case OpKind::kJump:
      if (in.op == Op::Ja) return fmt::format("ja {}", target);
      if (in.op == Op::Ja32) return fmt::format("ja32 {}", target);
      return fmt::format("{}{} {}, {}, {}", stem(info), sfx, reg(in.dst),
                         info.reg_source ? reg(in.src) : fmt::format("{}", in.imm), target);
    case OpKind::kCall:
      switch (in.op) {
        case Op::Call:
          return fmt::format("call {}", in.imm);
        case Op::CallLocal:
          return fmt::format("call local {}", target);
        case Op::Callx:
          return fmt::format("call {}", reg(in.dst));
        default:
          return in.off ? fmt::format("call kfunc {}, {}", in.imm, in.off)
                        : fmt::format("call kfunc {}", in.imm);
      }
    case OpKind::kExit:
      return "exit";
    case OpKind::kLoadImm64: {
      const int32_t high = static_cast<int32_t>(in.imm64 >> 32);
      switch (in.src) {
        case kPseudoMapFd:
          return fmt::format("lddw {}, map_fd({})", reg(in.dst), in.imm);
        case kPseudoMapIdx:
          return fmt::format("lddw {}, map_idx({})", reg(in.dst), in.imm);
        case kPseudoMapValue:
          return fmt::format("lddw {}, map_value({}){}", reg(in.dst), in.imm, rel(high));
        case kPseudoMapIdxValue:
          return fmt::format("lddw {}, map_idx_value({}){}", reg(in.dst), in.imm, rel(high));
        case kPseudoBtfId:
          return fmt::format("lddw {}, btf_id({})", reg(in.dst), in.imm);
        case kPseudoFunc:
          return fmt::format("lddw {}, func({})", reg(in.dst), target);
        default:
          return fmt::format("lddw {}, {:#x}", reg(in.dst), in.imm64);
      }
    }
    case OpKind::kFiller:
      return "# (second half of lddw)";
    case OpKind::kLoadLegacy: {
      static constexpr std::string_view kSize[] = {"", "b", "h", "", "w"};
      if (info.reg_source)
        return fmt::format("ldind{} {}, {}", kSize[info.width], reg(in.src), in.imm);
      return fmt::format("ldabs{} {}", kSize[info.width], in.imm);
    }
    case OpKind::kLoad: {
      static constexpr std::string_view kSize[] = {"", "b", "h", "", "w", "", "", "", "dw"};
      return fmt::format("ldx{}{} {}, {}", info.is_signed ? "s" : "", kSize[info.width],
                         reg(in.dst), mem(in.src, in.off));
    }
    case OpKind::kStoreImm:
    case OpKind::kStoreReg: {
      static constexpr std::string_view kSize[] = {"", "b", "h", "", "w", "", "", "", "dw"};
      bool reg_form = info.kind == OpKind::kStoreReg;
      return fmt::format("st{}{} {}, {}", reg_form ? "x" : "", kSize[info.width],
                         mem(in.dst, in.off), reg_form ? reg(in.src) : fmt::format("{}", in.imm));
    }
    case OpKind::kAtomic: {
      std::string name(info.name);  // "AtomicFetchAdd64"
      std::string what;
      if (name.find("CmpXchg") != std::string::npos)
        what = "cmpxchg";
      else if (name.find("Xchg") != std::string::npos)
        what = "xchg";
      else {
        bool fetch = name.find("Fetch") != std::string::npos;
        std::string op = name.substr(fetch ? 11 : 6, name.size() - (fetch ? 11 : 6) - 2);
        for (char& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        what = (fetch ? "fetch " : "") + op;
      }
      return fmt::format("lock {}{} {}, {}", what, sfx, mem(in.dst, in.off), reg(in.src));
    }
  }
  return "?";
}

std::string disassemble(std::span<const Insn> insns, const DisassembleOptions& options) {
  std::vector<Instruction> decoded(insns.size());
  std::vector<bool> valid(insns.size(), false);
  std::vector<std::string> errors(insns.size());
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    const Insn* next = pc + 1 < insns.size() ? &insns[pc + 1] : nullptr;
    auto r = decode_one(insns[pc], next, static_cast<uint32_t>(pc));
    if (!r) {
      errors[pc] = r.error().message();
      continue;
    }
    decoded[pc] = *r;
    valid[pc] = true;
    if (r->op == Op::Lddw && next) {
      ++pc;
      decoded[pc].op = Op::LddwHigh;
      valid[pc] = true;
    }
  }
  // Label every in-range target when labels are wanted.
  std::set<int32_t> targets;
  if (options.labels) {
    for (size_t pc = 0; pc < insns.size(); ++pc)
      if (valid[pc] && decoded[pc].target >= 0 &&
          static_cast<size_t>(decoded[pc].target) < insns.size())
        targets.insert(decoded[pc].target);
  }
  std::string out;
  for (size_t pc = 0; pc < insns.size(); ++pc) {
    if (targets.count(static_cast<int32_t>(pc))) out += fmt::format("L{}:\n", pc);
    if (valid[pc] && decoded[pc].op == Op::LddwHigh) continue;
    std::string line;
    if (!valid[pc]) {
      uint64_t raw;
      std::memcpy(&raw, &insns[pc], sizeof raw);
      line = fmt::format(".invalid {:#018x} # {}", raw, errors[pc]);
    } else {
      const Instruction& in = decoded[pc];
      std::string label;
      if (in.target >= 0 && targets.count(in.target)) label = fmt::format("L{}", in.target);
      line = format_instruction(in, static_cast<uint32_t>(pc), label);
      std::string note;
      if (in.op == Op::Call && !helper_name(in.imm).empty()) note = helper_name(in.imm);
      if (options.annotate) {
        std::string extra = options.annotate(static_cast<uint32_t>(pc), in);
        if (!extra.empty()) note = note.empty() ? extra : note + " " + extra;
      }
      if (!note.empty()) line += " # " + note;
    }
    if (options.show_pc) line = fmt::format("{:>6}: {}", pc, line);
    out += line;
    out += '\n';
  }
  return out;
}

}  // namespace ebpfaas::ebpf
