// Control-flow facts computed before the path exploration: which
// instructions are reachable (Linux's check_cfg), where states are stored
// for pruning, which registers are live at each instruction, and which of
// them hold a scalar whose value can still matter to a safety check (used to
// ignore dead registers and irrelevant scalar values when comparing states).
#pragma once

#include <cstdint>
#include <vector>

#include "ebpf/decode.h"
#include "support/error.h"

namespace ebpfaas::verifier {

struct CfgInfo {
  std::vector<bool> prune_point;
  // Registers (bit n: rN) that may be read before being written on some
  // path from the instruction, within its function.
  std::vector<uint16_t> live_in;
  // Registers whose scalar value may still decide a safety check or a branch
  // on some path from the instruction: it flows (through registers) into a
  // pointer offset, a comparison, a helper size or NULL argument, the stack,
  // or the return value. A static over-approximation of the scalars Linux
  // marks precise by backtracking (mark_chain_precision): scalars outside
  // this set may differ between states that prune each other.
  std::vector<uint16_t> relevant_in;
  std::vector<int32_t> subprog_of;  // index into DecodedProgram::subprog_starts, per pc
};

// Fails with "unreachable insn N" like Linux when an instruction cannot be
// reached from pc 0 (following calls into subprograms).
Expected<CfgInfo> analyze_cfg(const ebpf::DecodedProgram& program);

}  // namespace ebpfaas::verifier
