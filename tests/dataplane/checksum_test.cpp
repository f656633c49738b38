#include "dataplane/checksum.h"

#include <gtest/gtest.h>

#include <vector>

#include "dataplane/random.h"
#include "tests/dataplane/frame_check.h"

namespace ebpfaas::dataplane {
namespace {

using testing::ones_complement_sum;

TEST(Checksum, Rfc1071NumericalExample) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
  const uint8_t bytes[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(checksum_fold(checksum_add(0, bytes)), 0xddf2);
  EXPECT_EQ(internet_checksum(bytes), static_cast<uint16_t>(~0xddf2));
}

TEST(Checksum, KnownIpv4Header) {
  // A captured header (192.168.0.1 -> 192.168.0.199, UDP, DF) whose stored
  // checksum is 0xb861.
  std::vector<uint8_t> h = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                            0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(internet_checksum(h), 0xb861);
  store_be16(h.data() + 10, 0xb861);
  EXPECT_EQ(checksum_fold(checksum_add(0, h)), 0xffff);
}

TEST(Checksum, MatchesBytewiseSumForAnyLengthAndAlignment) {
  Random rng(7);
  std::vector<uint8_t> buf(300);
  for (auto& b : buf) b = static_cast<uint8_t>(rng.next());
  for (size_t start = 0; start < 9; ++start) {
    for (size_t len = 0; len + start <= buf.size(); len += 1 + len / 8) {
      std::span<const uint8_t> s(buf.data() + start, len);
      ASSERT_EQ(checksum_fold(checksum_add(0, s)), ones_complement_sum(s))
          << "start " << start << " len " << len;
    }
  }
}

TEST(Checksum, SumsOfEvenPartsCombine) {
  Random rng(9);
  std::vector<uint8_t> buf(201);
  for (auto& b : buf) b = static_cast<uint8_t>(rng.next());
  for (size_t cut = 0; cut <= buf.size(); cut += 2) {
    const uint64_t parts =
        checksum_add(checksum_add(0, {buf.data(), cut}), {buf.data() + cut, buf.size() - cut});
    ASSERT_EQ(checksum_fold(parts), ones_complement_sum(buf)) << cut;
  }
}

TEST(Checksum, IncrementalUpdateEqualsRecomputation) {
  // RFC 1624: a router decrementing the TTL updates the checksum in place.
  Random rng(11);
  int zero_results = 0;
  for (int trial = 0; trial < 20000; ++trial) {
    std::vector<uint8_t> h(20);
    for (auto& b : h) b = static_cast<uint8_t>(rng.next());
    h[0] = 0x45;
    h[8] = static_cast<uint8_t>(1 + rng.below(255));  // TTL >= 1
    // Force some headers whose checksum is 0x0000 or 0xffff, the edge cases of eqn. 3.
    if (trial % 100 == 0) {
      store_be16(h.data() + 10, 0);
      const uint16_t c = internet_checksum(h);
      store_be16(h.data() + 18, static_cast<uint16_t>(load_be16(h.data() + 18) + c));
    }
    store_be16(h.data() + 10, 0);
    store_be16(h.data() + 10, internet_checksum(h));
    zero_results += load_be16(h.data() + 10) == 0;
    const uint16_t old_word = load_be16(h.data() + 8);
    h[8] -= 1;
    const uint16_t updated =
        checksum_update16(load_be16(h.data() + 10), old_word, load_be16(h.data() + 8));
    store_be16(h.data() + 10, updated);
    ASSERT_EQ(ones_complement_sum(h), 0xffff) << "trial " << trial;
  }
  EXPECT_GT(zero_results, 0);  // the edge case was exercised
}

TEST(Checksum, PseudoHeaders) {
  const Ipv4Address s4 = ip4("192.0.2.1"), d4 = ip4("198.51.100.7");
  std::vector<uint8_t> ph4 = {192, 0, 2, 1, 198, 51, 100, 7, 0, 17, 0x01, 0x23};
  EXPECT_EQ(checksum_fold(pseudo_header_sum(s4, d4, 17, 0x123)), ones_complement_sum(ph4));

  const Ipv6Address s6 = ip6("2001:db8::1"), d6 = ip6("2001:db8:ffff::abcd");
  std::vector<uint8_t> ph6(s6.bytes.begin(), s6.bytes.end());
  ph6.insert(ph6.end(), d6.bytes.begin(), d6.bytes.end());
  ph6.insert(ph6.end(), {0x00, 0x01, 0x00, 0x10, 0, 0, 0, 58});  // length 65552
  EXPECT_EQ(checksum_fold(pseudo_header_sum(s6, d6, 58, 65552)), ones_complement_sum(ph6));
}

}  // namespace
}  // namespace ebpfaas::dataplane
