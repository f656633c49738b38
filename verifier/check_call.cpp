// Calls and exits: helper prototypes (Linux's check_helper_call and
// check_func_arg), bpf-to-bpf calls with their own frames, and the return
// value of the program.
#include <fmt/format.h>
#include <linux/bpf.h>

#include "ebpf/disassembler.h"
#include "ebpf/opcode.h"
#include "verifier/env.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;

namespace {

const char* kMemTypes =
    "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";

bool is_mem_type(RegType t) {
  return t == RegType::kStack || t == RegType::kPacket || t == RegType::kPacketMeta ||
         t == RegType::kMapValue;
}

}  // namespace

std::string Env::map_desc(int32_t index) const {
  if (index < 0 || static_cast<size_t>(index) >= options_.maps.size()) return "?";
  return options_.maps[static_cast<size_t>(index)].name;
}

void Env::clear_packet_pointers() {
  // The packet may have moved: every pointer into it is stale. Like Linux's
  // unprivileged mode they become unreadable rather than scalars.
  for (FuncState& frame : cur_.frames) {
    for (RegState& r : frame.regs)
      if (r.is_packet_any()) mark_not_init(r);
    for (StackSlot& s : frame.stack)
      if (s.is_spilled() && s.spilled.is_packet_any()) mark_not_init(s.spilled);
  }
}

