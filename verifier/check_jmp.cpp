// Conditional jumps: which way a branch can go, and what each side learns
// about the registers compared (Linux's check_cond_jmp_op, is_branch_taken,
// reg_set_min_max, find_good_pkt_pointers, mark_ptr_or_null_regs).
#include <fmt/format.h>

#include <algorithm>

#include "ebpf/opcode.h"
#include "verifier/env.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;
using ebpf::Op;

namespace {

enum Cond : int {
  kJeq,
  kJgt,
  kJge,
  kJset,
  kJne,
  kJsgt,
  kJsge,
  kJlt,
  kJle,
  kJslt,
  kJsle,
  kJnset,  // the false side of jset (Linux: BPF_JSET | BPF_X)
};

Cond cond_of(Op op) {
  // Ops come in groups of four (64 imm, 64 reg, 32 imm, 32 reg) in EBPFAAS_JMP_CONDS order.
  return static_cast<Cond>((static_cast<int>(op) - static_cast<int>(Op::Jeq64Imm)) / 4);
}

Cond flip(Cond c) {  // a op b  <=>  b flip(op) a
  switch (c) {
    case kJge:
      return kJle;
    case kJgt:
      return kJlt;
    case kJle:
      return kJge;
    case kJlt:
      return kJgt;
    case kJsge:
      return kJsle;
    case kJsgt:
      return kJslt;
    case kJsle:
      return kJsge;
    case kJslt:
      return kJsgt;
    default:
      return c;
  }
}

Cond reverse(Cond c) {  // the condition of the false branch
  switch (c) {
    case kJeq:
      return kJne;
    case kJne:
      return kJeq;
    case kJset:
      return kJnset;
    case kJnset:
      return kJset;
    case kJge:
      return kJlt;
    case kJgt:
      return kJle;
    case kJle:
      return kJgt;
    case kJlt:
      return kJge;
    case kJsge:
      return kJslt;
    case kJsgt:
      return kJsle;
    case kJsle:
      return kJsgt;
    case kJslt:
      return kJsge;
  }
  return c;
}

// 1: taken, 0: not taken, -1: unknown. Both scalars.
int scalar_branch_taken(const RegState& r1, const RegState& r2, Cond op, bool is32, bool same) {
  const Tnum t1 = is32 ? r1.var_off.subreg() : r1.var_off;
  const Tnum t2 = is32 ? r2.var_off.subreg() : r2.var_off;
  const uint64_t umin1 = is32 ? r1.u32_min : r1.umin, umax1 = is32 ? r1.u32_max : r1.umax;
  const int64_t smin1 = is32 ? r1.s32_min : r1.smin, smax1 = is32 ? r1.s32_max : r1.smax;
  const uint64_t umin2 = is32 ? r2.u32_min : r2.umin, umax2 = is32 ? r2.u32_max : r2.umax;
  const int64_t smin2 = is32 ? r2.s32_min : r2.smin, smax2 = is32 ? r2.s32_max : r2.smax;

  if (same) {
    switch (op) {
      case kJge:
      case kJle:
      case kJsge:
      case kJsle:
      case kJeq:
        return 1;
      case kJgt:
      case kJlt:
      case kJsgt:
      case kJslt:
      case kJne:
        return 0;
      case kJset:
        if (t1.is_const()) return t1.value != 0;
        return (smin1 <= 0 && smax1 >= 0) ? -1 : 1;
      default:
        return -1;
    }
  }
  switch (op) {
    case kJeq:
    case kJne: {
      const int differ = op == kJeq ? 0 : 1;
      if (t1.is_const() && t2.is_const()) return (t1.value == t2.value) ? 1 - differ : differ;
      if (!tnum_overlap(t1, t2)) return differ;
      if (umin1 > umax2 || umax1 < umin2) return differ;
      if (smin1 > smax2 || smax1 < smin2) return differ;
      if (!is32) {
        if (r1.u32_min > r2.u32_max || r1.u32_max < r2.u32_min) return differ;
        if (r1.s32_min > r2.s32_max || r1.s32_max < r2.s32_min) return differ;
      }
      return -1;
    }
    case kJset: {
      const RegState* a = &r1;
      const RegState* b = &r2;
      Tnum ta = t1, tb = t2;
      if (!b->is_const_in(is32)) {
        std::swap(a, b);
        std::swap(ta, tb);
      }
      if (!b->is_const_in(is32)) return -1;
      if ((~ta.mask & ta.value) & tb.value) return 1;
      if (!((ta.mask | ta.value) & tb.value)) return 0;
      return -1;
    }
    case kJgt:
      if (umin1 > umax2) return 1;
      if (umax1 <= umin2) return 0;
      return -1;
    case kJsgt:
      if (smin1 > smax2) return 1;
      if (smax1 <= smin2) return 0;
      return -1;
    case kJlt:
      if (umax1 < umin2) return 1;
      if (umin1 >= umax2) return 0;
      return -1;
    case kJslt:
      if (smax1 < smin2) return 1;
      if (smin1 >= smax2) return 0;
      return -1;
    case kJge:
      if (umin1 >= umax2) return 1;
      if (umax1 < umin2) return 0;
      return -1;
    case kJsge:
      if (smin1 >= smax2) return 1;
      if (smax1 < smin2) return 0;
      return -1;
    case kJle:
      if (umax1 <= umin2) return 1;
      if (umin1 > umax2) return 0;
      return -1;
    case kJsle:
      if (smax1 <= smin2) return 1;
      if (smin1 > smax2) return 0;
      return -1;
    default:
      return -1;
  }
}

int packet_branch_taken(const RegState& dst, const RegState& src, Cond op) {
  const RegState* pkt;
  if (src.type == RegType::kPacketEnd) {
    pkt = &dst;
  } else if (dst.type == RegType::kPacketEnd) {
    pkt = &src;
    op = flip(op);
  } else {
    return -1;
  }
  if (pkt->range >= 0) return -1;
  switch (op) {
    case kJle:
    case kJgt:
      if (pkt->range == kBeyondPacketEnd) return op == kJgt;
      break;
    case kJlt:
    case kJge:
      if (pkt->range == kBeyondPacketEnd || pkt->range == kAtPacketEnd) return op == kJge;
      break;
    default:
      break;
  }
  return -1;
}

int branch_taken(const RegState& r1, const RegState& r2, Cond op, bool is32, bool same) {
  if (r1.is_packet_any() && r2.is_packet_any() && !is32) return packet_branch_taken(r1, r2, op);
  if (r1.is_pointer() || r2.is_pointer()) {
    const RegState* ptr = &r1;
    const RegState* val = &r2;
    if (!val->is_const_in(is32)) {
      op = flip(op);
      std::swap(ptr, val);
    }
    if (!val->is_const_in(is32) || !val->is_scalar()) return -1;
    // Only map values are known not to be NULL.
    if (ptr->type != RegType::kMapValue) return -1;
    if (val->const_value_in(is32) != 0) return -1;
    if (op == kJeq) return 0;
    if (op == kJne) return 1;
    return -1;
  }
  return scalar_branch_taken(r1, r2, op, is32, same);
}

void refine(RegState* r1, RegState* r2, Cond op, bool is32) {
  switch (op) {
    case kJge:
    case kJgt:
    case kJsge:
    case kJsgt:
      op = flip(op);
      std::swap(r1, r2);
      break;
    default:
      break;
  }
  switch (op) {
    case kJeq:
      if (is32) {
        r1->u32_min = std::max(r1->u32_min, r2->u32_min);
        r1->u32_max = std::min(r1->u32_max, r2->u32_max);
        r1->s32_min = std::max(r1->s32_min, r2->s32_min);
        r1->s32_max = std::min(r1->s32_max, r2->s32_max);
        r2->u32_min = r1->u32_min;
        r2->u32_max = r1->u32_max;
        r2->s32_min = r1->s32_min;
        r2->s32_max = r1->s32_max;
        const Tnum t = tnum_intersect(r1->var_off.subreg(), r2->var_off.subreg());
        r1->var_off = r1->var_off.with_subreg(t);
        r2->var_off = r2->var_off.with_subreg(t);
      } else {
        r1->umin = std::max(r1->umin, r2->umin);
        r1->umax = std::min(r1->umax, r2->umax);
        r1->smin = std::max(r1->smin, r2->smin);
        r1->smax = std::min(r1->smax, r2->smax);
        r2->umin = r1->umin;
        r2->umax = r1->umax;
        r2->smin = r1->smin;
        r2->smax = r1->smax;
        r1->var_off = tnum_intersect(r1->var_off, r2->var_off);
        r2->var_off = r1->var_off;
      }
      break;
    case kJne: {
      if (!r2->is_const_in(is32)) std::swap(r1, r2);
      if (!r2->is_const_in(is32)) break;
      // A constant at the edge of the other range shrinks it.
      const uint64_t val = r2->const_value_in(is32);
      if (is32) {
        if (r1->u32_min == static_cast<uint32_t>(val)) ++r1->u32_min;
        if (r1->u32_max == static_cast<uint32_t>(val)) --r1->u32_max;
        if (r1->s32_min == static_cast<int32_t>(val)) ++r1->s32_min;
        if (r1->s32_max == static_cast<int32_t>(val)) --r1->s32_max;
      } else {
        if (r1->umin == val) ++r1->umin;
        if (r1->umax == val) --r1->umax;
        if (r1->smin == static_cast<int64_t>(val)) ++r1->smin;
        if (r1->smax == static_cast<int64_t>(val)) --r1->smax;
      }
      break;
    }
    case kJset: {
      if (!r2->is_const_in(is32)) std::swap(r1, r2);
      if (!r2->is_const_in(is32)) break;
      const uint64_t val = r2->const_value_in(is32);
      // Only a single tested bit is then known to be set.
      if (val == 0 || (val & (val - 1))) break;
      if (is32)
        r1->var_off = r1->var_off.with_subreg(tnum_or(r1->var_off.subreg(), Tnum::constant(val)));
      else
        r1->var_off = tnum_or(r1->var_off, Tnum::constant(val));
      break;
    }
    case kJnset: {
      if (!r2->is_const_in(is32)) std::swap(r1, r2);
      if (!r2->is_const_in(is32)) break;
      const uint64_t val = r2->const_value_in(is32);
      mark_unbounded(*r1);
      if (is32)
        r1->var_off = r1->var_off.with_subreg(tnum_and(r1->var_off.subreg(), Tnum::constant(~val)));
      else
        r1->var_off = tnum_and(r1->var_off, Tnum::constant(~val));
      break;
    }
    case kJle:
      if (is32) {
        r1->u32_max = std::min(r1->u32_max, r2->u32_max);
        r2->u32_min = std::max(r1->u32_min, r2->u32_min);
      } else {
        r1->umax = std::min(r1->umax, r2->umax);
        r2->umin = std::max(r1->umin, r2->umin);
      }
      break;
    case kJlt:
      if (is32) {
        r1->u32_max = std::min(r1->u32_max, r2->u32_max - 1);
        r2->u32_min = std::max(r1->u32_min + 1, r2->u32_min);
      } else {
        r1->umax = std::min(r1->umax, r2->umax - 1);
        r2->umin = std::max(r1->umin + 1, r2->umin);
      }
      break;
    case kJsle:
      if (is32) {
        r1->s32_max = std::min(r1->s32_max, r2->s32_max);
        r2->s32_min = std::max(r1->s32_min, r2->s32_min);
      } else {
        r1->smax = std::min(r1->smax, r2->smax);
        r2->smin = std::max(r1->smin, r2->smin);
      }
      break;
    case kJslt:
      if (is32) {
        r1->s32_max = std::min(r1->s32_max, r2->s32_max - 1);
        r2->s32_min = std::max(r1->s32_min + 1, r2->s32_min);
      } else {
        r1->smax = std::min(r1->smax, r2->smax - 1);
        r2->smin = std::max(r1->smin + 1, r2->smin);
      }
      break;
    default:
      break;
  }
}

void sanitize(RegState& r) {
  if (!bounds_sane(r)) {
    // Contradictory bounds only arise on a branch that cannot run.
    mark_unbounded(r);
    r.var_off = Tnum::unknown();
  }
}

// Linux's reg_set_min_max: both sides learn from the comparison.
void set_min_max(RegState* true1, RegState* true2, RegState* false1, RegState* false2, Cond op,
                 bool is32, bool same) {
  if (!false1->is_scalar() || !false2->is_scalar() || same) return;
  refine(false1, false2, reverse(op), is32);
  bounds_sync(*false1);
  bounds_sync(*false2);
  refine(true1, true2, op, is32);
  bounds_sync(*true1);
  bounds_sync(*true2);
  sanitize(*true1);
  sanitize(*true2);
  sanitize(*false1);
  sanitize(*false2);
}

template <class F>
void for_each_reg(VerifierState& st, F&& f) {
  for (FuncState& frame : st.frames) {
    for (RegState& r : frame.regs) f(r);
    for (StackSlot& s : frame.stack)
      if (s.is_spilled()) f(s.spilled);
  }
}

}  // namespace

