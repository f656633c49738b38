// Memory accesses: loads, stores and atomics through stack, packet, map
// value and context pointers, and memory handed to helpers (Linux's
// check_mem_access and the check_stack_* / check_*_access family).
#include <fmt/format.h>
#include <linux/bpf.h>

#include <cstring>

#include "ebpf/opcode.h"
#include "verifier/env.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;
using ebpf::Op;

namespace {

constexpr int64_t kMaxVarOff = 1 << 29;
constexpr uint32_t kXdpMdSize = 24;
constexpr uint32_t kXdpMdData = 0, kXdpMdDataEnd = 4, kXdpMdDataMeta = 8, kXdpMdEgressIfindex = 20;

}  // namespace

const ebpf::MapSpec* Env::map_of(const RegState& r) const {
  if (r.map_index < 0 || static_cast<size_t>(r.map_index) >= options_.maps.size()) return nullptr;
  return &options_.maps[static_cast<size_t>(r.map_index)];
}

void Env::record_region(const RegState& base) {
  uint8_t bit = 0;
  switch (base.type) {
    case RegType::kStack:
      bit = kRegionStack;
      break;
    case RegType::kPacket:
    case RegType::kPacketMeta:
      bit = kRegionPacket;
      break;
    case RegType::kMapValue:
      bit = kRegionMapValue;
      break;
    case RegType::kCtx:
      bit = kRegionCtx;
      break;
    default:
      break;
  }
  facts_[pc_].regions |= bit;
}

Env::Status Env::check_alignment(int regno, const RegState& reg, int off, int size, bool strict) {
  (void)regno;
  const char* desc = "";
  switch (reg.type) {
    case RegType::kPacket:
    case RegType::kPacketMeta: {
      if (!strict || size == 1) return ok();
      // NET_IP_ALIGN: Linux checks packet alignment as if data were 2 mod 4.
      const Tnum t =
          tnum_add(reg.var_off, Tnum::constant(static_cast<uint64_t>(2 + reg.off + off)));
      if (!t.is_aligned(static_cast<uint64_t>(size)))
        return reject(regno, fmt::format("misaligned packet access off 2+{}+{} size {}",
                                         reg.var_off.str(), reg.off + off, size));
      return ok();
    }
    case RegType::kMapValue:
      desc = "value ";
      break;
    case RegType::kCtx:
      desc = "context ";
      break;
    case RegType::kStack:
      desc = "stack ";
      // Spill tracking relies on aligned stack accesses.
      strict = true;
      break;
    default:
      break;
  }
  if (!strict || size == 1) return ok();
  const Tnum t = tnum_add(reg.var_off, Tnum::constant(static_cast<uint64_t>(reg.off + off)));
  if (!t.is_aligned(static_cast<uint64_t>(size)))
    return reject(regno, fmt::format("misaligned {}access off {}+{} size {}", desc,
                                     reg.var_off.str(), reg.off + off, size));
  return ok();
}

// ---- stack ---------------------------------------------------------------------------

Env::Status Env::check_stack_bounds(int regno, const RegState& reg, int off, int size,
                                    const char* what) {
  FuncState& state = frame_of(reg);
  int64_t min_off, max_off;
  if (reg.var_off.is_const()) {
    min_off = static_cast<int64_t>(reg.var_off.value) + off;
    max_off = min_off + size;
  } else {
    if (reg.smax >= kMaxVarOff || reg.smin <= -kMaxVarOff)
      return reject(regno,
                    fmt::format("invalid unbounded variable-offset{} stack R{}", what, regno));
    min_off = reg.smin + off;
    max_off = reg.smax + off + size;
  }
  // Reads may not go below what was ever written (unprivileged rule).
  const bool is_read = std::strcmp(what, " read from") == 0;
  const int64_t min_valid = is_read ? -state.allocated_bytes() : -kMaxStack;
  if (min_off < min_valid || min_off > -1 || max_off > 0 || size < 0) {
    if (reg.var_off.is_const())
      return reject(regno,
                    fmt::format("invalid{} stack R{} off={} size={}", what, regno, min_off, size));
    return reject(regno,
                  fmt::format("invalid variable-offset{} stack R{} var_off={} off={} size={}", what,
                              regno, reg.var_off.str(), off, size));
  }
  state.grow_stack(static_cast<int>(min_off));
  uint32_t& depth = stack_depth_[state.subprog];
  depth = std::max(depth, static_cast<uint32_t>(state.allocated_bytes()));
  return ok();
}

