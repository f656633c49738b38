// The packet chooses its verdict, for the engine tests. Byte 14 (the first
// byte after the Ethernet header):
//   0..3  that XDP action (ABORTED, DROP, PASS, TX)
//   4     bpf_redirect(byte 15, 0): byte 15 is the target ifindex
//   5     bpf_redirect_map(&ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS)
//   6     bpf_xdp_adjust_head(-64), then XDP_TX (headroom in place)
//   other XDP_ABORTED
// The ingress ifindex is written into byte 16 before the verdict.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} ports SEC(".maps");

SEC("xdp")
int xdp_verdicts(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data;
	__u8 *end = (__u8 *)(long)ctx->data_end;
	__u8 what;

	if (data + 17 > end)
		return XDP_ABORTED;
	what = data[14];
	data[16] = (__u8)ctx->ingress_ifindex;
	switch (what) {
	case 4:
		return bpf_redirect(data[15], 0);
	case 5:
		return bpf_redirect_map(&ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
	case 6:
		if (bpf_xdp_adjust_head(ctx, -64))
			return XDP_ABORTED;
		return XDP_TX;
	default:
		return what <= XDP_TX ? what : XDP_ABORTED;
	}
}

char LICENSE[] SEC("license") = "GPL";
