// The helper ABI: how programs call helper functions by Linux id, and the
// per-invocation state (RunContext) those helpers see. It lives below the VM
// so that helpers are plain functions that any execution tier (interpreter,
// JIT, hardware model) can call.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "helpers/xdp_buff.h"

namespace ebpfaas::helpers {

class RunContext;

// r1..r5 in, r0 out. Helpers that need the invocation's state take it last so
// that compiled code can pass the five arguments in registers unchanged.
using HelperFn = uint64_t (*)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5,
                              RunContext* ctx);

inline constexpr int kMaxHelperId = 256;

// Helpers by id. An id without a function is unknown: programs that call it are
// rejected when they are prepared, not when they run.
class HelperTable {
 public:
  void set(int id, HelperFn fn) { fns_.at(static_cast<size_t>(id)) = fn; }
  HelperFn get(int64_t id) const {
    return id >= 0 && id < kMaxHelperId ? fns_[static_cast<size_t>(id)] : nullptr;
  }

 private:
  std::array<HelperFn, kMaxHelperId> fns_{};
};

// A memory range a program may touch in checked mode.
struct Region {
  uint64_t begin = 0;
  uint64_t end = 0;  // exclusive
  bool writable = false;
  bool contains(uint64_t addr, uint64_t len) const {
    return addr >= begin && len <= end - begin && addr - begin <= end - begin - len;
  }
};

// State of one program invocation. Engines keep one and reuse it: reset()
// between packets costs a few stores.
class RunContext {
 public:
  // Why a helper asked the interpreter to stop the normal flow.
  enum class Stop : uint8_t { kNone, kUnwind, kTailCall, kFault };

  // Between invocations: forget the previous one's outcome.
  void reset() {
    stop = Stop::kNone;
    tail_calls = 0;
    steps = 0;
    redirect = Redirect{};
    dynamic_regions.clear();
  }

  // Helpers call these on failures that end the program (checked mode only:
  // a verified program cannot reach them).
  void fault(std::string message) {
    stop = Stop::kFault;
    fault_message = std::move(message);
  }

  // Checked mode: may the program (or a helper on its behalf) access
  // [addr, addr+len)? Always true for verified programs.
  bool access_ok(uint64_t addr, uint64_t len, bool write) const;
  // Registers memory handed to the program for the rest of this invocation
  // (a map value returned by a lookup).
  void add_region(Region r) {
    if (checked) dynamic_regions.push_back(r);
  }
  // Checked mode: is `handle` one of the maps the program was linked with?
  bool map_ok(uint64_t handle) const;

  // Where XDP_REDIRECT sends the packet (Linux's bpf_redirect_info): an
  // ifindex from bpf_redirect, or a map entry from bpf_redirect_map; with
  // BPF_F_BROADCAST every entry of `map`.
  struct Redirect {
    uint32_t ifindex = 0;
    const void* map = nullptr;  // the maps::Map for map-based redirects
    uint64_t key = 0;
    uint64_t flags = 0;
  };

  Stop stop = Stop::kNone;
  const void* tail_call_target = nullptr;  // the VM's program, set with Stop::kTailCall
  uint32_t tail_calls = 0;                 // taken in this invocation (Linux allows 33)
  uint64_t steps = 0;                      // instructions executed (checked mode)
  std::string fault_message;

  bool checked = false;
  Region stack;   // all frames
  Region packet;  // [data_meta, data_end) while running XDP, else the input
  std::span<const Region> static_regions;  // global data of the running program (set by the VM)
  std::vector<Region> dynamic_regions;     // memory returned by helpers in this run

  std::vector<uint64_t> linked_maps;  // checked mode: map handles the program may pass

  XdpBuff* xdp = nullptr;  // the context when running an XDP program
  Redirect redirect;       // set by the redirect helpers

  // The engine: which CPU it is (per-CPU maps, get_smp_processor_id), its
  // random state, the clock (real, or fixed for deterministic replays where
  // every time helper returns clock_ns), and where bpf_trace_printk writes.
  uint32_t cpu = 0;
  uint64_t prandom_state = 0x9e3779b97f4a7c15ull;
  bool fixed_clock = false;
  uint64_t clock_ns = 0;
  void (*trace)(void* user, std::string_view line) = nullptr;
  void* trace_user = nullptr;
};

}  // namespace ebpfaas::helpers
