// SPDX-License-Identifier: GPL-2.0
/*
 * ddos_mitigation.c - destination-port blocklist plus a per-source IPv4
 * token-bucket rate limiter.
 *
 * For each IPv4 packet: if it is TCP or UDP (first fragment) and its
 * destination port is blocklisted, drop it. Otherwise charge one token to
 * the source address's bucket; drop the packet if the bucket is empty.
 * Buckets refill at rate_pps tokens per second up to burst tokens:
 *   tokens = min(burst, tokens + (now - last_ns) * rate_pps / 1e9)
 * last_ns only advances when at least one whole token was added (or the
 * bucket is full), so sources sending faster than one packet per token
 * period still accumulate refill time instead of starving. A new source
 * starts with a full bucket: tokens = burst - 1 after its first packet.
 *
 * Maps:
 *   src_buckets    BPF_MAP_TYPE_LRU_HASH, max_entries 65536
 *                  key   __u32 IPv4 source address (network byte order)
 *                  value struct bucket { __u64 tokens; __u64 last_ns; }  (16 B)
 *                  Filled by the program (control plane may read/flush).
 *                  LRU, so that a flood from spoofed sources evicts the
 *                  least recently seen buckets instead of filling the table
 *                  for good; should an update still fail, the source is not
 *                  tracked and its packet passes (table_full++).
 *   ddos_config    BPF_MAP_TYPE_ARRAY, max_entries 1
 *                  key   __u32 (always 0)
 *                  value struct ddos_cfg { __u64 rate_pps; __u64 burst; } (16 B)
 *                  Filled by the control plane; a zero field means the
 *                  default (rate 1000 pps, burst 100); values are capped
 *                  at 1e9 so the arithmetic cannot overflow.
 *   blocked_ports  BPF_MAP_TYPE_HASH, max_entries 1024
 *                  key   __u32 destination port in host byte order
 *                  value __u32 (any value; presence means blocked)
 *                  Filled by the control plane; applies to TCP and UDP.
 *   ddos_stats     BPF_MAP_TYPE_PERCPU_ARRAY, max_entries 4
 *                  key   __u32 index: 0 passed, 1 rate_limited,
 *                        2 port_blocked, 3 table_full
 *                  value __u64 packet counter
 *                  Filled by the program.
 *
 * Verdicts:
 *   XDP_PASS  non-IPv4 (not counted); IPv4 within its source's rate
 *             (passed++); new source whose bucket could not be created
 *             (table_full++).
 *   XDP_DROP  frame shorter than an Ethernet header, malformed IPv4 header
 *             (truncated, version != 4, ihl < 5) or TCP/UDP first fragment
 *             too short for the ports (not counted); blocklisted TCP/UDP
 *             destination port (port_blocked++); source out of tokens
 *             (rate_limited++).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NSEC_PER_SEC 1000000000ULL
#define DEFAULT_RATE_PPS 1000ULL
#define DEFAULT_BURST 100ULL
#define MAX_PARAM 1000000000ULL /* cap for rate_pps and burst */

#define IP_OFFSET 0x1FFF

struct bucket {
	__u64 tokens;
	__u64 last_ns;
};

struct ddos_cfg {
	__u64 rate_pps;
	__u64 burst;
};

/* The first four bytes of both the TCP and the UDP header. */
struct l4_ports {
	__be16 source;
	__be16 dest;
};

enum ddos_stat {
	STAT_PASSED = 0,
	STAT_RATE_LIMITED = 1,
	STAT_PORT_BLOCKED = 2,
	STAT_TABLE_FULL = 3,
	STAT_MAX = 4,
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct bucket);
} src_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ddos_cfg);
} ddos_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u32);
} blocked_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ddos_stats SEC(".maps");

/* Tokens earned in `elapsed` ns, at most `burst`. With rate, burst <= 1e9
 * every product below stays under 1e18. */