Env::Status Env::check_stack_read(int regno, const RegState& reg, int off, int size,
                                  int dst_regno) {
  FuncState& state = frame_of(reg);
  RegState* r = regs();
  if (!reg.var_off.is_const()) {
    if (dst_regno < 0)
      return reject(regno, fmt::format("variable offset stack pointer cannot be passed into helper "
                                       "function; var_off={} off={} size={}",
                                       reg.var_off.str(), off, size));
    if (auto e = check_stack_range_initialized(regno, off, size, false, AccessType::kRead))
      return e;
    const int64_t min_off = reg.smin + off, max_off = reg.smax + off + size;
    bool zeros = true;
    for (int64_t i = min_off; i < max_off && zeros; ++i) {
      const int o = static_cast<int>(i);
      zeros = state.stack[static_cast<size_t>(slot_index(o))]
                  .bytes[static_cast<size_t>(slot_byte(o))] == SlotType::kZero;
    }
    if (zeros)
      mark_const(r[dst_regno], 0);
    else
      mark_unknown(r[dst_regno]);
    return ok();
  }

  off += static_cast<int>(reg.var_off.value);
  const int spi = slot_index(off);
  StackSlot& slot = state.stack[static_cast<size_t>(spi)];
  const int first = slot_byte(off);
  if (slot.is_spilled()) {
    int spill_size = 0;
    while (spill_size < kRegSize && slot.bytes[static_cast<size_t>(spill_size)] == SlotType::kSpill)
      ++spill_size;
    if (size != kRegSize || spill_size != kRegSize) {
      if (!slot.spilled.is_scalar()) return reject(regno, "invalid size of register fill");
      if (dst_regno < 0) return ok();
      if (size <= spill_size && first == 0) {
        // A narrow fill of a spilled scalar: the value, truncated later.
        if (size == 4 && spill_size == 4 && reg_width(slot.spilled) <= 32 && !slot.spilled.id &&
            !slot.spilled.var_off.is_const())
          slot.spilled.id = new_id();
        r[dst_regno] = slot.spilled;
        if (reg_width(slot.spilled) > size * 8) {
          r[dst_regno].id = 0;
          r[dst_regno].add_const = false;
          r[dst_regno].off = 0;
        }
      } else {
        int spill_cnt = 0, zero_cnt = 0;
        for (int i = 0; i < size; ++i) {
          const SlotType t = slot.bytes[static_cast<size_t>(first + i)];
          if (t == SlotType::kSpill) {
            ++spill_cnt;
          } else if (t == SlotType::kZero) {
            ++zero_cnt;
          } else if (t != SlotType::kMisc) {
            return reject(regno,
                          fmt::format("invalid read from stack off {}+{} size {}", off, i, size));
          }
        }
        if ((spill_cnt == size && slot.spilled.var_off.equals_const(0)) || zero_cnt == size)
          mark_const(r[dst_regno], 0);
        else
          mark_unknown(r[dst_regno]);
      }
      return ok();
    }
    if (dst_regno >= 0) {
      if (slot.spilled.is_scalar() && !slot.spilled.id && !slot.spilled.var_off.is_const())
        slot.spilled.id = new_id();
      r[dst_regno] = slot.spilled;
      return ok();
    }
    if (slot.spilled.is_pointer())
      return reject(regno, fmt::format("leaking pointer from stack off {}", off));
    return ok();
  }
  for (int i = 0; i < size; ++i) {
    const SlotType t = slot.bytes[static_cast<size_t>(first + i)];
    if (t == SlotType::kMisc || t == SlotType::kZero) continue;
    return reject(regno, fmt::format("invalid read from stack off {}+{} size {}", off, i, size));
  }
  if (dst_regno >= 0) {
    bool zeros = true;
    for (int i = 0; i < size; ++i)
      zeros = zeros && slot.bytes[static_cast<size_t>(first + i)] == SlotType::kZero;
    if (zeros)
      mark_const(r[dst_regno], 0);
    else
      mark_unknown(r[dst_regno]);
  }
  return ok();
}

