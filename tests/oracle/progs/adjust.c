// The XDP buffer helpers: `adjust` runs bpf_xdp_adjust_head (encapsulation,
// then XDP_TX) or bpf_xdp_adjust_tail (grow and shrink), chosen by the source
// MAC, with a per-CPU byte counter and an LRU map; `adjust_meta` writes
// metadata with bpf_xdp_adjust_meta (a separate program: some kernels do not
// offer that helper to XDP programs, and their oracle runs then skip it alone).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 512);
	__type(key, __u32);
	__type(value, __u64);
} seen SEC(".maps");

SEC("xdp")
int adjust(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) return XDP_ABORTED;
	__u32 k = eth->h_source[5] & 3;
	__u64 *c = bpf_map_lookup_elem(&cnt, &k);
	if (c) *c += ctx->data_end - ctx->data;
	__u32 key = eth->h_dest[5];
	__u64 v = bpf_ntohs(eth->h_proto);
	bpf_map_update_elem(&seen, &key, &v, BPF_ANY);
	if (eth->h_source[5] & 1) {
		if (bpf_xdp_adjust_head(ctx, -(int)sizeof(struct ethhdr))) return XDP_DROP;
		data = (void *)(long)ctx->data;
		data_end = (void *)(long)ctx->data_end;
		struct ethhdr *n = data, *o = data + sizeof(*n);
		if ((void *)(o + 1) > data_end) return XDP_DROP;
		__builtin_memcpy(n->h_dest, o->h_source, 6);
		__builtin_memcpy(n->h_source, o->h_dest, 6);
		n->h_proto = bpf_htons(0x88b5);
		return XDP_TX;
	}
	if (eth->h_source[5] & 2) {
		int delta = (int)(eth->h_dest[5] & 63) - 32;
		if (bpf_xdp_adjust_tail(ctx, delta)) return XDP_DROP;
		return XDP_PASS;
	}
	data_end = (void *)(long)ctx->data_end;
	if (data + 34 > data_end) return XDP_PASS;
	__s64 cs = bpf_csum_diff(0, 0, (__be32 *)(data + 14), 20, 0);
	if (c) *c += cs & 0xff;
	return XDP_PASS;
}

SEC("xdp")
int adjust_meta(struct xdp_md *ctx)
{
	int delta = -8 * (int)(((ctx->data_end - ctx->data) & 3) + 1);
	if (bpf_xdp_adjust_meta(ctx, delta)) return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *meta = (void *)(long)ctx->data_meta;
	if (meta + 8 > data) return XDP_DROP;
	*(__u64 *)meta = bpf_csum_diff(0, 0, data, 0, 0) + 0x1122334455ull;
	void *data_end = (void *)(long)ctx->data_end;
	if (data + 34 > data_end) return XDP_PASS;
	__s64 cs = bpf_csum_diff(0, 0, (__be32 *)(data + 14), 20, 0);
	*(__u32 *)(meta) = (__u32)cs;
	if (meta + 16 <= data && (*(__u8 *)(data + 11) & 1)) return XDP_TX;
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
