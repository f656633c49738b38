// bpf-to-bpf calls the way libbpf links them: static and global functions in
// .text shared by two programs, nested calls, a callback passed by address
// (bpf_loop), and strings for bpf_printk (.rodata) and a literal
// (.rodata.str1.1).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int add_one(int x) {
  return x + 1;
}

static __attribute__((noinline)) int twice_plus_one(int x) {
  return add_one(x) + add_one(x * 2);
}

__attribute__((noinline)) int global_scale(int x) {
  return x * 3;
}

static int accumulate(__u32 index, void *data) {
  *(int *)data += (int)index;
  return 0;
}

SEC("xdp")
int prog_a(struct xdp_md *ctx) {
  int v = twice_plus_one((int)ctx->rx_queue_index);
  bpf_printk("prog_a %d", v);
  return global_scale(v) & 3;
}

SEC("xdp")
int prog_b(struct xdp_md *ctx) {
  int sum = add_one((int)ctx->ingress_ifindex);
  bpf_loop(4, accumulate, &sum, 0);
  bpf_trace_printk("sum %d\n", sizeof("sum %d\n"), sum);
  return sum & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
