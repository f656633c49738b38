// SPDX-License-Identifier: GPL-2.0
/*
 * ddos_router.c - nfs/ddos_mitigation.c in front of nfs/ipv4_router.c, in
 * one XDP program (xdp_ddos_router).
 *
 * ddos_mitigation passes legitimate traffic with XDP_PASS, which on a data
 * plane without a host port goes nowhere; for the DDoS function to replace a
 * router on live traffic, what it passes must still be routed. This object
 * builds both NFs from their sources unchanged (their maps and their own
 * programs, xdp_ddos_mitigation and xdp_ipv4_router, are in it too) and runs
 * them in turn: the DDoS check first (blocked destination ports and sources
 * out of tokens are dropped), then, for what it passes, the router's lookup,
 * TTL decrement, MAC rewrite and redirect.
 *
 * Maps: those of both NFs (ddos_config, blocked_ports, src_buckets,
 * ddos_stats; routes, router_stats), same layouts and meaning.
 *
 * Verdicts: the DDoS function's XDP_DROP; else the router's verdict.
 */

/* Both sources name their last counter STAT_MAX and define LICENSE; the
 * DDoS one's are renamed. Its program is made inlinable into ours. */
#define STAT_MAX DDOS_STAT_MAX
#define LICENSE ddos_license
#define xdp_ddos_mitigation __attribute__((always_inline)) xdp_ddos_mitigation
#include "../../../nfs/ddos_mitigation.c"
#undef xdp_ddos_mitigation
#undef LICENSE
#undef STAT_MAX

#define xdp_ipv4_router __attribute__((always_inline)) xdp_ipv4_router
#include "../../../nfs/ipv4_router.c"
#undef xdp_ipv4_router

SEC("xdp")
int xdp_ddos_router(struct xdp_md *ctx)
{
	int verdict = xdp_ddos_mitigation(ctx);

	if (verdict != XDP_PASS)
		return verdict;
	return xdp_ipv4_router(ctx);
}