Env::Status Env::check_helper_call(const Instruction& in) {
  const int32_t id = in.imm;
  const HelperProto* proto = helper_proto(id);
  if (!proto) {
    const std::string_view name = ebpf::helper_name(id);
    if (!name.empty())
      return reject(-1, fmt::format("program of this type cannot use helper {}#{}", name, id));
    return reject(-1, fmt::format("invalid func unknown#{}", id));
  }
  RegState* r = regs();
  int32_t map_index = -1;
  // Memory arguments whose size comes in the next argument.
  struct Pending {
    int regno = -1;
    AccessType type = AccessType::kRead;
    bool uninit = false;
  } mem;
  // Raw (uninitialized) memory the helper will fill: written after the call.
  struct RawWrite {
    int regno;
    int size;
  };
  std::vector<RawWrite> raw_writes;
  int64_t const_key = -1;

  for (int i = 0; i < 5; ++i) {
    const ArgKind kind = proto->args[i];
    const int regno = i + 1;
    RegState& reg = r[regno];
    switch (kind) {
      case ArgKind::kNone:
        continue;
      case ArgKind::kAnythingOrUninit:
        if (reg.is_pointer())
          return reject(regno, fmt::format("R{} leaks addr into helper function", regno));
        continue;
      default:
        break;
    }
    if (auto e = check_reg_read(regno)) return e;
    switch (kind) {
      case ArgKind::kAnything:
        if (reg.is_pointer())
          return reject(regno, fmt::format("R{} leaks addr into helper function", regno));
        break;
      case ArgKind::kConstMapPtr:
        if (reg.type != RegType::kMapPtr)
          return reject(
              regno, fmt::format("R{} type={} expected=map_ptr", regno, reg_type_name(reg.type)));
        map_index = reg.map_index;
        break;
      case ArgKind::kMapKey:
      case ArgKind::kMapValue:
      case ArgKind::kUninitMapValue: {
        if (map_index < 0) return reject(regno, "invalid map_ptr to access map->key");
        if (!is_mem_type(reg.type))
          return reject(regno, fmt::format("R{} type={} expected={}", regno,
                                           reg_type_name(reg.type), kMemTypes));
        const ebpf::MapSpec& map = options_.maps[static_cast<size_t>(map_index)];
        const int size = static_cast<int>(kind == ArgKind::kMapKey ? map.key_size : map.value_size);
        if (kind == ArgKind::kUninitMapValue && reg.type == RegType::kStack &&
            reg.var_off.is_const()) {
          // The helper writes the whole value: only the bounds matter now.
          if (auto e = check_stack_bounds(regno, reg, reg.off, size, " write to")) return e;
          raw_writes.push_back({regno, size});
        } else {
          const AccessType t =
              kind == ArgKind::kUninitMapValue ? AccessType::kWrite : AccessType::kRead;
          if (auto e = check_helper_mem_access(regno, size, t, false)) return e;
        }
        // A constant array index in a stack slot: the lookup cannot fail.
        if (kind == ArgKind::kMapKey && id == BPF_FUNC_map_lookup_elem &&
            (map.type == BPF_MAP_TYPE_ARRAY || map.type == BPF_MAP_TYPE_PERCPU_ARRAY) &&
            reg.type == RegType::kStack && reg.var_off.is_const()) {
          const int off = reg.off + static_cast<int>(reg.var_off.value);
          const FuncState& f = frame_of(reg);
          const StackSlot& s = f.stack[static_cast<size_t>(slot_index(off))];
          const int b = slot_byte(off);
          int zeros = 0;
          for (int k = b; k < kRegSize && s.bytes[static_cast<size_t>(k)] == SlotType::kZero; ++k)
            ++zeros;
          if (zeros >= size) {
            const_key = 0;
          } else if (b == 0 && s.is_spilled_scalar() && s.spilled.var_off.is_const()) {
            int spill = 0;
            while (spill < kRegSize && s.bytes[static_cast<size_t>(spill)] == SlotType::kSpill)
              ++spill;
            if (spill == size) {
              const uint64_t v = s.spilled.var_off.value;
              const_key = static_cast<int64_t>(size == 4 ? static_cast<uint32_t>(v) : v);
            }
          }
        }
        break;
      }
      case ArgKind::kCtx:
        if (reg.type != RegType::kCtx)
          return reject(regno,
                        fmt::format("R{} type={} expected=ctx", regno, reg_type_name(reg.type)));
        if (auto e = check_ptr_off_zero(regno, reg)) return e;
        break;
      case ArgKind::kMemReadonly:
      case ArgKind::kMemReadonlyOrNull:
      case ArgKind::kUninitMem:
        if (!(is_mem_type(reg.type) || (kind == ArgKind::kMemReadonlyOrNull && reg.is_null())))
          return reject(regno, fmt::format("R{} type={} expected={}", regno,
                                           reg_type_name(reg.type), kMemTypes));
        mem.regno = regno;
        mem.type = kind == ArgKind::kUninitMem ? AccessType::kWrite : AccessType::kRead;
        mem.uninit = kind == ArgKind::kUninitMem;
        break;
      case ArgKind::kConstSize:
      case ArgKind::kConstSizeOrZero: {
        const bool zero_ok = kind == ArgKind::kConstSizeOrZero;
        if (!reg.is_scalar())
          return reject(regno,
                        fmt::format("R{} type={} expected=scalar", regno, reg_type_name(reg.type)));
        if (reg.smin < 0)
          return reject(regno, fmt::format("R{} min value is negative, either use unsigned or "
                                           "'var &= const'",
                                           regno));
        if (reg.umin == 0 && !zero_ok)
          return reject(regno, fmt::format("R{} invalid zero-sized read: u64=[{},{}]", regno,
                                           reg.umin, reg.umax));
        if (reg.umax >= (1ull << 29))
          return reject(regno, fmt::format("R{} unbounded memory access, use 'var &= const' or "
                                           "'if (var < const)'",
                                           regno));
        const int size = static_cast<int>(reg.umax);
        const RegState& mem_reg = r[mem.regno];
        if (mem.uninit && mem_reg.type == RegType::kStack && reg.var_off.is_const() &&
            mem_reg.var_off.is_const()) {
          if (auto e = check_stack_bounds(mem.regno, mem_reg, mem_reg.off, size, " write to"))
            return e;
          raw_writes.push_back({mem.regno, size});
        } else {
          if (auto e = check_helper_mem_access(mem.regno, size, mem.type, zero_ok)) return e;
        }
        break;
      }
      default:
        break;
    }
  }

  if (map_index >= 0) {
    const ebpf::MapSpec& map = options_.maps[static_cast<size_t>(map_index)];
    if (!map_helper_compatible(map.type, id))
      return reject(
          -1, fmt::format("cannot pass map_type {} into func {}#{}", map.type, proto->name, id));
    int32_t& fact = facts_[pc_].map_index;
    if (!facts_[pc_].reached || fact == -1)
      fact = map_index;
    else if (fact != map_index)
      fact = kMapVaries;
  }
  if (id == BPF_FUNC_tail_call)
    subprog_has_tail_call_[static_cast<size_t>(cfg_.subprog_of[pc_])] = true;

  // The helper fills raw memory: byte by byte, like Linux, so that spilled
  // pointers there cannot be partially overwritten.
  for (const RawWrite& w : raw_writes) {
    RegState unknown;
    mark_unknown(unknown);
    for (int i = 0; i < w.size; ++i)
      if (auto e = check_mem_access(w.regno, i, 1, AccessType::kWrite, -1, &unknown, false, false))
        return e;
  }

  // r1-r5 are clobbered; r0 holds the result.
  for (int i = 1; i <= 5; ++i) mark_not_init(r[i]);
  RegState& r0 = r[0];
  switch (proto->ret) {
    case RetKind::kInteger:
      mark_unknown(r0);
      break;
    case RetKind::kVoid:
      mark_not_init(r0);
      break;
    case RetKind::kXdpAction:
    case RetKind::kCpuId:
      mark_unknown(r0);
      r0.umin = r0.smin = 0;
      r0.umax = r0.smax = proto->ret == RetKind::kXdpAction ? XDP_REDIRECT : options_.num_cpus - 1;
      bounds_sync(r0);
      break;
    case RetKind::kMapValueOrNull: {
      const ebpf::MapSpec& map = options_.maps[static_cast<size_t>(map_index)];
      mark_not_init(r0);
      mark_known(r0, 0);
      r0.map_index = map_index;
      if (const_key >= 0 && static_cast<uint64_t>(const_key) < map.max_entries) {
        r0.type = RegType::kMapValue;
      } else {
        r0.type = RegType::kMapValueOrNull;
        r0.id = new_id();
      }
      break;
    }
  }
  if (proto->changes_packet_data) clear_packet_pointers();
  return ok();
}

