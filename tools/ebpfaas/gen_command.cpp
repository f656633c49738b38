// `ebpfaas gen`: writes generated traffic (the dataplane traffic model) to a
// pcap file and reports how much and how fast.
#include <cstdio>
#include <string>

#include "dataplane/traffic_pcap.h"
#include "dataplane/traffic_spec.h"
#include "tools/ebpfaas/commands.h"

namespace ebpfaas::cli {
namespace {

using namespace ebpfaas::dataplane;

struct GenArgs {
  std::string output;
  uint64_t count = 0;
  std::string spec, size, dist, proto, src, dst, sport, dport, src_mac, dst_mac, rate, start;
  uint32_t flows = 1;
  bool ipv6 = false;
  int vlan = -1;
  uint64_t seed = 1;
  std::string precision = "ns";
  CLI::Option* flows_opt = nullptr;
  CLI::Option* seed_opt = nullptr;
};

template <class T>
T take(Expected<T> v, const char* option) {
  if (!v) throw CommandError(std::string(option) + ": " + v.error().message());
  return std::move(*v);
}

void run_gen(const GenArgs& a) {
  TrafficOptions o;
  if (!a.spec.empty()) o = take(parse_traffic_spec(a.spec), "--spec");
  if (!a.size.empty()) o.size = take(parse_size_spec(a.size), "--size");
  if (a.flows_opt->count()) o.flows = a.flows;
  if (!a.dist.empty()) o.distribution = take(parse_flow_distribution(a.dist), "--dist");
  if (!a.proto.empty()) o.protocols = take(parse_protocol_mix(a.proto), "--proto");
  if (a.ipv6) o.ip_version = IpVersion::kIpv6;
  if (!a.src.empty()) o.src = take(parse_ip_prefix(a.src), "--src");
  if (!a.dst.empty()) o.dst = take(parse_ip_prefix(a.dst), "--dst");
  if (!a.sport.empty()) o.src_ports = take(parse_port_range(a.sport), "--sport");
  if (!a.dport.empty()) o.dst_ports = take(parse_port_range(a.dport), "--dport");
  if (!a.src_mac.empty()) o.src_mac = take(parse_mac_range(a.src_mac), "--src-mac");
  if (!a.dst_mac.empty()) o.dst_mac = take(parse_mac_range(a.dst_mac), "--dst-mac");
  if (a.vlan >= 0) o.vlan = static_cast<uint16_t>(a.vlan);
  if (!a.rate.empty()) {
    Timing t = take(parse_rate(a.rate), "--rate");
    o.timing.kind = t.kind;
    o.timing.rate = t.rate;
  }
  if (!a.start.empty()) o.timing.start_ns = take(parse_start_time_ns(a.start), "--start");
  if (a.seed_opt->count()) o.seed = a.seed;

  PcapWriterOptions w;
  w.precision = a.precision == "us" ? TimestampPrecision::kMicro : TimestampPrecision::kNano;
  auto r = write_traffic_pcap(o, a.count, a.output, w);
  if (!r) throw CommandError(r.error().message());

  // With the capture on standard output, the report goes to standard error.
  FILE* report = a.output == "-" ? stderr : stdout;
  std::fprintf(report, "traffic: %s\n", to_spec(o).c_str());
  std::fprintf(report,
               "wrote %llu packets, %llu bytes of frames (%llu bytes of pcap) to %s in %.3f s "
               "(%.2f Mpps, %.2f Gb/s of frames)\n",
               static_cast<unsigned long long>(r->packets),
               static_cast<unsigned long long>(r->frame_bytes),
               static_cast<unsigned long long>(r->file_bytes), a.output.c_str(), r->seconds,
               r->seconds > 0 ? r->packets / r->seconds / 1e6 : 0.0,
               r->seconds > 0 ? r->frame_bytes * 8 / r->seconds / 1e9 : 0.0);
  if (r->packets > 0)
    std::fprintf(report, "timestamps: %.9f s to %.9f s\n", r->first_timestamp_ns / 1e9,
                 r->last_timestamp_ns / 1e9);
}

}  // namespace

void add_gen_command(CLI::App& app) {
  auto* gen = app.add_subcommand(
      "gen",
      "Write generated traffic to a pcap file: Ethernet, optional 802.1Q tag, IPv4/IPv6, "
      "UDP/TCP/ICMP, correct lengths and checksums, zero payload. The same options and seed "
      "give a byte-identical file.");
  static GenArgs a;
  gen->add_option("-o,--output", a.output, "pcap file to write ('-' for standard output)")
      ->required();
  gen->add_option("-n,--count", a.count, "number of packets")->required();
  gen->add_option("--spec", a.spec,
                  "traffic as key=value,... (the gen: port syntax: size, flows, dist, proto, ip, "
                  "src, dst, sport, dport, smac, dmac, vlan, rate, start, seed); the options "
                  "below override it");
  gen->add_option("--size", a.size,
                  "frame size as pcap stores it (no FCS): N (64), MIN-MAX (uniform) or imix "
                  "(7:4:1 of 60/590/1514 bytes, the Simple IMIX of 64/594/1518-byte wire "
                  "frames); frames never shrink below their headers [default: 64]");
  a.flows_opt = gen->add_option("--flows", a.flows, "number of distinct flows [default: 1]");
  gen->add_option("--dist", a.dist,
                  "flow popularity: uniform or zipf:S (flow k has weight 1/k^S) "
                  "[default: uniform]");
  gen->add_option("--proto", a.proto,
                  "protocols of the flows: udp, tcp, icmp, mix (equal thirds) or weights like "
                  "udp:8,tcp:1,icmp:1 [default: udp]");
  gen->add_flag("--ipv6", a.ipv6, "IPv6 (also implied by IPv6 --src/--dst prefixes)");
  gen->add_option("--src", a.src,
                  "source addresses, a CIDR prefix [default: 198.18.0.0/16, IPv6 2001:2:0:1::/64]");
  gen->add_option("--dst", a.dst,
                  "destination addresses, a CIDR prefix [default: 198.19.0.0/16, IPv6 "
                  "2001:2:0:2::/64]");
  gen->add_option("--sport", a.sport,
                  "source ports A or A-B (ICMP: echo identifiers) [default: 1024-65535]");
  gen->add_option("--dport", a.dport, "destination ports A or A-B [default: 1-1023]");
  gen->add_option("--src-mac", a.src_mac,
                  "source MACs, MAC or MAC-MAC [default: 02:00:00:00:00:01]");
  gen->add_option("--dst-mac", a.dst_mac,
                  "destination MACs, MAC or MAC-MAC [default: 02:00:00:00:00:02]");
  gen->add_option("--vlan", a.vlan, "add an 802.1Q tag with this VLAN id (0-4095)")
      ->check(CLI::Range(0, 4095));
  gen->add_option("--rate", a.rate,
                  "timestamp spacing: packets/s (1000000, 1M, 1.5Mpps) or link bits/s with "
                  "per-frame Ethernet overhead (10Gbps) [default: 10Gbps]");
  gen->add_option("--start", a.start,
                  "timestamp of the first packet, seconds since the epoch [default: 0]");
  a.seed_opt = gen->add_option("--seed", a.seed, "random seed [default: 1]");
  gen->add_option("--precision", a.precision, "pcap timestamp precision: ns or us [default: ns]")
      ->check(CLI::IsMember({"ns", "us"}));
  gen->callback([] { run_gen(a); });
}

}  // namespace ebpfaas::cli
