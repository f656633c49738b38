// Tracked numbers ("tnums"): what is known about the individual bits of a
// 64-bit value. A bit is known 0, known 1, or unknown; `mask` has the unknown
// bits set and `value` holds the known 1 bits (value & mask == 0). Arithmetic
// on tnums over-approximates: the result covers every value the operation can
// produce from values the operands cover. The algorithms are Linux's
// (kernel/bpf/tnum.c) so that ebpfaas proves what the kernel proves.
#pragma once

#include <cstdint>
#include <string>

namespace ebpfaas::verifier {

struct Tnum {
  uint64_t value = 0;
  uint64_t mask = ~0ull;

  static constexpr Tnum constant(uint64_t v) { return Tnum{v, 0}; }
  static constexpr Tnum unknown() { return Tnum{0, ~0ull}; }
  // The smallest tnum covering every value of [min, max].
  static Tnum range(uint64_t min, uint64_t max);

  bool is_const() const { return mask == 0; }
  bool is_unknown() const { return mask == ~0ull; }
  bool equals_const(uint64_t v) const { return mask == 0 && value == v; }
  // Is every value of `b` also a value of this tnum?
  bool contains(Tnum b) const;
  bool is_aligned(uint64_t size) const;
  // The low 32 bits, zero-extended.
  Tnum subreg() const { return cast(4); }
  Tnum clear_subreg() const { return rshift(32).lshift(32); }
  Tnum with_subreg(Tnum sub) const;
  bool subreg_is_const() const { return (mask & 0xffffffffull) == 0; }
  Tnum cast(int bytes) const;

  Tnum lshift(uint8_t shift) const { return Tnum{value << shift, mask << shift}; }
  Tnum rshift(uint8_t shift) const { return Tnum{value >> shift, mask >> shift}; }
  // Arithmetic shift of the low `bits` (32 or 64) bits.
  Tnum arshift(uint8_t shift, int bits) const;

  friend bool operator==(const Tnum& a, const Tnum& b) {
    return a.value == b.value && a.mask == b.mask;
  }
  // "(0x10; 0xf)", as Linux prints tnums.
  std::string str() const;
};

Tnum tnum_add(Tnum a, Tnum b);
Tnum tnum_sub(Tnum a, Tnum b);
Tnum tnum_neg(Tnum a);
Tnum tnum_and(Tnum a, Tnum b);
Tnum tnum_or(Tnum a, Tnum b);
Tnum tnum_xor(Tnum a, Tnum b);
Tnum tnum_mul(Tnum a, Tnum b);
// Bits known in either (the caller knows both describe the same value).
Tnum tnum_intersect(Tnum a, Tnum b);
// Can a and b describe the same value?
bool tnum_overlap(Tnum a, Tnum b);
Tnum tnum_bswap16(Tnum a);
Tnum tnum_bswap32(Tnum a);
Tnum tnum_bswap64(Tnum a);

}  // namespace ebpfaas::verifier
