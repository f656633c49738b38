#include "verifier/cfg.h"

#include "ebpf/opcode.h"
#include "verifier/helper_protos.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;
using ebpf::Op;
using ebpf::OpKind;

namespace {

constexpr uint16_t bit(int r) {
  return static_cast<uint16_t>(1u << r);
}
constexpr uint16_t kArgRegs = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
constexpr uint16_t kCallerSaved = bit(0) | kArgRegs;

struct UseDef {
  uint16_t use = 0, def = 0;
};

UseDef use_def(const Instruction& in) {
  UseDef u;
  const auto& info = in.info();
  switch (info.kind) {
    case OpKind::kAlu: {
      const bool is_mov = in.op == Op::Mov32Reg || in.op == Op::Mov64Reg || in.op == Op::Mov32Imm ||
                          in.op == Op::Mov64Imm || in.op == Op::MovSx8To32 ||
                          in.op == Op::MovSx16To32 || in.op == Op::MovSx8To64 ||
                          in.op == Op::MovSx16To64 || in.op == Op::MovSx32To64;
      if (!is_mov) u.use |= bit(in.dst);
      if (info.reg_source) u.use |= bit(in.src);
      u.def = bit(in.dst);
      break;
    }
    case OpKind::kLoad:
      u.use = bit(in.src);
      u.def = bit(in.dst);
      break;
    case OpKind::kStoreImm:
      u.use = bit(in.dst);
      break;
    case OpKind::kStoreReg:
      u.use = bit(in.dst) | bit(in.src);
      break;
    case OpKind::kAtomic:
      u.use = bit(in.dst) | bit(in.src);
      if (in.op == Op::AtomicCmpXchg32 || in.op == Op::AtomicCmpXchg64) u.use |= bit(0);
      break;
    case OpKind::kJump:
      if (in.op != Op::Ja && in.op != Op::Ja32) {
        u.use = bit(in.dst);
        if (info.reg_source) u.use |= bit(in.src);
      }
      break;
    case OpKind::kCall:
      if (in.op == Op::Call) {
        const HelperProto* p = helper_proto(in.imm);
        if (p) {
          for (int i = 0; i < 5; ++i)
            if (p->args[i] != ArgKind::kNone) u.use |= bit(i + 1);
        } else {
          u.use = kArgRegs;
        }
      } else {
        u.use = kArgRegs;
        if (in.op == Op::Callx) u.use |= bit(in.dst);
      }
      u.def = kCallerSaved;
      break;
    case OpKind::kExit:
      u.use = bit(0);
      break;
    case OpKind::kLoadImm64:
      u.def = bit(in.dst);
      break;
    case OpKind::kLoadLegacy:
      u.use = bit(6) | (info.reg_source ? bit(in.src) : 0);
      u.def = kCallerSaved;
      break;
    case OpKind::kFiller:
      break;
  }
  return u;
}

// Successors within the function (a local call continues at pc + 1).
int successors(const ebpf::DecodedProgram& p, uint32_t pc, uint32_t out[2]) {
  const Instruction& in = p.insns[pc];
  switch (in.info().kind) {
    case OpKind::kExit:
      return 0;
    case OpKind::kJump:
      if (in.op == Op::Ja || in.op == Op::Ja32) {
        out[0] = static_cast<uint32_t>(in.target);
        return 1;
      }
      out[0] = pc + 1;
      out[1] = static_cast<uint32_t>(in.target);
      return 2;
    case OpKind::kLoadImm64:
      out[0] = pc + 2;
      return 1;
    default:
      out[0] = pc + 1;
      return 1;
  }
}

bool is_mov(Op op) {
  return op == Op::Mov32Reg || op == Op::Mov64Reg || op == Op::Mov32Imm || op == Op::Mov64Imm ||
         op == Op::MovSx8To32 || op == Op::MovSx16To32 || op == Op::MovSx8To64 ||
         op == Op::MovSx16To64 || op == Op::MovSx32To64;
}

bool is_add_or_sub64_reg(Op op) {
  return op == Op::Add64Reg || op == Op::Sub64Reg;
}

// Registers that may hold a pointer before each instruction (forward, may).
std::vector<uint16_t> may_pointer(const ebpf::DecodedProgram& p) {
  const uint32_t n = static_cast<uint32_t>(p.insns.size());
  std::vector<uint16_t> in(n, 0);
  std::vector<bool> seen(n, false);
  std::vector<uint32_t> work;
  auto flow = [&](uint32_t pc, uint16_t mask) {
    if (pc >= n) return;
    const uint16_t merged = static_cast<uint16_t>(in[pc] | mask);
    if (seen[pc] && merged == in[pc]) return;
    seen[pc] = true;
    in[pc] = merged;
    work.push_back(pc);
  };
  flow(0, bit(1) | bit(10));
  while (!work.empty()) {
    const uint32_t pc = work.back();
    work.pop_back();
    const Instruction& i = p.insns[pc];
    uint16_t m = in[pc];
    const auto& info = i.info();
    switch (info.kind) {
      case OpKind::kAlu:
        if (i.op == Op::Mov64Reg) {
          m = static_cast<uint16_t>((m & ~bit(i.dst)) | ((m & bit(i.src)) ? bit(i.dst) : 0));
        } else if (info.width == 64 && (i.op == Op::Add64Reg || i.op == Op::Sub64Reg)) {
          if (m & bit(i.src)) m |= bit(i.dst);
        } else if (info.width == 64 && (i.op == Op::Add64Imm || i.op == Op::Sub64Imm)) {
          // keeps pointer-ness
        } else {
          m = static_cast<uint16_t>(m & ~bit(i.dst));
        }
        break;
      case OpKind::kLoad:
        // Context fields and spilled registers can be pointers; bytes,
        // halves and sign-extended loads cannot.
        if (!info.is_signed && (info.width == 4 || info.width == 8))
          m |= bit(i.dst);
        else
          m = static_cast<uint16_t>(m & ~bit(i.dst));
        break;
      case OpKind::kLoadImm64:
        if (i.src == ebpf::kPseudoNone)
          m = static_cast<uint16_t>(m & ~bit(i.dst));
        else
          m |= bit(i.dst);
        break;
      case OpKind::kAtomic:
        m = static_cast<uint16_t>(m & ~bit(i.src) & ~bit(0));
        break;
      case OpKind::kCall:
        m = static_cast<uint16_t>(m & ~kCallerSaved);
        if (i.op == Op::CallLocal) {
          m |= bit(0);  // a function may return a pointer
          flow(static_cast<uint32_t>(i.target), kArgRegs | bit(10));
        } else if (i.op == Op::Call && i.imm == 1) {
          m |= bit(0);  // map_lookup_elem
        }
        break;
      default:
        break;
    }
    uint32_t succ[2];
    const int count = successors(p, pc, succ);
    for (int k = 0; k < count; ++k) flow(succ[k], m);
  }
  return in;
}

void compute_relevance(const ebpf::DecodedProgram& p, CfgInfo& cfg) {
  const uint32_t n = static_cast<uint32_t>(p.insns.size());
  const std::vector<uint16_t> ptr = may_pointer(p);
  cfg.relevant_in.assign(n, 0);
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t pc = n; pc-- > 0;) {
      const Instruction& i = p.insns[pc];
      if (i.op == Op::LddwHigh) continue;
      const auto& info = i.info();
      uint32_t succ[2];
      const int count = successors(p, pc, succ);
      uint16_t out = 0;
      for (int k = 0; k < count; ++k)
        if (succ[k] < n) out |= cfg.relevant_in[succ[k]];
      uint16_t use = 0, def = 0;
      switch (info.kind) {
        case OpKind::kAlu:
          def = bit(i.dst);
          if (out & bit(i.dst)) {
            // The result matters: so do the operands it is computed from.
            if (!is_mov(i.op)) use |= bit(i.dst);
            if (info.reg_source) use |= bit(i.src);
          }
          // Pointer arithmetic: the scalar operand becomes part of a pointer.
          if (is_add_or_sub64_reg(i.op) && (ptr[pc] & (bit(i.dst) | bit(i.src))))
            use |= bit(i.dst) | bit(i.src);
          if ((i.op == Op::Add64Imm || i.op == Op::Sub64Imm) && (ptr[pc] & bit(i.dst)))
            use |= bit(i.dst);
          break;
        case OpKind::kLoad:
          def = bit(i.dst);
          break;
        case OpKind::kLoadImm64:
          def = bit(i.dst);
          break;
        case OpKind::kStoreReg:
          use = bit(i.src);  // it may land on the stack, compared precisely
          break;
        case OpKind::kAtomic:
          use = bit(i.src);
          if (i.op == Op::AtomicCmpXchg32 || i.op == Op::AtomicCmpXchg64) use |= bit(0);
          break;
        case OpKind::kJump:
          if (i.op != Op::Ja && i.op != Op::Ja32) {
            use = bit(i.dst);
            if (info.reg_source) use |= bit(i.src);
          }
          break;
        case OpKind::kCall:
          def = kCallerSaved;
          if (i.op == Op::Call) {
            const HelperProto* proto = helper_proto(i.imm);
            for (int a = 0; a < 5; ++a) {
              const ArgKind k = proto ? proto->args[a] : ArgKind::kAnything;
              if (k != ArgKind::kNone && k != ArgKind::kAnything && k != ArgKind::kAnythingOrUninit)
                use |= bit(a + 1);
            }
          } else {
            use = kArgRegs;
          }
          break;
        case OpKind::kExit:
          use = bit(0);
          break;
        default:
          use = static_cast<uint16_t>(kCallerSaved | bit(6));
          break;
      }
      const uint16_t rel = static_cast<uint16_t>(use | (out & ~def));
      if (rel != cfg.relevant_in[pc]) {
        cfg.relevant_in[pc] = rel;
        changed = true;
      }
    }
  }
}

}  // namespace

