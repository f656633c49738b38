// PacketBuilder crafts one Ethernet frame, layer by layer, the way a test trace
// needs it: every header field settable, every length and checksum computed
// correctly unless told otherwise, and escape hatches for malformed packets.
//
//   using namespace ebpfaas::dataplane;
//   // A TTL-expiring UDP packet to the broadcast MAC, 64 bytes as pcap stores it:
//   auto frame = PacketBuilder()
//                    .ethernet({.src = mac("02:00:00:00:00:01"), .dst = kBroadcastMac})
//                    .vlan({.id = 100})
//                    .ipv4({.src = ip4("10.0.0.1"), .dst = ip4("10.0.0.2"), .ttl = 1})
//                    .udp({.src_port = 1234, .dst_port = 53})
//                    .frame_size(64)
//                    .build();  // Expected<std::vector<uint8_t>>
//
// Layers are written in call order. Each header is a plain struct with defaults
// for every field, so designated initializers name only what matters (they must
// follow the declaration order below: src before dst, and so on). The builder is
// a value: copy it to make variants of one packet.
//
// Computed unless overridden:
//  - EtherType / IP protocol / IPv6 next header: from the layer that follows
//    (VLAN tag: its TPID; IPv4 0x0800 / 4; IPv6 0x86dd / 41; UDP 17; TCP 6;
//    ICMP 1; ICMPv6 58). Before a raw() layer or nothing, set it yourself.
//  - IPv4 total length, IPv6 payload length, UDP length: up to the end of the
//    frame, excluding trailer() bytes.
//  - Checksums: IPv4 header; ICMP over the message; UDP, TCP and ICMPv6 over the
//    pseudo-header of the nearest IP layer before them (RFC 768/793/8200) and
//    everything after them. A computed UDP checksum of 0 is sent as 0xffff.
//    Inner layers are finished before outer ones, so an ICMP error quoting a
//    packet, or IP-in-IP, checksums correctly.
//
// Malformed packets (to exercise the error branches of network functions):
//  - override any computed field (ihl, total_length, payload_length, length,
//    data_offset, checksum, ethertype, protocol, next_header);
//  - corrupt_checksum = true writes a checksum guaranteed to fail verification;
//  - raw() inserts arbitrary bytes as a layer (a hand-made header, a bad option);
//  - trailer() appends bytes after the datagram (Ethernet padding, garbage)
//    that lengths do not count;
//  - truncate(n) cuts the finished frame (lengths and checksums still describe
//    the whole packet, as in a capture with a short snap length);
//  - patch(offset, bytes) overwrites finished bytes at any offset.
//
// Sizes are those of the frame as pcap stores it: Ethernet header to the end of
// the payload, without the 4-byte FCS.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "dataplane/net_address.h"
#include "dataplane/protocols.h"
#include "support/error.h"

