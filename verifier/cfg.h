// Control-flow facts computed before the path exploration: which
// instructions are reachable (Linux's check_cfg), where states are stored
// for pruning, and which registers are live at each instruction (used to
// ignore dead registers when comparing states).
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
  std::vector<int32_t> subprog_of;  // index into DecodedProgram::subprog_starts, per pc
};

// Fails with "unreachable insn N" like Linux when an instruction cannot be
// reached from pc 0 (following calls into subprograms).
Expected<CfgInfo> analyze_cfg(const ebpf::DecodedProgram& program);

}  // namespace ebpfaas::verifier
