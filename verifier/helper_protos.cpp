#include "verifier/helper_protos.h"

#include <linux/bpf.h>

#include <array>

namespace ebpfaas::verifier {
namespace {

using A = ArgKind;
using R = RetKind;

constexpr HelperProto kProtos[] = {
    {BPF_FUNC_map_lookup_elem,
     "map_lookup_elem",
     R::kMapValueOrNull,
     {A::kConstMapPtr, A::kMapKey},
     false},
    {BPF_FUNC_map_update_elem,
     "map_update_elem",
     R::kInteger,
     {A::kConstMapPtr, A::kMapKey, A::kMapValue, A::kAnything},
     false},
    {BPF_FUNC_map_delete_elem,
     "map_delete_elem",
     R::kInteger,
     {A::kConstMapPtr, A::kMapKey},
     false},
    {BPF_FUNC_ktime_get_ns, "ktime_get_ns", R::kInteger, {}, false},
    {BPF_FUNC_trace_printk,
     "trace_printk",
     R::kInteger,
     {A::kMemReadonly, A::kConstSize, A::kAnythingOrUninit, A::kAnythingOrUninit,
      A::kAnythingOrUninit},
     false},
    {BPF_FUNC_get_prandom_u32, "get_prandom_u32", R::kInteger, {}, false},
    {BPF_FUNC_get_smp_processor_id, "get_smp_processor_id", R::kCpuId, {}, false},
    {BPF_FUNC_tail_call, "tail_call", R::kVoid, {A::kCtx, A::kConstMapPtr, A::kAnything}, false},
    {BPF_FUNC_redirect, "redirect", R::kXdpAction, {A::kAnything, A::kAnything}, false},
    {BPF_FUNC_csum_diff,
     "csum_diff",
     R::kInteger,
     {A::kMemReadonlyOrNull, A::kConstSizeOrZero, A::kMemReadonlyOrNull, A::kConstSizeOrZero,
      A::kAnything},
     false},
    {BPF_FUNC_get_numa_node_id, "get_numa_node_id", R::kInteger, {}, false},
    {BPF_FUNC_xdp_adjust_head, "xdp_adjust_head", R::kInteger, {A::kCtx, A::kAnything}, true},
    {BPF_FUNC_redirect_map,
     "redirect_map",
     R::kXdpAction,
     {A::kConstMapPtr, A::kAnything, A::kAnything},
     false},
    {BPF_FUNC_xdp_adjust_meta, "xdp_adjust_meta", R::kInteger, {A::kCtx, A::kAnything}, true},
    {BPF_FUNC_xdp_adjust_tail, "xdp_adjust_tail", R::kInteger, {A::kCtx, A::kAnything}, true},
    {BPF_FUNC_map_push_elem,
     "map_push_elem",
     R::kInteger,
     {A::kConstMapPtr, A::kMapValue, A::kAnything},
     false},
    {BPF_FUNC_map_pop_elem,
     "map_pop_elem",
     R::kInteger,
     {A::kConstMapPtr, A::kUninitMapValue},
     false},
    {BPF_FUNC_map_peek_elem,
     "map_peek_elem",
     R::kInteger,
     {A::kConstMapPtr, A::kUninitMapValue},
     false},
    {BPF_FUNC_jiffies64, "jiffies64", R::kInteger, {}, false},
    {BPF_FUNC_ktime_get_boot_ns, "ktime_get_boot_ns", R::kInteger, {}, false},
    {BPF_FUNC_ktime_get_coarse_ns, "ktime_get_coarse_ns", R::kInteger, {}, false},
    {BPF_FUNC_xdp_get_buff_len, "xdp_get_buff_len", R::kInteger, {A::kCtx}, false},
    {BPF_FUNC_xdp_load_bytes,
     "xdp_load_bytes",
     R::kInteger,
     {A::kCtx, A::kAnything, A::kUninitMem, A::kConstSize},
     false},
    {BPF_FUNC_xdp_store_bytes,
     "xdp_store_bytes",
     R::kInteger,
     {A::kCtx, A::kAnything, A::kMemReadonly, A::kConstSize},
     false},
};

}  // namespace

const HelperProto* helper_proto(int32_t id) {
  for (const HelperProto& p : kProtos)
    if (p.id == id) return &p;
  return nullptr;
}

bool map_helper_compatible(uint32_t map_type, int32_t id) {
  // The map's side: special map types take only their own helpers.
  switch (map_type) {
    case BPF_MAP_TYPE_PROG_ARRAY:
      if (id != BPF_FUNC_tail_call) return false;
      break;
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
    case BPF_MAP_TYPE_XSKMAP:
      if (id != BPF_FUNC_redirect_map && id != BPF_FUNC_map_lookup_elem) return false;
      break;
    case BPF_MAP_TYPE_CPUMAP:
      if (id != BPF_FUNC_redirect_map) return false;
      break;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      if (id != BPF_FUNC_map_peek_elem && id != BPF_FUNC_map_pop_elem &&
          id != BPF_FUNC_map_push_elem)
        return false;
      break;
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_LPM_TRIE:
      break;
    default:
      return false;  // map types ebpfaas does not offer to programs
  }
  // The helper's side.
  switch (id) {
    case BPF_FUNC_tail_call:
      return map_type == BPF_MAP_TYPE_PROG_ARRAY;
    case BPF_FUNC_redirect_map:
      return map_type == BPF_MAP_TYPE_DEVMAP || map_type == BPF_MAP_TYPE_DEVMAP_HASH ||
             map_type == BPF_MAP_TYPE_CPUMAP || map_type == BPF_MAP_TYPE_XSKMAP;
    case BPF_FUNC_map_peek_elem:
    case BPF_FUNC_map_pop_elem:
    case BPF_FUNC_map_push_elem:
      return map_type == BPF_MAP_TYPE_QUEUE || map_type == BPF_MAP_TYPE_STACK;
    default:
      return true;
  }
}

bool map_type_readonly_for_programs(uint32_t map_type) {
  return map_type == BPF_MAP_TYPE_DEVMAP || map_type == BPF_MAP_TYPE_DEVMAP_HASH;
}

}  // namespace ebpfaas::verifier
