// The map lookups and the helper the JIT compiles in (vm/jit): hash maps of
// every kind with keys of 2 to 16 bytes (and one of 20, left to the helper),
// chains longer than one element, full maps, LRU evictions (which depend on
// the referenced marks lookups leave), per-CPU values; bpf_redirect with and
// without flags. Keys come from the packet with few distinct values, so that
// lookups hit and miss.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define KEY(n) \
  struct key##n {  \
    __u8 b[n];     \
  }
KEY(2);
KEY(3);
KEY(4);
KEY(6);
KEY(8);
KEY(12);
KEY(16);
KEY(20);

#define MAP(name, map_type, n, entries) \
  struct {                              \
    __uint(type, map_type);             \
    __uint(max_entries, entries);       \
    __type(key, struct key##n);         \
    __type(value, __u64);               \
  } name SEC(".maps")

MAP(h2, BPF_MAP_TYPE_HASH, 2, 64);
MAP(h3, BPF_MAP_TYPE_HASH, 3, 64);
MAP(p4, BPF_MAP_TYPE_PERCPU_HASH, 4, 64);
MAP(l6, BPF_MAP_TYPE_LRU_HASH, 6, 8);
MAP(lp8, BPF_MAP_TYPE_LRU_PERCPU_HASH, 8, 8);
MAP(h12, BPF_MAP_TYPE_HASH, 12, 64);
MAP(h16, BPF_MAP_TYPE_HASH, 16, 6);  // fills up: later keys are refused
MAP(h20, BPF_MAP_TYPE_HASH, 20, 64);

// Looks the key up; a hit counts, a miss inserts. Returns 1 on a hit.
#define COUNT(map, p, n, mask)                                \
  ({                                                          \
    struct key##n k;                                          \
    __u64 *v;                                                 \
    int hit = 0;                                              \
    for (int i = 0; i < n; ++i) k.b[i] = (p)[i] & (mask);     \
    v = bpf_map_lookup_elem(&map, &k);                        \
    if (v) {                                                  \
      *v += 1;                                                \
      hit = 1;                                                \
    } else {                                                  \
      __u64 one = 1;                                          \
      bpf_map_update_elem(&map, &k, &one, BPF_ANY);           \
    }                                                         \
    hit;                                                      \
  })

SEC("xdp")
int maps_entry(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 hits = 0;

	if ((void *)(p + 64) > data_end)
		return XDP_ABORTED;
	hits |= COUNT(h2, p, 2, 7) << 0;
	hits |= COUNT(h3, p + 2, 3, 3) << 1;
	hits |= COUNT(p4, p + 5, 4, 3) << 2;
	hits |= COUNT(l6, p + 9, 6, 1) << 3;
	hits |= COUNT(lp8, p + 15, 8, 1) << 4;
	hits |= COUNT(h12, p + 23, 12, 1) << 5;
	hits |= COUNT(h16, p + 35, 16, 1) << 6;
	hits |= COUNT(h20, p + 28, 20, 1) << 7;
	p[60] = hits;
	if (p[0] & 0x80)
		return bpf_redirect(p[1], p[2] & 0x10 ? p[3] : 0);
	return hits & 8 ? XDP_PASS : hits & 1 ? XDP_TX : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
