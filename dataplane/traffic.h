// The traffic model of `ebpfaas gen` and of the in-memory generator port: a
// fixed set of flows (5-tuples, precomputed once from a seed), a flow-popularity
// distribution, a packet-size law and a clock. Generating a packet is a copy of
// the protocol's template frame, a few field writes from the flow record and
// checksums finished from per-flow partial sums (the payload is zeros, so only
// the length words change from packet to packet).
//
//   TrafficOptions opt;
//   opt.size = SizeSpec::imix();
//   opt.flows = 1024;
//   opt.distribution = FlowDistribution::zipf(1.1);
//   auto gen = TrafficGenerator::create(opt);   // Expected<TrafficGenerator>
//   std::vector<uint8_t> frame(gen->max_frame_size());
//   GeneratedPacket p = gen->next(frame.data()); // p.length bytes, p.timestamp_ns
//
// Determinism: the same options (seed included) give the same packets and
// timestamps, bit for bit, run after run (the random numbers, bounded draws,
// shuffles and clock are integer arithmetic specified here, not <random>'s
// implementation-defined distributions; only the Zipf table's construction uses
// floating point, identical across x86-64 builds); different seeds give
// different flows and orders.
//
// What the packets look like:
//  - Ethernet (source/destination MAC drawn per flow from the MAC ranges),
//    optionally one 802.1Q tag, IPv4 (TTL 64, id 0, no options) or IPv6 (hop
//    limit 64), then UDP, TCP (flags ACK, seq 1, ack 1, window 65535) or ICMP echo
//    request (ICMPv6 over IPv6; identifier drawn from the source-port range,
//    sequence 1), then a zero payload up to the packet's size. All lengths and
//    checksums are correct.
//  - Sizes are frame lengths as pcap stores them (no FCS). A size shorter than a
//    flow's headers (e.g. 60 bytes of IPv6+TCP+VLAN, 78 bytes of headers) gives
//    a frame of just the headers.
//  - Flows are distinct 5-tuples (protocol, addresses, ports; for ICMP the
//    identifier stands for the ports), each address drawn uniformly from its
//    CIDR prefix (all addresses of the prefix, network and broadcast included),
//    each port uniformly from its range, the protocol by the mix's weights.
//    Asking for more flows than the ranges hold is an error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "dataplane/alias_table.h"
#include "dataplane/net_address.h"
#include "dataplane/random.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

enum class IpVersion : uint8_t { kIpv4 = 4, kIpv6 = 6 };
// kIcmp is ICMP over IPv4 and ICMPv6 over IPv6.
enum class Protocol : uint8_t { kUdp, kTcp, kIcmp };
const char* protocol_name(Protocol p);

// The Simple IMIX: 7:4:1 of 64, 594 and 1518-byte Ethernet frames on the wire
// (FCS included), i.e. 60, 590 and 1514 bytes as pcap stores them. This is the
// definition of Agilent/Ixia's "simple IMIX" and of TRex's imix profile; its
// mean wire size is 353.83 bytes.
struct ImixEntry {
  uint32_t size;
  uint32_t weight;
};
inline constexpr std::array<ImixEntry, 3> kSimpleImix{{{60, 7}, {590, 4}, {1514, 1}}};

struct SizeSpec {
  enum class Kind : uint8_t { kFixed, kRange, kImix };
  Kind kind = Kind::kFixed;
  uint32_t min = 64;  // kFixed: the size; kRange: uniform in [min, max]
  uint32_t max = 64;

  static SizeSpec fixed(uint32_t n) { return {Kind::kFixed, n, n}; }
  static SizeSpec range(uint32_t lo, uint32_t hi) { return {Kind::kRange, lo, hi}; }
  // Every run of 12 consecutive packets (from the first) holds exactly 7, 4
  // and 1 of the three sizes, in an order shuffled per run by the seed.
  static SizeSpec imix() { return {Kind::kImix, 60, 1514}; }
};
// Frame sizes accepted for fixed and range specs: a runt of just headers up to
// a 9000-byte-MTU jumbo frame with a VLAN tag.
inline constexpr uint32_t kMinFrameSize = 14;
inline constexpr uint32_t kMaxFrameSize = 9018;

struct FlowDistribution {
  enum class Kind : uint8_t { kUniform, kZipf };
  Kind kind = Kind::kUniform;
  double s = 0;  // Zipf exponent: flow k (0-based) has weight 1 / (k + 1)^s

  static FlowDistribution uniform() { return {}; }
  static FlowDistribution zipf(double s) { return {Kind::kZipf, s}; }
};

// Relative weights of the protocols among flows (not packets).
struct ProtocolMix {
  uint32_t udp = 1;
  uint32_t tcp = 0;
  uint32_t icmp = 0;
};

// A CIDR prefix of either family; host bits of `base` are ignored.
struct IpPrefix {
  IpVersion version = IpVersion::kIpv4;
  std::array<uint8_t, 16> base{};  // IPv4 in the first 4 bytes
  uint8_t length = 0;              // prefix length in bits

  static IpPrefix v4(Ipv4Address a, uint8_t len);
  static IpPrefix v6(Ipv6Address a, uint8_t len);
  std::string to_string() const;
};

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;
};

struct MacRange {
  MacAddress first;
  MacAddress last;
};

