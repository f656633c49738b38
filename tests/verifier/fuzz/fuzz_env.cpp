// The fuzz environment: deterministic stand-ins for the helpers and the maps
// they work on (fuzz_env.h).
#include "tests/verifier/fuzz/fuzz_env.h"

#include <linux/bpf.h>

#include <cstring>

#include "ebpf/opcode.h"
#include "tests/verifier/fuzz/fuzz_program.h"

namespace ebpfaas::verifier::fuzz {

using helpers::HelperTable;
using helpers::Region;
using helpers::RunContext;
using helpers::XdpBuff;

void update_packet_region(RunContext* rc) {
  XdpBuff* x = rc->xdp;
  rc->packet = Region{reinterpret_cast<uint64_t>(x->data_meta),
                      reinterpret_cast<uint64_t>(x->data_end), true};
}

namespace {

Env* env_of(RunContext*) {
  return &live_env();
}

bool check(RunContext* rc, uint64_t addr, uint64_t len, bool write, const char* what) {
  if (len == 0 || rc->access_ok(addr, len, write)) return true;
  Env* e = env_of(rc);
  if (e->bug->empty())
    *e->bug =
        std::string("helper ") + what + " got an inaccessible pointer from a verified program";
  rc->fault(what);
  return false;
}

// Map handles: lddw map_idx(N) loads N + 1.
uint64_t map_lookup(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Env* e = env_of(rc);
  if (!check(rc, key, 4, false, "map_lookup_elem(key)")) return 0;
  uint32_t k;
  std::memcpy(&k, reinterpret_cast<void*>(key), 4);
  uint8_t* value = nullptr;
  uint32_t size = 0;
  if (map == 1 && k < kArrayEntries) {
    value = e->array[k];
    size = kArrayValue;
  } else if (map == 2) {
    for (auto& s : e->hash)
      if (s.used && s.key == k) {
        value = s.value;
        size = kHashValue;
      }
  }
  if (!value) return 0;
  rc->add_region(
      Region{reinterpret_cast<uint64_t>(value), reinterpret_cast<uint64_t>(value) + size, true});
  return reinterpret_cast<uint64_t>(value);
}

uint64_t map_update(uint64_t map, uint64_t key, uint64_t value, uint64_t, uint64_t,
                    RunContext* rc) {
  Env* e = env_of(rc);
  const uint32_t vs = map == 1 ? kArrayValue : kHashValue;
  if (!check(rc, key, 4, false, "map_update_elem(key)") ||
      !check(rc, value, vs, false, "map_update_elem(value)"))
    return 0;
  uint32_t k;
  std::memcpy(&k, reinterpret_cast<void*>(key), 4);
  if (map == 1) {
    if (k >= kArrayEntries) return static_cast<uint64_t>(-E2BIG);
    std::memcpy(e->array[k], reinterpret_cast<void*>(value), vs);
    return 0;
  }
  for (auto& s : e->hash)
    if (!s.used || s.key == k) {
      s.used = 1;
      s.key = k;
      std::memcpy(s.value, reinterpret_cast<void*>(value), vs);
      return 0;
    }
  return static_cast<uint64_t>(-E2BIG);
}

uint64_t map_delete(uint64_t map, uint64_t key, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  Env* e = env_of(rc);
  if (!check(rc, key, 4, false, "map_delete_elem(key)")) return 0;
  uint32_t k;
  std::memcpy(&k, reinterpret_cast<void*>(key), 4);
  if (map != 2) return static_cast<uint64_t>(-EINVAL);
  // The storage stays: a program may still hold a pointer to it (RCU in Linux).
  for (auto& s : e->hash)
    if (s.used && s.key == k) s.used = 0;
  return 0;
}

uint64_t prandom(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  uint64_t& x = env_of(rc)->rand_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return static_cast<uint32_t>(x);
}

uint64_t ktime(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return 123456789;
}
uint64_t cpu_id(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return 1;
}
uint64_t zero(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return 0;
}

uint64_t trace_printk(uint64_t fmt, uint64_t size, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  check(rc, fmt, size, false, "trace_printk(fmt)");
  return 0;
}

uint64_t csum_diff(uint64_t from, uint64_t from_size, uint64_t to, uint64_t to_size, uint64_t seed,
                   RunContext* rc) {
  if (!check(rc, from, from_size, false, "csum_diff(from)") ||
      !check(rc, to, to_size, false, "csum_diff(to)"))
    return 0;
  uint64_t sum = seed;
  for (uint64_t i = 0; i < from_size; ++i) sum += reinterpret_cast<const uint8_t*>(from)[i];
  for (uint64_t i = 0; i < to_size; ++i) sum -= reinterpret_cast<const uint8_t*>(to)[i];
  return static_cast<uint32_t>(sum);
}

uint64_t adjust_head(uint64_t ctx, uint64_t delta, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  const int64_t d = static_cast<int32_t>(delta);
  const int64_t metalen = x->data - x->data_meta;
  uint8_t* data = x->data + d;
  if (data < x->data_hard_start + metalen || data > x->data_end - 14)
    return static_cast<uint64_t>(-EINVAL);
  if (metalen) std::memmove(x->data_meta + d, x->data_meta, static_cast<size_t>(metalen));
  x->data_meta += d;
  x->data = data;
  update_packet_region(rc);
  return 0;
}

uint64_t adjust_tail(uint64_t ctx, uint64_t delta, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  uint8_t* end = x->data_end + static_cast<int32_t>(delta);
  if (end < x->data + 14 || end > x->frame_end) return static_cast<uint64_t>(-EINVAL);
  if (end > x->data_end) std::memset(x->data_end, 0, static_cast<size_t>(end - x->data_end));
  x->data_end = end;
  update_packet_region(rc);
  return 0;
}

uint64_t adjust_meta(uint64_t ctx, uint64_t delta, uint64_t, uint64_t, uint64_t, RunContext* rc) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  uint8_t* meta = x->data_meta + static_cast<int32_t>(delta);
  const int64_t metalen = x->data - meta;
  if (meta < x->data_hard_start || meta > x->data || metalen % 4 != 0 || metalen > 32)
    return static_cast<uint64_t>(-EINVAL);
  x->data_meta = meta;
  update_packet_region(rc);
  return 0;
}

uint64_t load_bytes(uint64_t ctx, uint64_t off, uint64_t buf, uint64_t len, uint64_t,
                    RunContext* rc) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  if (!check(rc, buf, len, true, "xdp_load_bytes(buf)")) return 0;
  const uint64_t avail = static_cast<uint64_t>(x->data_end - x->data);
  if (off > avail || len > avail - off) return static_cast<uint64_t>(-EFAULT);
  std::memcpy(reinterpret_cast<void*>(buf), x->data + off, len);
  return 0;
}

