// The raw 64-bit instruction, laid out as Linux's struct bpf_insn.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "support/error.h"

namespace ebpfaas::ebpf {

struct Insn {
  uint8_t opcode = 0;
  uint8_t dst : 4 = 0;
  uint8_t src : 4 = 0;
  int16_t off = 0;
  int32_t imm = 0;

  uint8_t cls() const { return opcode & 0x07; }
  friend bool operator==(const Insn& a, const Insn& b) {
    return a.opcode == b.opcode && a.dst == b.dst && a.src == b.src && a.off == b.off &&
           a.imm == b.imm;
  }
};
static_assert(sizeof(Insn) == 8, "struct bpf_insn is 8 bytes");

// Bytes (little-endian, 8 per instruction) <-> instructions.
Expected<std::vector<Insn>> insns_from_bytes(std::span<const uint8_t> bytes);
std::vector<uint8_t> insns_to_bytes(std::span<const Insn> insns);

}  // namespace ebpfaas::ebpf