Env::Status Env::check_local_call(const Instruction& in, Flow& flow) {
  if (cur_.frames.size() >= static_cast<size_t>(kMaxFrames))
    return reject(-1,
                  fmt::format("the call stack of {} frames is too deep", cur_.frames.size() + 1));
  FuncState callee;
  callee.callsite = static_cast<int32_t>(pc_);
  callee.frameno = static_cast<uint8_t>(cur_.frames.size());
  callee.subprog = static_cast<uint32_t>(cfg_.subprog_of[static_cast<size_t>(in.target)]);
  RegState* caller = regs();
  for (int i = 1; i <= 5; ++i) callee.regs[i] = caller[i];
  callee.regs[10].type = RegType::kStack;
  mark_known(callee.regs[10], 0);
  callee.regs[10].frameno = callee.frameno;
  for (int i = 0; i <= 5; ++i) mark_not_init(caller[i]);
  cur_.frames.push_back(std::move(callee));
  if (logging(2)) emit(fmt::format("caller:{}\ncallee: frame{}\n", "", cur_.frames.size() - 1));
  pc_ = static_cast<uint32_t>(in.target);
  flow = Flow::kJumped;
  return ok();
}

Env::Status Env::check_exit(Flow& flow) {
  if (cur_.frames.size() > 1) {
    const RegState r0 = cur_.cur().regs[0];
    if (r0.type == RegType::kStack)
      return reject(0, "cannot return stack pointer to the caller frame");
    const int32_t callsite = cur_.cur().callsite;
    cur_.frames.pop_back();
    cur_.cur().regs[0] = r0;
    pc_ = static_cast<uint32_t>(callsite + 1);
    flow = Flow::kJumped;
    return ok();
  }
  if (auto e = check_reg_read(0)) return e;
  const RegState& r0 = regs()[0];
  if (r0.is_pointer()) return reject(0, "R0 leaks addr as return value");
  // An XDP program returns an action, XDP_ABORTED .. XDP_REDIRECT, in the low
  // 32 bits of R0 (Linux's bpf_prog_run_xdp returns a u32). A return that can
  // never be an action is rejected; one that may be (a value read from a map
  // or the packet) is accepted as Linux accepts it, and any other value it
  // takes at run time counts as XDP_ABORTED in the data plane, as in Linux.
  if (r0.u32_min > XDP_REDIRECT) {
    const std::string has = r0.u32_min == r0.u32_max
                                ? fmt::format("value={}", r0.u32_min)
                                : fmt::format("umin={} umax={}", r0.u32_min, r0.u32_max);
    return reject(
        0, fmt::format("At program exit the register R0 has {} (low 32 bits) should have been in "
                       "[{}, {}]",
                       has, static_cast<int>(XDP_ABORTED), static_cast<int>(XDP_REDIRECT)));
  }
  flow = Flow::kPathDone;
  return ok();
}

}  // namespace ebpfaas::verifier
