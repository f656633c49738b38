// The data plane's anchor program: every packet straight back out (XDP_TX),
// in two versions for measuring program swaps.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_null_a(struct xdp_md *ctx)
{
	return XDP_TX;
}

SEC("xdp")
int xdp_null_b(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