uint64_t store_bytes(uint64_t ctx, uint64_t off, uint64_t buf, uint64_t len, uint64_t,
                     RunContext* rc) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  if (!check(rc, buf, len, false, "xdp_store_bytes(buf)")) return 0;
  const uint64_t avail = static_cast<uint64_t>(x->data_end - x->data);
  if (off > avail || len > avail - off) return static_cast<uint64_t>(-EFAULT);
  std::memcpy(x->data + off, reinterpret_cast<void*>(buf), len);
  return 0;
}

uint64_t buff_len(uint64_t ctx, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  XdpBuff* x = reinterpret_cast<XdpBuff*>(ctx);
  return static_cast<uint64_t>(x->data_end - x->data);
}

uint64_t redirect(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, RunContext*) {
  return XDP_REDIRECT;
}

uint64_t redirect_map(uint64_t, uint64_t key, uint64_t flags, uint64_t, uint64_t, RunContext*) {
  return (key & 1) ? XDP_REDIRECT : (flags & 3);
}

}  // namespace

bool same_state(const Env& a, const Env& b) {
  return std::memcmp(&a, &b, offsetof(Env, bug)) == 0;
}

Env& live_env() {
  static Env env;
  return env;
}

Env seed_env(FuzzedDataProvider& in, std::string* bug) {
  Env env{};
  const std::vector<uint8_t> seed = in.ConsumeBytes<uint8_t>(sizeof(Env) - sizeof(std::string*));
  if (!seed.empty()) std::memcpy(&env, seed.data(), seed.size());
  for (auto& s : env.hash) s.used &= 1;
  env.rand_state |= 1;
  env.bug = bug;
  return env;
}

