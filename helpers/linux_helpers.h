// The Linux helper functions available to XDP programs, by their Linux ids,
// with Linux's semantics (net/core/filter.c, kernel/bpf/helpers.c). In checked
// mode every pointer argument is checked against the program's regions and
// every map argument against the maps it was linked with.
#pragma once

#include "helpers/run_context.h"

namespace ebpfaas::helpers {

// map_lookup/update/delete_elem, map_push/pop/peek_elem, ktime_get_ns,
// ktime_get_boot_ns, ktime_get_coarse_ns, jiffies64, get_prandom_u32,
// get_smp_processor_id, get_numa_node_id, trace_printk, csum_diff,
// xdp_adjust_head, xdp_adjust_tail, xdp_adjust_meta, xdp_get_buff_len,
// xdp_load_bytes, xdp_store_bytes, redirect, redirect_map, tail_call.
const HelperTable& xdp_helpers();

// Linux's csum_partial as x86-64 computes it (64-bit ones' complement sum
// folded to 32 bits), so that csum_diff returns the kernel's exact values.
uint32_t csum_partial(const void* data, size_t len, uint32_t seed);

// Linux's layout constants an XDP buffer must honour for the adjust helpers
// to agree with the kernel: the xdp_frame kept at the head of the headroom,
// and the skb_shared_info kept at the tail of the frame.
inline constexpr uint32_t kXdpFrameSize = 40;
inline constexpr uint32_t kSkbSharedInfoSize = 320;
inline constexpr uint32_t kEthHeaderLen = 14;

}  // namespace ebpfaas::helpers
