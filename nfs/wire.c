// SPDX-License-Identifier: GPL-2.0
/*
 * wire.c - a "bump in the wire": every packet that arrives on one of two
 * ports leaves on the other one, unmodified.
 *
 * Maps:
 *   wire_config  BPF_MAP_TYPE_ARRAY, max_entries 1
 *                key   __u32 (always 0)
 *                value struct wire_cfg { __u32 port_a; __u32 port_b; }  (8 B)
 *                Filled by the control plane. The all-zero default (an
 *                unconfigured entry) means port_a = 0, port_b = 1.
 *
 * Egress choice: egress = (ingress == port_a) ? port_b : port_a, so a packet
 * from port_b, or from any port that is neither port, goes to port_a.
 * A plain ARRAY of port numbers is used instead of a DEVMAP so that the
 * program is deterministic and needs no control-plane setup; it uses
 * bpf_redirect(egress, 0).
 *
 * Verdicts:
 *   XDP_REDIRECT  always (to the other port).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct wire_cfg {
	__u32 port_a;
	__u32 port_b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wire_cfg);
} wire_config SEC(".maps");

SEC("xdp")
int xdp_wire(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u32 port_a = 0, port_b = 1;
	struct wire_cfg *cfg;
	__u32 ingress, egress;

	cfg = bpf_map_lookup_elem(&wire_config, &key);
	if (cfg && (cfg->port_a || cfg->port_b)) {
		port_a = cfg->port_a;
		port_b = cfg->port_b;
	}

	ingress = ctx->ingress_ifindex;
	egress = ingress == port_a ? port_b : port_a;
	return bpf_redirect(egress, 0);
}

char LICENSE[] SEC("license") = "GPL";
