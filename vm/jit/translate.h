// eBPF -> LLVM IR: one function per program, `i64 f(i64 r1, i64 r2, ptr rc)`,
// with the interpreter's semantics instruction by instruction (internal to
// vm/jit; jit.cpp optimizes and compiles the module).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "support/error.h"
#include "vm/program.h"

namespace llvm {
class LLVMContext;
class Module;
}  // namespace llvm

namespace ebpfaas::vm::jit_detail {

// Addresses of the run-time support the generated code calls (jit.cpp).
struct Runtime {
  // void (RunContext*, uint32_t pc, const char* what): stop with "pc N: what".
  uint64_t fault_at;
  // void (RunContext*, uint32_t pc): a helper faulted; prefix its message with the pc.
  uint64_t prefix_fault;
  // uint64_t (RunContext*, uint64_t ctx): a tail call from a local function
  // runs the target to its end; returns its r0.
  uint64_t nested_tail_call;
  // uint64_t (const HelperTable*, uint64_t id, r1..r5, RunContext*): callx.
  uint64_t callx;
  // Offsets of RunContext::stop (a byte), RunContext::cpu (32 bits) and
  // RunContext::redirect (ifindex, map, key, flags: 32 bits, then 8 bytes each
  // at 8, 16, 24).
  uint32_t stop_offset;
  uint32_t cpu_offset;
  uint32_t redirect_offset;
};

Expected<std::unique_ptr<llvm::Module>> translate(const Program& prog, llvm::LLVMContext& ctx,
                                                  const std::string& name, const Runtime& rt);

}  // namespace ebpfaas::vm::jit_detail
