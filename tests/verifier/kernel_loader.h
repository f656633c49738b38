// Loading a program into the Linux kernel's verifier (BPF_PROG_LOAD through
// libbpf), with its maps created for real: the oracle the differential test
// and the verifier benchmark compare against.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ebpf/insn.h"
#include "ebpf/map_spec.h"

namespace ebpfaas::verifier::testing {

struct KernelVerdict {
  bool available = false;  // false: bpf() is not usable here (see `why`)
  bool accepted = false;
  std::string why;  // unavailable: the reason
  std::string log;  // the kernel verifier's log (level 1) when rejected
  uint32_t verified_insns = 0;
  double load_ms = 0;
};

// Creates the maps (global data maps get their initial value and, when
// read-only for programs, are frozen like libbpf does), rewrites lddw
// map_idx / map_idx_value forms into map fds, and loads the program as
// BPF_PROG_TYPE_XDP (BPF_XDP_DEVMAP when `devmap_program`).
KernelVerdict kernel_verify(std::span<const ebpf::Insn> insns, std::span<const ebpf::MapSpec> maps,
                            bool devmap_program = false);

// Can this process load BPF programs at all?
bool kernel_bpf_available(std::string* why);

}  // namespace ebpfaas::verifier::testing
