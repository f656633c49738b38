// Legacy map definitions: struct bpf_map_def in SEC("maps"), as iproute2 and
// libbpf before 1.0 read them, next to a BTF-defined map.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
  unsigned int type;
  unsigned int key_size;
  unsigned int value_size;
  unsigned int max_entries;
  unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_hash = {
    .type = BPF_MAP_TYPE_HASH,
    .key_size = sizeof(__u32),
    .value_size = sizeof(__u64),
    .max_entries = 64,
    .map_flags = BPF_F_NO_PREALLOC,
};

struct bpf_map_def SEC("maps") legacy_array = {
    .type = BPF_MAP_TYPE_ARRAY,
    .key_size = sizeof(__u32),
    .value_size = 16,
    .max_entries = 2,
};

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __type(key, __u32);
  __type(value, __u32);
  __uint(max_entries, 1);
} modern SEC(".maps");

SEC("xdp")
int use_legacy(struct xdp_md *ctx) {
  __u32 k = 0;
  __u64 *v = bpf_map_lookup_elem(&legacy_hash, &k);
  if (v) *v += 1;
  char *a = bpf_map_lookup_elem(&legacy_array, &k);
  if (a && a[3]) return XDP_DROP;
  __u32 *m = bpf_map_lookup_elem(&modern, &k);
  return m ? (int)*m : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
