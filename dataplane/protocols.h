// Wire constants of the protocols ebpfaas crafts and parses: EtherTypes, IP
// protocol numbers, header lengths, TCP flags. Values are those of the IEEE and
// IANA registries (and of <linux/if_ether.h>, <netinet/in.h>), spelled once so
// builders, generators and tests agree.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ebpfaas::dataplane {

namespace ethertype {
inline constexpr uint16_t kIpv4 = 0x0800;
inline constexpr uint16_t kArp = 0x0806;
inline constexpr uint16_t kVlan = 0x8100;  // IEEE 802.1Q C-tag
inline constexpr uint16_t kQinQ = 0x88a8;  // IEEE 802.1ad S-tag
inline constexpr uint16_t kIpv6 = 0x86dd;
}  // namespace ethertype

namespace ipproto {
inline constexpr uint8_t kIcmp = 1;
inline constexpr uint8_t kIpip = 4;  // IPv4 in IP
inline constexpr uint8_t kTcp = 6;
inline constexpr uint8_t kUdp = 17;
inline constexpr uint8_t kIpv6 = 41;  // IPv6 in IP
inline constexpr uint8_t kIcmpv6 = 58;
}  // namespace ipproto

// TCP header flag bits (byte 13 of the header).
namespace tcpflag {
inline constexpr uint8_t kFin = 0x01;
inline constexpr uint8_t kSyn = 0x02;
inline constexpr uint8_t kRst = 0x04;
inline constexpr uint8_t kPsh = 0x08;
inline constexpr uint8_t kAck = 0x10;
inline constexpr uint8_t kUrg = 0x20;
inline constexpr uint8_t kEce = 0x40;
inline constexpr uint8_t kCwr = 0x80;
}  // namespace tcpflag

// ICMP / ICMPv6 types the generators and NFs use most.
namespace icmptype {
inline constexpr uint8_t kEchoReply = 0;
inline constexpr uint8_t kDestUnreachable = 3;
inline constexpr uint8_t kEchoRequest = 8;
inline constexpr uint8_t kTimeExceeded = 11;
inline constexpr uint8_t kV6EchoRequest = 128;
inline constexpr uint8_t kV6EchoReply = 129;
}  // namespace icmptype

inline constexpr size_t kEthernetHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kIpv4HeaderLen = 20;  // without options
inline constexpr size_t kIpv4MaxOptionsLen = 40;
inline constexpr size_t kIpv6HeaderLen = 40;
inline constexpr size_t kUdpHeaderLen = 8;
inline constexpr size_t kTcpHeaderLen = 20;  // without options
inline constexpr size_t kTcpMaxOptionsLen = 40;
inline constexpr size_t kIcmpHeaderLen = 8;  // type, code, checksum, id, sequence

// Per-frame overhead on an Ethernet link beyond what pcap stores: FCS (4),
// preamble + start-of-frame delimiter (8), minimum inter-frame gap (12).
inline constexpr size_t kEthernetWireOverhead = 24;

}  // namespace ebpfaas::dataplane
