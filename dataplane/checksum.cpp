#include "dataplane/checksum.h"

#include <bit>
#include <cstring>

namespace ebpfaas::dataplane {

uint64_t checksum_add(uint64_t sum, std::span<const uint8_t> bytes) {
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  // Eight bytes at a time: the sum of big-endian 16-bit words equals, after
  // folding, the byte-swapped sum of native little-endian words (RFC 1071
  // section 2(B), byte-order independence), so load 64 bits and add the
  // halves into a wide accumulator, then swap once at the end.
  uint64_t wide = 0;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    wide += (w & 0xffffffff) + (w >> 32);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, 2);
    wide += w;
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    uint16_t w = 0;
    std::memcpy(&w, p, 1);  // the odd byte is the high byte of a zero-padded word
    wide += w;
  }
  uint16_t native = checksum_fold(wide);
  if constexpr (std::endian::native == std::endian::little) {
    native = static_cast<uint16_t>(native >> 8 | native << 8);
  }
  return sum + native;
}

uint64_t pseudo_header_sum(const Ipv4Address& src, const Ipv4Address& dst, uint8_t protocol,
                           uint32_t length) {
  uint64_t sum = checksum_add(0, src.bytes);
  sum = checksum_add(sum, dst.bytes);
  return sum + protocol + (length >> 16) + (length & 0xffff);
}

uint64_t pseudo_header_sum(const Ipv6Address& src, const Ipv6Address& dst, uint8_t protocol,
                           uint32_t length) {
  uint64_t sum = checksum_add(0, src.bytes);
  sum = checksum_add(sum, dst.bytes);
  return sum + protocol + (length >> 16) + (length & 0xffff);
}

}  // namespace ebpfaas::dataplane
