// BTF-defined maps: key/value by type and by size, flags, pinning, map types
// with and without keys; one program references every map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
  __u32 saddr;
  __u32 daddr;
  __u16 sport;
  __u16 dport;
  __u8 proto;
};  // 16 bytes with padding

struct flow_stats {
  __u64 packets;
  __u64 bytes;
};

struct lpm_key {
  __u32 prefixlen;
  __u32 addr;
};

struct {
  __uint(type, BPF_MAP_TYPE_HASH);
  __type(key, struct flow_key);
  __type(value, struct flow_stats);
  __uint(max_entries, 1024);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} flows SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, 24);
  __uint(max_entries, 4);
} config SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LRU_HASH);
  __type(key, __u64);
  __type(value, __u32);
  __uint(max_entries, 128);
  __uint(map_flags, BPF_F_NO_COMMON_LRU);
  __uint(pinning, LIBBPF_PIN_BY_NAME);
} recent SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_LPM_TRIE);
  __type(key, struct lpm_key);
  __type(value, __u32);
  __uint(max_entries, 256);
  __uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
  __uint(max_entries, 8);
} counters SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_DEVMAP);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
  __uint(max_entries, 8);
} tx_ports SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
  __uint(key_size, sizeof(__u32));
  __uint(value_size, sizeof(__u32));
  __uint(max_entries, 4);
} jump_table SEC(".maps");

struct {
  __uint(type, BPF_MAP_TYPE_QUEUE);
  __type(value, __u32);
  __uint(max_entries, 16);
} pending SEC(".maps");

// libbpf rounds ring buffer sizes up to a power-of-2 number of pages.
struct {
  __uint(type, BPF_MAP_TYPE_RINGBUF);
  __uint(max_entries, 5000);
} events SEC(".maps");

SEC("xdp")
int use_maps(struct xdp_md *ctx) {
  __u32 zero = 0, idx = ctx->rx_queue_index & 3;
  struct flow_key fk = {.saddr = ctx->ingress_ifindex, .proto = 17};
  struct flow_stats *fs = bpf_map_lookup_elem(&flows, &fk);
  if (fs) fs->packets++;
  __u8 *cfg = bpf_map_lookup_elem(&config, &idx);
  if (cfg && cfg[0]) return XDP_DROP;
  __u64 rk = ctx->ingress_ifindex;
  __u32 one = 1;
  bpf_map_update_elem(&recent, &rk, &one, BPF_ANY);
  struct lpm_key lk = {.prefixlen = 32, .addr = ctx->ingress_ifindex};
  __u32 *hop = bpf_map_lookup_elem(&routes, &lk);
  if (hop) return (int)*hop;
  __u64 *cnt = bpf_map_lookup_elem(&counters, &zero);
  if (cnt) *cnt += 1;
  bpf_map_push_elem(&pending, &idx, 0);
  __u32 *ev = bpf_ringbuf_reserve(&events, sizeof(__u32), 0);
  if (ev) {
    *ev = idx;
    bpf_ringbuf_submit(ev, 0);
  }
  bpf_tail_call(ctx, &jump_table, idx);
  return bpf_redirect_map(&tx_ports, idx, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