void Env::find_good_packet_pointers(VerifierState& st, const RegState& dst, RegType type,
                                    bool right_open) {
  if (dst.off < 0 || (dst.off == 0 && right_open)) return;
  // ptr + (1 << 63) may compare below data_end by wrapping: no range then.
  if (dst.umax > 0xffff || dst.umax + static_cast<uint64_t>(dst.off) > 0xffff) return;
  const int32_t new_range = dst.off + (right_open ? 1 : 0);
  const uint32_t id = dst.id;
  for_each_reg(st, [&](RegState& r) {
    if (r.type == type && r.id == id) r.range = std::max(r.range, new_range);
  });
}

static void mark_packet_end(VerifierState& st, int regno, bool range_open) {
  RegState& r = st.cur().regs[regno];
  if (r.type != RegType::kPacket) return;
  r.range = range_open ? kBeyondPacketEnd : kAtPacketEnd;
}

static bool is_init_packet_pointer(const RegState& r, RegType which) {
  return r.type == which && r.id == 0 && r.off == 0 && r.var_off.equals_const(0);
}

bool Env::try_match_packet_pointers(const Instruction& in, VerifierState& this_branch,
                                    VerifierState& other_branch, int op_int) {
  const Cond op = static_cast<Cond>(op_int);
  if (!in.info().reg_source || in.info().width == 32) return false;
  const RegState dst = this_branch.cur().regs[in.dst];
  const RegState src = this_branch.cur().regs[in.src];
  const bool dst_lhs =
      (dst.type == RegType::kPacket && src.type == RegType::kPacketEnd) ||
      (dst.type == RegType::kPacketMeta && is_init_packet_pointer(src, RegType::kPacket));
  const bool src_lhs =
      (dst.type == RegType::kPacketEnd && src.type == RegType::kPacket) ||
      (is_init_packet_pointer(dst, RegType::kPacket) && src.type == RegType::kPacketMeta);
  switch (op) {
    case kJgt:
      if (dst_lhs) {  // pkt' > pkt_end: the fall-through has pkt' <= pkt_end
        find_good_packet_pointers(this_branch, dst, dst.type, false);
        mark_packet_end(other_branch, in.dst, true);
      } else if (src_lhs) {  // pkt_end > pkt': the jump has pkt' < pkt_end
        find_good_packet_pointers(other_branch, src, src.type, true);
        mark_packet_end(this_branch, in.src, false);
      } else {
        return false;
      }
      return true;
    case kJlt:
      if (dst_lhs) {
        find_good_packet_pointers(other_branch, dst, dst.type, true);
        mark_packet_end(this_branch, in.dst, false);
      } else if (src_lhs) {
        find_good_packet_pointers(this_branch, src, src.type, false);
        mark_packet_end(other_branch, in.src, true);
      } else {
        return false;
      }
      return true;
    case kJge:
      if (dst_lhs) {
        find_good_packet_pointers(this_branch, dst, dst.type, true);
        mark_packet_end(other_branch, in.dst, false);
      } else if (src_lhs) {
        find_good_packet_pointers(other_branch, src, src.type, false);
        mark_packet_end(this_branch, in.src, true);
      } else {
        return false;
      }
      return true;
    case kJle:
      if (dst_lhs) {
        find_good_packet_pointers(other_branch, dst, dst.type, false);
        mark_packet_end(this_branch, in.dst, true);
      } else if (src_lhs) {
        find_good_packet_pointers(this_branch, src, src.type, true);
        mark_packet_end(other_branch, in.src, false);
      } else {
        return false;
      }
      return true;
    default:
      return false;
  }
}

