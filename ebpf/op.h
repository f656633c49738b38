// The semantic operations of the instruction set. The decoder maps every valid
// raw instruction to exactly one Op, so that the verifier, the interpreter, the
// JIT, the analysis and the hardware model agree on what an instruction means.
#pragma once

#include <cstdint>
#include <string_view>

namespace ebpfaas::ebpf {

// Binary ALU operations; each exists as 32/64-bit with immediate/register source.
#define EBPFAAS_ALU_BINOPS(X) \
  X(Add)                      \
  X(Sub) X(Mul) X(Div) X(Sdiv) X(Or) X(And) X(Lsh) X(Rsh) X(Mod) X(Smod) X(Xor) X(Mov) X(Arsh)

// Conditional jumps; each exists as 64/32-bit with immediate/register source.
#define EBPFAAS_JMP_CONDS(X) \
  X(Jeq) X(Jgt) X(Jge) X(Jset) X(Jne) X(Jsgt) X(Jsge) X(Jlt) X(Jle) X(Jslt) X(Jsle)

// Atomic read-modify-write operations; each exists as 32/64-bit.
#define EBPFAAS_ATOMIC_OPS(X)                                                                \
  X(AtomicAdd)                                                                               \
  X(AtomicOr) X(AtomicAnd) X(AtomicXor) X(AtomicFetchAdd) X(AtomicFetchOr) X(AtomicFetchAnd) \
      X(AtomicFetchXor) X(AtomicXchg) X(AtomicCmpXchg)

#define EBPFAAS_OP_ALU4_(n) X_(n##32Imm) X_(n##32Reg) X_(n##64Imm) X_(n##64Reg)
#define EBPFAAS_OP_JMP4_(n) X_(n##64Imm) X_(n##64Reg) X_(n##32Imm) X_(n##32Reg)
#define EBPFAAS_OP_ATOMIC2_(n) X_(n##32) X_(n##64)

// Every Op, in enum order. X_ is the per-op macro, defined by the user.
#define EBPFAAS_FOR_EACH_OP                                                                        \
  EBPFAAS_ALU_BINOPS(EBPFAAS_OP_ALU4_)                                                             \
  X_(Neg32)                                                                                        \
  X_(Neg64) X_(MovSx8To32) X_(MovSx16To32) X_(MovSx8To64) X_(MovSx16To64) X_(MovSx32To64) X_(Le16) \
      X_(Le32) X_(Le64) X_(Be16) X_(Be32) X_(Be64) X_(Bswap16) X_(Bswap32) X_(Bswap64) X_(Ja)      \
          X_(Ja32) EBPFAAS_JMP_CONDS(EBPFAAS_OP_JMP4_) X_(Call) X_(CallLocal) X_(CallKfunc)        \
              X_(Callx) X_(Exit) X_(Lddw) X_(LddwHigh) X_(LdAbsB) X_(LdAbsH) X_(LdAbsW) X_(LdIndB) \
                  X_(LdIndH) X_(LdIndW) X_(LdxB) X_(LdxH) X_(LdxW) X_(LdxDW) X_(LdxSB) X_(LdxSH)   \
                      X_(LdxSW) X_(StB) X_(StH) X_(StW) X_(StDW) X_(StxB) X_(StxH) X_(StxW)        \
                          X_(StxDW) EBPFAAS_ATOMIC_OPS(EBPFAAS_OP_ATOMIC2_)

enum class Op : uint8_t {
#define X_(n) n,
  EBPFAAS_FOR_EACH_OP
#undef X_
      kCount
};

inline constexpr int kNumOps = static_cast<int>(Op::kCount);

enum class OpKind : uint8_t {
  kAlu,   // dst = f(dst, src or imm)
  kJump,  // ja / ja32 / conditional
  kCall,  // helper, local, kfunc, callx
  kExit,
  kLoadImm64,   // lddw (the first slot)
  kFiller,      // second slot of lddw: never executed, never a jump target
  kLoadLegacy,  // LD_ABS / LD_IND (socket filters only)
  kLoad,        // ldx, ldxs
  kStoreImm,    // st
  kStoreReg,    // stx
  kAtomic,
};

struct OpInfo {
  std::string_view name;  // "Add64Imm", for diagnostics
  OpKind kind;
  uint8_t width;    // ALU/JMP/atomic operand bits (32/64); load/store access bytes
  bool reg_source;  // the source operand is the src register (not imm)
  bool is_signed;   // sign-extending load, signed division/comparison
};

const OpInfo& op_info(Op op);

inline bool is_conditional_jump(Op op) {
  return op_info(op).kind == OpKind::kJump && op != Op::Ja && op != Op::Ja32;
}

}  // namespace ebpfaas::ebpf
