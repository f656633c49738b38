// Calls into other program sections: global functions in SEC("xdp/helper")
// and in the caller's own section. libbpf (1.x) rejects such calls ("bad call
// relo"), ebpfaas appends the called function like a .text subprogram.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int counter = 40;

SEC("xdp/helper")
__attribute__((noinline)) int add_two(struct xdp_md *ctx) {
  return counter + 2;
}

SEC("xdp")
__attribute__((noinline)) int caller(struct xdp_md *ctx) {
  return add_two(ctx) + 1;
}

SEC("xdp")
int outer(struct xdp_md *ctx) {
  return caller(ctx) * 2;
}

char LICENSE[] SEC("license") = "GPL";
