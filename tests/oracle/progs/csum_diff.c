// bpf_csum_diff in every form (push, pull, diff, empty) with the packet's
// bytes and seed, results written over the first 64 bytes: the oracle
// compares them with Linux's.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int csum_forms(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 *in = data + 64;
	__u64 *out = data;
	__u32 seed;

	if (data + 128 > data_end)
		return XDP_DROP;
	seed = in[15];
	out[0] = bpf_csum_diff(0, 0, in, 4, seed);
	out[1] = bpf_csum_diff(in, 4, 0, 0, seed);
	out[2] = bpf_csum_diff(in, 4, in + 1, 4, seed);
	out[3] = bpf_csum_diff(0, 0, in, 0, seed);
	out[4] = bpf_csum_diff(in, 12, 0, 0, seed);
	out[5] = bpf_csum_diff(0, 0, in, 20, 0);
	out[6] = bpf_csum_diff(in, 16, in + 4, 16, seed);
	out[7] = bpf_csum_diff(0, 0, in, 60, seed);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