// Packet timestamps (for pcap timing and replay at the capture's own pace).
struct Timing {
  enum class Kind : uint8_t { kPacketsPerSecond, kBitsPerSecond };
  // Default: back to back at 10 Gb/s Ethernet line rate, each frame taking its
  // size + 24 bytes (FCS, preamble, inter-frame gap) of link time, which is
  // 14.88 Mpps for 60-byte frames.
  Kind kind = Kind::kBitsPerSecond;
  double rate = 10e9;
  uint64_t start_ns = 0;  // timestamp of the first packet (ns since the epoch)
};
inline constexpr double kMinRate = 1e-3;
inline constexpr double kMaxRate = 1e15;

// Defaults: RFC 2544 / RFC 5180 benchmarking address space.
inline constexpr Ipv4Address kDefaultSrcV4 = ip4("198.18.0.0");    // /16
inline constexpr Ipv4Address kDefaultDstV4 = ip4("198.19.0.0");    // /16
inline constexpr Ipv6Address kDefaultSrcV6 = ip6("2001:2:0:1::");  // /64
inline constexpr Ipv6Address kDefaultDstV6 = ip6("2001:2:0:2::");  // /64

struct TrafficOptions {
  SizeSpec size;
  uint32_t flows = 1;  // at most kMaxFlows
  FlowDistribution distribution;
  ProtocolMix protocols;
  // Unset: IPv6 when src or dst is an IPv6 prefix, else IPv4.
  std::optional<IpVersion> ip_version;
  std::optional<IpPrefix> src;  // default 198.18.0.0/16 or 2001:2:0:1::/64
  std::optional<IpPrefix> dst;  // default 198.19.0.0/16 or 2001:2:0:2::/64
  PortRange src_ports{1024, 65535};
  PortRange dst_ports{1, 1023};
  std::optional<uint16_t> vlan;  // 802.1Q VID, 0..4095
  MacRange src_mac{mac("02:00:00:00:00:01"), mac("02:00:00:00:00:01")};
  MacRange dst_mac{mac("02:00:00:00:00:02"), mac("02:00:00:00:00:02")};
  uint64_t seed = 1;
  Timing timing;
};
inline constexpr uint32_t kMaxFlows = 1u << 24;

// A flow as the packets carry it.
struct Flow {
  IpVersion version;
  Protocol protocol;
  MacAddress src_mac, dst_mac;
  std::array<uint8_t, 16> src_ip{}, dst_ip{};  // IPv4 in the first 4 bytes
  uint16_t src_port = 0;                       // ICMP: the echo identifier
  uint16_t dst_port = 0;                       // ICMP: 0
};

struct GeneratedPacket {
  uint32_t length;        // frame bytes written
  uint32_t flow;          // index of the flow (0 is the most popular under Zipf)
  uint64_t timestamp_ns;  // ns since the epoch
};

class TrafficGenerator {
 public:
  // Validates the options (errors name the option: "size 70000 is above ...")
  // and precomputes the flows.
  static Expected<TrafficGenerator> create(const TrafficOptions& options);

  // Writes the next packet into `frame`, which must hold max_frame_size() bytes.
  GeneratedPacket next(uint8_t* frame);

  size_t max_frame_size() const { return max_frame_; }
  uint64_t generated() const { return count_; }
  size_t flow_count() const { return flows_.size(); }
  Flow flow(size_t i) const;
  IpVersion ip_version() const { return version_; }
  const TrafficOptions& options() const { return options_; }

 private:
  // A protocol's frame: headers with constant fields filled in, zero payload.
  struct Template {
    std::vector<uint8_t> frame;  // max_frame_ bytes
    uint32_t header_len = 0;
    uint32_t l4_offset = 0;
  };
  // What varies per flow, with the checksum sums of everything but lengths.
  struct FlowRecord {
    uint8_t macs[12];   // destination, source (wire order)
    uint8_t addrs[32];  // source, destination (wire order; IPv4 uses 8 bytes)
    uint8_t ports[4];   // source, destination (ICMP: identifier, sequence)
    uint16_t ip_sum;    // IPv4 header minus total length, folded
    uint16_t l4_sum;    // pseudo-header and L4 header minus lengths, folded
    uint8_t protocol;   // Protocol
  };

  TrafficGenerator() : rng_(0) {}
  Status make_templates();
  Status make_flows();
  uint32_t next_size();
  uint32_t next_flow();
  void prefetch_flow(uint32_t index) const;

  TrafficOptions options_;
  IpVersion version_ = IpVersion::kIpv4;
  IpPrefix src_, dst_;
  uint32_t l3_offset_ = 14;
  size_t max_frame_ = 0;
  std::array<Template, 3> templates_;
  std::vector<FlowRecord> flows_;
  std::optional<AliasTable> popularity_;  // unset: uniform
  Random rng_;
  // Flow choices run ahead of use so that their memory is prefetched: Zipf
  // draws wait kLookahead packets for their table entry, then resolved flows
  // wait kLookahead packets for their record.
  static constexpr uint32_t kLookahead = 8;
  std::array<AliasTable::Draw, kLookahead> drawn_{};
  std::array<uint32_t, kLookahead> upcoming_{};
  uint32_t ahead_ = 0;
  uint64_t count_ = 0;
  // IMIX: the current shuffled run of 12 sizes.
  std::array<uint32_t, 12> imix_run_{};
  uint32_t imix_pos_ = 12;
  // Time of the next packet after start, ns in 64.64 fixed point, and its
  // advance per packet (packets/s) or per bit of link time (bits/s).
  unsigned __int128 clock_ = 0;
  unsigned __int128 step_ = 0;
};

}  // namespace ebpfaas::dataplane
