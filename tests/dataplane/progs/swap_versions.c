// Two versions of one function for the program-swap test: each stamps its
// version into the packet (byte 30) and counts the packet in a map both
// versions share (carried over by name and definition), then sends it back.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} version_counts SEC(".maps");

static __always_inline int stamp(struct xdp_md *ctx, __u32 version)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u64 *count;

	if (data + 32 > end)
		return XDP_DROP;
	data[30] = version;
	count = bpf_map_lookup_elem(&version_counts, &version);
	if (count)
		__sync_fetch_and_add(count, 1);
	return XDP_TX;
}

SEC("xdp")
int stamp_v1(struct xdp_md *ctx)
{
	return stamp(ctx, 1);
}

SEC("xdp")
int stamp_v2(struct xdp_md *ctx)
{
	return stamp(ctx, 2);
}

char LICENSE[] SEC("license") = "GPL";