void Env::mark_ptr_or_null(VerifierState& st, uint32_t id, bool is_null) {
  for_each_reg(st, [&](RegState& r) {
    if (r.type != RegType::kMapValueOrNull || r.id != id) return;
    if (is_null) {
      mark_const(r, 0);
    } else {
      r.type = RegType::kMapValue;
      r.id = 0;
    }
  });
}

void Env::sync_linked_regs(VerifierState& st, const RegState& known) {
  for_each_reg(st, [&](RegState& r) {
    if (!r.is_scalar() || &r == &known || r.id != known.id) return;
    if ((!r.add_const && !known.add_const) ||
        (r.add_const == known.add_const && r.off == known.off)) {
      r = known;
      return;
    }
    // r = known + (r.delta - known.delta)
    const int64_t delta = static_cast<int64_t>(r.add_const ? r.off : 0) -
                          static_cast<int64_t>(known.add_const ? known.off : 0);
    const int32_t saved_off = r.off;
    const bool saved_add = r.add_const;
    RegState fake;
    mark_const(fake, static_cast<uint64_t>(delta));
    r = known;
    r.off = saved_off;
    r.add_const = saved_add;
    scalar32_add(r, fake);
    scalar64_add(r, fake);
    r.var_off = tnum_add(r.var_off, fake.var_off);
    bounds_sync(r);
  });
}

