// Decoding and validation: raw instructions -> one Instruction per slot, or the
// first problem with its pc. What is checked here is the ISA's own validity
// (RFC 9669): opcodes, reserved fields, registers, jump targets, lddw pairs,
// subprogram boundaries and the end of the program. Linux's further policies
// (no constant division by zero, shift amounts, helper prototypes, ...) belong
// to the verifier.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ebpf/insn.h"
#include "ebpf/op.h"
#include "support/error.h"

namespace ebpfaas::ebpf {

struct Instruction {
  Op op = Op::Exit;
  uint8_t dst = 0;
  uint8_t src = 0;  // a register for register-source forms; the pseudo kind of lddw and call
  int16_t off = 0;
  int32_t imm = 0;      // the raw immediate (lddw: its low half)
  uint64_t imm64 = 0;   // lddw: low | high << 32; otherwise the sign-extended imm
  int32_t target = -1;  // jumps and local calls: the absolute pc they go to

  const OpInfo& info() const { return op_info(op); }
};

struct DecodedProgram {
  std::vector<Instruction> insns;        // one per 8-byte slot, lddw's second slot is LddwHigh
  std::vector<uint32_t> subprog_starts;  // pc of each function, sorted, starting with 0
  // The subprogram (index into subprog_starts) that holds pc.
  size_t subprog_of(uint32_t pc) const;
};

struct DecodeOptions {
  size_t max_instructions = 1'000'000;
};

Expected<DecodedProgram> decode(std::span<const Insn> insns, const DecodeOptions& options = {});

// Decodes one instruction without looking at its neighbours (lddw's second half
// is read from `next` when given). Used by the disassembler on partial input.
Expected<Instruction> decode_one(const Insn& insn, const Insn* next, uint32_t pc);

}  // namespace ebpfaas::ebpf
