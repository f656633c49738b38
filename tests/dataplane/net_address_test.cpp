#include "dataplane/net_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace ebpfaas::dataplane {
namespace {

static_assert(ip4("10.0.0.1").value() == 0x0a000001);
static_assert(Ipv4Address::from_value(0xc0000201) == ip4("192.0.2.1"));
static_assert(mac("02:00:00:00:00:01").value() == 0x020000000001ULL);
static_assert(kBroadcastMac.is_broadcast() && kBroadcastMac.is_multicast());
static_assert(ip6("::1").bytes[15] == 1 && ip6("ff02::1").bytes[0] == 0xff);

TEST(NetAddress, Ipv4AgreesWithInetPton) {
  const char* cases[] = {"0.0.0.0",   "255.255.255.255", "10.0.0.1", "192.0.2.254", "1.2.3",
                         "1.2.3.4.5", "256.1.1.1",       "01.2.3.4", "1.2.3.04",    "1..2.3",
                         "",          " 1.2.3.4",        "1.2.3.4 ", "1.2.3.-4",    "a.b.c.d",
                         "1.2.3.4/8", "001.2.3.4",       "0.0.0.00", "9.99.199.249"};
  for (const char* c : cases) {
    in_addr ref{};
    const bool ok = ::inet_pton(AF_INET, c, &ref) == 1;
    auto mine = parse_ipv4(c);
    ASSERT_EQ(mine.ok(), ok) << c;
    if (ok) {
      EXPECT_EQ(std::memcmp(mine->bytes.data(), &ref, 4), 0) << c;
      EXPECT_EQ(mine->to_string(), c);
    } else {
      EXPECT_NE(mine.error().message().find(c), std::string::npos);
    }
  }
}

TEST(NetAddress, Ipv6AgreesWithInetPton) {
  const char* cases[] = {"::",
                         "::1",
                         "1::",
                         "2001:db8::1",
                         "2001:0db8:0000:0000:0000:0000:0000:0001",
                         "fe80::1:2:3:4",
                         "1:2:3:4:5:6:7:8",
                         "1:2:3:4:5:6:7::",
                         "::2:3:4:5:6:7:8",
                         "::ffff:192.0.2.1",
                         "64:ff9b::198.51.100.7",
                         "1:2:3:4:5:6:1.2.3.4",
                         "1:2:3:4:5:6:7:8:9",
                         "1::2::3",
                         ":1::2",
                         "1::2:",
                         "12345::",
                         "g::1",
                         "1:2:3:4:5:6:7:1.2.3.4",
                         "::1.2.3",
                         "1.2.3.4::",
                         ":::",
                         "",
                         "1:2:3:4:5:6:7",
                         "::ffff:1.2.3.04",
                         "fd00::",
                         "FFFF::ABCD",
                         "1:2:3:4::5:6:7:8"};
  for (const char* c : cases) {
    in6_addr ref{};
    const bool ok = ::inet_pton(AF_INET6, c, &ref) == 1;
    auto mine = parse_ipv6(c);
    ASSERT_EQ(mine.ok(), ok) << c;
    if (!ok) continue;
    EXPECT_EQ(std::memcmp(mine->bytes.data(), &ref, 16), 0) << c;
    char text[INET6_ADDRSTRLEN];
    ::inet_ntop(AF_INET6, &ref, text, sizeof text);
    EXPECT_EQ(mine->to_string(), text);
  }
}

TEST(NetAddress, Mac) {
  auto m = parse_mac("02:0a:FF:1:2:3");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->to_string(), "02:0a:ff:01:02:03");
  EXPECT_EQ(parse_mac("02-00-00-00-00-01")->value(), 0x020000000001ULL);
  EXPECT_EQ(MacAddress::from_value(m->value()), *m);
  for (const char* bad : {"", "02:00:00:00:00", "02:00:00:00:00:00:00", "02:00:00:00:00:001",
                          "0g:00:00:00:00:00", "02::00:00:00:00"}) {
    auto r = parse_mac(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) EXPECT_NE(r.error().message().find("invalid MAC address"), std::string::npos);
  }
  EXPECT_FALSE(mac("02:00:00:00:00:01").is_multicast());
}

}  // namespace
}  // namespace ebpfaas::dataplane
