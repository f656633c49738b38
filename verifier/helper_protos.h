// Prototypes of the helpers an XDP program may call: argument kinds, return
// kind and side effects, as Linux declares them (struct bpf_func_proto), plus
// which map types each helper accepts (check_map_func_compatibility).
#pragma once

#include <cstdint>
#include <optional>

namespace ebpfaas::verifier {

enum class ArgKind : uint8_t {
  kNone,              // not an argument (ARG_DONTCARE)
  kAnything,          // any initialized scalar; pointers would leak (ARG_ANYTHING)
  kAnythingOrUninit,  // like kAnything but may be left unset (trace_printk's varargs)
  kConstMapPtr,       // a map from lddw (ARG_CONST_MAP_PTR)
  kMapKey,            // key_size readable bytes (ARG_PTR_TO_MAP_KEY)
  kMapValue,          // value_size readable bytes (ARG_PTR_TO_MAP_VALUE)
  kUninitMapValue,    // value_size writable bytes (ARG_PTR_TO_MAP_VALUE | MEM_UNINIT)
  kCtx,               // the unmodified context (ARG_PTR_TO_CTX)
  kMemReadonly,       // readable memory, size in the next argument (ARG_PTR_TO_MEM | MEM_RDONLY)
  kMemReadonlyOrNull,
  kUninitMem,        // writable memory, size in the next argument (ARG_PTR_TO_UNINIT_MEM)
  kConstSize,        // size of the previous memory argument, > 0 (ARG_CONST_SIZE)
  kConstSizeOrZero,  // ... >= 0 (ARG_CONST_SIZE_OR_ZERO)
};

enum class RetKind : uint8_t {
  kInteger,         // unknown scalar
  kVoid,            // r0 is not readable afterwards
  kMapValueOrNull,  // a value of the map in r1, or NULL
  kXdpAction,       // an XDP action, [XDP_ABORTED, XDP_REDIRECT]
  kCpuId,           // [0, number of CPUs - 1]
};

struct HelperProto {
  int32_t id;
  const char* name;
  RetKind ret;
  ArgKind args[5];
  bool changes_packet_data;  // invalidates every packet pointer
};

// nullptr when ebpfaas does not offer the helper to XDP programs.
const HelperProto* helper_proto(int32_t id);

// May `helper_id` be called with a map of `map_type`? Both directions are
// checked, as in Linux: a prog_array only for tail_call, tail_call only with
// a prog_array, and so on.
bool map_helper_compatible(uint32_t map_type, int32_t helper_id);

// Map types whose values programs may not write (devmaps are made read-only
// for programs by the kernel).
bool map_type_readonly_for_programs(uint32_t map_type);

}  // namespace ebpfaas::verifier
