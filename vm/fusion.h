// Superinstructions of the fast interpreter. Pairs of adjacent instructions
// where the second consumes the first's result are executed by one handler:
// one dispatch instead of two, and the intermediate value stays in a machine
// register instead of making a round trip through the register file. The
// second instruction keeps its own slot, so a jump straight to it still works.
// Checked mode never fuses: it checks every instruction on its own.
#pragma once

#include "ebpf/decode.h"

namespace ebpfaas::vm {

// ALU on rX with an immediate, then a conditional jump on rX (loop counters,
// "r3 = r2; r3 += 14; if r3 > r7" bounds checks).
#define EBPFAAS_FUSED_ALUS(X) X(Add64Imm) X(Mov64Imm) X(And64Imm) X(Rsh64Imm)
#define EBPFAAS_FUSED_JUMPS(X) \
  X(Jeq) X(Jne) X(Jgt) X(Jge) X(Jlt) X(Jle) X(Jsgt) X(Jsge) X(Jslt) X(Jsle) X(Jset)
// A load into rX, then a conditional jump comparing rX with an immediate
// (protocol field checks), an ALU op that uses rX (checksums, hashes), or a
// byte swap of rX (network byte order fields).
#define EBPFAAS_FUSED_LOADS(X) X(LdxB) X(LdxH) X(LdxW) X(LdxDW)
#define EBPFAAS_FUSED_LOAD_ALUS(X) X(Add64Reg) X(Xor64Reg) X(Or64Reg) X(And64Reg)

// Number of fused handlers, appended after the Ops in the handler table.
inline constexpr int kNumFusedAluJumps = 4 * 11 * 2;
inline constexpr int kNumFusedLoadJumps = 4 * 11;
inline constexpr int kNumFusedLoadAlus = 4 * 4;
inline constexpr int kNumFusedMisc = 3 /* ldx+be */ + 1 /* mov reg + add imm */;
inline constexpr int kNumFused =
    kNumFusedAluJumps + kNumFusedLoadJumps + kNumFusedLoadAlus + kNumFusedMisc;

// The handler-table index (>= ebpf::kNumOps) of the superinstruction for
// a followed by b, or -1 when the pair does not fuse.
int fused_handler(const ebpf::Instruction& a, const ebpf::Instruction& b);

}  // namespace ebpfaas::vm
