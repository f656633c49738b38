// Malformed on purpose: a static function in a program section, which libbpf
// refuses to load ("program is static and not supported").
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
static int hidden_entry(struct xdp_md *ctx) {
  return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