namespace ebpfaas::dataplane {

struct EthernetHeader {
  MacAddress src = mac("02:00:00:00:00:01");
  MacAddress dst = mac("02:00:00:00:00:02");
  std::optional<uint16_t> ethertype;  // default: from the next layer
};

// An IEEE 802.1Q tag. Its TPID goes into the EtherType field of the layer before
// it; the tag itself holds the TCI and the EtherType of what follows. Two tags in
// a row make QinQ (set tpid = ethertype::kQinQ on the outer one).
struct VlanTag {
  uint16_t id = 0;  // VID, 0..4095
  uint8_t pcp = 0;  // priority code point, 0..7
  bool dei = false;
  uint16_t tpid = ethertype::kVlan;
  std::optional<uint16_t> ethertype;  // default: from the next layer
};

struct Ipv4Header {
  Ipv4Address src = ip4("10.0.0.1");
  Ipv4Address dst = ip4("10.0.0.2");
  uint8_t ttl = 64;
  uint8_t tos = 0;  // DSCP << 2 | ECN
  uint16_t id = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // in 8-byte units, 0..8191
  // Option bytes as they go on the wire, padded with zeros (End of Option
  // List) to a multiple of 4; at most 40.
  std::vector<uint8_t> options;
  std::optional<uint8_t> protocol;       // default: from the next layer
  std::optional<uint8_t> ihl;            // default: (20 + options) / 4; 0..15
  std::optional<uint16_t> total_length;  // default: to the end of the frame
  std::optional<uint16_t> checksum;      // default: computed
  bool corrupt_checksum = false;
};

struct Ipv6Header {
  Ipv6Address src = ip6("fd00::1");
  Ipv6Address dst = ip6("fd00::2");
  uint8_t hop_limit = 64;
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;                 // 20 bits
  std::optional<uint8_t> next_header;      // default: from the next layer
  std::optional<uint16_t> payload_length;  // default: to the end of the frame
};

struct UdpHeader {
  uint16_t src_port = 1024;
  uint16_t dst_port = 1024;
  std::optional<uint16_t> length;    // default: header + data
  std::optional<uint16_t> checksum;  // default: computed; 0 means "none" over IPv4
  bool corrupt_checksum = false;
};

struct TcpHeader {
  uint16_t src_port = 1024;
  uint16_t dst_port = 1024;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = tcpflag::kAck;  // tcpflag::kSyn | ...
  uint16_t window = 65535;
  uint16_t urgent_pointer = 0;
  // Option bytes, padded with zeros (End of Option List) to a multiple of 4;
  // at most 40.
  std::vector<uint8_t> options;
  std::optional<uint8_t> data_offset;  // default: (20 + options) / 4; 0..15
  std::optional<uint16_t> checksum;    // default: computed
  bool corrupt_checksum = false;
};

// ICMP (RFC 792) with the echo layout: type, code, checksum, identifier,
// sequence number. For other types id/seq are the type's "rest of header"
// (e.g. the next-hop MTU of a fragmentation-needed message is `seq`).
struct IcmpHeader {
  uint8_t type = icmptype::kEchoRequest;
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
  std::optional<uint16_t> checksum;  // default: computed over the message
  bool corrupt_checksum = false;
};

// ICMPv6 (RFC 4443), same layout; its checksum covers the IPv6 pseudo-header.
struct Icmpv6Header {
  uint8_t type = icmptype::kV6EchoRequest;
  uint8_t code = 0;
  uint16_t id = 0;
  uint16_t seq = 0;
  std::optional<uint16_t> checksum;
  bool corrupt_checksum = false;
};

// Where each layer landed in the built frame (call order).
enum class LayerKind { kEthernet, kVlan, kIpv4, kIpv6, kUdp, kTcp, kIcmp, kIcmpv6, kRaw };

struct LayerSpan {
  LayerKind kind;
  size_t offset;  // from the start of the frame
  size_t length;  // header bytes written for this layer
};

struct BuiltPacket {
  std::vector<uint8_t> bytes;
  std::vector<LayerSpan> layers;
  size_t payload_offset = 0;  // first byte after the last layer
  size_t payload_length = 0;  // payload() bytes plus frame_size() padding

  // Offset of the n-th layer of a kind, if there is one.
  std::optional<size_t> offset_of(LayerKind kind, size_t nth = 0) const;
};

class PacketBuilder {
 public:
  PacketBuilder& ethernet(const EthernetHeader& h = {});
  PacketBuilder& vlan(const VlanTag& tag);
  PacketBuilder& ipv4(const Ipv4Header& h = {});
  PacketBuilder& ipv6(const Ipv6Header& h = {});
  PacketBuilder& udp(const UdpHeader& h = {});
  PacketBuilder& tcp(const TcpHeader& h = {});
  PacketBuilder& icmp(const IcmpHeader& h = {});
  PacketBuilder& icmpv6(const Icmpv6Header& h = {});
  // Verbatim bytes as the next layer (counted by lengths and checksums of the
  // layers before it).
  PacketBuilder& raw(std::span<const uint8_t> bytes);
  PacketBuilder& raw(std::initializer_list<uint8_t> bytes);

  // Data after the last layer.
  PacketBuilder& payload(std::span<const uint8_t> bytes);
  PacketBuilder& payload(std::initializer_list<uint8_t> bytes);
  PacketBuilder& payload(std::string_view text);
  // Pads the payload with zeros so that the frame (trailer included) is n
  // bytes; building fails if headers and payload are already longer.
  PacketBuilder& frame_size(size_t n);
  PacketBuilder& trailer(std::span<const uint8_t> bytes);
  PacketBuilder& trailer(std::initializer_list<uint8_t> bytes);
  PacketBuilder& truncate(size_t n);
  PacketBuilder& patch(size_t offset, std::span<const uint8_t> bytes);
  PacketBuilder& patch(size_t offset, std::initializer_list<uint8_t> bytes);

  // Errors name the layer and the field (a VLAN id above 4095, too many option
  // bytes, a frame_size smaller than the headers, a missing EtherType, ...).
  Expected<std::vector<uint8_t>> build() const;
  Expected<BuiltPacket> build_with_layout() const;

 private:
  struct Raw {
    std::vector<uint8_t> bytes;
  };
  using Layer = std::variant<EthernetHeader, VlanTag, Ipv4Header, Ipv6Header, UdpHeader, TcpHeader,
                             IcmpHeader, Icmpv6Header, Raw>;
  struct Patch {
    size_t offset;
    std::vector<uint8_t> bytes;
  };

  std::vector<Layer> layers_;
  std::vector<uint8_t> payload_;
  std::optional<size_t> frame_size_;
  std::vector<uint8_t> trailer_;
  std::optional<size_t> truncate_;
  std::vector<Patch> patches_;
};

}  // namespace ebpfaas::dataplane