Env::Status Env::check_stack_write(int regno, const RegState& reg, int off, int size,
                                   int value_regno, const RegState* value, bool is_store_imm,
                                   int64_t imm) {
  FuncState& state = frame_of(reg);
  const bool caller_frame = reg.frameno != cur_.cur().frameno;
  if (!reg.var_off.is_const()) {
    // Every byte in the range may or may not be written.
    const bool writing_zero = (value && value->is_null()) || (is_store_imm && imm == 0);
    const int64_t min_off = reg.smin + off, max_off = reg.smax + off + size;
    for (int64_t i = min_off; i < max_off; ++i) {
      const int o = static_cast<int>(i);
      StackSlot& slot = state.stack[static_cast<size_t>(slot_index(o))];
      SlotType& t = slot.bytes[static_cast<size_t>(slot_byte(o))];
      if (t != SlotType::kMisc && t != SlotType::kZero) {
        if (t == SlotType::kSpill && writing_zero && slot.is_spilled_scalar() &&
            slot.spilled.var_off.equals_const(0))
          continue;
        if (t == SlotType::kInvalid)
          return reject(regno, fmt::format("uninit stack in range of var-offset write prohibited "
                                           "for !root; insn {}, off: {}",
                                           pc_, o));
        return reject(regno, fmt::format("spilled ptr in range of var-offset stack write; insn "
                                         "{}, ptr off: {}",
                                         pc_, o));
      }
      t = (writing_zero && t == SlotType::kZero) ? SlotType::kZero : SlotType::kMisc;
    }
    return ok();
  }

  off += static_cast<int>(reg.var_off.value);
  const int spi = slot_index(off);
  StackSlot& slot = state.stack[static_cast<size_t>(spi)];
  const int first = slot_byte(off);
  if (slot.is_spilled() && !slot.spilled.is_scalar() && size != kRegSize)
    return reject(regno, "attempt to corrupt spilled pointer on stack");

  auto save_register = [&](const RegState& v) {
    slot.spilled = v;
    for (int i = 0; i < kRegSize; ++i) {
      SlotType& t = slot.bytes[static_cast<size_t>(i)];
      if (i < size)
        t = SlotType::kSpill;
      else if (t == SlotType::kSpill)
        t = SlotType::kMisc;
    }
  };
  if (value && first == 0 && value->is_scalar()) {
    RegState v = *value;
    const bool fits = reg_width(v) <= 8 * size;
    if (fits && value_regno >= 0) {
      // Link the spilled copy with the register.
      RegState& src = regs()[value_regno];
      if (src.is_scalar() && !src.id && !src.var_off.is_const()) src.id = new_id();
      v = src;
    }
    save_register(v);
    if (!fits) {
      slot.spilled.id = 0;
      slot.spilled.add_const = false;
      slot.spilled.off = 0;
    }
  } else if (!value && first == 0 && is_store_imm) {
    RegState v;
    mark_const(v, static_cast<uint64_t>(imm));
    save_register(v);
  } else if (value && value->is_pointer()) {
    if (size != kRegSize) return reject(value_regno, "invalid size of register spill");
    if (caller_frame && value->type == RegType::kStack)
      return reject(value_regno, "cannot spill pointers to stack into stack frame of the caller");
    save_register(*value);
  } else {
    // Plain data: it destroys any spilled register in the slot.
    if (slot.is_spilled()) {
      mark_not_init(slot.spilled);
      for (SlotType& t : slot.bytes)
        if (t != SlotType::kInvalid) t = SlotType::kMisc;
    }
    const bool zero = (value && value->is_null()) || (is_store_imm && imm == 0);
    for (int i = 0; i < size; ++i)
      slot.bytes[static_cast<size_t>(first + i)] = zero ? SlotType::kZero : SlotType::kMisc;
  }
  return ok();
}

