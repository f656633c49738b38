// ALU instructions: scalar range tracking and the rules of pointer
// arithmetic (Linux's check_alu_op, adjust_reg_min_max_vals,
// adjust_ptr_min_max_vals).
#include <fmt/format.h>

#include "ebpf/opcode.h"
#include "verifier/env.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;
using ebpf::Op;

namespace {

constexpr int64_t kMaxVarOff = 1 << 29;  // BPF_MAX_VAR_OFF

// The binary operation an Op performs, and whether it is 32-bit.
bool alu_op_of(Op op, AluOp& out) {
  switch (op) {
#define CASE4(NAME, ALU) \
  case Op::NAME##32Imm:  \
  case Op::NAME##32Reg:  \
  case Op::NAME##64Imm:  \
  case Op::NAME##64Reg:  \
    out = AluOp::ALU;    \
    return true;
    CASE4(Add, kAdd)
    CASE4(Sub, kSub)
    CASE4(Mul, kMul)
    CASE4(Div, kDiv)
    CASE4(Sdiv, kSdiv)
    CASE4(Or, kOr)
    CASE4(And, kAnd)
    CASE4(Lsh, kLsh)
    CASE4(Rsh, kRsh)
    CASE4(Mod, kMod)
    CASE4(Smod, kSmod)
    CASE4(Xor, kXor)
    CASE4(Arsh, kArsh)
#undef CASE4
    default:
      return false;
  }
}

const char* alu_name(AluOp op) {
  switch (op) {
    case AluOp::kAdd:
      return "+=";
    case AluOp::kSub:
      return "-=";
    case AluOp::kMul:
      return "*=";
    case AluOp::kDiv:
    case AluOp::kSdiv:
      return "/=";
    case AluOp::kOr:
      return "|=";
    case AluOp::kAnd:
      return "&=";
    case AluOp::kLsh:
      return "<<=";
    case AluOp::kRsh:
      return ">>=";
    case AluOp::kMod:
    case AluOp::kSmod:
      return "%=";
    case AluOp::kXor:
      return "^=";
    case AluOp::kArsh:
      return "s>>=";
    case AluOp::kNeg:
      return "neg";
  }
  return "?";
}

bool fits_s32(int64_t v) {
  return v == static_cast<int64_t>(static_cast<int32_t>(v));
}

// Give a scalar an id before copying it, so that what is learned about the
// copy later also applies to the original (Linux's assign_scalar_id_before_mov).
void assign_scalar_id(RegState& src, uint32_t& id_gen) {
  if (src.is_scalar() && !src.id && !src.var_off.is_const()) src.id = ++id_gen;
}

void clear_link(RegState& r) {
  r.id = 0;
  r.add_const = false;
  r.off = 0;
}

}  // namespace

// Linux's check_reg_sane_offset: the offsets a pointer may carry.
static std::optional<std::string> sane_offset(const RegState& reg, RegType type) {
  const bool known = reg.var_off.is_const();
  const int64_t val = static_cast<int64_t>(reg.var_off.value);
  const int64_t smin = reg.smin;
  if (known && (val >= kMaxVarOff || val <= -kMaxVarOff))
    return fmt::format("math between {} pointer and {} is not allowed", reg_type_name(type), val);
  if (reg.type != RegType::kScalar && (reg.off >= kMaxVarOff || reg.off <= -kMaxVarOff))
    return fmt::format("{} pointer offset {} is not allowed", reg_type_name(type), reg.off);
  if (smin == INT64_MIN)
    return fmt::format(
        "math between {} pointer and register with unbounded min value is not allowed",
        reg_type_name(type));
  if (smin >= kMaxVarOff || smin <= -kMaxVarOff)
    return fmt::format("value {} makes {} pointer be out of bounds", smin, reg_type_name(type));
  return std::nullopt;
}

