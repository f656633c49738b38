// The ebpfaas verifier: proves, before a program runs, that it cannot touch
// memory it does not own, read what it has not written, leak addresses, loop
// forever or return something other than an XDP action. Path-sensitive
// abstract interpretation in the manner of Linux's kernel/bpf/verifier.c,
// with the unprivileged rules kept where Linux relaxes them for root (see
// docs/verifier.md for the list). The interpreter's fast mode and the JIT
// drop their run-time checks on the strength of this proof.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ebpf/decode.h"
#include "ebpf/map_spec.h"
#include "support/error.h"

namespace ebpfaas::verifier {

struct VerifyOptions {
  // The maps the program refers to: lddw map_fd/map_idx (and their _value
  // forms) take an index into this list in their imm.
  std::span<const ebpf::MapSpec> maps;
  // 0: no log; 1: the states along the rejected path and a summary; 2: every
  // instruction with the register and stack state after it (Linux's level 2).
  int log_level = 0;
  // Programs attached to a devmap entry (BPF_XDP_DEVMAP) may read
  // xdp_md.egress_ifindex; others may not.
  bool devmap_program = false;
  // get_smp_processor_id() returns a value below this.
  uint32_t num_cpus = 64;
  // Linux's BPF_COMPLEXITY_LIMIT_INSNS.
  uint64_t max_insns_processed = 1'000'000;
  // The log stops growing here (a looping program at level 2 would write
  // hundreds of megabytes); the rejection reason is always kept.
  size_t max_log_bytes = 16u << 20;
  // Where the log goes when the program is rejected (the error carries only
  // the reason). May be null.
  std::string* rejection_log = nullptr;
};

// What the base register of a load, store or atomic pointed to, on any path.
enum AccessRegion : uint8_t {
  kRegionStack = 1,
  kRegionPacket = 2,
  kRegionMapValue = 4,
  kRegionCtx = 8,
};

// What the verifier proved about one instruction, for the VM and the JIT.
struct InsnFacts {
  bool reached = false;  // on some verified path
  uint8_t regions = 0;   // loads, stores, atomics: AccessRegion bits
  // lddw map forms: the map. Helper calls with a map argument: the map when
  // it is the same on every path, kMapVaries when it is not; -1 otherwise.
  int32_t map_index = -1;
};
inline constexpr int32_t kMapVaries = -2;

struct VerifyResult {
  uint64_t insns_processed = 0;  // Linux's "processed N insns"
  uint32_t total_states = 0;     // states stored for pruning
  uint32_t peak_states = 0;      // most stored at once
  double time_ms = 0;
  std::string log;
  // Loads whose base register is the XDP context: vm::LinkOptions::ctx_load_pcs.
  std::vector<uint32_t> ctx_load_pcs;
  std::vector<InsnFacts> insn_facts;  // one per instruction slot
  std::vector<uint32_t> stack_depth;  // bytes, per subprogram (DecodedProgram order)
  uint32_t max_packet_offset = 0;     // highest packet byte offset accessed
};

// Verifies an XDP program. The error of a rejected program reads like
// Linux's verifier log: "pc 7: ldxw %r0, [%r2+0]: invalid access to packet,
// off=0 size=4, R2(id=0,off=0,r=0); R2 offset is outside of the packet
// (R2=pkt(r=0))".
Expected<VerifyResult> verify(const ebpf::DecodedProgram& program,
                              const VerifyOptions& options = {});

}  // namespace ebpfaas::verifier
