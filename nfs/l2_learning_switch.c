// SPDX-License-Identifier: GPL-2.0
/*
 * l2_learning_switch.c - a MAC-learning Ethernet switch.
 *
 * For every frame the source MAC is learned against the ingress port, then
 * the frame is forwarded to the port learned for its destination MAC, or
 * flooded to all switch ports except the ingress one when the destination is
 * unknown, broadcast or multicast.
 *
 * Maps:
 *   mac_table    BPF_MAP_TYPE_HASH, max_entries 65536
 *                key   struct mac_key   { __u8 addr[6]; __u16 pad; }  (8 B, pad = 0)
 *                value struct mac_entry { __u32 port; __u32 pad; }   (8 B, pad = 0)
 *                Filled by the program (learning); the control plane may
 *                pre-load static entries or flush it. It is written only
 *                when the source MAC is new or has moved to another port.
 *   flood_ports  BPF_MAP_TYPE_DEVMAP_HASH, max_entries 64
 *                key   __u32 port (ifindex)
 *                value __u32 egress ifindex (normally equal to the key)
 *                Filled by the control plane with the switch's ports.
 *
 * Verdicts:
 *   XDP_DROP      frame shorter than an Ethernet header;
 *                 source MAC is multicast/broadcast (invalid, not learned);
 *                 destination was learned on the ingress port (filtered).
 *   XDP_REDIRECT  known unicast destination: bpf_redirect(port, 0);
 *                 unknown unicast, broadcast or multicast destination:
 *                 bpf_redirect_map(&flood_ports, 0,
 *                                  BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct mac_key {
	__u8 addr[ETH_ALEN];
	__u16 pad;
};

struct mac_entry {
	__u32 port;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct mac_key);
	__type(value, struct mac_entry);
} mac_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} flood_ports SEC(".maps");

static __always_inline int is_multicast(const __u8 *addr)
{
	/* The I/G bit; also covers ff:ff:ff:ff:ff:ff. */
	return addr[0] & 1;
}

static __always_inline int flood(void)
{
	return bpf_redirect_map(&flood_ports, 0,
				BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
}

SEC("xdp")
int xdp_l2_learning_switch(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 ingress = ctx->ingress_ifindex;
	struct mac_key key = {};
	struct mac_entry *entry;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	if (is_multicast(eth->h_source))
		return XDP_DROP;

	/* Learn: source MAC -> ingress port, only if new or moved. */
	__builtin_memcpy(key.addr, eth->h_source, ETH_ALEN);
	entry = bpf_map_lookup_elem(&mac_table, &key);
	if (!entry || entry->port != ingress) {
		struct mac_entry learned = {};

		learned.port = ingress;
		bpf_map_update_elem(&mac_table, &key, &learned, BPF_ANY);
	}

	if (is_multicast(eth->h_dest))
		return flood();

	/* Forward: destination MAC -> learned port. */
	__builtin_memcpy(key.addr, eth->h_dest, ETH_ALEN);
	entry = bpf_map_lookup_elem(&mac_table, &key);
	if (!entry)
		return flood();
	if (entry->port == ingress)
		return XDP_DROP;
	return bpf_redirect(entry->port, 0);
}

char LICENSE[] SEC("license") = "GPL";
