// Counts each packet in the running CPU's copy of a per-CPU array, and in a
// plain array slot named by bpf_get_smp_processor_id(); drops it.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u64);
} by_id SEC(".maps");

SEC("xdp")
int xdp_cpu_count(struct xdp_md *ctx)
{
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();
	__u64 *n = bpf_map_lookup_elem(&per_cpu, &zero);

	if (n)
		*n += 1;
	n = bpf_map_lookup_elem(&by_id, &cpu);
	if (n)
		__sync_fetch_and_add(n, 1);
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
