// Random but plausible XDP programs for fuzzing the verifier, and the check
// that runs every accepted program: in the interpreter's checked mode on
// random packets (any out-of-bounds access, fault, helper misuse, step
// budget exhaustion or return value outside the XDP actions is a verifier
// bug), then in fast mode with the verifier's context-load facts, which must
// compute the same result.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>
#include <vector>

#include "ebpf/insn.h"
#include "ebpf/map_spec.h"

namespace ebpfaas::verifier::fuzz {

struct Stats {
  uint64_t generated = 0;
  uint64_t decoded = 0;
  uint64_t accepted = 0;
  uint64_t runs = 0;  // executions of accepted programs (checked + fast)
  uint64_t packet_accesses = 0;
};

// The maps every generated program may use (index = lddw map_idx).
const std::vector<ebpf::MapSpec>& fuzz_maps();

std::vector<ebpf::Insn> generate_program(FuzzedDataProvider& in);

// Verifies the program and, when it is accepted, runs it. Returns "" or a
// description of the verifier bug found.
std::string check_program(const std::vector<ebpf::Insn>& insns, FuzzedDataProvider& in,
                          Stats& stats);

}  // namespace ebpfaas::verifier::fuzz
