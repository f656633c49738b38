// Several programs per object and per section, and the section names libbpf
// derives program types from.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_pass_all(struct xdp_md *ctx) {
  return XDP_PASS;
}

// A second program in the same section.
SEC("xdp")
int xdp_drop_small(struct xdp_md *ctx) {
  void *data = (void *)(long)ctx->data;
  void *data_end = (void *)(long)ctx->data_end;
  return data + 64 > data_end ? XDP_DROP : XDP_PASS;
}

SEC("xdp/forward")
int xdp_forward(struct xdp_md *ctx) {
  return ctx->ingress_ifindex == 1 ? XDP_TX : XDP_PASS;
}

SEC("xdp.frags")
int xdp_multi_buffer(struct xdp_md *ctx) {
  return XDP_PASS;
}

SEC("xdp/devmap")
int xdp_on_devmap(struct xdp_md *ctx) {
  return XDP_PASS;
}

SEC("?xdp")
int xdp_not_autoloaded(struct xdp_md *ctx) {
  return XDP_ABORTED;
}

SEC("tc")
int tc_accept(struct __sk_buff *skb) {
  return skb->len > 1500 ? 2 /* TC_ACT_SHOT */ : 0 /* TC_ACT_OK */;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
__u32 _version SEC("version") = 0x060100;