Expected<CfgInfo> analyze_cfg(const ebpf::DecodedProgram& p) {
  const uint32_t n = static_cast<uint32_t>(p.insns.size());
  CfgInfo cfg;
  cfg.prune_point.assign(n, false);
  cfg.live_in.assign(n, 0);
  cfg.subprog_of.assign(n, 0);
  for (uint32_t pc = 0; pc < n; ++pc) cfg.subprog_of[pc] = static_cast<int32_t>(p.subprog_of(pc));

  // Reachability by depth-first search from pc 0, entering local calls.
  std::vector<bool> seen(n, false);
  std::vector<uint32_t> work{0};
  seen[0] = true;
  while (!work.empty()) {
    const uint32_t pc = work.back();
    work.pop_back();
    const Instruction& in = p.insns[pc];
    uint32_t succ[2];
    int count = successors(p, pc, succ);
    auto visit = [&](uint32_t w) {
      if (w < n && !seen[w]) {
        seen[w] = true;
        work.push_back(w);
      }
    };
    for (int i = 0; i < count; ++i) visit(succ[i]);
    if (in.op == Op::CallLocal || (in.op == Op::Lddw && in.src == ebpf::kPseudoFunc))
      visit(static_cast<uint32_t>(in.target));
    // Where Linux stores states: jump targets and conditional jumps, after
    // calls, and at the entry of called functions.
    switch (in.info().kind) {
      case OpKind::kJump:
        if (in.op == Op::Ja || in.op == Op::Ja32) {
          cfg.prune_point[static_cast<uint32_t>(in.target)] = true;
        } else {
          cfg.prune_point[pc] = true;
          cfg.prune_point[static_cast<uint32_t>(in.target)] = true;
        }
        break;
      case OpKind::kCall:
        if (pc + 1 < n) cfg.prune_point[pc + 1] = true;
        if (in.op == Op::CallLocal) {
          cfg.prune_point[pc] = true;
          cfg.prune_point[static_cast<uint32_t>(in.target)] = true;
        }
        break;
      default:
        break;
    }
  }
  for (uint32_t pc = 0; pc < n; ++pc) {
    if (!seen[pc]) return errorf("unreachable insn {}", pc);
    if (p.insns[pc].op == Op::Lddw) ++pc;
  }

  // Register liveness: backward data flow to a fixed point.
  std::vector<UseDef> ud(n);
  for (uint32_t pc = 0; pc < n; ++pc) ud[pc] = use_def(p.insns[pc]);
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t i = n; i-- > 0;) {
      if (p.insns[i].op == Op::LddwHigh) continue;
      uint32_t succ[2];
      const int count = successors(p, i, succ);
      uint16_t out = 0;
      for (int k = 0; k < count; ++k)
        if (succ[k] < n) out |= cfg.live_in[succ[k]];
      const uint16_t in = static_cast<uint16_t>(ud[i].use | (out & ~ud[i].def) | bit(10));
      if (in != cfg.live_in[i]) {
        cfg.live_in[i] = in;
        changed = true;
      }
    }
  }
  compute_relevance(p, cfg);
  return cfg;
}

}  // namespace ebpfaas::verifier
