#include "helpers/linux_helpers.h"

#include <linux/bpf.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "maps/devmap.h"
#include "maps/map.h"
#include "maps/prog_array.h"

namespace ebpfaas::helpers {
namespace {

using u64 = uint64_t;

constexpr u64 neg(long e) {
  return static_cast<u64>(-e);
}

maps::Map* as_map(u64 handle) {
  return reinterpret_cast<maps::Map*>(handle);
}

// Checked mode: a bad argument ends the program with a message; verified
// programs never get here with one.
bool check_map(RunContext* rc, u64 handle, const char* helper) {
  if (rc->map_ok(handle)) return true;
  rc->fault(fmt::format("{}: argument 1 ({:#x}) is not a map of this program", helper, handle));
  return false;
}

bool check_mem(RunContext* rc, u64 addr, u64 len, bool write, const char* helper, int arg) {
  if (rc->access_ok(addr, len, write)) return true;
  rc->fault(fmt::format("{}: argument {} ({:#x}, {} bytes) is not {} memory of the program", helper,
                        arg, addr, len, write ? "writable" : "readable"));
  return false;
}

// ---- maps --------------------------------------------------------------------

u64 map_lookup_elem(u64 m, u64 key, u64, u64, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_lookup_elem")) return 0;
    if (!check_mem(rc, key, as_map(m)->key_size(), false, "bpf_map_lookup_elem", 2)) return 0;
  }
  maps::Map* map = as_map(m);
  void* value = map->lookup(reinterpret_cast<const void*>(key), rc->cpu);
  if (value && rc->checked) {
    const u64 v = reinterpret_cast<u64>(value);
    rc->add_region(Region{v, v + map->value_size(), (map->spec().flags & BPF_F_RDONLY_PROG) == 0});
  }
  return reinterpret_cast<u64>(value);
}

u64 map_update_elem(u64 m, u64 key, u64 value, u64 flags, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_update_elem")) return 0;
    if (!check_mem(rc, key, as_map(m)->key_size(), false, "bpf_map_update_elem", 2)) return 0;
    if (!check_mem(rc, value, as_map(m)->value_size(), false, "bpf_map_update_elem", 3)) return 0;
  }
  return static_cast<u64>(as_map(m)->update(reinterpret_cast<const void*>(key),
                                            reinterpret_cast<const void*>(value), flags, rc->cpu));
}

u64 map_delete_elem(u64 m, u64 key, u64, u64, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_delete_elem")) return 0;
    if (!check_mem(rc, key, as_map(m)->key_size(), false, "bpf_map_delete_elem", 2)) return 0;
  }
  return static_cast<u64>(as_map(m)->erase(reinterpret_cast<const void*>(key), rc->cpu));
}

u64 map_push_elem(u64 m, u64 value, u64 flags, u64, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_push_elem")) return 0;
    if (!check_mem(rc, value, as_map(m)->value_size(), false, "bpf_map_push_elem", 2)) return 0;
  }
  return static_cast<u64>(as_map(m)->push(reinterpret_cast<const void*>(value), flags));
}

u64 map_pop_elem(u64 m, u64 value, u64, u64, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_pop_elem")) return 0;
    if (!check_mem(rc, value, as_map(m)->value_size(), true, "bpf_map_pop_elem", 2)) return 0;
  }
  return static_cast<u64>(as_map(m)->pop(reinterpret_cast<void*>(value)));
}

u64 map_peek_elem(u64 m, u64 value, u64, u64, u64, RunContext* rc) {
  if (rc->checked) {
    if (!check_map(rc, m, "bpf_map_peek_elem")) return 0;
    if (!check_mem(rc, value, as_map(m)->value_size(), true, "bpf_map_peek_elem", 2)) return 0;
  }
  return static_cast<u64>(as_map(m)->peek(reinterpret_cast<void*>(value)));
}

// ---- time, randomness, CPU ---------------------------------------------------

u64 clock_now(RunContext* rc, clockid_t id) {
  if (rc->fixed_clock) return rc->clock_ns;
  timespec ts;
  clock_gettime(id, &ts);
  return static_cast<u64>(ts.tv_sec) * 1'000'000'000ull + static_cast<u64>(ts.tv_nsec);
}