Env::Status Env::adjust_ptr_alu(const Instruction& in, int dst_regno, const RegState& ptr,
                                const RegState& off_reg, AluOp op, bool off_is_dst) {
  RegState& dst = regs()[dst_regno];
  const bool alu32 = in.info().width == 32;
  const bool known = off_reg.var_off.is_const();
  const int64_t smin_val = off_reg.smin, smax_val = off_reg.smax;
  const uint64_t umin_val = off_reg.umin, umax_val = off_reg.umax;
  const int64_t smin_ptr = ptr.smin, smax_ptr = ptr.smax;
  const uint64_t umin_ptr = ptr.umin, umax_ptr = ptr.umax;

  if ((known && (smin_val != smax_val || umin_val != umax_val)) || smin_val > smax_val ||
      umin_val > umax_val) {
    // Bounds from a dead branch: the result is meaningless, and harmless.
    mark_unknown(dst);
    return ok();
  }
  if (alu32)
    return reject(dst_regno, fmt::format("R{} 32-bit pointer arithmetic prohibited", dst_regno));
  switch (ptr.type) {
    case RegType::kMapValueOrNull:
      return reject(dst_regno,
                    fmt::format("R{} pointer arithmetic on {} prohibited, null-check it first",
                                dst_regno, reg_type_name(ptr.type)));
    case RegType::kCtx:
    case RegType::kMapValue:
    case RegType::kStack:
    case RegType::kPacket:
    case RegType::kPacketMeta:
      break;
    case RegType::kMapPtr:
      if (known && smin_val == 0 && op == AluOp::kAdd) break;
      [[fallthrough]];
    default:
      return reject(dst_regno, fmt::format("R{} pointer arithmetic on {} prohibited", dst_regno,
                                           reg_type_name(ptr.type)));
  }
  if (auto e = sane_offset(off_reg, ptr.type)) return reject(dst_regno, *e);
  if (auto e = sane_offset(ptr, ptr.type)) return reject(dst_regno, *e);

  RegState out = ptr;  // type, id, range, map, frame
  mark_unbounded32(out);
  switch (op) {
    case AluOp::kAdd:
      if (known && fits_s32(static_cast<int64_t>(ptr.off) + smin_val)) {
        // pointer += K: the constant joins the fixed offset.
        out.off = static_cast<int32_t>(ptr.off + smin_val);
        break;
      }
      if (__builtin_add_overflow(smin_ptr, smin_val, &out.smin) ||
          __builtin_add_overflow(smax_ptr, smax_val, &out.smax)) {
        out.smin = INT64_MIN;
        out.smax = INT64_MAX;
      }
      if (umin_ptr + umin_val < umin_ptr || umax_ptr + umax_val < umax_ptr) {
        out.umin = 0;
        out.umax = UINT64_MAX;
      } else {
        out.umin = umin_ptr + umin_val;
        out.umax = umax_ptr + umax_val;
      }
      out.var_off = tnum_add(ptr.var_off, off_reg.var_off);
      if (ptr.is_packet()) {
        // A new variable part: a new base whose range is not known yet.
        out.id = new_id();
        out.range = 0;
      }
      break;
    case AluOp::kSub:
      if (off_is_dst)
        return reject(dst_regno,
                      fmt::format("R{} tried to subtract pointer from scalar", dst_regno));
      if (ptr.type == RegType::kStack)
        return reject(dst_regno,
                      fmt::format("R{} subtraction from stack pointer prohibited", dst_regno));
      if (known && fits_s32(static_cast<int64_t>(ptr.off) - smin_val)) {
        out.off = static_cast<int32_t>(ptr.off - smin_val);
        break;
      }
      if (__builtin_sub_overflow(smin_ptr, smax_val, &out.smin) ||
          __builtin_sub_overflow(smax_ptr, smin_val, &out.smax)) {
        out.smin = INT64_MIN;
        out.smax = INT64_MAX;
      }
      if (umin_ptr < umax_val) {
        out.umin = 0;
        out.umax = UINT64_MAX;
      } else {
        out.umin = umin_ptr - umax_val;
        out.umax = umax_ptr - umin_val;
      }
      out.var_off = tnum_sub(ptr.var_off, off_reg.var_off);
      if (ptr.is_packet()) {
        out.id = new_id();
        // Subtracting a known non-negative amount keeps the checked range valid.
        if (smin_val < 0) out.range = 0;
      }
      break;
    case AluOp::kAnd:
    case AluOp::kOr:
    case AluOp::kXor:
      return reject(dst_regno, fmt::format("R{} bitwise operator {} on pointer prohibited",
                                           dst_regno, alu_name(op)));
    default:
      return reject(dst_regno, fmt::format("R{} pointer arithmetic with {} operator prohibited",
                                           dst_regno, alu_name(op)));
  }
  if (auto e = sane_offset(out, ptr.type)) return reject(dst_regno, *e);
  bounds_sync(out);
  dst = out;
  return ok();
}

