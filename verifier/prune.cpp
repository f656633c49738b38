// State equivalence for pruning: a state is safe when a stored, fully
// explored state at the same instruction covers it (Linux's states_equal,
// regsafe, stacksafe). Registers dead at the instruction are ignored, and so
// are the values of scalars that can no longer matter (CfgInfo::relevant_in,
// the static counterpart of Linux's precision marks); spilled scalars are
// always compared precisely.
#include <cstring>

#include "verifier/env.h"

namespace ebpfaas::verifier {

bool Env::check_ids(uint32_t old_id, uint32_t cur_id) {
  if ((old_id != 0) != (cur_id != 0)) return false;
  if (old_id == 0) return true;
  for (const auto& [o, c] : idmap_) {
    if (o == old_id) return c == cur_id;
    if (c == cur_id) return false;
  }
  idmap_.push_back({old_id, cur_id});
  return true;
}

bool Env::check_scalar_ids(uint32_t old_id, uint32_t cur_id) {
  // Id 0 is a relation with nobody: a fresh id on either side.
  old_id = old_id ? old_id : 0x80000000u + ++tmp_id_gen_;
  cur_id = cur_id ? cur_id : 0x80000000u + ++tmp_id_gen_;
  return check_ids(old_id, cur_id);
}

bool Env::regs_exact(const RegState& o, const RegState& c) {
  return o.type == c.type && o.frameno == c.frameno && o.add_const == c.add_const &&
         o.off == c.off && o.range == c.range && o.map_index == c.map_index &&
         o.var_off == c.var_off && o.smin == c.smin && o.smax == c.smax && o.umin == c.umin &&
         o.umax == c.umax && o.s32_min == c.s32_min && o.s32_max == c.s32_max &&
         o.u32_min == c.u32_min && o.u32_max == c.u32_max && check_ids(o.id, c.id);
}

bool Env::regsafe(const RegState& o, const RegState& c, bool exact, bool precise) {
  if (exact) return regs_exact(o, c);
  if (o.type == RegType::kNotInit) return true;
  if (c.type == RegType::kNotInit) return false;
  if (o.type != c.type) return false;
  switch (o.type) {
    case RegType::kScalar:
      if (!precise) return true;
      if (o.add_const != c.add_const) return false;
      if (o.add_const && o.off != c.off) return false;
      return range_within(o, c) && o.var_off.contains(c.var_off) && check_scalar_ids(o.id, c.id);
    case RegType::kMapValue:
    case RegType::kMapValueOrNull:
      return o.off == c.off && o.map_index == c.map_index && range_within(o, c) &&
             o.var_off.contains(c.var_off) && check_ids(o.id, c.id);
    case RegType::kPacket:
    case RegType::kPacketMeta:
      // At least as much of the packet must be known to be there.
      if (o.range > c.range) return false;
      if (o.off != c.off) return false;
      if (!check_ids(o.id, c.id)) return false;
      return range_within(o, c) && o.var_off.contains(c.var_off);
    default:  // ctx, pkt_end, stack (incl. frame), map pointer: exactly the same
      return regs_exact(o, c);
  }
}

bool Env::func_states_equal(const FuncState& o, const FuncState& c, uint16_t live,
                            uint16_t relevant, bool exact) {
  for (int i = 0; i < kNumRegs; ++i) {
    if (!exact && !(live & (1u << i))) continue;
    if (!regsafe(o.regs[i], c.regs[i], exact, (relevant >> i) & 1)) return false;
  }
  // Stack.
  static const StackSlot kInvalidSlot{};
  RegState unknown;
  mark_unknown(unknown);
  const size_t slots = std::max(o.stack.size(), exact ? c.stack.size() : 0);
  for (size_t spi = 0; spi < slots; ++spi) {
    const StackSlot& os = spi < o.stack.size() ? o.stack[spi] : kInvalidSlot;
    const StackSlot& cs = spi < c.stack.size() ? c.stack[spi] : kInvalidSlot;
    if (exact) {
      if (os.bytes != cs.bytes) return false;
      if (os.is_spilled() && !regs_exact(os.spilled, cs.spilled)) return false;
      continue;
    }
    if (os.all_invalid()) continue;
    // A 64-bit spilled scalar and eight bytes of misc data compare as scalars.
    const RegState* oreg = os.is_spilled_scalar64() ? &os.spilled
                           : os.all_misc()          ? &unknown
                                                    : nullptr;
    const RegState* creg = cs.is_spilled_scalar64() ? &cs.spilled
                           : cs.all_misc()          ? &unknown
                                                    : nullptr;
    if (oreg && creg) {
      if (!regsafe(*oreg, *creg, false)) return false;
      continue;
    }
    for (int b = 0; b < kRegSize; ++b) {
      const SlotType ot = os.bytes[static_cast<size_t>(b)], ct = cs.bytes[static_cast<size_t>(b)];
      if (ot == SlotType::kInvalid) continue;
      // Safe with any data is safe with zeros; not the other way round.
      if (ot == SlotType::kMisc && ct == SlotType::kZero) continue;
      if (ot != ct) return false;
    }
    if (os.is_spilled() && !regsafe(os.spilled, cs.spilled, false)) return false;
  }
  return true;
}

bool Env::states_equal(const VerifierState& o, const VerifierState& c, bool exact) {
  if (o.frames.size() != c.frames.size()) return false;
  for (size_t i = 0; i < o.frames.size(); ++i)
    if (o.frames[i].callsite != c.frames[i].callsite) return false;
  idmap_.clear();
  tmp_id_gen_ = 0;
  const size_t last = o.frames.size() - 1;
  for (size_t i = 0; i <= last; ++i) {
    uint16_t live, relevant;
    if (i == last) {
      live = cfg_.live_in[pc_];
      relevant = cfg_.relevant_in[pc_];
    } else {
      // An outer frame resumes after its call: r6-r9 survive the call.
      const uint32_t resume = static_cast<uint32_t>(o.frames[i + 1].callsite) + 1;
      live = static_cast<uint16_t>(cfg_.live_in[resume] & 0x3c0) | (1u << 10);
      relevant = static_cast<uint16_t>(cfg_.relevant_in[resume] & 0x3c0);
    }
    if (!func_states_equal(o.frames[i], c.frames[i], live, relevant, exact)) return false;
  }
  return true;
}

}  // namespace ebpfaas::verifier
