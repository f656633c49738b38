// Tail calls through a prog array (chained, and into the entry program again
// until Linux's limit of 33), per-CPU hash counters, a small hash map whose
// update flags and capacity produce every error code, a queue, global data
// and bpf_xdp_load_bytes / bpf_xdp_store_bytes.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u32); } jt SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __uint(max_entries, 1024); __type(key, __u32); __type(value, __u64); } ph SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 8); __type(key, __u16); __type(value, __u32); } small SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_QUEUE); __uint(max_entries, 16); __type(value, __u32); } q SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, __u32); __type(value, __u64); } res SEC(".maps");
volatile __u64 total = 0;
const volatile __u32 factor = 3;

static __noinline __u64 mix(__u64 a, __u64 b) { return (a * 31 + b) ^ (a >> 3); }

SEC("xdp") int t1(struct xdp_md *ctx) {
	__u8 buf[16] = {};
	if (bpf_xdp_load_bytes(ctx, 20, buf, 16)) return XDP_ABORTED;
	__u32 k = buf[3];
	__u64 *v = bpf_map_lookup_elem(&ph, &k);
	if (v) *v += 1; else { __u64 one = 1; bpf_map_update_elem(&ph, &k, &one, BPF_NOEXIST); }
	buf[0] ^= 0xff;
	bpf_xdp_store_bytes(ctx, 20, buf, 4);
	return XDP_TX;
}
SEC("xdp") int t2(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 32 > data_end) return XDP_DROP;
	__u16 k = *(__u16 *)(data + 24);
	__u32 v = *(__u32 *)(data + 26);
	long r = bpf_map_update_elem(&small, &k, &v, (k & 1) ? BPF_NOEXIST : BPF_ANY);
	__u32 i = 0;
	__u64 *rv = bpf_map_lookup_elem(&res, &i);
	if (rv) *rv += (__u64)r;
	if (k & 2) { r = bpf_map_delete_elem(&small, &k); i = 1; rv = bpf_map_lookup_elem(&res, &i); if (rv) *rv += (__u64)r; }
	if (k & 4) { r = bpf_map_push_elem(&q, &v, (k & 8) ? BPF_EXIST : 0); i = 2; rv = bpf_map_lookup_elem(&res, &i); if (rv) *rv += (__u64)r; }
	else { __u32 out = 0; r = bpf_map_pop_elem(&q, &out); i = 3; rv = bpf_map_lookup_elem(&res, &i); if (rv) *rv += (__u64)r + out; }
	return XDP_PASS;
}
SEC("xdp") int entry(struct xdp_md *ctx) {
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	if (data + 64 > data_end) return XDP_DROP;
	__u8 sel = *(__u8 *)(data + 40);
	total += mix(sel, factor);
	__s32 x = *(__s32 *)(data + 44);
	__s64 y = *(__s64 *)(data + 48);
	*(__s64 *)(data + 56) = ((__u64)y / (__u32)(x | 1)) + ((__u64)y % 7) + ((__s64)x >> 3) + (__s64)(__s8)sel;
	bpf_tail_call(ctx, &jt, sel & 3);
	return sel & 1 ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