Env::Status Env::check_stack_range_initialized(int regno, int off, int size, bool zero_size_ok,
                                               AccessType t) {
  const RegState reg = regs()[regno];
  if (size == 0 && !zero_size_ok) return reject(regno, "invalid zero-sized read");
  if (auto e = check_stack_bounds(regno, reg, off, size,
                                  t == AccessType::kRead ? " read from" : " write to"))
    return e;
  FuncState& state = frame_of(reg);
  int64_t min_off, max_off;
  if (reg.var_off.is_const()) {
    min_off = max_off = static_cast<int64_t>(reg.var_off.value) + off;
  } else {
    min_off = reg.smin + off;
    max_off = reg.smax + off;
  }
  const bool clobber = t == AccessType::kWrite;
  for (int64_t i = min_off; i < max_off + size; ++i) {
    const int o = static_cast<int>(i);
    StackSlot& slot = state.stack[static_cast<size_t>(slot_index(o))];
    SlotType& st = slot.bytes[static_cast<size_t>(slot_byte(o))];
    if (st == SlotType::kMisc) continue;
    if (st == SlotType::kZero) {
      if (clobber) st = SlotType::kMisc;
      continue;
    }
    if (st == SlotType::kSpill && slot.is_spilled_scalar()) {
      if (clobber) {
        mark_unknown(slot.spilled);
        for (SlotType& b : slot.bytes)
          if (b != SlotType::kInvalid) b = SlotType::kMisc;
        mark_not_init(slot.spilled);
      }
      continue;
    }
    if (reg.var_off.is_const())
      return reject(regno, fmt::format("invalid read from stack R{} off {}+{} size {}", regno,
                                       min_off, i - min_off, size));
    return reject(regno, fmt::format("invalid read from stack R{} var_off {}+{} size {}", regno,
                                     reg.var_off.str(), i - min_off, size));
  }
  return ok();
}

// ---- regions with a size -------------------------------------------------------------

Env::Status Env::check_mem_region(int regno, const RegState& reg, int off, int size,
                                  uint32_t mem_size, bool zero_size_ok) {
  auto in_bounds = [&](int64_t o) {
    const bool size_ok = size > 0 || (size == 0 && zero_size_ok);
    return o >= 0 && size_ok && static_cast<uint64_t>(o) + static_cast<uint64_t>(size) <= mem_size;
  };
  auto describe = [&](int64_t o) {
    switch (reg.type) {
      case RegType::kMapValue:
        return fmt::format("invalid access to map value, value_size={} off={} size={}", mem_size, o,
                           size);
      case RegType::kPacket:
      case RegType::kPacketMeta:
        return fmt::format("invalid access to packet, off={} size={}, R{}(id={},off={},r={})", o,
                           size, regno, reg.id, o, mem_size);
      default:
        return fmt::format("invalid access to memory, mem_size={} off={} size={}", mem_size, o,
                           size);
    }
  };
  if (reg.smin < 0 && (reg.smin == INT64_MIN ||
                       static_cast<int64_t>(off) + reg.smin !=
                           static_cast<int64_t>(static_cast<int32_t>(off + reg.smin)) ||
                       reg.smin + off < 0))
    return reject(regno, fmt::format("R{} min value is negative, either use unsigned index or do "
                                     "a if (index >=0) check.",
                                     regno));
  if (!in_bounds(reg.smin + off))
    return reject(regno,
                  describe(reg.smin + off) +
                      fmt::format("; R{} min value is outside of the allowed memory range", regno));
  if (reg.umax >= static_cast<uint64_t>(kMaxVarOff))
    return reject(regno, fmt::format("R{} unbounded memory access, make sure to bounds check any "
                                     "such access",
                                     regno));
  const int64_t max_off = static_cast<int64_t>(reg.umax) + off;
  if (!in_bounds(max_off))
    return reject(regno,
                  describe(max_off) +
                      fmt::format("; R{} max value is outside of the allowed memory range", regno));
  return ok();
}

Env::Status Env::check_packet_access(int regno, const RegState& reg, int off, int size,
                                     bool zero_size_ok) {
  if (reg.smin < 0)
    return reject(regno, fmt::format("R{} min value is negative, either use unsigned index or do "
                                     "a if (index >=0) check.",
                                     regno));
  const bool size_ok = size > 0 || (size == 0 && zero_size_ok);
  if (reg.range < 0 || off < 0 || !size_ok ||
      static_cast<int64_t>(off) + size > static_cast<int64_t>(reg.range))
    return reject(regno, fmt::format("invalid access to packet, off={} size={}, R{}(id={},off={},"
                                     "r={}); R{} offset is outside of the packet",
                                     off, size, regno, reg.id, off, reg.range, regno));
  const uint64_t last = static_cast<uint64_t>(off) + reg.umax + static_cast<uint64_t>(size) - 1;
  if (size > 0) max_pkt_off_ = std::max(max_pkt_off_, static_cast<uint32_t>(last));
  return ok();
}

