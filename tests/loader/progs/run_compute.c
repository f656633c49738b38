// Global data in every kind of section and calls into .text, for a run in the
// interpreter (see compute.h).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define COMPUTE_CUSTOM_SECTION SEC(".data.custom")
#include "compute.h"

SEC("xdp")
int compute(struct xdp_md *ctx) {
  return compute_impl();
}

char LICENSE[] SEC("license") = "GPL";
