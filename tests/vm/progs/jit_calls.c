// What the JIT must get right beyond straight-line code: bpf-to-bpf calls
// (own stack frame per call, r6-r9 preserved across it), tail calls from the
// entry function and from a called function, atomics on map values.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 8);
  __type(key, __u32);
  __type(value, __u64);
} counters SEC(".maps");

static __attribute__((noinline)) __u64 count(__u32 slot, __u64 by) {
  __u64* v = bpf_map_lookup_elem(&counters, &slot);
  if (!v) return 0;
  return __sync_fetch_and_add(v, by) + by;
}

SEC("xdp")
int leaf_tx(struct xdp_md* ctx) {
  count(5, 1);
  return XDP_TX;
}

SEC("xdp")
int leaf_drop(struct xdp_md* ctx) {
  count(6, ctx->ingress_ifindex);
  return XDP_DROP;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, int(struct xdp_md*));
} jumps SEC(".maps") = {
    .values = {[0] = &leaf_tx, [1] = &leaf_drop},
};

// A stack buffer of its own, and a nested call.
static __attribute__((noinline)) __u64 mix(__u64 a, __u64 b) {
  volatile __u64 buf[6];
  for (int i = 0; i < 6; ++i) buf[i] = a * (i + 1) ^ (b << i);
  __u64 h = 0;
  for (int i = 0; i < 6; ++i) h = (h ^ buf[i]) * 0x100000001b3ull;
  return h + count(7, 1);
}

static __attribute__((noinline)) int jump_from_callee(struct xdp_md* ctx, __u32 index) {
  bpf_tail_call(ctx, &jumps, index);
  return XDP_PASS;  // empty slot: falls through
}

SEC("xdp")
int entry(struct xdp_md* ctx) {
  void* data = (void*)(long)ctx->data;
  void* data_end = (void*)(long)ctx->data_end;
  if (data + 24 > data_end) return XDP_ABORTED;
  __u8* p = data;
  const __u8 sel = p[0];
  __u64 word = *(__u64*)(p + 8);
  __u64 h = mix(word, sel);
  *(__u64*)(p + 16) = h;
  count(sel & 3, h & 0xff);
  p[1] = (__u8)(word / (sel & 7)) + (__u8)(word % (sel & 3));  // divisor 0 gives 0 and word
  if (sel & 0x10) bpf_tail_call(ctx, &jumps, (sel >> 5) & 3);
  if (sel & 0x08) return jump_from_callee(ctx, (sel >> 5) & 3);
  return (h & 1) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
