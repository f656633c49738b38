// The JIT tier: a linked Program translated to LLVM IR, optimized (O2) and
// compiled to native code by LLVM's ORC LLJIT. It runs exactly what the fast
// interpreter runs (no run-time checks: verified programs, or conformance
// programs whose out-of-bounds behaviour is undefined in both tiers), with the
// same helper ABI, frames, tail calls and stop protocol. The RunContext is in
// fast mode (rc.checked false): helpers that stop a program only in checked
// mode are called without looking at rc.stop afterwards.
//
// Helper fast paths are compiled in when the program's helper is ebpfaas's own
// (helpers::xdp_helpers()): bpf_map_lookup_elem on the program's arrays and
// hash maps (their layouts, maps/array_map.h and maps/hash_layout.h) and
// bpf_redirect.
//
// Compiled code is cached by what it depends on: the instructions, the linked
// lddw values and the layouts of the maps they name, the helper functions
// called and the context-load rewrites. A
// program compiled again (the same object re-deployed with its maps carried
// over) reuses the code without compiling.
#pragma once

#include <cstdint>
#include <memory>

#include "helpers/run_context.h"
#include "helpers/xdp_buff.h"
#include "support/error.h"
#include "vm/program.h"

namespace ebpfaas::vm {

struct JitOptions {
  int opt_level = 2;      // LLVM's default pipeline: 0..3
  bool use_cache = true;  // look up (and add to) the code cache
};

class JitCode;  // native code and the LLVM resources that hold it (jit.cpp)

class JitProgram {
 public:
  // The native entry: r1, r2 and the context; returns r0. On a tail call it
  // returns with rc->stop == kTailCall and the context argument instead.
  using Entry = uint64_t (*)(uint64_t r1, uint64_t r2, RunContext* rc);

  JitProgram(std::shared_ptr<const Program> program, std::shared_ptr<const JitCode> code);
  ~JitProgram();

  // Like vm::interpret in fast mode: r0, with rc.stop telling how it ended.
  // Tail calls run the target's JIT code when the target was compiled (and is
  // alive), else the interpreter. The target starts with r1 = the context and
  // r2 = 0 (the interpreter leaves r2 as the helper call had it; no verified
  // program can read it). A tail call from a local function runs the target
  // to its end and returns its r0 from that function, as in Linux.
  uint64_t run(uint64_t r1, uint64_t r2, RunContext& rc) const {
    const uint64_t v = entry_(r1, r2, &rc);
    if (__builtin_expect(rc.stop == RunContext::Stop::kTailCall, 0)) return tail_calls(v, rc);
    return v;
  }

  const Program& program() const { return *program_; }
  Entry entry() const { return entry_; }
  // What run_xdp_jit does after entry() returned with rc.stop set (tail calls
  // run to their end, faults become XDP_ABORTED): for callers that call
  // entry() themselves, with rc.xdp set, to save a call per packet.
  static uint32_t xdp_after_stop_public(uint64_t r0, RunContext& rc) {
    return xdp_after_stop(r0, rc);
  }
  // Time the compilation of this code took (code from the cache: the original
  // compile's time).
  double compile_ms() const;
  bool from_cache() const { return from_cache_; }

 private:
  friend Expected<std::shared_ptr<const JitProgram>> jit_compile(std::shared_ptr<const Program>,
                                                                 const JitOptions&);
  friend uint32_t run_xdp_jit(const JitProgram&, helpers::XdpBuff&, RunContext&);
  // The slow ends of an invocation, out of line: a tail call's targets; the
  // XDP action after a helper set rc.stop.
  static uint64_t tail_calls(uint64_t ctx, RunContext& rc);
  static uint32_t xdp_after_stop(uint64_t r0, RunContext& rc);

  Entry entry_;  // code_'s, copied: one load on the way in
  std::shared_ptr<const Program> program_;
  std::shared_ptr<const JitCode> code_;
  bool from_cache_ = false;
  int opt_level_ = 2;
};

// Compiles (or finds in the cache) the native code of `program`. Errors name
// the pc of an instruction that cannot be translated, or LLVM's message.
Expected<std::shared_ptr<const JitProgram>> jit_compile(std::shared_ptr<const Program> program,
                                                        const JitOptions& options = {});

// Like vm::run_xdp: r1 is the XdpBuff; returns the XDP action, XDP_ABORTED on a
// fault. Inline: the caller calls the native code directly, and looks at
// rc.stop once (a helper that stopped the program: tail call, fault, unwind).
inline uint32_t run_xdp_jit(const JitProgram& prog, helpers::XdpBuff& buff, RunContext& rc) {
  rc.xdp = &buff;
  const uint64_t r0 = prog.entry_(reinterpret_cast<uint64_t>(&buff), 0, &rc);
  if (__builtin_expect(rc.stop != RunContext::Stop::kNone, 0))
    return JitProgram::xdp_after_stop(r0, rc);
  return static_cast<uint32_t>(r0);
}

// Process-wide counters: programs compiled, compilations answered from the cache.
struct JitStats {
  uint64_t compiled = 0;
  uint64_t cache_hits = 0;
  uint64_t cached = 0;  // entries in the cache now
};
JitStats jit_stats();
// Drops the cached code that no JitProgram uses any more.
void jit_clear_cache();

}  // namespace ebpfaas::vm