Env::Status Env::check_map_value_access(int regno, const RegState& reg, int off, int size,
                                        bool zero_size_ok, AccessType t) {
  const ebpf::MapSpec* map = map_of(reg);
  if (!map) return reject(regno, "map value of an unknown map");
  const bool readonly =
      (map->flags & BPF_F_RDONLY_PROG) || map_type_readonly_for_programs(map->type);
  if (t == AccessType::kWrite && readonly)
    return reject(regno, fmt::format("write into map forbidden, value_size={} off={} size={}",
                                     map->value_size, reg.smin + off, size));
  if (t == AccessType::kRead && (map->flags & BPF_F_WRONLY_PROG))
    return reject(regno, fmt::format("read from map forbidden, value_size={} off={} size={}",
                                     map->value_size, reg.smin + off, size));
  return check_mem_region(regno, reg, off, size, map->value_size, zero_size_ok);
}

Env::Status Env::check_ptr_off_zero(int regno, const RegState& reg) {
  if (reg.off < 0)
    return reject(regno, fmt::format("negative offset {} ptr R{} off={} disallowed",
                                     reg_type_name(reg.type), regno, reg.off));
  if (reg.off != 0)
    return reject(regno, fmt::format("dereference of modified {} ptr R{} off={} disallowed",
                                     reg_type_name(reg.type), regno, reg.off));
  if (!reg.var_off.equals_const(0))
    return reject(regno, fmt::format("variable {} access var_off={} disallowed",
                                     reg_type_name(reg.type), reg.var_off.str()));
  return ok();
}

Env::Status Env::check_ctx_access(int regno, int off, int size, AccessType t, bool sign_extend,
                                  int dst_regno) {
  // struct xdp_md: whole 32-bit reads only (Linux's xdp_is_valid_access).
  bool valid = off >= 0 && static_cast<uint32_t>(off) < kXdpMdSize && size == 4 && off % 4 == 0 &&
               t == AccessType::kRead;
  if (static_cast<uint32_t>(off) == kXdpMdEgressIfindex && !options_.devmap_program) valid = false;
  if (!valid)
    return reject(regno, fmt::format("invalid bpf_context access off={} size={}", off, size));
  if (sign_extend) return reject(regno, "sign extending loads from the context are not supported");
  if (dst_regno < 0) return ok();
  RegState& dst = regs()[dst_regno];
  switch (static_cast<uint32_t>(off)) {
    case kXdpMdData:
    case kXdpMdDataEnd:
    case kXdpMdDataMeta:
      mark_not_init(dst);
      mark_known(dst, 0);
      dst.type = off == static_cast<int>(kXdpMdData)      ? RegType::kPacket
                 : off == static_cast<int>(kXdpMdDataEnd) ? RegType::kPacketEnd
                                                          : RegType::kPacketMeta;
      break;
    default:
      mark_unknown(dst);
      break;
  }
  return ok();
}

Env::Status Env::check_mem_access(int regno, int off, int size, AccessType t, int value_regno,
                                  const RegState* value, bool strict_align, bool sign_extend) {
  const RegState reg = regs()[regno];
  record_region(reg);
  if (auto e = check_alignment(regno, reg, off, size, strict_align)) return e;
  const bool is_write = t == AccessType::kWrite;
  const bool leaks = is_write && value && value->is_pointer();
  const int insn_off = off;
  off += reg.off;
  Status err;
  switch (reg.type) {
    case RegType::kMapValue: {
      if (leaks) return reject(value_regno, fmt::format("R{} leaks addr into map", value_regno));
      if ((err = check_map_value_access(regno, reg, off, size, false, t))) return err;
      if (!is_write && value_regno >= 0) {
        RegState& dst = regs()[value_regno];
        const ebpf::MapSpec* map = map_of(reg);
        const int64_t map_off = static_cast<int64_t>(reg.var_off.value) + off;
        // Frozen read-only global data (.rodata): its bytes are constants.
        if (reg.var_off.is_const() && map && (map->flags & BPF_F_RDONLY_PROG) && map->global_data &&
            map_off >= 0 &&
            static_cast<size_t>(map_off) + static_cast<size_t>(size) <= map->initial_value.size()) {
          uint64_t v = 0;
          std::memcpy(&v, map->initial_value.data() + map_off, static_cast<size_t>(size));
          if (sign_extend && size < 8) {
            const int shift = 64 - size * 8;
            v = static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift);
          }
          mark_const(dst, v);
        } else {
          mark_unknown(dst);
        }
      }
      break;
    }
    case RegType::kCtx:
      if (leaks) return reject(value_regno, fmt::format("R{} leaks addr into ctx", value_regno));
      if ((err = check_ptr_off_zero(regno, reg))) return err;
      if ((err = check_ctx_access(regno, insn_off, size, t, sign_extend,
                                  is_write ? -1 : value_regno)))
        return err;
      break;
    case RegType::kStack:
      if ((err = check_stack_bounds(regno, reg, off, size, is_write ? " write to" : " read from")))
        return err;
      if (is_write)
        err = check_stack_write(regno, reg, off, size, value_regno, value, false, 0);
      else
        err = check_stack_read(regno, reg, off, size, value_regno);
      if (err) return err;
      break;
    case RegType::kPacket:
    case RegType::kPacketMeta:
      if (leaks) return reject(value_regno, fmt::format("R{} leaks addr into packet", value_regno));
      if ((err = check_packet_access(regno, reg, off, size, false))) return err;
      if (!is_write && value_regno >= 0) mark_unknown(regs()[value_regno]);
      break;
    default:
      return reject(regno,
                    fmt::format("R{} invalid mem access '{}'", regno, reg_type_name(reg.type)));
  }
  if (!is_write && value_regno >= 0 && size < kRegSize && regs()[value_regno].is_scalar()) {
    if (sign_extend)
      coerce_to_size_sx(regs()[value_regno], size);
    else
      coerce_to_size(regs()[value_regno], size);
  }
  return ok();
}

