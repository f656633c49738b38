#include "verifier/tnum.h"

#include <fmt/format.h>

namespace ebpfaas::verifier {

Tnum Tnum::range(uint64_t min, uint64_t max) {
  const uint64_t chi = min ^ max;
  const int bits = chi == 0 ? 0 : 64 - __builtin_clzll(chi);
  if (bits > 63) return unknown();
  const uint64_t delta = (1ull << bits) - 1;
  return Tnum{min & ~delta, delta};
}

bool Tnum::contains(Tnum b) const {
  if (b.mask & ~mask) return false;
  return value == (b.value & ~mask);
}

bool Tnum::is_aligned(uint64_t size) const {
  if (size == 0) return true;
  return ((value | mask) & (size - 1)) == 0;
}

Tnum Tnum::with_subreg(Tnum sub) const {
  return tnum_or(clear_subreg(), sub.subreg());
}

Tnum Tnum::cast(int bytes) const {
  if (bytes >= 8) return *this;
  const uint64_t keep = (1ull << (bytes * 8)) - 1;
  return Tnum{value & keep, mask & keep};
}

Tnum Tnum::arshift(uint8_t shift, int bits) const {
  // The sign bit of a 32-bit operation is bit 31: shift the sign-extended
  // low half and keep 32 bits of the result.
  if (bits == 32)
    return Tnum{static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(value)) >> shift),
                static_cast<uint32_t>(static_cast<int32_t>(static_cast<uint32_t>(mask)) >> shift)};
  return Tnum{static_cast<uint64_t>(static_cast<int64_t>(value) >> shift),
              static_cast<uint64_t>(static_cast<int64_t>(mask) >> shift)};
}

std::string Tnum::str() const {
  return fmt::format("({:#x}; {:#x})", value, mask);
}

Tnum tnum_add(Tnum a, Tnum b) {
  const uint64_t sm = a.mask + b.mask;
  const uint64_t sv = a.value + b.value;
  const uint64_t sigma = sm + sv;
  const uint64_t chi = sigma ^ sv;
  const uint64_t mu = chi | a.mask | b.mask;
  return Tnum{sv & ~mu, mu};
}

Tnum tnum_sub(Tnum a, Tnum b) {
  const uint64_t dv = a.value - b.value;
  const uint64_t alpha = dv + a.mask;
  const uint64_t beta = dv - b.mask;
  const uint64_t chi = alpha ^ beta;
  const uint64_t mu = chi | a.mask | b.mask;
  return Tnum{dv & ~mu, mu};
}

Tnum tnum_neg(Tnum a) {
  return tnum_sub(Tnum::constant(0), a);
}

Tnum tnum_and(Tnum a, Tnum b) {
  const uint64_t alpha = a.value | a.mask;
  const uint64_t beta = b.value | b.mask;
  const uint64_t v = a.value & b.value;
  return Tnum{v, alpha & beta & ~v};
}

Tnum tnum_or(Tnum a, Tnum b) {
  const uint64_t v = a.value | b.value;
  const uint64_t mu = a.mask | b.mask;
  return Tnum{v, mu & ~v};
}

Tnum tnum_xor(Tnum a, Tnum b) {
  const uint64_t v = a.value ^ b.value;
  const uint64_t mu = a.mask | b.mask;
  return Tnum{v & ~mu, mu};
}

Tnum tnum_mul(Tnum a, Tnum b) {
  // Multiplication as shifted additions: each unknown bit of one operand
  // contributes an unknown copy of the other.
  Tnum acc = Tnum::constant(a.value * b.value);
  auto half_multiply_add = [&](uint64_t value, uint64_t mask) {
    while (mask) {
      if (mask & 1) acc = tnum_add(acc, Tnum{0, value});
      mask >>= 1;
      value <<= 1;
    }
  };
  half_multiply_add(a.mask, b.mask | b.value);
  half_multiply_add(b.mask, a.value);
  return acc;
}

Tnum tnum_intersect(Tnum a, Tnum b) {
  const uint64_t v = a.value | b.value;
  const uint64_t mu = a.mask & b.mask;
  return Tnum{v & ~mu, mu};
}

bool tnum_overlap(Tnum a, Tnum b) {
  const uint64_t mu = ~a.mask & ~b.mask;
  return (a.value & mu) == (b.value & mu);
}

Tnum tnum_bswap16(Tnum a) {
  return Tnum{__builtin_bswap16(static_cast<uint16_t>(a.value)),
              __builtin_bswap16(static_cast<uint16_t>(a.mask))};
}

Tnum tnum_bswap32(Tnum a) {
  return Tnum{__builtin_bswap32(static_cast<uint32_t>(a.value)),
              __builtin_bswap32(static_cast<uint32_t>(a.mask))};
}

Tnum tnum_bswap64(Tnum a) {
  return Tnum{__builtin_bswap64(a.value), __builtin_bswap64(a.mask)};
}

}  // namespace ebpfaas::verifier
