#include "loader/section_types.h"

#include <linux/bpf.h>

namespace ebpfaas::loader {
namespace {

struct SecDef {
  std::string_view sec;
  bpf_prog_type type;
  uint32_t attach;
  bool frags;
};

// libbpf 1.x section_defs, in its order (the first match wins).
constexpr SecDef kSecDefs[] = {
    {"socket", BPF_PROG_TYPE_SOCKET_FILTER, 0, false},
    {"sk_reuseport/migrate", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, false},
    {"sk_reuseport", BPF_PROG_TYPE_SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, false},
    {"kprobe+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"uprobe+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"uprobe.s+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"kretprobe+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"uretprobe+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"uretprobe.s+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"kprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, false},
    {"kretprobe.multi+", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, false},
    {"ksyscall+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"kretsyscall+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"usdt+", BPF_PROG_TYPE_KPROBE, 0, false},
    {"tc", BPF_PROG_TYPE_SCHED_CLS, 0, false},
    {"classifier", BPF_PROG_TYPE_SCHED_CLS, 0, false},
    {"action", BPF_PROG_TYPE_SCHED_ACT, 0, false},
    {"tracepoint+", BPF_PROG_TYPE_TRACEPOINT, 0, false},
    {"tp+", BPF_PROG_TYPE_TRACEPOINT, 0, false},
    {"raw_tracepoint+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, false},
    {"raw_tp+", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, false},
    {"raw_tracepoint.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, false},
    {"raw_tp.w+", BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0, false},
    {"tp_btf+", BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP, false},
    {"fentry+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, false},
    {"fmod_ret+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, false},
    {"fexit+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, false},
    {"fentry.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, false},
    {"fmod_ret.s+", BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN, false},
    {"fexit.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, false},
    {"freplace+", BPF_PROG_TYPE_EXT, 0, false},
    {"lsm+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, false},
    {"lsm.s+", BPF_PROG_TYPE_LSM, BPF_LSM_MAC, false},
    {"lsm_cgroup+", BPF_PROG_TYPE_LSM, BPF_LSM_CGROUP, false},
    {"iter+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, false},
    {"iter.s+", BPF_PROG_TYPE_TRACING, BPF_TRACE_ITER, false},
    {"syscall", BPF_PROG_TYPE_SYSCALL, 0, false},
    {"xdp.frags/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, true},
    {"xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, false},
    {"xdp.frags/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, true},
    {"xdp/cpumap", BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, false},
    {"xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, true},
    {"xdp", BPF_PROG_TYPE_XDP, BPF_XDP, false},
    {"perf_event", BPF_PROG_TYPE_PERF_EVENT, 0, false},
    {"lwt_in", BPF_PROG_TYPE_LWT_IN, 0, false},
    {"lwt_out", BPF_PROG_TYPE_LWT_OUT, 0, false},
    {"lwt_xmit", BPF_PROG_TYPE_LWT_XMIT, 0, false},
    {"lwt_seg6local", BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, false},
    {"sockops", BPF_PROG_TYPE_SOCK_OPS, BPF_CGROUP_SOCK_OPS, false},
    {"sk_skb/stream_parser", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER, false},
    {"sk_skb/stream_verdict", BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_VERDICT, false},
    {"sk_skb", BPF_PROG_TYPE_SK_SKB, 0, false},
    {"sk_msg", BPF_PROG_TYPE_SK_MSG, BPF_SK_MSG_VERDICT, false},
    {"lirc_mode2", BPF_PROG_TYPE_LIRC_MODE2, BPF_LIRC_MODE2, false},
    {"flow_dissector", BPF_PROG_TYPE_FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, false},
    {"cgroup_skb/ingress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, false},
    {"cgroup_skb/egress", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_EGRESS, false},
    {"cgroup/skb", BPF_PROG_TYPE_CGROUP_SKB, 0, false},
    {"cgroup/sock_create", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, false},
    {"cgroup/sock_release", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, false},
    {"cgroup/sock", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, false},
    {"cgroup/post_bind4", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, false},
    {"cgroup/post_bind6", BPF_PROG_TYPE_CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, false},
    {"cgroup/bind4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, false},
    {"cgroup/bind6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, false},
    {"cgroup/connect4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, false},
    {"cgroup/connect6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, false},
    {"cgroup/sendmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, false},
    {"cgroup/sendmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, false},
    {"cgroup/recvmsg4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, false},
    {"cgroup/recvmsg6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, false},
    {"cgroup/getpeername4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, false},
    {"cgroup/getpeername6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, false},
    {"cgroup/getsockname4", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, false},
    {"cgroup/getsockname6", BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, false},
    {"cgroup/sysctl", BPF_PROG_TYPE_CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, false},
    {"cgroup/getsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, false},
    {"cgroup/setsockopt", BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, false},
    {"cgroup/dev", BPF_PROG_TYPE_CGROUP_DEVICE, BPF_CGROUP_DEVICE, false},
    {"struct_ops+", BPF_PROG_TYPE_STRUCT_OPS, 0, false},
    {"sk_lookup", BPF_PROG_TYPE_SK_LOOKUP, BPF_SK_LOOKUP, false},
};

// libbpf's sec_def_matches().
bool matches(std::string_view def, std::string_view section) {
  if (def.back() == '/') return section.substr(0, def.size()) == def;
  if (def.back() == '+') {
    def.remove_suffix(1);
    if (section.substr(0, def.size()) != def) return false;
    return section.size() == def.size() || section[def.size()] == '/';
  }
  return section == def;
}

}  // namespace

std::optional<SectionType> section_type(std::string_view section) {
  for (const SecDef& d : kSecDefs)
    if (matches(d.sec, section)) return SectionType{d.type, d.attach, d.frags};
  if (section.substr(0, 4) == "xdp/") return SectionType{BPF_PROG_TYPE_XDP, BPF_XDP, false};
  if (section.substr(0, 10) == "xdp.frags/") return SectionType{BPF_PROG_TYPE_XDP, BPF_XDP, true};
  return std::nullopt;
}

}  // namespace ebpfaas::loader