const HelperTable& fuzz_helpers() {
  static const HelperTable table = [] {
    HelperTable t;
    t.set(BPF_FUNC_map_lookup_elem, map_lookup);
    t.set(BPF_FUNC_map_update_elem, map_update);
    t.set(BPF_FUNC_map_delete_elem, map_delete);
    t.set(BPF_FUNC_ktime_get_ns, ktime);
    t.set(BPF_FUNC_trace_printk, trace_printk);
    t.set(BPF_FUNC_get_prandom_u32, prandom);
    t.set(BPF_FUNC_get_smp_processor_id, cpu_id);
    t.set(BPF_FUNC_tail_call, zero);  // an empty prog_array: the call falls through
    t.set(BPF_FUNC_redirect, redirect);
    t.set(BPF_FUNC_csum_diff, csum_diff);
    t.set(BPF_FUNC_get_numa_node_id, zero);
    t.set(BPF_FUNC_xdp_adjust_head, adjust_head);
    t.set(BPF_FUNC_redirect_map, redirect_map);
    t.set(BPF_FUNC_xdp_adjust_meta, adjust_meta);
    t.set(BPF_FUNC_xdp_adjust_tail, adjust_tail);
    t.set(BPF_FUNC_map_push_elem, zero);
    t.set(BPF_FUNC_map_pop_elem, zero);
    t.set(BPF_FUNC_map_peek_elem, zero);
    t.set(BPF_FUNC_jiffies64, ktime);
    t.set(BPF_FUNC_ktime_get_boot_ns, ktime);
    t.set(BPF_FUNC_ktime_get_coarse_ns, ktime);
    t.set(BPF_FUNC_xdp_get_buff_len, buff_len);
    t.set(BPF_FUNC_xdp_load_bytes, load_bytes);
    t.set(BPF_FUNC_xdp_store_bytes, store_bytes);
    return t;
  }();
  return table;
}

vm::LinkOptions fuzz_link(const std::vector<uint32_t>& ctx_load_pcs) {
  vm::LinkOptions link;
  link.helpers = &fuzz_helpers();
  Env* live = &live_env();
  link.resolve_lddw = [live](const ebpf::Instruction& i) -> Expected<uint64_t> {
    if (i.src == ebpf::kPseudoMapIdx || i.src == ebpf::kPseudoMapFd)
      return static_cast<uint64_t>(i.imm) + 1;
    if (i.imm == 2) return reinterpret_cast<uint64_t>(live->global) + (i.imm64 >> 32);
    return errorf("no direct value access to map {}", i.imm);
  };
  link.static_regions.push_back(Region{reinterpret_cast<uint64_t>(live->global),
                                       reinterpret_cast<uint64_t>(live->global) + kGlobalSize,
                                       true});
  link.ctx_load_pcs = ctx_load_pcs;
  return link;
}

const std::vector<ebpf::MapSpec>& fuzz_maps() {
  static const std::vector<ebpf::MapSpec> maps = [] {
    auto spec = [](const char* name, uint32_t type, uint32_t k, uint32_t v, uint32_t n) {
      ebpf::MapSpec m;
      m.name = name;
      m.type = type;
      m.key_size = k;
      m.value_size = v;
      m.max_entries = n;
      return m;
    };
    std::vector<ebpf::MapSpec> m;
    m.push_back(spec("array", BPF_MAP_TYPE_ARRAY, 4, kArrayValue, kArrayEntries));
    m.push_back(spec("hash", BPF_MAP_TYPE_HASH, 4, kHashValue, kHashSlots));
    ebpf::MapSpec global = spec(".data", BPF_MAP_TYPE_ARRAY, 4, kGlobalSize, 1);
    global.global_data = true;
    m.push_back(global);
    m.push_back(spec("progs", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2));
    m.push_back(spec("ports", BPF_MAP_TYPE_DEVMAP, 4, 4, 4));
    return m;
  }();
  return maps;
}

}  // namespace ebpfaas::verifier::fuzz
