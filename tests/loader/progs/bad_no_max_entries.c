// Malformed on purpose: a map definition without max_entries.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u64);
} no_size SEC(".maps");

SEC("xdp")
int uses_no_size(struct xdp_md *ctx) {
  __u32 k = 0;
  return bpf_map_lookup_elem(&no_size, &k) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
