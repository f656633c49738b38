// The Linux kernel as oracle: the same object is loaded into the kernel with
// libbpf and into ebpfaas, every packet runs once in each (BPF_PROG_TEST_RUN
// beside the ebpfaas interpreter), and the return codes, the bytes left in the
// buffer and, at the end, every map's contents must agree. Any disagreement is
// a bug in ebpfaas until shown otherwise.
//
// Ingress ifindexes are the kernel's: a packet that says ifindex 3 needs a
// device with ifindex 3 in the caller's network namespace (ifindex 0 reads as
// the loopback device, 1, in BPF_PROG_TEST_RUN). Per-CPU maps are compared
// CPU by CPU: the caller pins itself to CPU 0, which is the engine ebpfaas
// runs as. Time helpers in ebpfaas return the time at which the kernel's run
// of the same packet started, so clock-driven state moves at the same packets
// unless a boundary falls within that microsecond.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/error.h"

namespace ebpfaas::oracle {

struct OraclePacket {
  std::vector<uint8_t> data;
  uint32_t ingress_ifindex = 0;
};

// Written into a map on both sides before the first packet (per-CPU maps: the
// same value for every CPU).
struct MapEntry {
  std::string map;
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;
};

// A prog array slot set on both sides: `key` of `map` holds `program` (by
// name), the target of bpf_tail_call.
struct ProgSlot {
  std::string map;
  uint32_t key = 0;
  std::string program;
};

// Bytes of every value of a map that differ by nature between the two runs
// (a timestamp from bpf_ktime_get_ns): left out of the comparison.
struct IgnoredBytes {
  std::string map;
  uint32_t offset = 0;
  uint32_t length = 0;
};

struct OracleOptions {
  std::string object;   // path of the ELF object
  std::string section;  // program by name or section; empty: the first
  std::vector<MapEntry> setup;
  std::vector<ProgSlot> slots;
  std::vector<IgnoredBytes> ignore;
  uint32_t max_reported = 20;  // differences described in the report
  // Run ebpfaas's side JIT-compiled (every program, so tail calls stay compiled).
  bool jit = false;
};

struct OracleReport {
  bool kernel_available = false;
  std::string why_unavailable;  // "SKIPPED: ..." reason when !kernel_available
  uint64_t packets = 0;
  uint64_t mismatched_packets = 0;
  uint64_t mismatched_maps = 0;
  uint64_t verdicts[6] = {};             // the kernel's, by XDP action; [5]: other values
  uint64_t map_entries = 0;              // entries compared at the end, over all maps
  std::vector<std::string> differences;  // the first max_reported, described
  bool agree() const { return kernel_available && mismatched_packets == 0 && mismatched_maps == 0; }
};

// Errors: the object does not open or load on either side, a setup entry
// names no map or is refused, the kernel refuses a packet.
Expected<OracleReport> run_oracle(const OracleOptions& options,
                                  std::span<const OraclePacket> packets);

}  // namespace ebpfaas::oracle