// ---- instructions --------------------------------------------------------------------

Env::Status Env::check_load(const Instruction& in) {
  if (auto e = check_reg_read(in.src)) return e;
  const bool is_ctx = regs()[in.src].type == RegType::kCtx;
  if (auto e = check_mem_access(in.src, in.off, in.info().width, AccessType::kRead, in.dst, nullptr,
                                false, in.info().is_signed))
    return e;
  int8_t& seen = ctx_access_[pc_];
  const int8_t now = is_ctx ? 1 : 0;
  if (seen >= 0 && seen != now)
    return reject(in.src, "same insn cannot be used with different pointers");
  seen = now;
  RegState& dst = regs()[in.dst];
  if (!bounds_sane(dst) && dst.is_scalar()) {
    mark_unbounded(dst);
    dst.var_off = Tnum::unknown();
  }
  return ok();
}

Env::Status Env::check_store(const Instruction& in) {
  const bool reg_form = in.info().kind == ebpf::OpKind::kStoreReg;
  if (reg_form)
    if (auto e = check_reg_read(in.src)) return e;
  if (auto e = check_reg_read(in.dst)) return e;
  const RegState base = regs()[in.dst];
  const int size = in.info().width;
  if (!reg_form && base.type == RegType::kCtx)
    return reject(in.dst, fmt::format("BPF_ST stores into R{} {} is not allowed", in.dst,
                                      reg_type_name(base.type)));
  Status err;
  if (reg_form) {
    const RegState value = regs()[in.src];
    err = check_mem_access(in.dst, in.off, size, AccessType::kWrite, in.src, &value, false, false);
  } else if (base.type == RegType::kStack) {
    // A store of an immediate: check the stack like a spill of a constant.
    record_region(base);
    if ((err = check_alignment(in.dst, base, in.off, size, false))) return err;
    const int off = in.off + base.off;
    if ((err = check_stack_bounds(in.dst, base, off, size, " write to"))) return err;
    err = check_stack_write(in.dst, base, off, size, -1, nullptr, true, in.imm);
  } else {
    RegState value;
    mark_const(value, static_cast<uint64_t>(static_cast<int64_t>(in.imm)));
    err = check_mem_access(in.dst, in.off, size, AccessType::kWrite, -1, &value, false, false);
  }
  if (err) return err;
  int8_t& seen = ctx_access_[pc_];
  const int8_t now = base.type == RegType::kCtx ? 1 : 0;
  if (seen >= 0 && seen != now)
    return reject(in.dst, "same insn cannot be used with different pointers");
  seen = now;
  return ok();
}

