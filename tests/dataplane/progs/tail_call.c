// A tail call for the JIT tier's engine path: xdp_jump tail-calls slot 0 of
// `jump` (xdp_landing, set when the object loads), which counts the packet
// and sends it back (XDP_TX); xdp_jump drops what the tail call did not take.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} landed SEC(".maps");

SEC("xdp")
int xdp_landing(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&landed, &key);

	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_TX;
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, int(void *));
} jump SEC(".maps") = {
	.values = { [0] = (void *)&xdp_landing },
};

SEC("xdp")
int xdp_jump(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &jump, 0);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
