/* The shim that compiles a BPF C network function natively for x86-64, for
 * jit_bench's "native" column (the practical limit of the JIT). Force-included
 * (-include) in front of the NF's unchanged source; include/bpf/bpf_helpers.h
 * stands in for libbpf's, whose helper declarations only make sense for the
 * BPF target (libbpf's bpf_endian.h works natively and is used as it is).
 *
 *  - SEC() drops the section; map definitions keep libbpf's macros
 *    (__uint(n, v) is `int (*n)[v]`, __type(n, v) is `typeof(v) *n`), so a map
 *    is a struct of pointer fields whose types carry the definition. jit_bench
 *    stores a struct ebpfaas_native_map pointer in its first 8 bytes
 *    (native_abi.h).
 *  - Helpers call ebpfaas's own helper functions (the ones the JIT calls) with
 *    the map's handle and the invocation's RunContext, so native code and the
 *    JIT do the same map work. Lookups in arrays, hash maps (keys up to 16
 *    bytes) and their per-CPU and LRU kinds are inlined from the map's layout,
 *    as the JIT inlines them; the map type and key size are known at compile
 *    time from the definition (so bpf_map_lookup_elem needs the map struct
 *    itself, not a void pointer). bpf_redirect stays a call (the JIT inlines it).
 *  - struct xdp_md becomes struct ebpfaas_native_xdp_md (full pointers, the
 *    layout of helpers::XdpBuff).
 * Not provided: bpf_tail_call (it needs the VM) and helpers outside the list
 * below.
 */
#ifndef EBPFAAS_BENCH_NATIVE_SHIM_H
#define EBPFAAS_BENCH_NATIVE_SHIM_H

#include <linux/bpf.h>
#include <linux/types.h>

#include "native_abi.h"

/* From here on the NF's context is the native one (linux/bpf.h, already
 * included, keeps its struct xdp_md unused). */
#define xdp_md ebpfaas_native_xdp_md

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
#ifndef __weak
#define __weak __attribute__((weak))
#endif
#ifndef likely
#define likely(x) __builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define SEC(name) __attribute__((used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name
#define __array(name, val) typeof(val) *name[]

/* Filled by jit_bench (one module per NF, so one definition). */
__attribute__((visibility("default"))) struct ebpfaas_native_env ebpfaas_native_env;

#define EBPFAAS_NATIVE_CALL(id, r1, r2, r3, r4, r5)                                      \
  ebpfaas_native_env.helpers[id]((uint64_t)(r1), (uint64_t)(r2), (uint64_t)(r3),      \
                                 (uint64_t)(r4), (uint64_t)(r5), ebpfaas_native_env.rc)

static __always_inline const struct ebpfaas_native_map *ebpfaas_native_map_of(const void *map)
{
	const struct ebpfaas_native_map *m;

	__builtin_memcpy(&m, map, sizeof(m));
	return m;
}

/* BPF_MAP_TYPE_* of a map definition, from `int (*type)[BPF_MAP_TYPE_...]`,
 * and its key size, from `typeof(key) *key`. */
#define EBPFAAS_NATIVE_MAP_TYPE(map) (sizeof(*(map)->type) / sizeof(int))
#define EBPFAAS_NATIVE_KEY_SIZE(map) sizeof(*(map)->key)

/* maps/hash_layout.h's hash_key, for keys of 1 to 16 bytes. */
static __always_inline __u64 ebpfaas_native_mix(__u64 a, __u64 b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (__u64)r ^ (__u64)(r >> 64);
}

static __always_inline __u32 ebpfaas_native_hash(const __u8 *p, __u32 size, __u64 seed)
{
	__u64 s0 = seed ^ 0xa0761d6478bd642full;
	__u64 s1 = (seed * 0x8ebc6af09c88c6e3ull) ^ 0xe7037ed1a0b428dbull ^ size;
	__u64 a, b = 0, h;
	__u32 lo, hi;

	if (size >= 4 && size <= 8) {
		__builtin_memcpy(&hi, p, 4);
		__builtin_memcpy(&lo, p + size - 4, 4);
		a = ((__u64)hi << 32) | lo;
	} else if (size < 4) {
		a = ((__u64)p[0] << 16) | ((__u64)p[size >> 1] << 8) | p[size - 1];
	} else {
		__builtin_memcpy(&a, p, 8);
		__builtin_memcpy(&b, p + size - 8, 8);
	}
	h = ebpfaas_native_mix(a ^ s0, b ^ s1);
	return (__u32)(h ^ (h >> 32));
}

/* HashMap's lookup (maps/hash_map.cpp) with the key size a constant. */
static __always_inline void *ebpfaas_native_hash_lookup(const struct ebpfaas_native_map *m,
							const void *key, __u32 size, int percpu)
{
	__u32 h = ebpfaas_native_hash(key, size, m->seed);
	__u8 *e;

	if (percpu && ebpfaas_native_env.cpu >= m->num_cpus)
		return 0;
	e = __atomic_load_n(&m->buckets[h & m->bucket_mask], __ATOMIC_ACQUIRE);
	while (e && __builtin_memcmp(e + m->key_offset, key, size) != 0)
		e = __atomic_load_n((__u8 **)e, __ATOMIC_ACQUIRE);
	if (!e)
		return 0;
	if (m->ref_offset && !__atomic_load_n(e + m->ref_offset, __ATOMIC_RELAXED))
		__atomic_store_n(e + m->ref_offset, 1, __ATOMIC_RELAXED);
	if (percpu) {
		__u32 index;

		__builtin_memcpy(&index, e + 12, 4);
		return m->percpu_values + ebpfaas_native_env.cpu * m->percpu_cpu_stride +
		       (__u64)index * m->percpu_stride;
	}
	return e + m->value_offset;
}

