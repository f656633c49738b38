// An independent reading of frames for the tests: a plain header walk and a
// byte-at-a-time RFC 1071 checksum, written from the RFCs without the library's
// code, so a bug in the builder or generator cannot hide in a shared helper.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ebpfaas::dataplane::testing {

inline uint16_t be16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}
inline uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return uint32_t{be16(b, at)} << 16 | be16(b, at + 2);
}

// RFC 1071, section 4.1, byte pairs as big-endian words: the folded sum.
inline uint16_t ones_complement_sum(std::span<const uint8_t> data) {
  uint32_t sum = 0;
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (i < data.size()) sum += static_cast<uint32_t>(data[i] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

struct ParsedFrame {
  std::vector<uint16_t> vlan_tcis;  // in order, outermost first
  uint16_t ethertype = 0;           // after the tags
  size_t l3 = 0;                    // offset of the IP header
  int ip_version = 0;               // 4, 6 or 0 when not IP
  size_t ip_header_len = 0;
  uint8_t protocol = 0;  // IPv4 protocol / IPv6 next header
  size_t l4 = 0;         // offset of the transport header
  size_t ip_end = 0;     // end of the datagram by its length field
  uint16_t src_port = 0, dst_port = 0;
  bool ip_checksum_ok = false;  // IPv4 only
  bool l4_checksum_ok = false;
  std::string error;  // why parsing stopped, if it did
};

// Walks Ethernet, any number of 802.1Q/802.1ad tags, IPv4 or IPv6 and UDP,
// TCP, ICMP or ICMPv6, checking lengths against the frame and verifying
// checksums by the "sum including the checksum is 0xffff" property.
inline ParsedFrame parse_frame(std::span<const uint8_t> f) {
  ParsedFrame p;
  if (f.size() < 14) return p.error = "short ethernet", p;
  size_t at = 12;
  uint16_t type = be16(f, at);
  at += 2;
  while (type == 0x8100 || type == 0x88a8) {
    if (f.size() < at + 4) return p.error = "short vlan", p;
    p.vlan_tcis.push_back(be16(f, at));
    type = be16(f, at + 2);
    at += 4;
  }
  p.ethertype = type;
  p.l3 = at;
  std::vector<uint8_t> pseudo;
  if (type == 0x0800) {
    p.ip_version = 4;
    if (f.size() < at + 20) return p.error = "short ipv4", p;
    if (f[at] >> 4 != 4) return p.error = "ipv4 version", p;
    p.ip_header_len = (f[at] & 0xf) * 4u;
    const size_t total = be16(f, at + 2);
    if (p.ip_header_len < 20 || f.size() < at + total || total < p.ip_header_len)
      return p.error = "ipv4 lengths", p;
    p.ip_checksum_ok = ones_complement_sum(f.subspan(at, p.ip_header_len)) == 0xffff;
    p.protocol = f[at + 9];
    p.l4 = at + p.ip_header_len;
    p.ip_end = at + total;
    pseudo.assign(f.begin() + at + 12, f.begin() + at + 20);
    const size_t l4len = p.ip_end - p.l4;
    pseudo.push_back(0);
    pseudo.push_back(p.protocol);
    pseudo.push_back(static_cast<uint8_t>(l4len >> 8));
    pseudo.push_back(static_cast<uint8_t>(l4len));
  } else if (type == 0x86dd) {
    p.ip_version = 6;
    if (f.size() < at + 40) return p.error = "short ipv6", p;
    if (f[at] >> 4 != 6) return p.error = "ipv6 version", p;
    p.ip_header_len = 40;
    p.protocol = f[at + 6];
    p.l4 = at + 40;
    p.ip_end = p.l4 + be16(f, at + 4);
    if (f.size() < p.ip_end) return p.error = "ipv6 lengths", p;
    pseudo.assign(f.begin() + at + 8, f.begin() + at + 40);
    const size_t l4len = p.ip_end - p.l4;
    for (int shift : {24, 16, 8, 0}) pseudo.push_back(static_cast<uint8_t>(l4len >> shift));
    pseudo.insert(pseudo.end(), {0, 0, 0, p.protocol});
  } else {
    return p;
  }
  auto segment = f.subspan(p.l4, p.ip_end - p.l4);
  auto with_pseudo = [&] {
    std::vector<uint8_t> all = pseudo;
    all.insert(all.end(), segment.begin(), segment.end());
    return ones_complement_sum(all) == 0xffff;
  };
  switch (p.protocol) {
    case 17:
      if (segment.size() < 8) return p.error = "short udp", p;
      if (be16(segment, 4) != segment.size()) return p.error = "udp length", p;
      p.src_port = be16(segment, 0);
      p.dst_port = be16(segment, 2);
      p.l4_checksum_ok = be16(segment, 6) != 0 && with_pseudo();
      break;
    case 6:
      if (segment.size() < 20 || (segment[12] >> 4) * 4u > segment.size())
        return p.error = "short tcp", p;
      p.src_port = be16(segment, 0);
      p.dst_port = be16(segment, 2);
      p.l4_checksum_ok = with_pseudo();
      break;
    case 1:
      if (segment.size() < 8) return p.error = "short icmp", p;
      p.l4_checksum_ok = ones_complement_sum(segment) == 0xffff;
      break;
    case 58:
      if (segment.size() < 8) return p.error = "short icmpv6", p;
      p.l4_checksum_ok = with_pseudo();
      break;
    default:
      break;
  }
  return p;
}

}  // namespace ebpfaas::dataplane::testing
