// The abstract value of one register (or spilled stack slot): its type and,
// for scalars and pointer offsets, signed/unsigned 64- and 32-bit bounds plus
// known bits. The bounds logic follows Linux's verifier (reg_bounds_sync and
// the scalar*_min_max_* family) so that both prove the same facts.
#pragma once

#include <cstdint>
#include <string>

#include "verifier/tnum.h"

namespace ebpfaas::verifier {

enum class RegType : uint8_t {
  kNotInit,
  kScalar,
  kCtx,             // struct xdp_md *
  kPacket,          // data + off
  kPacketMeta,      // data_meta + off
  kPacketEnd,       // data_end
  kStack,           // frame pointer of `frameno` + off
  kMapPtr,          // a map (lddw map_fd / map_idx)
  kMapValue,        // a value of map `map_index`
  kMapValueOrNull,  // what map_lookup_elem returns, before a null check
};

// Linux's name for the type in verifier messages ("map_value_or_null").
const char* reg_type_name(RegType t);

// Packet pointers proven to be at or beyond data_end (range < 0).
inline constexpr int32_t kAtPacketEnd = -1, kBeyondPacketEnd = -2;

struct RegState {
  RegType type = RegType::kNotInit;
  uint8_t frameno = 0;  // stack pointers: whose frame they point into
  // Scalars: delta of a linked register (rX = rY + delta), see `add_const`.
  bool add_const = false;
  // Pointers: the fixed part of the offset (the variable part is in var_off
  // and the bounds). Linked scalars: the delta to the register they follow.
  int32_t off = 0;
  // Packet pointers: bytes [base, base + range) are inside the packet, where
  // base is the pointer minus its fixed offset.
  int32_t range = 0;
  // Packet pointers sharing an id share their variable offset; a map value or
  // null shares its id with copies of itself; scalars sharing an id are equal
  // (modulo `off` when add_const).
  uint32_t id = 0;
  int32_t map_index = -1;  // map pointers and values: index into VerifyOptions::maps

  Tnum var_off = Tnum::unknown();
  int64_t smin = INT64_MIN, smax = INT64_MAX;
  uint64_t umin = 0, umax = UINT64_MAX;
  int32_t s32_min = INT32_MIN, s32_max = INT32_MAX;
  uint32_t u32_min = 0, u32_max = UINT32_MAX;

  bool is_scalar() const { return type == RegType::kScalar; }
  bool is_pointer() const { return type != RegType::kScalar && type != RegType::kNotInit; }
  bool is_packet() const { return type == RegType::kPacket || type == RegType::kPacketMeta; }
  bool is_packet_any() const { return is_packet() || type == RegType::kPacketEnd; }
  bool is_const() const { return var_off.is_const(); }
  bool is_null() const { return type == RegType::kScalar && var_off.equals_const(0); }
  // "Known constant" as Linux's is_reg_const: the 64-bit or the 32-bit view.
  bool is_const_in(bool is32) const {
    return is32 ? var_off.subreg_is_const() : var_off.is_const();
  }
  uint64_t const_value_in(bool is32) const {
    return is32 ? static_cast<uint32_t>(var_off.value) : var_off.value;
  }

  // Kernel-style description: "scalar(smin=0,smax=255,...)", "pkt(off=14,r=14)".
  std::string str() const;
};

// ---- whole-register constructors ------------------------------------------------
void mark_unknown(RegState& r);  // a scalar about which nothing is known
void mark_not_init(RegState& r);
void mark_known(RegState& r, uint64_t v);  // bounds and bits of the constant v (type untouched)
void mark_const(RegState& r, uint64_t v);  // a scalar constant
void mark_known32(RegState& r, uint64_t v);
void mark_unbounded(RegState& r);
void mark_unbounded64(RegState& r);
void mark_unbounded32(RegState& r);

// ---- bounds ---------------------------------------------------------------------
void update_bounds(RegState& r);  // learn bounds from var_off
void deduce_bounds(RegState& r);  // signed <-> unsigned, 32 <-> 64
void bound_offset(RegState& r);   // learn var_off from bounds
void bounds_sync(RegState& r);    // all of the above, in Linux's order
// Invariant check: min <= max everywhere and constants agree with bounds.
bool bounds_sane(const RegState& r);
void zext_32_to_64(RegState& r);
void coerce_to_size(RegState& r, int bytes);     // zero-extending narrow value
void coerce_to_size_sx(RegState& r, int bytes);  // sign-extended to 64 bits
void coerce_subreg_to_size_sx(RegState& r, int bytes);
// Bits the value may use: 64 unless it is known to fit in fewer.
int reg_width(const RegState& r);
bool range_within(const RegState& old_reg, const RegState& cur);

// ---- scalar arithmetic (dst op= src; both scalars) ------------------------------
enum class AluOp : uint8_t {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kSdiv,
  kMod,
  kSmod,
  kOr,
  kAnd,
  kXor,
  kLsh,
  kRsh,
  kArsh,
  kNeg
};
// Is the result's range computable (constant divisor, in-range constant shift)?
bool scalar_range_computable(AluOp op, const RegState& src, bool alu32);
// dst = dst op src on both the 32- and 64-bit views, zero-extending 32-bit
// results, then bounds_sync. The caller handles the non-computable case.
void scalar_alu(RegState& dst, const RegState& src, AluOp op, bool alu32);
// Byte swaps: le16/32/64 (truncate on a little-endian host), be*/bswap* (swap).
void scalar_byte_swap(RegState& dst, bool swap, int bits);
// The pieces sync_linked_regs reuses.
void scalar32_add(RegState& dst, const RegState& src);
void scalar64_add(RegState& dst, const RegState& src);

}  // namespace ebpfaas::verifier