Env::Status Env::check_cond_jump(const Instruction& in, Flow& flow) {
  const Cond op = cond_of(in.op);
  const bool is32 = in.info().width == 32;
  const bool reg_src = in.info().reg_source;
  if (auto e = check_reg_read(in.dst)) return e;
  RegState* r = regs();
  RegState imm_reg;
  if (reg_src) {
    if (auto e = check_reg_read(in.src)) return e;
    if (!(r[in.dst].is_packet_any() && r[in.src].is_packet_any()) && r[in.src].is_pointer())
      return reject(in.src, fmt::format("R{} pointer comparison prohibited", in.src));
  } else {
    mark_const(imm_reg, static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
  }
  const bool same = reg_src && in.src == in.dst;
  const RegState& src_now = reg_src ? r[in.src] : imm_reg;
  const int pred = branch_taken(r[in.dst], src_now, op, is32, same);
  if (pred == 1) {
    pc_ = static_cast<uint32_t>(in.target);
    flow = Flow::kJumped;
    return ok();
  }
  if (pred == 0) {
    flow = Flow::kNext;
    return ok();
  }

  VerifierState other = cur_;  // the jump target's side
  RegState* o = other.cur().regs.data();
  const uint32_t dst_id = r[in.dst].is_scalar() ? r[in.dst].id : 0;
  const uint32_t src_id = reg_src && r[in.src].is_scalar() ? r[in.src].id : 0;
  if (reg_src) {
    set_min_max(&o[in.dst], &o[in.src], &r[in.dst], &r[in.src], op, is32, same);
  } else {
    RegState other_imm = imm_reg, this_imm = imm_reg;
    set_min_max(&o[in.dst], &other_imm, &r[in.dst], &this_imm, op, is32, same);
  }
  if (src_id) {
    sync_linked_regs(cur_, cur_.cur().regs[in.src]);
    sync_linked_regs(other, other.cur().regs[in.src]);
  }
  if (dst_id) {
    sync_linked_regs(cur_, cur_.cur().regs[in.dst]);
    sync_linked_regs(other, other.cur().regs[in.dst]);
  }

  if (!is32 && !reg_src && in.imm == 0 && (op == kJeq || op == kJne) &&
      r[in.dst].type == RegType::kMapValueOrNull) {
    const uint32_t id = r[in.dst].id;
    mark_ptr_or_null(cur_, id, op == kJne);
    mark_ptr_or_null(other, id, op == kJeq);
  } else if (!try_match_packet_pointers(in, cur_, other, op) &&
             cur_.cur().regs[in.dst].is_pointer()) {
    return reject(in.dst, fmt::format("R{} pointer comparison prohibited", in.dst));
  }
  if (auto e = push_branch(other, static_cast<uint32_t>(in.target))) return e;
  flow = Flow::kNext;
  return ok();
}

}  // namespace ebpfaas::verifier
