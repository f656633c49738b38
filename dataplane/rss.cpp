#include "dataplane/rss.h"

#include <cstring>

namespace ebpfaas::dataplane {

uint32_t toeplitz_hash(const RssKey& key, std::span<const uint8_t> input) {
  // For each set bit of the input (most significant first), xor in the 32-bit
  // window of the key that starts at that bit.
  uint32_t result = 0;
  uint32_t window =
      (uint32_t{key[0]} << 24) | (uint32_t{key[1]} << 16) | (uint32_t{key[2]} << 8) | key[3];
  size_t next = 4;
  for (uint8_t byte : input) {
    const uint8_t k = next < key.size() ? key[next] : 0;
    ++next;
    for (int bit = 7; bit >= 0; --bit) {
      if (byte & (1u << bit)) result ^= window;
      window = (window << 1) | ((k >> bit) & 1u);
    }
  }
  return result;
}

RssTuple rss_tuple(std::span<const uint8_t> f) {
  RssTuple t;
  size_t off = 12;
  if (f.size() < off + 2) return t;
  uint16_t type = static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
  off += 2;
  if (type == 0x8100 || type == 0x88a8) {
    if (f.size() < off + 4) return t;
    type = static_cast<uint16_t>(f[off + 2] << 8 | f[off + 3]);
    off += 4;
  }
  uint8_t proto = 0;
  size_t l4 = 0;
  bool fragment = false;
  if (type == 0x0800) {
    if (f.size() < off + 20) return t;
    const size_t ihl = (f[off] & 0xf) * 4u;
    proto = f[off + 9];
    fragment = ((f[off + 6] & 0x3f) | f[off + 7]) != 0;
    std::memcpy(t.bytes.data(), &f[off + 12], 8);
    t.size = 8;
    l4 = off + ihl;
  } else if (type == 0x86dd) {
    if (f.size() < off + 40) return t;
    proto = f[off + 6];
    std::memcpy(t.bytes.data(), &f[off + 8], 32);
    t.size = 32;
    l4 = off + 40;
  } else {
    return t;
  }
  if ((proto == 6 || proto == 17) && !fragment && f.size() >= l4 + 4) {
    std::memcpy(t.bytes.data() + t.size, &f[l4], 4);
    t.size += 4;
  }
  return t;
}

RssDispatch::RssDispatch(uint16_t queues, const RssKey& key)
    : key_(key), queues_(queues ? queues : 1) {
  for (size_t i = 0; i < kRetaSize; ++i) reta_[i] = static_cast<uint16_t>(i % queues_);
}

uint32_t RssDispatch::hash(std::span<const uint8_t> frame) const {
  RssTuple t = rss_tuple(frame);
  return t.size ? toeplitz_hash(key_, {t.bytes.data(), t.size}) : 0;
}

}  // namespace ebpfaas::dataplane
