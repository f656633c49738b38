// The interpreter: threaded dispatch over a Program's slots.
//
// Fast mode trusts the program (a verifier has proved it safe). Checked mode
// (RunContext::checked) is for programs no verifier has seen: every memory
// access is checked against the regions the program may touch (input or
// packet, stack, map values, global data), context loads are translated, and
// execution is bounded by a step budget; a violation stops the program with
// RunContext::stop == kFault and a message naming pc and address.
#pragma once

#include <cstdint>

#include "vm/program.h"

namespace ebpfaas::vm {

struct RunLimits {
  uint64_t max_steps = 1ull << 32;  // checked mode only
};

// Runs `prog` with r1 and r2 set (r1: context or input memory, r2: its length
// for raw-memory programs) and returns r0. After the call rc.stop tells how the
// program ended (kNone: exit; kUnwind: a helper ended it; kFault: see
// rc.fault_message). rc.steps holds the number of instructions executed in
// checked mode.
uint64_t interpret(const Program& prog, uint64_t r1, uint64_t r2, RunContext& rc,
                   const RunLimits& limits = {});

}  // namespace ebpfaas::vm
