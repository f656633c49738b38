// The JIT differential check: every generated program the verifier accepts
// is compiled by the LLVM JIT (vm/jit) and run in the fast interpreter and as
// native code on the same random packets from the same map and global-data
// state (the fuzz environment, fuzz_env.h). r0, how the run ended (stop,
// fault message), the frame's bytes, where data_meta/data/data_end ended up
// and the maps must be the same.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ebpf/insn.h"

namespace ebpfaas::verifier::fuzz {

struct JitDiffStats {
  uint64_t generated = 0;
  uint64_t accepted = 0;
  uint64_t jit_compiled = 0;
  uint64_t not_compilable = 0;  // accepted, but with instructions the JIT does not take (LD_ABS)
  uint64_t compared = 0;        // packets run in both tiers and compared
  uint64_t differences = 0;
  uint64_t by_opt_level[4] = {};  // compiled programs per LLVM optimization level
  double compile_ms = 0;          // total JIT compile time
};

// Verifies the program; when it is accepted, compiles it (without the code
// cache) and compares the tiers on 1-3 packets, each run starting from the map
// state the previous packet left. Returns "" or a description of the
// difference with the program's disassembly.
std::string check_program_jit(const std::vector<ebpf::Insn>& insns, FuzzedDataProvider& in,
                              JitDiffStats& stats);

// One line of counts, for the fuzzer's periodic and final report.
std::string format_stats(const JitDiffStats& stats);

}  // namespace ebpfaas::verifier::fuzz
