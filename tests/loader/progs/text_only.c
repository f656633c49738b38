// No SEC(): the only function lands in .text, which then is the program
// (libbpf treats .text functions as subprograms only when there are others).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int only_function(struct xdp_md *ctx) {
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
