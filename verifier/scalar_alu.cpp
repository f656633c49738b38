// Range and known-bits propagation through ALU operations on scalars, after
// Linux's scalar_min_max_* / scalar32_min_max_* functions.
#include <algorithm>

#include "verifier/reg_state.h"

namespace ebpfaas::verifier {
namespace {

constexpr bool kTrackDivMod = false;

using s32 = int32_t;
using u32 = uint32_t;
using s64 = int64_t;
using u64 = uint64_t;

template <class T>
bool add_overflow(T a, T b, T* out) {
  return __builtin_add_overflow(a, b, out);
}
template <class T>
bool sub_overflow(T a, T b, T* out) {
  return __builtin_sub_overflow(a, b, out);
}
template <class T>
bool mul_overflow(T a, T b, T* out) {
  return __builtin_mul_overflow(a, b, out);
}

// ---- add / sub ----------------------------------------------------------------

void scalar32_sub(RegState& d, const RegState& s) {
  if (sub_overflow(d.s32_min, s.s32_max, &d.s32_min) ||
      sub_overflow(d.s32_max, s.s32_min, &d.s32_max)) {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  }
  // Either every subtraction underflows or none does; otherwise give up.
  const bool min_under = sub_overflow(d.u32_min, s.u32_max, &d.u32_min);
  const bool max_under = sub_overflow(d.u32_max, s.u32_min, &d.u32_max);
  if (min_under && !max_under) {
    d.u32_min = 0;
    d.u32_max = UINT32_MAX;
  }
}

void scalar64_sub(RegState& d, const RegState& s) {
  if (sub_overflow(d.smin, s.smax, &d.smin) || sub_overflow(d.smax, s.smin, &d.smax)) {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  }
  const bool min_under = sub_overflow(d.umin, s.umax, &d.umin);
  const bool max_under = sub_overflow(d.umax, s.umin, &d.umax);
  if (min_under && !max_under) {
    d.umin = 0;
    d.umax = UINT64_MAX;
  }
}

// ---- mul ------------------------------------------------------------------------

void scalar32_mul(RegState& d, const RegState& s) {
  if (mul_overflow(d.u32_max, s.u32_max, &d.u32_max) ||
      mul_overflow(d.u32_min, s.u32_min, &d.u32_min)) {
    d.u32_min = 0;
    d.u32_max = UINT32_MAX;
  }
  s32 p[4];
  if (mul_overflow(d.s32_min, s.s32_min, &p[0]) || mul_overflow(d.s32_min, s.s32_max, &p[1]) ||
      mul_overflow(d.s32_max, s.s32_min, &p[2]) || mul_overflow(d.s32_max, s.s32_max, &p[3])) {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  } else {
    d.s32_min = *std::min_element(p, p + 4);
    d.s32_max = *std::max_element(p, p + 4);
  }
}

void scalar64_mul(RegState& d, const RegState& s) {
  if (mul_overflow(d.umax, s.umax, &d.umax) || mul_overflow(d.umin, s.umin, &d.umin)) {
    d.umin = 0;
    d.umax = UINT64_MAX;
  }
  s64 p[4];
  if (mul_overflow(d.smin, s.smin, &p[0]) || mul_overflow(d.smin, s.smax, &p[1]) ||
      mul_overflow(d.smax, s.smin, &p[2]) || mul_overflow(d.smax, s.smax, &p[3])) {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  } else {
    d.smin = *std::min_element(p, p + 4);
    d.smax = *std::max_element(p, p + 4);
  }
}

// ---- div / mod (constant non-zero divisor) --------------------------------------

void reset64_and_tnum(RegState& d) {
  mark_unbounded64(d);
  d.var_off = Tnum::unknown();
}
void reset32_and_tnum(RegState& d) {
  mark_unbounded32(d);
  d.var_off = Tnum::unknown();
}

void scalar32_udiv(RegState& d, const RegState& s) {
  const u32 v = s.u32_min;
  d.u32_min /= v;
  d.u32_max /= v;
  d.s32_min = INT32_MIN;
  d.s32_max = INT32_MAX;
  reset64_and_tnum(d);
}

void scalar64_udiv(RegState& d, const RegState& s) {
  const u64 v = s.umin;
  d.umin /= v;
  d.umax /= v;
  d.smin = INT64_MIN;
  d.smax = INT64_MAX;
  reset32_and_tnum(d);
}

void scalar32_sdiv(RegState& d, const RegState& s) {
  const s32 v = s.s32_min;
  if (d.s32_min == INT32_MIN && v == -1) {
    // S32_MIN / -1 == S32_MIN: exact only when the dividend is exactly S32_MIN.
    if (d.s32_max != INT32_MIN) {
      d.s32_min = INT32_MIN;
      d.s32_max = INT32_MAX;
    }
  } else {
    const s32 a = d.s32_min / v, b = d.s32_max / v;
    d.s32_min = std::min(a, b);
    d.s32_max = std::max(a, b);
  }
  d.u32_min = 0;
  d.u32_max = UINT32_MAX;
  reset64_and_tnum(d);
}

void scalar64_sdiv(RegState& d, const RegState& s) {
  const s64 v = s.smin;
  if (d.smin == INT64_MIN && v == -1) {
    if (d.smax != INT64_MIN) {
      d.smin = INT64_MIN;
      d.smax = INT64_MAX;
    }
  } else {
    const s64 a = d.smin / v, b = d.smax / v;
    d.smin = std::min(a, b);
    d.smax = std::max(a, b);
  }
  d.umin = 0;
  d.umax = UINT64_MAX;
  reset32_and_tnum(d);
}

void scalar32_umod(RegState& d, const RegState& s) {
  const u32 res_max = s.u32_min - 1;
  if (d.u32_max <= res_max) return;
  d.u32_min = 0;
  d.u32_max = std::min(d.u32_max, res_max);
  d.s32_min = INT32_MIN;
  d.s32_max = INT32_MAX;
  reset64_and_tnum(d);
}

void scalar64_umod(RegState& d, const RegState& s) {
  const u64 res_max = s.umin - 1;
  if (d.umax <= res_max) return;
  d.umin = 0;
  d.umax = std::min(d.umax, res_max);
  d.smin = INT64_MIN;
  d.smax = INT64_MAX;
  reset32_and_tnum(d);
}

void scalar32_smod(RegState& d, const RegState& s) {
  const s32 v = s.s32_min;
  const u32 abs = v > 0 ? static_cast<u32>(v) : 0u - static_cast<u32>(v);
  const s32 res_max = static_cast<s32>(abs - 1);
  if (d.s32_min >= -res_max && d.s32_max <= res_max) return;
  if (d.s32_min >= 0) {
    d.s32_min = 0;
    d.s32_max = std::min(d.s32_max, res_max);
  } else if (d.s32_max <= 0) {
    d.s32_max = 0;
    d.s32_min = std::max(d.s32_min, -res_max);
  } else {
    d.s32_min = -res_max;
    d.s32_max = res_max;
  }
  d.u32_min = 0;
  d.u32_max = UINT32_MAX;
  reset64_and_tnum(d);
}

void scalar64_smod(RegState& d, const RegState& s) {
  const s64 v = s.smin;
  const u64 abs = v > 0 ? static_cast<u64>(v) : 0ull - static_cast<u64>(v);
  const s64 res_max = static_cast<s64>(abs - 1);
  if (d.smin >= -res_max && d.smax <= res_max) return;
  if (d.smin >= 0) {
    d.smin = 0;
    d.smax = std::min(d.smax, res_max);
  } else if (d.smax <= 0) {
    d.smax = 0;
    d.smin = std::max(d.smin, -res_max);
  } else {
    d.smin = -res_max;
    d.smax = res_max;
  }
  d.umin = 0;
  d.umax = UINT64_MAX;
  reset32_and_tnum(d);
}

// ---- bitwise (var_off already updated by the caller) ----------------------------

void scalar32_and(RegState& d, const RegState& s) {
  const bool src_known = s.var_off.subreg_is_const(), dst_known = d.var_off.subreg_is_const();
  const Tnum t = d.var_off.subreg();
  if (src_known && dst_known) {
    mark_known32(d, t.value);
    return;
  }
  d.u32_min = static_cast<u32>(t.value);
  d.u32_max = std::min(d.u32_max, s.u32_max);
  if (static_cast<s32>(d.u32_min) <= static_cast<s32>(d.u32_max)) {
    d.s32_min = static_cast<s32>(d.u32_min);
    d.s32_max = static_cast<s32>(d.u32_max);
  } else {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  }
}

void scalar64_and(RegState& d, const RegState& s) {
  if (s.var_off.is_const() && d.var_off.is_const()) {
    mark_known(d, d.var_off.value);
    return;
  }
  d.umin = d.var_off.value;
  d.umax = std::min(d.umax, s.umax);
  if (static_cast<s64>(d.umin) <= static_cast<s64>(d.umax)) {
    d.smin = static_cast<s64>(d.umin);
    d.smax = static_cast<s64>(d.umax);
  } else {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  }
  update_bounds(d);
}

void scalar32_or(RegState& d, const RegState& s) {
  const bool src_known = s.var_off.subreg_is_const(), dst_known = d.var_off.subreg_is_const();
  const Tnum t = d.var_off.subreg();
  if (src_known && dst_known) {
    mark_known32(d, t.value);
    return;
  }
  d.u32_min = std::max(d.u32_min, s.u32_min);
  d.u32_max = static_cast<u32>(t.value | t.mask);
  if (static_cast<s32>(d.u32_min) <= static_cast<s32>(d.u32_max)) {
    d.s32_min = static_cast<s32>(d.u32_min);
    d.s32_max = static_cast<s32>(d.u32_max);
  } else {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  }
}

void scalar64_or(RegState& d, const RegState& s) {
  if (s.var_off.is_const() && d.var_off.is_const()) {
    mark_known(d, d.var_off.value);
    return;
  }
  d.umin = std::max(d.umin, s.umin);
  d.umax = d.var_off.value | d.var_off.mask;
  if (static_cast<s64>(d.umin) <= static_cast<s64>(d.umax)) {
    d.smin = static_cast<s64>(d.umin);
    d.smax = static_cast<s64>(d.umax);
  } else {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  }
  update_bounds(d);
}

void scalar32_xor(RegState& d, const RegState& s) {
  const bool src_known = s.var_off.subreg_is_const(), dst_known = d.var_off.subreg_is_const();
  const Tnum t = d.var_off.subreg();
  if (src_known && dst_known) {
    mark_known32(d, t.value);
    return;
  }
  d.u32_min = static_cast<u32>(t.value);
  d.u32_max = static_cast<u32>(t.value | t.mask);
  if (static_cast<s32>(d.u32_min) <= static_cast<s32>(d.u32_max)) {
    d.s32_min = static_cast<s32>(d.u32_min);
    d.s32_max = static_cast<s32>(d.u32_max);
  } else {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  }
}

void scalar64_xor(RegState& d, const RegState& s) {
  if (s.var_off.is_const() && d.var_off.is_const()) {
    mark_known(d, d.var_off.value);
    return;
  }
  d.umin = d.var_off.value;
  d.umax = d.var_off.value | d.var_off.mask;
  if (static_cast<s64>(d.umin) <= static_cast<s64>(d.umax)) {
    d.smin = static_cast<s64>(d.umin);
    d.smax = static_cast<s64>(d.umax);
  } else {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  }
  update_bounds(d);
}

// ---- shifts (constant amount, checked in range by the caller) -------------------

void lsh32_bounds(RegState& d, u64 umin_val, u64 umax_val) {
  d.s32_min = INT32_MIN;
  d.s32_max = INT32_MAX;
  if (umax_val > 31 || d.u32_max > (1ull << (31 - umax_val))) {
    d.u32_min = 0;
    d.u32_max = UINT32_MAX;
  } else {
    d.u32_min <<= umin_val;
    d.u32_max <<= umax_val;
  }
}

void scalar32_lsh(RegState& d, const RegState& s) {
  const u32 umax_val = s.u32_max, umin_val = s.u32_min;
  const Tnum sub = d.var_off.subreg();
  lsh32_bounds(d, umin_val, umax_val);
  d.var_off = sub.lshift(static_cast<uint8_t>(umin_val)).subreg();
  mark_unbounded64(d);
  update_bounds(d);
}

void lsh64_bounds(RegState& d, u64 umin_val, u64 umax_val) {
  // <<32 keeps the sign of the s32 bounds: the compiler's s32 -> s64 idiom.
  if (umin_val == 32 && umax_val == 32) {
    d.smax = static_cast<s64>(static_cast<u64>(static_cast<s64>(d.s32_max)) << 32);
    d.smin = static_cast<s64>(static_cast<u64>(static_cast<s64>(d.s32_min)) << 32);
  } else {
    d.smax = INT64_MAX;
    d.smin = INT64_MIN;
  }
  if (d.umax > (1ull << (63 - umax_val))) {
    d.umin = 0;
    d.umax = UINT64_MAX;
  } else {
    d.umin <<= umin_val;
    d.umax <<= umax_val;
  }
}

void scalar64_lsh(RegState& d, const RegState& s) {
  const u64 umax_val = s.umax, umin_val = s.umin;
  lsh64_bounds(d, umin_val, umax_val);  // uses the unshifted 32-bit bounds: first
  lsh32_bounds(d, umin_val, umax_val);
  d.var_off = d.var_off.lshift(static_cast<uint8_t>(umin_val));
  update_bounds(d);
}

void scalar32_rsh(RegState& d, const RegState& s) {
  const Tnum sub = d.var_off.subreg();
  const u32 umax_val = s.u32_max, umin_val = s.u32_min;
  d.s32_min = INT32_MIN;
  d.s32_max = INT32_MAX;
  d.var_off = sub.rshift(static_cast<uint8_t>(umin_val));
  d.u32_min >>= umax_val;
  d.u32_max >>= umin_val;
  mark_unbounded64(d);
  update_bounds(d);
}

void scalar64_rsh(RegState& d, const RegState& s) {
  const u64 umax_val = s.umax, umin_val = s.umin;
  d.smin = INT64_MIN;
  d.smax = INT64_MAX;
  d.var_off = d.var_off.rshift(static_cast<uint8_t>(umin_val));
  d.umin >>= umax_val;
  d.umax >>= umin_val;
  mark_unbounded32(d);
  update_bounds(d);
}

void scalar32_arsh(RegState& d, const RegState& s) {
  const u64 umin_val = s.u32_min;
  d.s32_min = static_cast<s32>(static_cast<u32>(d.s32_min >> umin_val));
  d.s32_max = static_cast<s32>(static_cast<u32>(d.s32_max >> umin_val));
  d.var_off = d.var_off.subreg().arshift(static_cast<uint8_t>(umin_val), 32);
  d.u32_min = 0;
  d.u32_max = UINT32_MAX;
  mark_unbounded64(d);
  update_bounds(d);
}

void scalar64_arsh(RegState& d, const RegState& s) {
  const u64 umin_val = s.umin;
  d.smin >>= umin_val;
  d.smax >>= umin_val;
  d.var_off = d.var_off.arshift(static_cast<uint8_t>(umin_val), 64);
  d.umin = 0;
  d.umax = UINT64_MAX;
  mark_unbounded32(d);
  update_bounds(d);
}

}  // namespace

void scalar32_add(RegState& d, const RegState& s) {
  if (add_overflow(d.s32_min, s.s32_min, &d.s32_min) ||
      add_overflow(d.s32_max, s.s32_max, &d.s32_max)) {
    d.s32_min = INT32_MIN;
    d.s32_max = INT32_MAX;
  }
  const bool min_over = add_overflow(d.u32_min, s.u32_min, &d.u32_min);
  const bool max_over = add_overflow(d.u32_max, s.u32_max, &d.u32_max);
  if (!min_over && max_over) {
    d.u32_min = 0;
    d.u32_max = UINT32_MAX;
  }
}

void scalar64_add(RegState& d, const RegState& s) {
  if (add_overflow(d.smin, s.smin, &d.smin) || add_overflow(d.smax, s.smax, &d.smax)) {
    d.smin = INT64_MIN;
    d.smax = INT64_MAX;
  }
  const bool min_over = add_overflow(d.umin, s.umin, &d.umin);
  const bool max_over = add_overflow(d.umax, s.umax, &d.umax);
  if (!min_over && max_over) {
    d.umin = 0;
    d.umax = UINT64_MAX;
  }
}

bool scalar_range_computable(AluOp op, const RegState& src, bool alu32) {
  bool src_const;
  if (alu32)
    src_const =
        src.var_off.subreg_is_const() && src.s32_min == src.s32_max && src.u32_min == src.u32_max;
  else
    src_const = src.var_off.is_const() && src.smin == src.smax && src.umin == src.umax;
  switch (op) {
    case AluOp::kAdd:
    case AluOp::kSub:
    case AluOp::kNeg:
    case AluOp::kAnd:
    case AluOp::kXor:
    case AluOp::kOr:
    case AluOp::kMul:
      return true;
    case AluOp::kDiv:
    case AluOp::kSdiv:
    case AluOp::kMod:
    case AluOp::kSmod:
      // Linux (up to 6.18, the kernel ebpfaas is checked against) forgets
      // everything about a quotient or remainder; tracking them would accept
      // programs the kernel rejects. The range logic below is kept for when
      // the oracle moves on.
      (void)src_const;
      return kTrackDivMod && src_const;
    case AluOp::kLsh:
    case AluOp::kRsh:
    case AluOp::kArsh:
      return src_const && src.umax < (alu32 ? 32u : 64u);
  }
  return false;
}

void scalar_alu(RegState& d, const RegState& src, AluOp op, bool alu32) {
  switch (op) {
    case AluOp::kAdd:
      scalar32_add(d, src);
      scalar64_add(d, src);
      d.var_off = tnum_add(d.var_off, src.var_off);
      break;
    case AluOp::kSub:
      scalar32_sub(d, src);
      scalar64_sub(d, src);
      d.var_off = tnum_sub(d.var_off, src.var_off);
      break;
    case AluOp::kNeg: {
      const RegState old = d;
      mark_known(d, 0);
      scalar32_sub(d, old);
      scalar64_sub(d, old);
      d.var_off = tnum_neg(old.var_off);
      break;
    }
    case AluOp::kMul:
      d.var_off = tnum_mul(d.var_off, src.var_off);
      scalar32_mul(d, src);
      scalar64_mul(d, src);
      break;
    case AluOp::kDiv:
    case AluOp::kSdiv:
      // x / 0 == 0 in BPF.
      if ((alu32 && src.u32_min == 0) || (!alu32 && src.umin == 0)) {
        mark_known(d, 0);
        break;
      }
      if (alu32)
        op == AluOp::kSdiv ? scalar32_sdiv(d, src) : scalar32_udiv(d, src);
      else
        op == AluOp::kSdiv ? scalar64_sdiv(d, src) : scalar64_udiv(d, src);
      break;
    case AluOp::kMod:
    case AluOp::kSmod:
      // x % 0 == x in BPF.
      if ((alu32 && src.u32_min == 0) || (!alu32 && src.umin == 0)) break;
      if (alu32)
        op == AluOp::kSmod ? scalar32_smod(d, src) : scalar32_umod(d, src);
      else
        op == AluOp::kSmod ? scalar64_smod(d, src) : scalar64_umod(d, src);
      break;
    case AluOp::kAnd:
      d.var_off = tnum_and(d.var_off, src.var_off);
      scalar32_and(d, src);
      scalar64_and(d, src);
      break;
    case AluOp::kOr:
      d.var_off = tnum_or(d.var_off, src.var_off);
      scalar32_or(d, src);
      scalar64_or(d, src);
      break;
    case AluOp::kXor:
      d.var_off = tnum_xor(d.var_off, src.var_off);
      scalar32_xor(d, src);
      scalar64_xor(d, src);
      break;
    case AluOp::kLsh:
      alu32 ? scalar32_lsh(d, src) : scalar64_lsh(d, src);
      break;
    case AluOp::kRsh:
      alu32 ? scalar32_rsh(d, src) : scalar64_rsh(d, src);
      break;
    case AluOp::kArsh:
      alu32 ? scalar32_arsh(d, src) : scalar64_arsh(d, src);
      break;
  }
  if (alu32) zext_32_to_64(d);
  bounds_sync(d);
}

void scalar_byte_swap(RegState& d, bool swap, int bits) {
  if (swap) {
    d.var_off = bits == 16   ? tnum_bswap16(d.var_off)
                : bits == 32 ? tnum_bswap32(d.var_off)
                             : tnum_bswap64(d.var_off);
    mark_unbounded(d);
  }
  if (bits == 16 || bits == 32) coerce_to_size(d, bits / 8);
  bounds_sync(d);
}

}  // namespace ebpfaas::verifier
