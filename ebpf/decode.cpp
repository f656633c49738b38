#include "ebpf/decode.h"

#include <algorithm>
#include <cstring>

#include "ebpf/opcode.h"

namespace ebpfaas::ebpf {
namespace {

constexpr int kBinopIndex[16] = {
    // by (opcode & 0xf0) >> 4; -1: not a plain binop
    0 /*add*/,  1 /*sub*/, 2 /*mul*/,  3 /*div*/,  5 /*or*/,    6 /*and*/,  7 /*lsh*/, 8 /*rsh*/,
    -1 /*neg*/, 9 /*mod*/, 11 /*xor*/, 12 /*mov*/, 13 /*arsh*/, -1 /*end*/, -1,        -1};
constexpr int kSdivIndex = 4, kSmodIndex = 10;

Op binop(int index, bool is64, bool reg) {
  return static_cast<Op>(static_cast<int>(Op::Add32Imm) + index * 4 + (is64 ? 2 : 0) +
                         (reg ? 1 : 0));
}

Op cond_jump(uint8_t code, bool is32, bool reg) {
  // Order of EBPFAAS_JMP_CONDS: jeq jgt jge jset jne jsgt jsge jlt jle jslt jsle.
  int index = 0;
  switch (code) {
    case kJmpJeq:
      index = 0;
      break;
    case kJmpJgt:
      index = 1;
      break;
    case kJmpJge:
      index = 2;
      break;
    case kJmpJset:
      index = 3;
      break;
    case kJmpJne:
      index = 4;
      break;
    case kJmpJsgt:
      index = 5;
      break;
    case kJmpJsge:
      index = 6;
      break;
    case kJmpJlt:
      index = 7;
      break;
    case kJmpJle:
      index = 8;
      break;
    case kJmpJslt:
      index = 9;
      break;
    case kJmpJsle:
      index = 10;
      break;
  }
  return static_cast<Op>(static_cast<int>(Op::Jeq64Imm) + index * 4 + (is32 ? 2 : 0) +
                         (reg ? 1 : 0));
}

Error fail(uint32_t pc, const Insn& insn, std::string_view what) {
  return errorf("pc {}: {} (opcode 0x{:02x} dst r{} src r{} off {} imm {})", pc, what, insn.opcode,
                insn.dst, insn.src, insn.off, insn.imm);
}

Expected<Instruction> decode_alu(const Insn& in, uint32_t pc, Instruction out) {
  const bool is64 = in.cls() == kClsAlu64;
  const bool reg = (in.opcode & kSrcX) != 0;
  const uint8_t code = in.opcode & 0xf0;
  if (code == kAluNeg) {
    if (reg || in.src != 0 || in.off != 0 || in.imm != 0)
      return fail(pc, in, "neg uses reserved fields");
    out.op = is64 ? Op::Neg64 : Op::Neg32;
    return out;
  }
  if (code == kAluEnd) {
    if (in.src != 0 || in.off != 0) return fail(pc, in, "byte swap uses reserved fields");
    if (in.imm != 16 && in.imm != 32 && in.imm != 64)
      return fail(pc, in, "byte swap width must be 16, 32 or 64");
    int w = in.imm == 16 ? 0 : in.imm == 32 ? 1 : 2;
    if (is64) {
      if (reg) return fail(pc, in, "unknown opcode: bswap takes no byte order");
      out.op = static_cast<Op>(static_cast<int>(Op::Bswap16) + w);
    } else {
      out.op = static_cast<Op>(static_cast<int>(reg ? Op::Be16 : Op::Le16) + w);
    }
    return out;
  }
  int index = kBinopIndex[code >> 4];
  if (index < 0) return fail(pc, in, "unknown opcode");
  if (reg) {
    if (in.imm != 0) return fail(pc, in, "register-source ALU instruction uses reserved imm");
  } else if (in.src != 0) {
    return fail(pc, in, "immediate-source ALU instruction uses reserved src");
  }
  if (in.off != 0) {
    if ((code == kAluDiv || code == kAluMod) && in.off == 1) {
      index = code == kAluDiv ? kSdivIndex : kSmodIndex;
    } else if (code == kAluMov && reg && (in.off == 8 || in.off == 16 || (is64 && in.off == 32))) {
      if (is64)
        out.op = in.off == 8 ? Op::MovSx8To64 : in.off == 16 ? Op::MovSx16To64 : Op::MovSx32To64;
      else
        out.op = in.off == 8 ? Op::MovSx8To32 : Op::MovSx16To32;
      return out;
    } else {
      return fail(pc, in, "ALU instruction uses reserved offset");
    }
  }
  out.op = binop(index, is64, reg);
  return out;
}

Expected<Instruction> decode_jmp(const Insn& in, uint32_t pc, Instruction out) {
  const bool is32 = in.cls() == kClsJmp32;
  const bool reg = (in.opcode & kSrcX) != 0;
  const uint8_t code = in.opcode & 0xf0;
  switch (code) {
    case kJmpJa:
      if (reg || in.dst != 0 || in.src != 0) return fail(pc, in, "ja uses reserved fields");
      if (is32) {
        if (in.off != 0) return fail(pc, in, "ja32 uses reserved offset");
        out.op = Op::Ja32;
        out.target = static_cast<int32_t>(static_cast<int64_t>(pc) + 1 + in.imm);
      } else {
        if (in.imm != 0) return fail(pc, in, "ja uses reserved imm");
        out.op = Op::Ja;
        out.target = static_cast<int32_t>(pc + 1 + in.off);
      }
      return out;
    case kJmpCall:
      if (is32) return fail(pc, in, "unknown opcode: call is not a JMP32 instruction");
      if (reg) {
        if (in.src != 0 || in.off != 0 || in.imm != 0)
          return fail(pc, in, "callx uses reserved fields");
        out.op = Op::Callx;
        return out;
      }
      if (in.dst != 0) return fail(pc, in, "call uses reserved dst");
      if (in.src == kCallHelper) {
        if (in.off != 0) return fail(pc, in, "call uses reserved offset");
        out.op = Op::Call;
      } else if (in.src == kCallLocal) {
        if (in.off != 0) return fail(pc, in, "call uses reserved offset");
        out.op = Op::CallLocal;
        out.target = static_cast<int32_t>(static_cast<int64_t>(pc) + 1 + in.imm);
      } else if (in.src == kCallKfunc) {
        out.op = Op::CallKfunc;
      } else {
        return fail(pc, in, "call with unknown src (must be 0 helper, 1 local, 2 kfunc)");
      }
      return out;
    case kJmpExit:
      if (is32) return fail(pc, in, "unknown opcode: exit is not a JMP32 instruction");
      if (reg || in.dst != 0 || in.src != 0 || in.off != 0 || in.imm != 0)
        return fail(pc, in, "exit uses reserved fields");
      out.op = Op::Exit;
      return out;
    case 0xe0:
    case 0xf0:
      return fail(pc, in, "unknown opcode");
    default:
      if (reg ? in.imm != 0 : in.src != 0)
        return fail(pc, in, "conditional jump uses reserved fields");
      out.op = cond_jump(code, is32, reg);
      out.target = static_cast<int32_t>(pc + 1 + in.off);
      return out;
  }
}

Op sized(Op b, Op h, Op w, Op dw, uint8_t size) {
  switch (size) {
    case kSizeB:
      return b;
    case kSizeH:
      return h;
    case kSizeW:
      return w;
    default:
      return dw;
  }
}

Expected<Instruction> decode_mem(const Insn& in, const Insn* next, uint32_t pc, Instruction out) {
  const uint8_t size = in.opcode & 0x18, mode = in.opcode & 0xe0;
  switch (in.cls()) {
    case kClsLd:
      if (in.opcode == (kClsLd | kModeImm | kSizeDW)) {
        if (in.off != 0) return fail(pc, in, "lddw uses reserved offset");
        if (in.src > kPseudoMapIdxValue) return fail(pc, in, "lddw with unknown pseudo src");
        if (!next) return fail(pc, in, "lddw is truncated: its second half is missing");
        if (next->opcode != 0 || next->dst != 0 || next->src != 0 || next->off != 0)
          return fail(pc + 1, *next, "second half of lddw uses reserved fields");
        out.op = Op::Lddw;
        out.imm64 = static_cast<uint32_t>(in.imm) |
                    static_cast<uint64_t>(static_cast<uint32_t>(next->imm)) << 32;
        if (in.src == kPseudoFunc)
          out.target = static_cast<int32_t>(static_cast<int64_t>(pc) + 1 + in.imm);
        return out;
      }
      if ((mode == kModeAbs || mode == kModeInd) && size != kSizeDW) {
        bool ind = mode == kModeInd;
        if (in.dst != 0 || in.off != 0 || (!ind && in.src != 0))
          return fail(pc, in, "legacy packet load uses reserved fields");
        out.op = ind ? sized(Op::LdIndB, Op::LdIndH, Op::LdIndW, Op::LdIndW, size)
                     : sized(Op::LdAbsB, Op::LdAbsH, Op::LdAbsW, Op::LdAbsW, size);
        return out;
      }
      return fail(pc, in, "unknown opcode");
    case kClsLdx:
      if (in.imm != 0) return fail(pc, in, "load uses reserved imm");
      if (mode == kModeMem) {
        out.op = sized(Op::LdxB, Op::LdxH, Op::LdxW, Op::LdxDW, size);
        return out;
      }
      if (mode == kModeMemSx && size != kSizeDW) {
        out.op = sized(Op::LdxSB, Op::LdxSH, Op::LdxSW, Op::LdxSW, size);
        return out;
      }
      return fail(pc, in, "unknown opcode");
    case kClsSt:
      if (mode != kModeMem) return fail(pc, in, "unknown opcode");
      if (in.src != 0) return fail(pc, in, "store-immediate uses reserved src");
      out.op = sized(Op::StB, Op::StH, Op::StW, Op::StDW, size);
      return out;
    default:  // kClsStx
      if (mode == kModeMem) {
        if (in.imm != 0) return fail(pc, in, "store uses reserved imm");
        out.op = sized(Op::StxB, Op::StxH, Op::StxW, Op::StxDW, size);
        return out;
      }
      if (mode == kModeAtomic && (size == kSizeW || size == kSizeDW)) {
        const bool is64 = size == kSizeDW;
        Op base;
        switch (in.imm) {
          case kAtomicAdd:
            base = Op::AtomicAdd32;
            break;
          case kAtomicOr:
            base = Op::AtomicOr32;
            break;
          case kAtomicAnd:
            base = Op::AtomicAnd32;
            break;
          case kAtomicXor:
            base = Op::AtomicXor32;
            break;
          case kAtomicAdd | kAtomicFetch:
            base = Op::AtomicFetchAdd32;
            break;
          case kAtomicOr | kAtomicFetch:
            base = Op::AtomicFetchOr32;
            break;
          case kAtomicAnd | kAtomicFetch:
            base = Op::AtomicFetchAnd32;
            break;
          case kAtomicXor | kAtomicFetch:
            base = Op::AtomicFetchXor32;
            break;
          case kAtomicXchg:
            base = Op::AtomicXchg32;
            break;
          case kAtomicCmpXchg:
            base = Op::AtomicCmpXchg32;
            break;
          default:
            return fail(pc, in, "unknown atomic operation");
        }
        out.op = static_cast<Op>(static_cast<int>(base) + (is64 ? 1 : 0));
        return out;
      }
      return fail(pc, in, "unknown opcode");
  }
}

// Does the instruction write its dst register (so that r10 there is illegal)?
bool writes_dst(const Instruction& insn) {
  switch (insn.info().kind) {
    case OpKind::kAlu:
    case OpKind::kLoad:
    case OpKind::kLoadImm64:
      return true;
    default:
      return false;
  }
}

bool writes_src(Op op) {
  switch (op) {
    case Op::AtomicFetchAdd32:
    case Op::AtomicFetchAdd64:
    case Op::AtomicFetchOr32:
    case Op::AtomicFetchOr64:
    case Op::AtomicFetchAnd32:
    case Op::AtomicFetchAnd64:
    case Op::AtomicFetchXor32:
    case Op::AtomicFetchXor64:
    case Op::AtomicXchg32:
    case Op::AtomicXchg64:
      return true;
    default:
      return false;
  }
}

bool reads_src_register(const Instruction& insn) {
  const OpInfo& info = insn.info();
  return info.reg_source && insn.op != Op::Callx;
}

}  // namespace

size_t DecodedProgram::subprog_of(uint32_t pc) const {
  auto it = std::upper_bound(subprog_starts.begin(), subprog_starts.end(), pc);
  return static_cast<size_t>(it - subprog_starts.begin()) - 1;
}

Expected<Instruction> decode_one(const Insn& in, const Insn* next, uint32_t pc) {
  Instruction out;
  out.dst = in.dst;
  out.src = in.src;
  out.off = in.off;
  out.imm = in.imm;
  out.imm64 = static_cast<uint64_t>(static_cast<int64_t>(in.imm));
  Expected<Instruction> r = [&]() -> Expected<Instruction> {
    switch (in.cls()) {
      case kClsAlu:
      case kClsAlu64:
        return decode_alu(in, pc, out);
      case kClsJmp:
      case kClsJmp32:
        return decode_jmp(in, pc, out);
      default:
        return decode_mem(in, next, pc, out);
    }
  }();
  if (!r) return r;
  if (in.dst >= kNumRegisters)
    return fail(pc, in, fmt::format("register r{} out of range", in.dst));
  if (reads_src_register(*r) && in.src >= kNumRegisters)
    return fail(pc, in, fmt::format("register r{} out of range", in.src));
  if (r->op == Op::Callx && in.dst == kFramePointer)
    return fail(pc, in, "callx through the frame pointer r10");
  if ((writes_dst(*r) && in.dst == kFramePointer) || (writes_src(r->op) && in.src == kFramePointer))
    return fail(pc, in, "frame pointer r10 is read-only");
  return r;
}

Expected<DecodedProgram> decode(std::span<const Insn> insns, const DecodeOptions& options) {
  const size_t n = insns.size();
  if (n == 0) return errorf("empty program: no instructions");
  if (n > options.max_instructions)
    return errorf("program too large: {} instructions (limit {})", n, options.max_instructions);

  DecodedProgram prog;
  prog.insns.resize(n);
  prog.subprog_starts.push_back(0);
  for (size_t pc = 0; pc < n; ++pc) {
    const Insn* next = pc + 1 < n ? &insns[pc + 1] : nullptr;
    auto insn = decode_one(insns[pc], next, static_cast<uint32_t>(pc));
    if (!insn) return insn.error();
    prog.insns[pc] = *insn;
    if (insn->op == Op::Lddw) {
      Instruction& high = prog.insns[++pc];
      high.op = Op::LddwHigh;
      high.imm = insns[pc].imm;
    }
  }

  // Functions start at pc 0 and at every target of a local call or function pointer.
  for (size_t pc = 0; pc < n; ++pc) {
    const Instruction& insn = prog.insns[pc];
    bool is_func_ref = insn.op == Op::CallLocal || (insn.op == Op::Lddw && insn.src == kPseudoFunc);
    if (!is_func_ref) continue;
    if (insn.target < 0 || static_cast<size_t>(insn.target) >= n)
      return fail(static_cast<uint32_t>(pc), insns[pc],
                  fmt::format("call target {} is outside the program (0..{})", insn.target, n - 1));
    if (prog.insns[insn.target].op == Op::LddwHigh)
      return fail(static_cast<uint32_t>(pc), insns[pc],
                  fmt::format("call into the middle of lddw at pc {}", insn.target - 1));
    prog.subprog_starts.push_back(static_cast<uint32_t>(insn.target));
  }
  std::sort(prog.subprog_starts.begin(), prog.subprog_starts.end());
  prog.subprog_starts.erase(std::unique(prog.subprog_starts.begin(), prog.subprog_starts.end()),
                            prog.subprog_starts.end());

  for (size_t pc = 0; pc < n; ++pc) {
    const Instruction& insn = prog.insns[pc];
    if (insn.info().kind != OpKind::kJump) continue;
    const uint32_t upc = static_cast<uint32_t>(pc);
    if (insn.target < 0 || static_cast<size_t>(insn.target) >= n)
      return fail(upc, insns[pc],
                  fmt::format("jump to pc {} is outside the program (0..{})", insn.target, n - 1));
    if (prog.insns[insn.target].op == Op::LddwHigh)
      return fail(upc, insns[pc],
                  fmt::format("jump into the middle of lddw at pc {}", insn.target - 1));
    size_t from = prog.subprog_of(upc), to = prog.subprog_of(static_cast<uint32_t>(insn.target));
    if (from != to)
      return fail(upc, insns[pc],
                  fmt::format("jump to pc {} leaves the function that starts at pc {}", insn.target,
                              prog.subprog_starts[from]));
  }

  for (size_t f = 0; f < prog.subprog_starts.size(); ++f) {
    size_t end = f + 1 < prog.subprog_starts.size() ? prog.subprog_starts[f + 1] : n;
    uint32_t last = static_cast<uint32_t>(end - 1);
    Op op = prog.insns[last].op;
    if (op != Op::Exit && op != Op::Ja && op != Op::Ja32) {
      const Insn& raw = insns[op == Op::LddwHigh ? last - 1 : last];
      return fail(op == Op::LddwHigh ? last - 1 : last, raw,
                  f + 1 < prog.subprog_starts.size()
                      ? fmt::format("function at pc {} can fall through into the next function: "
                                    "its last instruction is not exit or ja",
                                    prog.subprog_starts[f])
                      : std::string("program can fall off its end: the last instruction is not "
                                    "exit or ja"));
    }
  }
  return prog;
}

Expected<std::vector<Insn>> insns_from_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() % sizeof(Insn) != 0)
    return errorf("program size {} bytes is not a multiple of 8 (truncated instruction at byte {})",
                  bytes.size(), bytes.size() / 8 * 8);
  std::vector<Insn> out(bytes.size() / sizeof(Insn));
  if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<uint8_t> insns_to_bytes(std::span<const Insn> insns) {
  std::vector<uint8_t> out(insns.size() * sizeof(Insn));
  if (!out.empty()) std::memcpy(out.data(), insns.data(), out.size());
  return out;
}

}  // namespace ebpfaas::ebpf
