// Software RSS against Microsoft's RSS verification suite ("Verifying the RSS
// Hash Calculation"), the vectors NIC vendors and DPDK's test_thash check.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/rss.h"

namespace ebpfaas::dataplane {
namespace {

struct V4Vector {
  const char *dst, *src;
  uint16_t dport, sport;
  uint32_t ip_only, with_ports;
};
constexpr V4Vector kV4[] = {
    {"161.142.100.80", "66.9.149.187", 1766, 2794, 0x323e8fc2, 0x51ccc178},
    {"65.69.140.83", "199.92.111.2", 4739, 14230, 0xd718262a, 0xc626b0ea},
    {"12.22.207.184", "24.19.198.95", 38024, 12898, 0xd2d0a5de, 0x5c2b394a},
    {"209.142.163.6", "38.27.205.30", 2217, 48228, 0x82989176, 0xafc7327f},
    {"202.188.127.2", "153.39.163.191", 1303, 44251, 0x5d1809c5, 0x10e828a2},
};

struct V6Vector {
  const char *dst, *src;
  uint16_t dport, sport;
  uint32_t ip_only, with_ports;
};
constexpr V6Vector kV6[] = {
    {"3ffe:2501:200:3::1", "3ffe:2501:200:1fff::7", 1766, 2794, 0x2cc18cd5, 0x40207d3d},
    {"ff02::1", "3ffe:501:8::260:97ff:fe40:efab", 4739, 14230, 0x0f0c461c, 0xdde51bbf},
    {"fe80::200:f8ff:fe21:67cf", "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 38024, 44251, 0x4b61e985,
     0x02d1feef},
};

std::vector<uint8_t> v4_input(const V4Vector& v, bool ports) {
  std::vector<uint8_t> in(ports ? 12 : 8);
  inet_pton(AF_INET, v.src, in.data());
  inet_pton(AF_INET, v.dst, in.data() + 4);
  if (ports) {
    in[8] = v.sport >> 8, in[9] = v.sport & 0xff;
    in[10] = v.dport >> 8, in[11] = v.dport & 0xff;
  }
  return in;
}

TEST(DpRss, MicrosoftIpv4Vectors) {
  for (const auto& v : kV4) {
    EXPECT_EQ(toeplitz_hash(kMicrosoftRssKey, v4_input(v, false)), v.ip_only) << v.dst;
    EXPECT_EQ(toeplitz_hash(kMicrosoftRssKey, v4_input(v, true)), v.with_ports) << v.dst;
  }
}

TEST(DpRss, MicrosoftIpv6Vectors) {
  for (const auto& v : kV6) {
    std::vector<uint8_t> in(36);
    inet_pton(AF_INET6, v.src, in.data());
    inet_pton(AF_INET6, v.dst, in.data() + 16);
    in[32] = v.sport >> 8, in[33] = v.sport & 0xff;
    in[34] = v.dport >> 8, in[35] = v.dport & 0xff;
    EXPECT_EQ(toeplitz_hash(kMicrosoftRssKey, {in.data(), 32}), v.ip_only) << v.dst;
    EXPECT_EQ(toeplitz_hash(kMicrosoftRssKey, in), v.with_ports) << v.dst;
  }
}

// A whole frame: the tuple is taken from the headers (TCP/UDP with ports,
// others without) and dispatched through the redirection table.
TEST(DpRss, FramesHashLikeTheirTuples) {
  std::vector<uint8_t> frame(64, 0);
  frame[12] = 0x08, frame[13] = 0x00;  // IPv4
  frame[14] = 0x45;
  frame[23] = 17;  // UDP
  const V4Vector& v = kV4[0];
  inet_pton(AF_INET, v.src, &frame[26]);
  inet_pton(AF_INET, v.dst, &frame[30]);
  frame[34] = v.sport >> 8, frame[35] = v.sport & 0xff;
  frame[36] = v.dport >> 8, frame[37] = v.dport & 0xff;
  RssDispatch rss(4);
  EXPECT_EQ(rss.hash(frame), v.with_ports);
  EXPECT_EQ(rss.queue(frame), v.with_ports % kRetaSize % 4);
  frame[23] = 1;  // ICMP: addresses only
  EXPECT_EQ(rss.hash(frame), v.ip_only);
  frame[20] = 0x20;  // a fragment: addresses only even for UDP
  frame[23] = 17;
  EXPECT_EQ(rss.hash(frame), v.ip_only);
  frame[12] = 0x08, frame[13] = 0x06;  // ARP: not hashed
  EXPECT_EQ(rss.hash(frame), 0u);
  EXPECT_EQ(rss.queue(frame), 0);
}

}  // namespace
}  // namespace ebpfaas::dataplane