u64 ktime_get_ns(u64, u64, u64, u64, u64, RunContext* rc) {
  return clock_now(rc, CLOCK_MONOTONIC);
}
u64 ktime_get_boot_ns(u64, u64, u64, u64, u64, RunContext* rc) {
  return clock_now(rc, CLOCK_BOOTTIME);
}
u64 ktime_get_coarse_ns(u64, u64, u64, u64, u64, RunContext* rc) {
  return clock_now(rc, CLOCK_MONOTONIC_COARSE);
}

// jiffies at HZ=250 (Debian's kernels), counted from boot.
u64 jiffies64(u64, u64, u64, u64, u64, RunContext* rc) {
  return clock_now(rc, CLOCK_BOOTTIME) / (1'000'000'000ull / 250);
}

u64 get_prandom_u32(u64, u64, u64, u64, u64, RunContext* rc) {
  // xorshift64*: per engine, no locking, reproducible from the seed.
  u64 x = rc->prandom_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rc->prandom_state = x;
  return static_cast<uint32_t>((x * 0x2545f4914f6cdd1dull) >> 32);
}

u64 get_smp_processor_id(u64, u64, u64, u64, u64, RunContext* rc) {
  return rc->cpu;
}
u64 get_numa_node_id(u64, u64, u64, u64, u64, RunContext*) {
  return 0;
}

// ---- bpf_trace_printk --------------------------------------------------------

// Formats like the kernel's bpf_trace_printk: at most three arguments, the
// conversions d i u x X c s p with l/ll modifiers, width and flags.
u64 trace_printk(u64 fmt_addr, u64 fmt_size, u64 a1, u64 a2, u64 a3, RunContext* rc) {
  if (rc->checked && !check_mem(rc, fmt_addr, fmt_size, false, "bpf_trace_printk", 1)) return 0;
  const char* fmt = reinterpret_cast<const char*>(fmt_addr);
  if (fmt_size == 0 || fmt[fmt_size - 1] != '\0') return neg(EINVAL);
  const u64 args[3] = {a1, a2, a3};
  int used = 0;
  std::string out;
  for (const char* p = fmt; *p; ++p) {
    if (*p != '%') {
      out += *p;
      continue;
    }
    if (p[1] == '%') {
      out += '%';
      ++p;
      continue;
    }
    std::string spec = "%";
    ++p;
    while (*p && std::strchr("-+ #0", *p)) spec += *p++;
    while (*p >= '0' && *p <= '9') spec += *p++;
    int longs = 0;
    while (*p == 'l') {
      ++longs;
      ++p;
    }
    if (longs > 2 || !*p || !std::strchr("diuxXcsp", *p) || used == 3) return neg(EINVAL);
    const u64 v = args[used++];
    char buf[128];
    switch (*p) {
      case 'd':
      case 'i':
        spec += "lld";
        std::snprintf(
            buf, sizeof buf, spec.c_str(),
            longs ? static_cast<long long>(v) : static_cast<long long>(static_cast<int32_t>(v)));
        break;
      case 'u':
      case 'x':
      case 'X':
        spec += "ll";
        spec += *p;
        std::snprintf(buf, sizeof buf, spec.c_str(),
                      longs ? static_cast<unsigned long long>(v)
                            : static_cast<unsigned long long>(static_cast<uint32_t>(v)));
        break;
      case 'c':
        spec += 'c';
        std::snprintf(buf, sizeof buf, spec.c_str(), static_cast<int>(static_cast<uint8_t>(v)));
        break;
      case 'p':
        std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
        break;
      default: {  // 's': a string in the program's memory, at most 64 bytes
        std::string s;
        for (u64 i = 0; i < 64; ++i) {
          if (rc->checked && !rc->access_ok(v + i, 1, false)) break;
          char c = *reinterpret_cast<const char*>(v + i);
          if (!c) break;
          s += c;
        }
        spec += 's';
        std::snprintf(buf, sizeof buf, spec.c_str(), s.c_str());
      }
    }
    out += buf;
  }
  if (rc->trace) rc->trace(rc->trace_user, out);
  return out.size();
}

// ---- checksums ---------------------------------------------------------------

// Linux (6.12 and later) returns the sum folded to 16 bits, the same on every
// architecture: pushing (from_size 0) sums `to` onto the seed, pulling
// (to_size 0) subtracts `from` from it (~csum_partial(from, ~seed)), diffing
// sums ~from and to onto the seed. Checked against BPF_PROG_TEST_RUN on Linux
// 6.18, including the 0 / 0xffff choice of the ones' complement zero.
u64 csum_diff(u64 from, u64 from_size, u64 to, u64 to_size, u64 seed, RunContext* rc) {
  const uint32_t fs = static_cast<uint32_t>(from_size), ts = static_cast<uint32_t>(to_size);
  const uint64_t diff_size = static_cast<uint64_t>(fs) + ts;
  if (((fs | ts) & 3) || diff_size > 512) return neg(EINVAL);
  if (rc->checked && ((fs && !check_mem(rc, from, fs, false, "bpf_csum_diff", 1)) ||
                      (ts && !check_mem(rc, to, ts, false, "bpf_csum_diff", 3))))
    return 0;
  const uint32_t seed32 = static_cast<uint32_t>(seed);
  uint32_t sum;
  if (fs && !ts) {
    sum = ~csum_partial(reinterpret_cast<const void*>(from), fs, ~seed32);
  } else {
    uint32_t diff[128];
    size_t j = 0;
    for (uint32_t i = 0; i < fs / 4; ++i) {
      uint32_t w;
      std::memcpy(&w, reinterpret_cast<const void*>(from + i * 4), 4);
      diff[j++] = ~w;
    }
    for (uint32_t i = 0; i < ts / 4; ++i)
      std::memcpy(&diff[j++], reinterpret_cast<const void*>(to + i * 4), 4);
    sum = csum_partial(diff, diff_size, seed32);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

// ---- the XDP buffer ----------------------------------------------------------

bool check_ctx(RunContext* rc, u64 ctx, const char* helper) {
  if (rc->xdp && reinterpret_cast<u64>(rc->xdp) == ctx) return true;
  rc->fault(fmt::format("{}: argument 1 ({:#x}) is not the XDP context", helper, ctx));
  return false;
}

// The packet region of checked mode follows the buffer's bounds.
void update_packet_region(RunContext* rc, const XdpBuff* x) {
  rc->packet =
      Region{reinterpret_cast<u64>(x->data_meta), reinterpret_cast<u64>(x->data_end), true};
}

u64 xdp_adjust_head(u64 ctx, u64 offset, u64, u64, u64, RunContext* rc) {
  if (!check_ctx(rc, ctx, "bpf_xdp_adjust_head")) return 0;
  XdpBuff* x = rc->xdp;
  const int32_t off = static_cast<int32_t>(offset);
  const size_t metalen = static_cast<size_t>(x->data - x->data_meta);
  uint8_t* data_start = x->data_hard_start + kXdpFrameSize + metalen;
  uint8_t* data = x->data + off;
  if (data < data_start || data > x->data_end - kEthHeaderLen) return neg(EINVAL);
  if (metalen) std::memmove(x->data_meta + off, x->data_meta, metalen);
  x->data_meta += off;
  x->data = data;
  update_packet_region(rc, x);
  return 0;
}

u64 xdp_adjust_meta(u64 ctx, u64 offset, u64, u64, u64, RunContext* rc) {
  if (!check_ctx(rc, ctx, "bpf_xdp_adjust_meta")) return 0;
  XdpBuff* x = rc->xdp;
  const int32_t off = static_cast<int32_t>(offset);
  uint8_t* frame_end = x->data_hard_start + kXdpFrameSize;
  uint8_t* meta = x->data_meta + off;
  if (meta < frame_end || meta > x->data) return neg(EINVAL);
  const size_t metalen = static_cast<size_t>(x->data - meta);
  if ((metalen & 3) || metalen > 32) return neg(EACCES);
  x->data_meta = meta;
  update_packet_region(rc, x);
  return 0;
}

u64 xdp_adjust_tail(u64 ctx, u64 offset, u64, u64, u64, RunContext* rc) {
  if (!check_ctx(rc, ctx, "bpf_xdp_adjust_tail")) return 0;
  XdpBuff* x = rc->xdp;
  const int32_t off = static_cast<int32_t>(offset);
  uint8_t* data_end = x->data_end + off;
  if (data_end > x->frame_end) return neg(EINVAL);
  if (data_end < x->data + kEthHeaderLen) return neg(EINVAL);
  if (off > 0) std::memset(x->data_end, 0, static_cast<size_t>(off));
  x->data_end = data_end;
  update_packet_region(rc, x);
  return 0;
}

u64 xdp_get_buff_len(u64 ctx, u64, u64, u64, u64, RunContext* rc) {
  if (!check_ctx(rc, ctx, "bpf_xdp_get_buff_len")) return 0;
  return static_cast<u64>(rc->xdp->data_end - rc->xdp->data);
}

u64 xdp_copy_bytes(u64 ctx, u64 offset, u64 buf, u64 len, bool store, RunContext* rc) {
  const char* name = store ? "bpf_xdp_store_bytes" : "bpf_xdp_load_bytes";
  if (!check_ctx(rc, ctx, name)) return 0;
  if (rc->checked && !check_mem(rc, buf, static_cast<uint32_t>(len), !store, name, 3)) return 0;
  XdpBuff* x = rc->xdp;
  const uint64_t size = static_cast<uint64_t>(x->data_end - x->data);
  const uint32_t off = static_cast<uint32_t>(offset), n = static_cast<uint32_t>(len);
  if (static_cast<uint64_t>(off) + n > size || static_cast<uint64_t>(off) + n < off)
    return neg(EINVAL);
  if (store)
    std::memcpy(x->data + off, reinterpret_cast<const void*>(buf), n);
  else
    std::memcpy(reinterpret_cast<void*>(buf), x->data + off, n);
  return 0;
}

u64 xdp_load_bytes(u64 ctx, u64 offset, u64 buf, u64 len, u64, RunContext* rc) {
  return xdp_copy_bytes(ctx, offset, buf, len, false, rc);
}
u64 xdp_store_bytes(u64 ctx, u64 offset, u64 buf, u64 len, u64, RunContext* rc) {
  return xdp_copy_bytes(ctx, offset, buf, len, true, rc);
}

// ---- redirect ----------------------------------------------------------------

u64 redirect(u64 ifindex, u64 flags, u64, u64, u64, RunContext* rc) {
  if (flags) return XDP_ABORTED;
  rc->redirect = RunContext::Redirect{static_cast<uint32_t>(ifindex), nullptr, 0, 0};
  return XDP_REDIRECT;
}

// Linux's __bpf_xdp_redirect_map for devmaps: the low bits of flags are the
// action on a failed lookup; with BPF_F_BROADCAST every entry is a target.
u64 redirect_map(u64 m, u64 key, u64 flags, u64, u64, RunContext* rc) {
  if (rc->checked && !check_map(rc, m, "bpf_redirect_map")) return 0;
  maps::Map* map = as_map(m);
  if (map->type() != BPF_MAP_TYPE_DEVMAP && map->type() != BPF_MAP_TYPE_DEVMAP_HASH) {
    if (rc->checked)
      rc->fault(
          fmt::format("bpf_redirect_map: map '{}' is not a devmap (only devmap and "
                      "devmap_hash redirect targets are supported)",
                      map->spec().name));
    return XDP_ABORTED;
  }
  constexpr u64 kActionMask = XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX;
  constexpr u64 kFlagMask = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS;
  if (flags & ~(kActionMask | kFlagMask)) return XDP_ABORTED;
  const auto* devmap = static_cast<const maps::DevMap*>(map);
  const bpf_devmap_val* target = devmap->get(static_cast<uint32_t>(key));
  if (!target && !(flags & BPF_F_BROADCAST)) {
    rc->redirect = RunContext::Redirect{};
    return flags & kActionMask;
  }
  rc->redirect = RunContext::Redirect{target ? target->ifindex : 0, map, key,
                                      (flags & BPF_F_BROADCAST) ? flags : 0};
  return XDP_REDIRECT;
}

// Linux's tail call: at most 33 per invocation; an empty slot or an index out
// of range falls through to the next instruction.
u64 tail_call(u64 ctx, u64 m, u64 index, u64, u64, RunContext* rc) {
  if (rc->checked && !check_map(rc, m, "bpf_tail_call")) return 0;
  maps::Map* map = as_map(m);
  if (map->type() != BPF_MAP_TYPE_PROG_ARRAY) {
    rc->fault(fmt::format("bpf_tail_call: map '{}' is not a prog_array", map->spec().name));
    return 0;
  }
  (void)ctx;
  if (rc->tail_calls >= 33) return neg(ENOENT);
  const void* target = static_cast<const maps::ProgArray*>(map)->get(static_cast<uint32_t>(index));
  if (!target) return neg(ENOENT);
  ++rc->tail_calls;
  rc->tail_call_target = target;
  rc->stop = RunContext::Stop::kTailCall;
  return 0;
}

}  // namespace

uint32_t csum_partial(const void* data, size_t len, uint32_t seed) {
  // Add 64-bit little-endian words with end-around carry (x86's adc chain),
  // the tail zero-padded; then fold to 32 bits the same way.
  const uint8_t* p = static_cast<const uint8_t*>(data);
  uint64_t sum = seed;
  auto add = [&sum](uint64_t w) {
    sum += w;
    sum += sum < w;
  };
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    add(w);
  }
  if (i < len) {
    uint64_t w = 0;
    std::memcpy(&w, p + i, len - i);
    add(w);
  }
  uint32_t hi = static_cast<uint32_t>(sum >> 32), lo = static_cast<uint32_t>(sum);
  uint32_t r = hi + lo;
  r += r < lo;
  return r;
}

const HelperTable& xdp_helpers() {
  static const HelperTable table = [] {
    HelperTable t;
    t.set(BPF_FUNC_map_lookup_elem, map_lookup_elem);
    t.set(BPF_FUNC_map_update_elem, map_update_elem);
    t.set(BPF_FUNC_map_delete_elem, map_delete_elem);
    t.set(BPF_FUNC_map_push_elem, map_push_elem);
    t.set(BPF_FUNC_map_pop_elem, map_pop_elem);
    t.set(BPF_FUNC_map_peek_elem, map_peek_elem);
    t.set(BPF_FUNC_ktime_get_ns, ktime_get_ns);
    t.set(BPF_FUNC_ktime_get_boot_ns, ktime_get_boot_ns);
    t.set(BPF_FUNC_ktime_get_coarse_ns, ktime_get_coarse_ns);
    t.set(BPF_FUNC_jiffies64, jiffies64);
    t.set(BPF_FUNC_get_prandom_u32, get_prandom_u32);
    t.set(BPF_FUNC_get_smp_processor_id, get_smp_processor_id);
    t.set(BPF_FUNC_get_numa_node_id, get_numa_node_id);
    t.set(BPF_FUNC_trace_printk, trace_printk);
    t.set(BPF_FUNC_csum_diff, csum_diff);
    t.set(BPF_FUNC_xdp_adjust_head, xdp_adjust_head);
    t.set(BPF_FUNC_xdp_adjust_meta, xdp_adjust_meta);
    t.set(BPF_FUNC_xdp_adjust_tail, xdp_adjust_tail);
    t.set(BPF_FUNC_xdp_get_buff_len, xdp_get_buff_len);
    t.set(BPF_FUNC_xdp_load_bytes, xdp_load_bytes);
    t.set(BPF_FUNC_xdp_store_bytes, xdp_store_bytes);
    t.set(BPF_FUNC_redirect, redirect);
    t.set(BPF_FUNC_redirect_map, redirect_map);
    t.set(BPF_FUNC_tail_call, tail_call);
    return t;
  }();
  return table;
}

}  // namespace ebpfaas::helpers
