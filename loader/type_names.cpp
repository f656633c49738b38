// Linux's names for program and map types, for messages and the CLI.
#include <linux/bpf.h>

#include <iterator>

#include "loader/object.h"

namespace ebpfaas::loader {

std::string_view program_type_name(uint32_t type) {
  switch (type) {
    case BPF_PROG_TYPE_SOCKET_FILTER:
      return "socket_filter";
    case BPF_PROG_TYPE_KPROBE:
      return "kprobe";
    case BPF_PROG_TYPE_SCHED_CLS:
      return "sched_cls";
    case BPF_PROG_TYPE_SCHED_ACT:
      return "sched_act";
    case BPF_PROG_TYPE_TRACEPOINT:
      return "tracepoint";
    case BPF_PROG_TYPE_XDP:
      return "xdp";
    case BPF_PROG_TYPE_PERF_EVENT:
      return "perf_event";
    case BPF_PROG_TYPE_CGROUP_SKB:
      return "cgroup_skb";
    case BPF_PROG_TYPE_CGROUP_SOCK:
      return "cgroup_sock";
    case BPF_PROG_TYPE_LWT_IN:
      return "lwt_in";
    case BPF_PROG_TYPE_LWT_OUT:
      return "lwt_out";
    case BPF_PROG_TYPE_LWT_XMIT:
      return "lwt_xmit";
    case BPF_PROG_TYPE_SOCK_OPS:
      return "sock_ops";
    case BPF_PROG_TYPE_SK_SKB:
      return "sk_skb";
    case BPF_PROG_TYPE_CGROUP_DEVICE:
      return "cgroup_device";
    case BPF_PROG_TYPE_SK_MSG:
      return "sk_msg";
    case BPF_PROG_TYPE_RAW_TRACEPOINT:
      return "raw_tracepoint";
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR:
      return "cgroup_sock_addr";
    case BPF_PROG_TYPE_LWT_SEG6LOCAL:
      return "lwt_seg6local";
    case BPF_PROG_TYPE_LIRC_MODE2:
      return "lirc_mode2";
    case BPF_PROG_TYPE_SK_REUSEPORT:
      return "sk_reuseport";
    case BPF_PROG_TYPE_FLOW_DISSECTOR:
      return "flow_dissector";
    case BPF_PROG_TYPE_CGROUP_SYSCTL:
      return "cgroup_sysctl";
    case BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE:
      return "raw_tracepoint_writable";
    case BPF_PROG_TYPE_CGROUP_SOCKOPT:
      return "cgroup_sockopt";
    case BPF_PROG_TYPE_TRACING:
      return "tracing";
    case BPF_PROG_TYPE_STRUCT_OPS:
      return "struct_ops";
    case BPF_PROG_TYPE_EXT:
      return "ext";
    case BPF_PROG_TYPE_LSM:
      return "lsm";
    case BPF_PROG_TYPE_SK_LOOKUP:
      return "sk_lookup";
    case BPF_PROG_TYPE_SYSCALL:
      return "syscall";
    default:
      return "";
  }
}

std::string_view map_type_name(uint32_t type) {
  // bpftool's names, by enum bpf_map_type value.
  static constexpr std::string_view kNames[] = {
      "unspec",
      "hash",
      "array",
      "prog_array",
      "perf_event_array",
      "percpu_hash",
      "percpu_array",
      "stack_trace",
      "cgroup_array",
      "lru_hash",
      "lru_percpu_hash",
      "lpm_trie",
      "array_of_maps",
      "hash_of_maps",
      "devmap",
      "sockmap",
      "cpumap",
      "xskmap",
      "sockhash",
      "cgroup_storage",
      "reuseport_sockarray",
      "percpu_cgroup_storage",
      "queue",
      "stack",
      "sk_storage",
      "devmap_hash",
      "struct_ops",
      "ringbuf",
      "inode_storage",
      "task_storage",
      "bloom_filter",
      "user_ringbuf",
      "cgrp_storage",
  };
  return type < std::size(kNames) ? kNames[type] : "";
}

}  // namespace ebpfaas::loader
