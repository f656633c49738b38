#include "verifier/reg_state.h"

#include <fmt/format.h>

#include <algorithm>

namespace ebpfaas::verifier {

const char* reg_type_name(RegType t) {
  switch (t) {
    case RegType::kNotInit:
      return "?";
    case RegType::kScalar:
      return "scalar";
    case RegType::kCtx:
      return "ctx";
    case RegType::kPacket:
      return "pkt";
    case RegType::kPacketMeta:
      return "pkt_meta";
    case RegType::kPacketEnd:
      return "pkt_end";
    case RegType::kStack:
      return "fp";
    case RegType::kMapPtr:
      return "map_ptr";
    case RegType::kMapValue:
      return "map_value";
    case RegType::kMapValueOrNull:
      return "map_value_or_null";
  }
  return "?";
}

// ---- constructors ---------------------------------------------------------------

void mark_unbounded64(RegState& r) {
  r.smin = INT64_MIN;
  r.smax = INT64_MAX;
  r.umin = 0;
  r.umax = UINT64_MAX;
}

void mark_unbounded32(RegState& r) {
  r.s32_min = INT32_MIN;
  r.s32_max = INT32_MAX;
  r.u32_min = 0;
  r.u32_max = UINT32_MAX;
}

void mark_unbounded(RegState& r) {
  mark_unbounded64(r);
  mark_unbounded32(r);
}

void mark_known(RegState& r, uint64_t v) {
  r.var_off = Tnum::constant(v);
  r.smin = r.smax = static_cast<int64_t>(v);
  r.umin = r.umax = v;
  r.s32_min = r.s32_max = static_cast<int32_t>(static_cast<uint32_t>(v));
  r.u32_min = r.u32_max = static_cast<uint32_t>(v);
}

void mark_known32(RegState& r, uint64_t v) {
  r.var_off = r.var_off.with_subreg(Tnum::constant(v));
  r.s32_min = r.s32_max = static_cast<int32_t>(static_cast<uint32_t>(v));
  r.u32_min = r.u32_max = static_cast<uint32_t>(v);
}

void mark_unknown(RegState& r) {
  r = RegState{};
  r.type = RegType::kScalar;
}

void mark_not_init(RegState& r) {
  r = RegState{};
}

void mark_const(RegState& r, uint64_t v) {
  r = RegState{};
  r.type = RegType::kScalar;
  mark_known(r, v);
}

// ---- bounds ---------------------------------------------------------------------

namespace {

void update_bounds32(RegState& r) {
  const Tnum t = r.var_off.subreg();
  // Signed minimum: the sign bit set if it may be, other bits at their minimum.
  r.s32_min = std::max(
      r.s32_min, static_cast<int32_t>(static_cast<uint32_t>(t.value | (t.mask & 0x80000000ull))));
  r.s32_max = std::min(
      r.s32_max, static_cast<int32_t>(static_cast<uint32_t>(t.value | (t.mask & 0x7fffffffull))));
  r.u32_min = std::max(r.u32_min, static_cast<uint32_t>(t.value));
  r.u32_max = std::min(r.u32_max, static_cast<uint32_t>(t.value | t.mask));
}

void update_bounds64(RegState& r) {
  const Tnum t = r.var_off;
  r.smin = std::max(r.smin, static_cast<int64_t>(t.value | (t.mask & (1ull << 63))));
  r.smax = std::min(r.smax, static_cast<int64_t>(t.value | (t.mask & ~(1ull << 63))));
  r.umin = std::max(r.umin, t.value);
  r.umax = std::min(r.umax, t.value | t.mask);
}

using s32 = int32_t;
using u32 = uint32_t;
using s64 = int64_t;
using u64 = uint64_t;

void deduce_bounds32(RegState& r) {
  // The low 32 bits of a 64-bit range form a range when the upper 32 bits
  // are the same throughout.
  if ((r.umin >> 32) == (r.umax >> 32)) {
    r.u32_min = std::max(r.u32_min, static_cast<u32>(r.umin));
    r.u32_max = std::min(r.u32_max, static_cast<u32>(r.umax));
    if (static_cast<s32>(r.umin) <= static_cast<s32>(r.umax)) {
      r.s32_min = std::max(r.s32_min, static_cast<s32>(r.umin));
      r.s32_max = std::min(r.s32_max, static_cast<s32>(r.umax));
    }
  }
  if ((r.smin >> 32) == (r.smax >> 32)) {
    if (static_cast<u32>(r.smin) <= static_cast<u32>(r.smax)) {
      r.u32_min = std::max(r.u32_min, static_cast<u32>(r.smin));
      r.u32_max = std::min(r.u32_max, static_cast<u32>(r.smax));
    }
    if (static_cast<s32>(r.smin) <= static_cast<s32>(r.smax)) {
      r.s32_min = std::max(r.s32_min, static_cast<s32>(r.smin));
      r.s32_max = std::min(r.s32_max, static_cast<s32>(r.smax));
    }
  }
  // Upper halves two consecutive numbers while the low halves cross from
  // negative to positive: still a valid s32 range.
  if (static_cast<u32>(r.umin >> 32) + 1 == static_cast<u32>(r.umax >> 32) &&
      static_cast<s32>(r.umin) < 0 && static_cast<s32>(r.umax) >= 0) {
    r.s32_min = std::max(r.s32_min, static_cast<s32>(r.umin));
    r.s32_max = std::min(r.s32_max, static_cast<s32>(r.umax));
  }
  if (static_cast<u32>(static_cast<u64>(r.smin) >> 32) + 1 ==
          static_cast<u32>(static_cast<u64>(r.smax) >> 32) &&
      static_cast<s32>(r.smin) < 0 && static_cast<s32>(r.smax) >= 0) {
    r.s32_min = std::max(r.s32_min, static_cast<s32>(r.smin));
    r.s32_max = std::min(r.s32_max, static_cast<s32>(r.smax));
  }
  // A u32 range that does not cross the sign bit is also an s32 range...
  if (static_cast<s32>(r.u32_min) <= static_cast<s32>(r.u32_max)) {
    r.s32_min = std::max(r.s32_min, static_cast<s32>(r.u32_min));
    r.s32_max = std::min(r.s32_max, static_cast<s32>(r.u32_max));
  }
  // ...and the other way round.
  if (static_cast<u32>(r.s32_min) <= static_cast<u32>(r.s32_max)) {
    r.u32_min = std::max(static_cast<u32>(r.s32_min), r.u32_min);
    r.u32_max = std::min(static_cast<u32>(r.s32_max), r.u32_max);
  }
}

void deduce_bounds64(RegState& r) {
  if (static_cast<s64>(r.umin) <= static_cast<s64>(r.umax)) {
    r.smin = std::max(r.smin, static_cast<s64>(r.umin));
    r.smax = std::min(r.smax, static_cast<s64>(r.umax));
  }
  if (static_cast<u64>(r.smin) <= static_cast<u64>(r.smax)) {
    r.umin = std::max(static_cast<u64>(r.smin), r.umin);
    r.umax = std::min(static_cast<u64>(r.smax), r.umax);
  } else {
    // The s64 range wraps through the sign boundary: it is two u64 pieces.
    // When the u64 range overlaps only one of them, both tighten.
    if (r.umax < static_cast<u64>(r.smin)) {
      r.smin = static_cast<s64>(r.umin);
      r.umax = std::min(r.umax, static_cast<u64>(r.smax));
    } else if (static_cast<u64>(r.smax) < r.umin) {
      r.smax = static_cast<s64>(r.umax);
      r.umin = std::max(r.umin, static_cast<u64>(r.smin));
    }
  }
}

void deduce_mixed_bounds(RegState& r) {
  // Tighten 64-bit bounds with the 32-bit ones, substituting the low halves.
  const u64 new_umin = (r.umin & ~0xffffffffull) | r.u32_min;
  const u64 new_umax = (r.umax & ~0xffffffffull) | r.u32_max;
  r.umin = std::max(r.umin, new_umin);
  r.umax = std::min(r.umax, new_umax);
  const s64 new_smin = static_cast<s64>((static_cast<u64>(r.smin) & ~0xffffffffull) | r.u32_min);
  const s64 new_smax = static_cast<s64>((static_cast<u64>(r.smax) & ~0xffffffffull) | r.u32_max);
  r.smin = std::max(r.smin, new_smin);
  r.smax = std::min(r.smax, new_smax);
  // After a sign-extending load: a 64-bit range within [S32_MIN, S32_MAX]
  // whose low half is non-negative cannot have its upper half all ones.
  if (r.s32_min >= 0 && r.smin >= INT32_MIN && r.smax <= INT32_MAX) {
    r.smin = r.s32_min;
    r.smax = r.s32_max;
    r.umin = static_cast<u64>(static_cast<s64>(r.s32_min));
    r.umax = static_cast<u64>(static_cast<s64>(r.s32_max));
    r.var_off =
        tnum_intersect(r.var_off, Tnum::range(static_cast<u64>(r.smin), static_cast<u64>(r.smax)));
  }
}

}  // namespace

void update_bounds(RegState& r) {
  update_bounds32(r);
  update_bounds64(r);
}

void deduce_bounds(RegState& r) {
  deduce_bounds32(r);
  deduce_bounds64(r);
  deduce_mixed_bounds(r);
}

void bound_offset(RegState& r) {
  const Tnum var64 = tnum_intersect(r.var_off, Tnum::range(r.umin, r.umax));
  const Tnum var32 = tnum_intersect(var64.subreg(), Tnum::range(r.u32_min, r.u32_max));
  r.var_off = tnum_or(var64.clear_subreg(), var32);
}

void bounds_sync(RegState& r) {
  update_bounds(r);
  deduce_bounds(r);
  deduce_bounds(r);
  deduce_bounds(r);
  bound_offset(r);
  update_bounds(r);
}

bool bounds_sane(const RegState& r) {
  if (r.umin > r.umax || r.smin > r.smax || r.u32_min > r.u32_max || r.s32_min > r.s32_max)
    return false;
  if (r.var_off.is_const()) {
    const u64 v = r.var_off.value;
    if (r.umin != v || r.umax != v || r.smin != static_cast<s64>(v) ||
        r.smax != static_cast<s64>(v))
      return false;
  }
  if (r.var_off.subreg_is_const()) {
    const u32 v = static_cast<u32>(r.var_off.value);
    if (r.u32_min != v || r.u32_max != v || r.s32_min != static_cast<s32>(v) ||
        r.s32_max != static_cast<s32>(v))
      return false;
  }
  return true;
}

void zext_32_to_64(RegState& r) {
  r.var_off = r.var_off.subreg();
  r.umin = r.u32_min;
  r.umax = r.u32_max;
  // The s32 bounds carry over only when both are non-negative.
  if (r.s32_min >= 0 && r.s32_max >= 0) {
    r.smin = r.s32_min;
    r.smax = r.s32_max;
  } else {
    r.smin = 0;
    r.smax = UINT32_MAX;
  }
}

void coerce_to_size(RegState& r, int size) {
  r.var_off = r.var_off.cast(size);
  const u64 mask = (1ull << (size * 8)) - 1;
  if ((r.umin & ~mask) == (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0;
    r.umax = mask;
  }
  r.smin = static_cast<s64>(r.umin);
  r.smax = static_cast<s64>(r.umax);
  if (size < 4) mark_unbounded32(r);
  bounds_sync(r);
}

namespace {

s64 sext(u64 v, int size) {
  switch (size) {
    case 1:
      return static_cast<int8_t>(v);
    case 2:
      return static_cast<int16_t>(v);
    default:
      return static_cast<int32_t>(v);
  }
}

}  // namespace

void coerce_to_size_sx(RegState& r, int size) {
  if (r.var_off.is_const()) {
    const u64 v = static_cast<u64>(sext(r.var_off.value, size));
    r.var_off = Tnum::constant(v);
    r.smin = r.smax = static_cast<s64>(v);
    r.umin = r.umax = v;
    r.s32_min = r.s32_max = static_cast<s32>(v);
    r.u32_min = r.u32_max = static_cast<u32>(v);
    return;
  }
  const int bits = size * 8;
  const u64 top_smax = (static_cast<u64>(r.smax) >> bits) << bits;
  const u64 top_smin = (static_cast<u64>(r.smin) >> bits) << bits;
  if (top_smax == top_smin) {
    const s64 a = sext(static_cast<u64>(r.smax), size), b = sext(static_cast<u64>(r.smin), size);
    const s64 hi = std::max(a, b), lo = std::min(a, b);
    if ((hi >= 0) == (lo >= 0)) {
      r.smin = lo;
      r.smax = hi;
      r.s32_min = static_cast<s32>(lo);
      r.s32_max = static_cast<s32>(hi);
      r.umin = static_cast<u64>(lo);
      r.umax = static_cast<u64>(hi);
      r.u32_min = static_cast<u32>(lo);
      r.u32_max = static_cast<u32>(hi);
      r.var_off = Tnum::range(static_cast<u64>(lo), static_cast<u64>(hi));
      return;
    }
  }
  // Linux's set_sext64_default_val.
  if (size == 1) {
    r.smin = r.s32_min = INT8_MIN;
    r.smax = r.s32_max = INT8_MAX;
  } else if (size == 2) {
    r.smin = r.s32_min = INT16_MIN;
    r.smax = r.s32_max = INT16_MAX;
  } else {
    r.smin = r.s32_min = INT32_MIN;
    r.smax = r.s32_max = INT32_MAX;
  }
  r.umin = 0;
  r.u32_min = 0;
  r.umax = UINT64_MAX;
  r.u32_max = UINT32_MAX;
  r.var_off = Tnum::unknown();
}

void coerce_subreg_to_size_sx(RegState& r, int size) {
  if (r.var_off.is_const()) {
    const u32 v = static_cast<u32>(static_cast<s32>(sext(r.var_off.value, size)));
    r.var_off = Tnum::constant(static_cast<u64>(sext(r.var_off.value, size)));
    r.s32_min = r.s32_max = static_cast<s32>(v);
    r.u32_min = r.u32_max = v;
    return;
  }
  const int bits = size * 8;
  const u32 top_smax = (static_cast<u32>(r.s32_max) >> bits) << bits;
  const u32 top_smin = (static_cast<u32>(r.s32_min) >> bits) << bits;
  if (top_smax == top_smin) {
    const s32 a = static_cast<s32>(sext(static_cast<u32>(r.s32_max), size));
    const s32 b = static_cast<s32>(sext(static_cast<u32>(r.s32_min), size));
    const s32 hi = std::max(a, b), lo = std::min(a, b);
    if ((lo >= 0) == (hi >= 0)) {
      r.s32_min = lo;
      r.s32_max = hi;
      r.u32_min = static_cast<u32>(lo);
      r.u32_max = static_cast<u32>(hi);
      r.var_off = Tnum::range(static_cast<u32>(lo), static_cast<u32>(hi));
      return;
    }
  }
  if (size == 1) {
    r.s32_min = INT8_MIN;
    r.s32_max = INT8_MAX;
  } else {
    r.s32_min = INT16_MIN;
    r.s32_max = INT16_MAX;
  }
  r.u32_min = 0;
  r.u32_max = UINT32_MAX;
  r.var_off = Tnum::unknown().subreg();
}

int reg_width(const RegState& r) {
  return r.umax == 0 ? 0 : 64 - __builtin_clzll(r.umax);
}

bool range_within(const RegState& o, const RegState& c) {
  return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
         o.u32_min <= c.u32_min && o.u32_max >= c.u32_max && o.s32_min <= c.s32_min &&
         o.s32_max >= c.s32_max;
}

// ---- printing -------------------------------------------------------------------

namespace {

std::string scalar_str(const RegState& r) {
  if (r.var_off.is_const()) return fmt::format("{}", static_cast<s64>(r.var_off.value));
  std::string s;
  auto add = [&](std::string item) {
    if (!s.empty()) s += ',';
    s += item;
  };
  if (r.id) add(fmt::format("id={}{}", r.id, r.add_const ? fmt::format("+{}", r.off) : ""));
  // Print only what is not implied by something else, like Linux does.
  if (r.smin != INT64_MIN && static_cast<u64>(r.smin) != r.umin)
    add(fmt::format("smin={}", r.smin));
  if (r.smax != INT64_MAX && static_cast<u64>(r.smax) != r.umax)
    add(fmt::format("smax={}", r.smax));
  if (r.umin != 0) add(fmt::format("umin={}", r.umin));
  if (r.umax != UINT64_MAX) add(fmt::format("umax={}", r.umax));
  if (r.s32_min != INT32_MIN && static_cast<u32>(r.s32_min) != r.u32_min)
    add(fmt::format("smin32={}", r.s32_min));
  if (r.s32_max != INT32_MAX && static_cast<u32>(r.s32_max) != r.u32_max)
    add(fmt::format("smax32={}", r.s32_max));
  if (r.u32_min != 0 && r.u32_min != r.umin) add(fmt::format("umin32={}", r.u32_min));
  if (r.u32_max != UINT32_MAX && r.u32_max != r.umax) add(fmt::format("umax32={}", r.u32_max));
  if (!r.var_off.is_unknown()) add(fmt::format("var_off={}", r.var_off.str()));
  return fmt::format("scalar({})", s);
}

}  // namespace

std::string RegState::str() const {
  switch (type) {
    case RegType::kNotInit:
      return "?";
    case RegType::kScalar:
      return scalar_str(*this);
    case RegType::kStack:
      if (var_off.is_const()) {
        const s64 o = off + static_cast<s64>(var_off.value);
        return frameno ? fmt::format("fp[{}]{}", frameno, o) : fmt::format("fp{}", o);
      }
      break;
    default:
      break;
  }
  std::string s;
  auto add = [&](std::string item) {
    if (!s.empty()) s += ',';
    s += item;
  };
  if (id) add(fmt::format("id={}", id));
  if (off) add(fmt::format("off={}", off));
  if (is_packet()) add(fmt::format("r={}", range));
  if (!var_off.equals_const(0)) {
    RegState scalar = *this;
    scalar.type = RegType::kScalar;
    scalar.id = 0;
    scalar.add_const = false;
    add(fmt::format("var={}", scalar_str(scalar)));
  }
  if (type == RegType::kStack && frameno) add(fmt::format("frame={}", frameno));
  if (map_index >= 0) add(fmt::format("map={}", map_index));
  return fmt::format("{}({})", reg_type_name(type), s);
}

}  // namespace ebpfaas::verifier
