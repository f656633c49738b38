// SPDX-License-Identifier: GPL-2.0
/*
 * ipv4_router.c - an IPv4 longest-prefix-match router.
 *
 * Parses an untagged Ethernet + IPv4 header, validates it, drops packets
 * whose TTL would expire, looks the destination up in an LPM trie,
 * decrements the TTL (RFC 1624 incremental checksum update), rewrites the
 * Ethernet addresses from the route and redirects to the route's port.
 * VLAN-tagged frames are not parsed (they count as non-IPv4 and are dropped).
 *
 * Maps:
 *   routes        BPF_MAP_TYPE_LPM_TRIE, max_entries 1024, BPF_F_NO_PREALLOC
 *                 key   struct route_key { __u32 prefixlen; __u32 addr; }  (8 B)
 *                       prefixlen in host order (0..32), addr in network
 *                       byte order (kernel LPM convention)
 *                 value struct route { __u8 dst_mac[6]; __u8 src_mac[6];
 *                                      __u32 port; }                     (16 B)
 *                 Filled by the control plane.
 *   router_stats  BPF_MAP_TYPE_PERCPU_ARRAY, max_entries 5
 *                 key   __u32 index: 0 forwarded, 1 no_route, 2 ttl_expired,
 *                       3 not_ipv4, 4 malformed
 *                 value __u64 packet counter
 *                 Filled by the program; read by the control plane.
 *
 * Order of checks: Ethernet -> EtherType -> IPv4 header -> TTL -> route.
 *
 * Verdicts:
 *   XDP_PASS      ARP (left to the host stack);                  not_ipv4++
 *   XDP_DROP      other non-IPv4 EtherTypes;                     not_ipv4++
 *                 truncated Ethernet/IPv4 header, version != 4,
 *                 ihl < 5;                                       malformed++
 *                 TTL <= 1 (expired);                            ttl_expired++
 *                 no route for the destination;                  no_route++
 *   XDP_REDIRECT  routed: bpf_redirect(route->port, 0);          forwarded++
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct route_key {
	__u32 prefixlen;
	__u32 addr;
};

struct route {
	__u8 dst_mac[ETH_ALEN];
	__u8 src_mac[ETH_ALEN];
	__u32 port;
};

enum router_stat {
	STAT_FORWARDED = 0,
	STAT_NO_ROUTE = 1,
	STAT_TTL_EXPIRED = 2,
	STAT_NOT_IPV4 = 3,
	STAT_MALFORMED = 4,
	STAT_MAX = 5,
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct route_key);
	__type(value, struct route);
} routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} router_stats SEC(".maps");

/* RFC 1624 incremental update, as in the kernel's ip_decrease_ttl(). TTL is
 * the high byte of the 16-bit word it shares with the protocol, so the
 * checksum grows by 0x0100 (one's-complement, end-around carry). */
static __always_inline void ip_decrease_ttl(struct iphdr *iph)
{
	__u32 check = (__u32)iph->check;

	check += (__u32)bpf_htons(0x0100);
	iph->check = (__u16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/* Decides the verdict for one packet and which counter it bumps. */
static __always_inline int route_packet(struct xdp_md *ctx, __u32 *stat)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct route_key key = {};
	struct route *rt;
	struct iphdr *iph;

	*stat = STAT_MALFORMED;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;

	if (eth->h_proto != bpf_htons(ETH_P_IP)) {
		*stat = STAT_NOT_IPV4;
		if (eth->h_proto == bpf_htons(ETH_P_ARP))
			return XDP_PASS;
		return XDP_DROP;
	}

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->version != 4 || iph->ihl < 5)
		return XDP_DROP;
	if ((void *)iph + iph->ihl * 4 > data_end)
		return XDP_DROP;

	*stat = STAT_TTL_EXPIRED;
	if (iph->ttl <= 1)
		return XDP_DROP;

	*stat = STAT_NO_ROUTE;
	key.prefixlen = 32;
	key.addr = iph->daddr;
	rt = bpf_map_lookup_elem(&routes, &key);
	if (!rt)
		return XDP_DROP;

	*stat = STAT_FORWARDED;
	ip_decrease_ttl(iph);
	__builtin_memcpy(eth->h_dest, rt->dst_mac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, rt->src_mac, ETH_ALEN);
	return bpf_redirect(rt->port, 0);
}

SEC("xdp")
int xdp_ipv4_router(struct xdp_md *ctx)
{
	__u32 stat = STAT_MALFORMED;
	int verdict = route_packet(ctx, &stat);
	__u64 *counter = bpf_map_lookup_elem(&router_stats, &stat);

	if (counter)
		*counter += 1; /* per-CPU slot: no atomic needed */
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