Env::Status Env::check_alu(const Instruction& in) {
  RegState* r = regs();
  const int d = in.dst, s = in.src;
  const bool alu32 = in.info().width == 32;
  const bool reg_src = in.info().reg_source;

  switch (in.op) {
    case Op::Neg32:
    case Op::Neg64: {
      if (auto e = check_reg_read(d)) return e;
      if (r[d].is_pointer()) return reject(d, fmt::format("R{} pointer arithmetic prohibited", d));
      scalar_alu(r[d], r[d], AluOp::kNeg, alu32);
      clear_link(r[d]);
      return ok();
    }
    case Op::Le16:
    case Op::Le32:
    case Op::Le64:
    case Op::Be16:
    case Op::Be32:
    case Op::Be64:
    case Op::Bswap16:
    case Op::Bswap32:
    case Op::Bswap64: {
      if (auto e = check_reg_read(d)) return e;
      if (r[d].is_pointer()) return reject(d, fmt::format("R{} pointer arithmetic prohibited", d));
      const bool swap = !(in.op == Op::Le16 || in.op == Op::Le32 || in.op == Op::Le64);
      scalar_byte_swap(r[d], swap, in.info().width);
      clear_link(r[d]);
      return ok();
    }
    case Op::Mov64Imm:
      mark_const(r[d], static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
      return ok();
    case Op::Mov32Imm:
      mark_const(r[d], static_cast<uint32_t>(in.imm));
      return ok();
    case Op::Mov64Reg:
      if (auto e = check_reg_read(s)) return e;
      assign_scalar_id(r[s], id_gen_);
      r[d] = r[s];
      return ok();
    case Op::MovSx8To64:
    case Op::MovSx16To64:
    case Op::MovSx32To64: {
      if (auto e = check_reg_read(s)) return e;
      const int bits = in.op == Op::MovSx8To64 ? 8 : in.op == Op::MovSx16To64 ? 16 : 32;
      if (r[s].is_pointer()) return reject(s, fmt::format("R{} sign-extension part of pointer", s));
      const bool no_sext = r[s].umax < (1ull << (bits - 1));
      if (no_sext) assign_scalar_id(r[s], id_gen_);
      r[d] = r[s];
      if (!no_sext) clear_link(r[d]);
      coerce_to_size_sx(r[d], bits / 8);
      return ok();
    }
    case Op::Mov32Reg:
    case Op::MovSx8To32:
    case Op::MovSx16To32: {
      if (auto e = check_reg_read(s)) return e;
      if (r[s].is_pointer()) return reject(s, fmt::format("R{} partial copy of pointer", s));
      if (in.op == Op::Mov32Reg) {
        const bool fits = reg_width(r[s]) <= 32;
        if (fits) assign_scalar_id(r[s], id_gen_);
        r[d] = r[s];
        if (!fits) clear_link(r[d]);
      } else {
        const int bits = in.op == Op::MovSx8To32 ? 8 : 16;
        const bool no_sext = r[s].umax < (1ull << (bits - 1));
        if (no_sext) assign_scalar_id(r[s], id_gen_);
        r[d] = r[s];
        if (!no_sext) clear_link(r[d]);
        coerce_subreg_to_size_sx(r[d], bits / 8);
      }
      if (r[d].add_const) clear_link(r[d]);
      zext_32_to_64(r[d]);
      bounds_sync(r[d]);
      return ok();
    }
    default:
      break;
  }

  AluOp op;
  if (!alu_op_of(in.op, op))
    return reject(-1, fmt::format("invalid BPF_ALU opcode {}", in.info().name));
  if (reg_src)
    if (auto e = check_reg_read(s)) return e;
  if (auto e = check_reg_read(d)) return e;
  if (!reg_src) {
    if ((op == AluOp::kDiv || op == AluOp::kSdiv || op == AluOp::kMod || op == AluOp::kSmod) &&
        in.imm == 0)
      return reject(-1, "div by zero");
    if ((op == AluOp::kLsh || op == AluOp::kRsh || op == AluOp::kArsh) &&
        (in.imm < 0 || in.imm >= (alu32 ? 32 : 64)))
      return reject(-1, fmt::format("invalid shift {}", in.imm));
  }

  RegState src;
  if (reg_src) {
    src = r[s];
  } else {
    mark_const(src, static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
  }
  RegState& dst = r[d];
  if (reg_src && src.is_pointer()) {
    if (dst.is_pointer()) {
      // Only the distance between two pointers into the packet is allowed:
      // it is a length, not an address.
      if (op == AluOp::kSub && !alu32 && dst.is_packet_any() && src.is_packet_any()) {
        mark_unknown(dst);
        return ok();
      }
      return reject(d, fmt::format("R{} pointer {} pointer prohibited", d, alu_name(op)));
    }
    const RegState off = dst;
    return adjust_ptr_alu(in, d, src, off, op, true);
  }
  if (dst.is_pointer()) {
    const RegState ptr = dst;
    return adjust_ptr_alu(in, d, ptr, src, op, false);
  }

  // scalar op= scalar
  const bool had_id = dst.id != 0;
  const bool had_add_const = dst.add_const;
  if (!scalar_range_computable(op, src, alu32)) {
    mark_unknown(dst);
    return ok();
  }
  const uint32_t keep_id = dst.id;
  scalar_alu(dst, src, op, alu32);
  // r1 = r2; r1 += K: remember the delta so that bounds learned about r2
  // later carry over to r1 (Linux's linked registers).
  if (op == AluOp::kAdd && !alu32 && had_id && src.var_off.is_const()) {
    const uint64_t val = src.var_off.value;
    if (had_add_const || val > static_cast<uint64_t>(INT32_MAX)) {
      clear_link(dst);
    } else {
      dst.id = keep_id;
      dst.add_const = true;
      dst.off = static_cast<int32_t>(val);
    }
  } else {
    clear_link(dst);
  }
  if (!bounds_sane(dst)) {
    // Linux resets a register whose bounds contradict themselves (only
    // possible on a path that cannot run).
    mark_unbounded(dst);
    dst.var_off = Tnum::unknown();
  }
  return ok();
}

}  // namespace ebpfaas::verifier