static __always_inline __u64 refill(__u64 elapsed, __u64 rate, __u64 burst)
{
	__u64 secs = elapsed / NSEC_PER_SEC;
	__u64 rem = elapsed - secs * NSEC_PER_SEC;
	__u64 add;

	if (secs >= burst) /* rate >= 1, so the bucket is full */
		return burst;
	add = secs * rate + rem * rate / NSEC_PER_SEC;
	return add < burst ? add : burst;
}

/* Takes a token from the source's bucket. Returns STAT_PASSED,
 * STAT_RATE_LIMITED (no token) or STAT_TABLE_FULL (new source, untracked). */
static __always_inline __u32 rate_limit(__u32 saddr)
{
	__u32 cfg_key = 0;
	__u64 rate = DEFAULT_RATE_PPS, burst = DEFAULT_BURST;
	__u64 now = bpf_ktime_get_ns();
	__u64 tokens, last, elapsed, add;
	struct ddos_cfg *cfg;
	struct bucket *b;

	cfg = bpf_map_lookup_elem(&ddos_config, &cfg_key);
	if (cfg) {
		if (cfg->rate_pps)
			rate = cfg->rate_pps;
		if (cfg->burst)
			burst = cfg->burst;
	}
	if (rate > MAX_PARAM)
		rate = MAX_PARAM;
	if (burst > MAX_PARAM)
		burst = MAX_PARAM;

	b = bpf_map_lookup_elem(&src_buckets, &saddr);
	if (!b) {
		struct bucket nb = {};

		nb.tokens = burst - 1;
		nb.last_ns = now;
		/* -EEXIST (another CPU created it first) is harmless;
		 * any other failure: the source goes untracked. */
		if (bpf_map_update_elem(&src_buckets, &saddr, &nb, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&src_buckets, &saddr))
			return STAT_TABLE_FULL;
		return STAT_PASSED;
	}

	/* Per-source state is updated in place without a lock: concurrent
	 * packets from one source on several CPUs may race, which at worst
	 * lets a few extra packets through. */
	tokens = b->tokens;
	last = b->last_ns;
	elapsed = now > last ? now - last : 0;
	add = refill(elapsed, rate, burst);
	if (add) {
		tokens += add;
		last = now;
	}
	if (tokens >= burst) {
		tokens = burst;
		last = now;
	}

	if (tokens == 0) {
		b->tokens = 0;
		b->last_ns = last;
		return STAT_RATE_LIMITED;
	}
	b->tokens = tokens - 1;
	b->last_ns = last;
	return STAT_PASSED;
}

/* Decides the verdict for one packet; *stat is the counter to bump, or
 * STAT_MAX for none. */
static __always_inline int filter_packet(struct xdp_md *ctx, __u32 *stat)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;

	*stat = STAT_MAX;
	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end)
		return XDP_DROP;
	if (iph->version != 4 || iph->ihl < 5)
		return XDP_DROP;
	if ((void *)iph + iph->ihl * 4 > data_end)
		return XDP_DROP;

	/* Only a first fragment (offset 0) carries the TCP/UDP header. */
	if ((iph->protocol == IPPROTO_TCP || iph->protocol == IPPROTO_UDP) &&
	    !(iph->frag_off & bpf_htons(IP_OFFSET))) {
		struct l4_ports *l4 = (void *)iph + iph->ihl * 4;
		__u32 port;

		if ((void *)(l4 + 1) > data_end)
			return XDP_DROP;
		port = bpf_ntohs(l4->dest);
		if (bpf_map_lookup_elem(&blocked_ports, &port)) {
			*stat = STAT_PORT_BLOCKED;
			return XDP_DROP;
		}
	}

	*stat = rate_limit(iph->saddr);
	return *stat == STAT_RATE_LIMITED ? XDP_DROP : XDP_PASS;
}

SEC("xdp")
int xdp_ddos_mitigation(struct xdp_md *ctx)
{
	__u32 stat = STAT_MAX;
	int verdict = filter_packet(ctx, &stat);
	__u64 *counter;

	if (stat < STAT_MAX) {
		counter = bpf_map_lookup_elem(&ddos_stats, &stat);
		if (counter)
			*counter += 1; /* per-CPU slot: no atomic needed */
	}
	return verdict;
}

char LICENSE[] SEC("license") = "GPL";