Env::Status Env::check_atomic(const Instruction& in) {
  const int size = in.info().width / 8;
  if (auto e = check_reg_read(in.src)) return e;
  if (auto e = check_reg_read(in.dst)) return e;
  const bool cmpxchg = in.op == Op::AtomicCmpXchg32 || in.op == Op::AtomicCmpXchg64;
  const bool fetch = cmpxchg || in.op == Op::AtomicXchg32 || in.op == Op::AtomicXchg64 ||
                     in.op == Op::AtomicFetchAdd32 || in.op == Op::AtomicFetchAdd64 ||
                     in.op == Op::AtomicFetchOr32 || in.op == Op::AtomicFetchOr64 ||
                     in.op == Op::AtomicFetchAnd32 || in.op == Op::AtomicFetchAnd64 ||
                     in.op == Op::AtomicFetchXor32 || in.op == Op::AtomicFetchXor64;
  if (cmpxchg) {
    if (auto e = check_reg_read(0)) return e;
    if (regs()[0].is_pointer()) return reject(0, "R0 leaks addr into mem");
  }
  if (regs()[in.src].is_pointer())
    return reject(in.src, fmt::format("R{} leaks addr into mem", in.src));
  const RegType base = regs()[in.dst].type;
  if (base == RegType::kCtx || base == RegType::kPacket || base == RegType::kPacketMeta)
    return reject(in.dst, fmt::format("BPF_ATOMIC stores into R{} {} is not allowed", in.dst,
                                      reg_type_name(base)));
  const int load_reg = fetch ? (cmpxchg ? 0 : in.src) : -1;
  if (auto e = check_mem_access(in.dst, in.off, size, AccessType::kRead, -1, nullptr, true, false))
    return e;
  if (load_reg >= 0)
    if (auto e = check_mem_access(in.dst, in.off, size, AccessType::kRead, load_reg, nullptr, true,
                                  false))
      return e;
  // The write stores an unknown value (Linux: value_regno -1, plain data).
  return check_mem_access(in.dst, in.off, size, AccessType::kWrite, -1, nullptr, true, false);
}

Env::Status Env::check_lddw(const Instruction& in) {
  RegState& dst = regs()[in.dst];
  switch (in.src) {
    case ebpf::kPseudoNone:
      mark_const(dst, in.imm64);
      return ok();
    case ebpf::kPseudoMapFd:
    case ebpf::kPseudoMapIdx:
    case ebpf::kPseudoMapValue:
    case ebpf::kPseudoMapIdxValue: {
      const int32_t index = in.imm;
      if (index < 0 || static_cast<size_t>(index) >= options_.maps.size())
        return reject(-1, fmt::format("fd {} is not pointing to valid bpf_map (the program has {} "
                                      "maps)",
                                      index, options_.maps.size()));
      const ebpf::MapSpec& map = options_.maps[static_cast<size_t>(index)];
      facts_[pc_].map_index = index;
      mark_not_init(dst);
      mark_known(dst, 0);
      dst.map_index = index;
      if (in.src == ebpf::kPseudoMapFd || in.src == ebpf::kPseudoMapIdx) {
        dst.type = RegType::kMapPtr;
        return ok();
      }
      const uint32_t off = static_cast<uint32_t>(in.imm64 >> 32);
      if (map.type != BPF_MAP_TYPE_ARRAY || map.max_entries != 1)
        return reject(-1, "no direct value access support for this map type");
      if (off >= map.value_size)
        return reject(-1, fmt::format("invalid access to map value pointer, value_size={} off={}",
                                      map.value_size, off));
      dst.type = RegType::kMapValue;
      dst.off = static_cast<int32_t>(off);
      return ok();
    }
    case ebpf::kPseudoFunc:
      return reject(-1, "missing btf func_info: callbacks (lddw func) are not supported");
    default:
      return reject(-1, fmt::format("ldimm64 insn specifies invalid btf_id {} (kernel symbols are "
                                    "not available)",
                                    in.imm));
  }
}

// ---- memory passed to helpers ---------------------------------------------------------

Env::Status Env::check_helper_mem_access(int regno, int size, AccessType t, bool zero_size_ok) {
  const RegState reg = regs()[regno];
  switch (reg.type) {
    case RegType::kPacket:
    case RegType::kPacketMeta:
      return check_packet_access(regno, reg, reg.off, size, zero_size_ok);
    case RegType::kMapValue:
      return check_map_value_access(regno, reg, reg.off, size, zero_size_ok, t);
    case RegType::kStack:
      return check_stack_range_initialized(regno, reg.off, size, zero_size_ok, t);
    default:
      if (zero_size_ok && size == 0 && reg.is_null()) return ok();
      return reject(regno, fmt::format("R{} type={} expected=fp", regno, reg_type_name(reg.type)));
  }
}

}  // namespace ebpfaas::verifier
