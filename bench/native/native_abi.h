/* The interface between jit_bench and the seed NFs compiled natively for
 * x86-64 (the "native" anchor): C and C++ see the same three structs.
 *
 * Each NF is a shared module built from its unchanged nfs/<nf>.c with the shim
 * (ebpfaas_native.h) in front of libbpf's headers. jit_bench opens the module,
 * creates the NF's maps with the ebpfaas loader (the same map objects the JIT
 * and the interpreter use), and for every map of the object stores a pointer
 * to an ebpfaas_native_map in the first 8 bytes of the module's map struct
 * (`struct { __uint(type, ...); ... } name SEC(".maps")`: natively a struct of
 * pointer fields, found by its symbol name). It fills ebpfaas_native_env with
 * ebpfaas's helper functions (helpers::xdp_helpers()) and the RunContext, so
 * the native code calls exactly the helpers the JIT calls.
 */
#ifndef EBPFAAS_BENCH_NATIVE_ABI_H
#define EBPFAAS_BENCH_NATIVE_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* helpers::HelperFn: r1..r5, then the RunContext. */
typedef uint64_t (*ebpfaas_native_helper_fn)(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4,
                                             uint64_t r5, void* rc);

#define EBPFAAS_NATIVE_MAX_HELPER 256

/* One map, behind the module's map struct. For arrays and per-CPU arrays the
 * fields of maps::ArrayLayout, for hash maps those of maps::HashLayout, so
 * that the shim inlines lookups as the JIT does; values and buckets are null
 * for other maps. */
struct ebpfaas_native_map {
  uint64_t handle; /* the maps::Map*, as programs pass it to helpers */
  uint8_t* values;
  uint64_t cpu_stride;
  uint32_t stride;
  uint32_t max_entries;
  /* hash maps (maps/hash_layout.h) */
  uint8_t* const* buckets; /* element pointers; an element's first 8 bytes: next */
  uint64_t seed;
  uint32_t bucket_mask;
  uint32_t key_offset;
  uint32_t value_offset;
  uint32_t ref_offset; /* LRU maps: the referenced byte; 0: none */
  uint8_t* percpu_values;
  uint64_t percpu_cpu_stride;
  uint32_t percpu_stride;
  uint32_t num_cpus;
};

/* One per module: the symbol ebpfaas_native_env. */
struct ebpfaas_native_env {
  void* rc; /* the helpers::RunContext of the current invocation */
  uint32_t cpu;
  uint32_t pad;
  ebpfaas_native_helper_fn helpers[EBPFAAS_NATIVE_MAX_HELPER];
};

/* struct xdp_md as the native NF sees it: laid out like helpers::XdpBuff (full
 * pointers), so the NF runs on the very buffer the JIT runs on. NF code reads
 * `(void *)(long)ctx->data`, which is exact with 64-bit fields. */
struct ebpfaas_native_xdp_md {
  unsigned long data;
  unsigned long data_end;
  unsigned long data_meta;
  unsigned long data_hard_start_;
  unsigned long frame_end_;
  uint32_t ingress_ifindex;
  uint32_t rx_queue_index;
  uint32_t egress_ifindex;
  uint32_t reserved_;
};

#ifdef __cplusplus
}
#endif

#endif
