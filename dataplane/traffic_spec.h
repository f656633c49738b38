// Text forms of the traffic model, shared by `ebpfaas gen` options and the
// `gen:` port / `--gen` specs of the data plane (one grammar everywhere):
//
//   size     64 | 60-1514 | imix
//   flows    1024
//   dist     uniform | zipf:1.1
//   proto    udp | tcp | icmp | mix (= udp,tcp,icmp) | udp:8,tcp:1,icmp:1 (weights;
//            '+' separates too)
//   ip       4 | 6 (default: 6 when src or dst is IPv6, else 4)
//   src/dst  CIDR prefix: 10.0.0.0/8, 2001:db8::/64, or one address (= /32, /128)
//   sport/dport  80 | 1024-65535
//   smac/dmac    02:00:00:00:00:01 | 02:00:00:00:00:01-02:00:00:00:00:ff
//   vlan     100
//   rate     1000000 | 1.5Mpps | 10Gbps | 100k (a bare number is packets/s;
//            suffixes k, M, G are powers of 1000)
//   start    first timestamp, seconds since the epoch (decimals allowed)
//   seed     42
//
// A spec is "key=value,key=value,..."; an item without '=' continues the
// previous value, so "proto=udp:8,tcp:2,flows=10" reads proto as udp:8,tcp:2.
#pragma once

#include <string_view>

#include "dataplane/traffic.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

Expected<SizeSpec> parse_size_spec(std::string_view text);
Expected<FlowDistribution> parse_flow_distribution(std::string_view text);
Expected<ProtocolMix> parse_protocol_mix(std::string_view text);
Expected<IpPrefix> parse_ip_prefix(std::string_view text);
Expected<PortRange> parse_port_range(std::string_view text);
Expected<MacRange> parse_mac_range(std::string_view text);
Expected<Timing> parse_rate(std::string_view text);  // kind and rate; start_ns stays 0
Expected<uint64_t> parse_start_time_ns(std::string_view text);

// Applies "key=value,..." on top of `base` (defaults when omitted).
Expected<TrafficOptions> parse_traffic_spec(std::string_view spec, const TrafficOptions& base = {});

// The canonical text of the options, accepted back by parse_traffic_spec.
std::string to_spec(const TrafficOptions& options);

}  // namespace ebpfaas::dataplane