static __always_inline void *ebpfaas_native_lookup(unsigned long type, const void *map,
						   const void *key, __u32 key_size)
{
	const struct ebpfaas_native_map *m = ebpfaas_native_map_of(map);

	if ((type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_LRU_HASH ||
	     type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH) &&
	    key_size <= 16 && m->buckets)
		return ebpfaas_native_hash_lookup(m, key, key_size,
						  type == BPF_MAP_TYPE_PERCPU_HASH ||
							  type == BPF_MAP_TYPE_LRU_PERCPU_HASH);

	if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		__u32 index;
		__u8 *values = m->values;

		__builtin_memcpy(&index, key, sizeof(index));
		if (index >= m->max_entries)
			return 0;
		if (type == BPF_MAP_TYPE_PERCPU_ARRAY)
			values += ebpfaas_native_env.cpu * m->cpu_stride;
		return values + (__u64)index * m->stride;
	}
	return (void *)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_lookup_elem, m->handle, key, 0, 0, 0);
}

#define bpf_map_lookup_elem(map, key) \
	ebpfaas_native_lookup(EBPFAAS_NATIVE_MAP_TYPE(map), (map), (key), EBPFAAS_NATIVE_KEY_SIZE(map))
#define bpf_map_update_elem(map, key, value, flags)                                    \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_update_elem, ebpfaas_native_map_of(map)->handle, \
				   (key), (value), (flags), 0))
#define bpf_map_delete_elem(map, key) \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_delete_elem, ebpfaas_native_map_of(map)->handle, \
				   (key), 0, 0, 0))
#define bpf_map_push_elem(map, value, flags) \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_push_elem, ebpfaas_native_map_of(map)->handle, \
				   (value), (flags), 0, 0))
#define bpf_map_pop_elem(map, value) \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_pop_elem, ebpfaas_native_map_of(map)->handle, \
				   (value), 0, 0, 0))
#define bpf_map_peek_elem(map, value) \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_map_peek_elem, ebpfaas_native_map_of(map)->handle, \
				   (value), 0, 0, 0))
#define bpf_redirect_map(map, key, flags) \
	((long)EBPFAAS_NATIVE_CALL(BPF_FUNC_redirect_map, ebpfaas_native_map_of(map)->handle, \
				   (key), (flags), 0, 0))

static __always_inline __u64 bpf_ktime_get_ns(void)
{
	return EBPFAAS_NATIVE_CALL(BPF_FUNC_ktime_get_ns, 0, 0, 0, 0, 0);
}
static __always_inline __u64 bpf_ktime_get_boot_ns(void)
{
	return EBPFAAS_NATIVE_CALL(BPF_FUNC_ktime_get_boot_ns, 0, 0, 0, 0, 0);
}
static __always_inline __u32 bpf_get_prandom_u32(void)
{
	return (__u32)EBPFAAS_NATIVE_CALL(BPF_FUNC_get_prandom_u32, 0, 0, 0, 0, 0);
}
static __always_inline __u32 bpf_get_smp_processor_id(void)
{
	return (__u32)EBPFAAS_NATIVE_CALL(BPF_FUNC_get_smp_processor_id, 0, 0, 0, 0, 0);
}
static __always_inline long bpf_redirect(__u32 ifindex, __u64 flags)
{
	return (long)EBPFAAS_NATIVE_CALL(BPF_FUNC_redirect, ifindex, flags, 0, 0, 0);
}
static __always_inline __s64 bpf_csum_diff(__be32 *from, __u32 from_size, __be32 *to,
					   __u32 to_size, __wsum seed)
{
	return (__s64)EBPFAAS_NATIVE_CALL(BPF_FUNC_csum_diff, from, from_size, to, to_size, seed);
}
/* The context is laid out like the XdpBuff these helpers expect. */
static __always_inline long bpf_xdp_adjust_head(struct xdp_md *ctx, int delta)
{
	return (long)EBPFAAS_NATIVE_CALL(BPF_FUNC_xdp_adjust_head, ctx, (long)delta, 0, 0, 0);
}
static __always_inline long bpf_xdp_adjust_tail(struct xdp_md *ctx, int delta)
{
	return (long)EBPFAAS_NATIVE_CALL(BPF_FUNC_xdp_adjust_tail, ctx, (long)delta, 0, 0, 0);
}
static __always_inline long bpf_xdp_adjust_meta(struct xdp_md *ctx, int delta)
{
	return (long)EBPFAAS_NATIVE_CALL(BPF_FUNC_xdp_adjust_meta, ctx, (long)delta, 0, 0, 0);
}

#endif
