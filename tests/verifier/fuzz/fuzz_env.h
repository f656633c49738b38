// The world the fuzzed programs run in, shared by the verifier's run checks
// (fuzz_check.cpp) and the JIT differential check (fuzz_check_jit.cpp): small
// deterministic helpers with Linux's argument conventions that check every
// pointer the verifier vouched for, and the map and global-data state they
// touch (Env), which a run can be restarted from.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "helpers/run_context.h"
#include "vm/program.h"

namespace ebpfaas::verifier::fuzz {

constexpr uint32_t kArrayValue = 16, kArrayEntries = 4;
constexpr uint32_t kHashSlots = 8, kHashValue = 8;
constexpr uint32_t kGlobalSize = 32;

// All the state the helpers touch; copied to restart a run from the same state.
struct Env {
  uint8_t array[kArrayEntries][kArrayValue];
  struct Slot {
    uint32_t used;
    uint32_t key;
    uint8_t value[kHashValue];
  } hash[kHashSlots];
  uint8_t global[kGlobalSize];
  uint64_t rand_state;
  std::string* bug;  // first helper-detected violation
};

// The map and random state of two runs are the same (everything before `bug`).
bool same_state(const Env& a, const Env& b);

// The storage the programs' lddw values point into and the helpers work on:
// every run copies its initial state here first. (The harness runs one
// program at a time.)
Env& live_env();

// A program's initial state, from the fuzzer's bytes; helper violations go to *bug.
Env seed_env(FuzzedDataProvider& in, std::string* bug);

// The helpers the generated programs may call.
const helpers::HelperTable& fuzz_helpers();

// Linking against the fuzz environment: lddw map_idx(N) loads the handle
// N + 1; the global data (map 2) points into live_env().global.
vm::LinkOptions fuzz_link(const std::vector<uint32_t>& ctx_load_pcs);

// The packet region of checked mode, after the XdpBuff moved.
void update_packet_region(helpers::RunContext* rc);

}  // namespace ebpfaas::verifier::fuzz
