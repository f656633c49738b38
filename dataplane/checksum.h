// The Internet checksum (RFC 1071) in the three forms packet code needs: a
// running 32-bit sum over byte ranges (so a pseudo-header, a header and a
// payload can be summed separately and combined, in any order), the fold to 16
// bits, and the incremental update of a stored checksum when one 16-bit field
// changes (RFC 1624, eqn. 3), which is what a router does to the IPv4 header
// after decrementing the TTL.
//
// Sums are of 16-bit big-endian words, so a stored checksum is written to the
// packet with store_be16(). A range of odd length is padded with a zero byte,
// which is only correct for the last range of a summed area.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/net_address.h"

namespace ebpfaas::dataplane {

// Adds the 16-bit words of `bytes` to `sum`. The 64-bit accumulator cannot
// overflow for any packet (it would take 2^48 words).
uint64_t checksum_add(uint64_t sum, std::span<const uint8_t> bytes);

constexpr uint64_t checksum_add16(uint64_t sum, uint16_t word) {
  return sum + word;
}

// Folds the carries of a running sum into 16 bits (one's complement addition).
constexpr uint16_t checksum_fold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// The value to store in a checksum field: the complement of the folded sum of
// everything it covers (with the field itself taken as zero).
constexpr uint16_t checksum_finish(uint64_t sum) {
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// RFC 1071 checksum of one contiguous area (an IPv4 header, an ICMP message).
inline uint16_t internet_checksum(std::span<const uint8_t> bytes) {
  return checksum_finish(checksum_add(0, bytes));
}

// RFC 1624 eqn. 3: the new checksum HC' = ~(~HC + ~m + m') after a 16-bit field
// of the covered area changed from m to m'.
constexpr uint16_t checksum_update16(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint64_t sum = static_cast<uint16_t>(~checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~checksum_fold(sum));
}

// Sums of the pseudo-headers that UDP, TCP (RFC 768/793: addresses, protocol,
// length) and, over IPv6, ICMPv6 (RFC 8200 section 8.1) checksums also cover.
uint64_t pseudo_header_sum(const Ipv4Address& src, const Ipv4Address& dst, uint8_t protocol,
                           uint32_t length);
uint64_t pseudo_header_sum(const Ipv6Address& src, const Ipv6Address& dst, uint8_t protocol,
                           uint32_t length);

constexpr uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
constexpr void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
constexpr uint32_t load_be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
constexpr void store_be32(uint8_t* p, uint32_t v) {
  store_be16(p, static_cast<uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<uint16_t>(v));
}

}  // namespace ebpfaas::dataplane
