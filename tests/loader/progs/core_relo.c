// A CO-RE field access (preserve_access_index), as programs built against
// vmlinux.h make them: the instruction keeps the compiled offset.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct xdp_md___local {
  __u32 data;
  __u32 data_end;
  __u32 data_meta;
  __u32 ingress_ifindex;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_access(struct xdp_md___local *ctx) {
  return ctx->ingress_ifindex == 3 ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
