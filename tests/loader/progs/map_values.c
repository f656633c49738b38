// Maps with initial contents (`.values`): a prog array whose slots name entry
// programs, and an array of maps whose slot names an inner map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1);
};

struct inner inner_a SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
  __uint(max_entries, 2);
  __type(key, __u32);
  __array(values, struct inner);
} outer SEC(".maps") = {
    .values = {[1] = &inner_a},
};

SEC("xdp")
int stage_two(struct xdp_md *ctx) {
  __u32 k = 0;
  void *in = bpf_map_lookup_elem(&outer, &k);
  return in ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int stage_three(struct xdp_md *ctx) {
  return XDP_TX;
}

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(max_entries, 4);
  __type(key, __u32);
  __array(values, int(struct xdp_md *));
} stages SEC(".maps") = {
    .values = {[0] = &stage_two, [3] = &stage_three},
};

SEC("xdp")
int stage_one(struct xdp_md *ctx) {
  bpf_tail_call(ctx, &stages, ctx->rx_queue_index & 3);
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
