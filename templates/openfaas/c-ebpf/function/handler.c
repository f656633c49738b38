// SPDX-License-Identifier: GPL-2.0
/*
 * handler.c: an ebpfaas network function (XDP C, as Linux loads it), built
 * into an image by a standard OpenFaaS and run by ebpfaasd.
 *
 * ebpfaas calls the SEC("xdp") function once per packet, with the packet in
 * place: ctx->data .. ctx->data_end are its bytes, ctx->ingress_ifindex the
 * port it arrived on (port i is ifindex i + 1). The return value decides:
 * XDP_PASS (to the host port), XDP_DROP, XDP_TX (back out of the arrival
 * port), bpf_redirect(ifindex, 0) (out of another port), XDP_ABORTED.
 *
 * This one counts packets and bytes per EtherType class in a map and lets
 * every packet pass. Read the counters while it runs or after it ran:
 *   ebpfaas map dump FUNCTION stats (FUNCTION: $EBPFAAS_FUNCTION)
 * Every access to the packet must be checked against data_end, or the
 * verifier refuses the program (`ebpfaas build` runs it locally).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

enum { CLASS_IPV4, CLASS_IPV6, CLASS_ARP, CLASS_OTHER, CLASS_COUNT };

struct counters {
	__u64 packets;
	__u64 bytes;
};

/* Maps live with the function: they keep their contents across executions
 * and updates (same name and definition), and a restart of ebpfaasd. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CLASS_COUNT);
	__type(key, __u32);
	__type(value, struct counters);
} stats SEC(".maps");

SEC("xdp")
int handle(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct counters *c;
	__u32 class = CLASS_OTHER;

	if ((void *)(eth + 1) <= data_end) {
		switch (bpf_ntohs(eth->h_proto)) {
		case ETH_P_IP:
			class = CLASS_IPV4;
			break;
		case ETH_P_IPV6:
			class = CLASS_IPV6;
			break;
		case ETH_P_ARP:
			class = CLASS_ARP;
			break;
		}
	}

	c = bpf_map_lookup_elem(&stats, &class);
	if (c) {
		/* Engines run on several cores at once: add atomically. */
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, data_end - data);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
