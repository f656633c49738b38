#include "dataplane/traffic.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <set>

#include "tests/dataplane/frame_check.h"
#include "tests/dataplane/stats.h"

namespace ebpfaas::dataplane {
namespace {

using testing::be16;
using testing::chi_square;
using testing::chi_square_critical_001;
using testing::parse_frame;

TrafficGenerator must_create(const TrafficOptions& o) {
  auto g = TrafficGenerator::create(o);
  EXPECT_TRUE(g) << (g ? "" : g.error().message());
  if (!g) std::abort();
  return std::move(*g);
}

std::string create_error(const TrafficOptions& o) {
  auto g = TrafficGenerator::create(o);
  return g ? "(created)" : g.error().message();
}

bool in_prefix(const uint8_t* addr, const IpPrefix& p) {
  for (size_t bit = 0; bit < p.length; ++bit) {
    const uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    if ((addr[bit / 8] & m) != (p.base[bit / 8] & m)) return false;
  }
  return true;
}

// Every generated packet parses, has correct lengths and checksums, and carries
// the fields of the flow it claims, within the configured ranges.
void check_packets(const TrafficOptions& o, int count) {
  TrafficGenerator g = must_create(o);
  std::vector<uint8_t> frame(g.max_frame_size());
  const bool v4 = g.ip_version() == IpVersion::kIpv4;
  for (int i = 0; i < count; ++i) {
    std::memset(frame.data(), 0xee, frame.size());  // stale bytes must not leak
    const GeneratedPacket pkt = g.next(frame.data());
    ASSERT_LE(pkt.length, g.max_frame_size());
    std::span<const uint8_t> f(frame.data(), pkt.length);
    auto p = parse_frame(f);
    ASSERT_EQ(p.error, "") << "packet " << i;
    ASSERT_EQ(p.ip_end, pkt.length) << "packet " << i;
    if (v4) ASSERT_TRUE(p.ip_checksum_ok) << "packet " << i;
    ASSERT_TRUE(p.l4_checksum_ok) << "packet " << i;
    ASSERT_EQ(p.ip_version, v4 ? 4 : 6);
    if (o.vlan) {
      ASSERT_EQ(p.vlan_tcis.size(), 1u);
      ASSERT_EQ(p.vlan_tcis[0], *o.vlan);
    } else {
      ASSERT_TRUE(p.vlan_tcis.empty());
    }
    for (size_t k = p.l4 + (p.protocol == 6 ? 20 : 8); k < pkt.length; ++k) ASSERT_EQ(f[k], 0);

    const Flow fl = g.flow(pkt.flow);
    ASSERT_EQ(std::memcmp(f.data(), fl.dst_mac.bytes.data(), 6), 0);
    ASSERT_EQ(std::memcmp(f.data() + 6, fl.src_mac.bytes.data(), 6), 0);
    const size_t alen = v4 ? 4 : 16;
    const uint8_t* src = f.data() + p.l3 + (v4 ? 12 : 8);
    ASSERT_EQ(std::memcmp(src, fl.src_ip.data(), alen), 0);
    ASSERT_EQ(std::memcmp(src + alen, fl.dst_ip.data(), alen), 0);
    IpPrefix sp = o.src ? *o.src
                  : v4  ? IpPrefix::v4(kDefaultSrcV4, 16)
                        : IpPrefix::v6(kDefaultSrcV6, 64);
    IpPrefix dp = o.dst ? *o.dst
                  : v4  ? IpPrefix::v4(kDefaultDstV4, 16)
                        : IpPrefix::v6(kDefaultDstV6, 64);
    ASSERT_TRUE(in_prefix(src, sp));
    ASSERT_TRUE(in_prefix(src + alen, dp));
    ASSERT_GE(fl.src_mac, o.src_mac.first);
    ASSERT_LE(fl.src_mac, o.src_mac.last);
    ASSERT_GE(fl.dst_mac, o.dst_mac.first);
    ASSERT_LE(fl.dst_mac, o.dst_mac.last);
    switch (fl.protocol) {
      case Protocol::kUdp:
      case Protocol::kTcp:
        ASSERT_EQ(p.protocol, fl.protocol == Protocol::kUdp ? 17 : 6);
        ASSERT_EQ(p.src_port, fl.src_port);
        ASSERT_EQ(p.dst_port, fl.dst_port);
        ASSERT_GE(fl.src_port, o.src_ports.first);
        ASSERT_LE(fl.src_port, o.src_ports.last);
        ASSERT_GE(fl.dst_port, o.dst_ports.first);
        ASSERT_LE(fl.dst_port, o.dst_ports.last);
        break;
      case Protocol::kIcmp:
        ASSERT_EQ(p.protocol, v4 ? 1 : 58);
        ASSERT_EQ(f[p.l4], v4 ? 8 : 128);  // echo request
        ASSERT_EQ(be16(f, p.l4 + 4), fl.src_port);
        ASSERT_GE(fl.src_port, o.src_ports.first);
        ASSERT_LE(fl.src_port, o.src_ports.last);
        break;
    }
  }
}

TEST(Traffic, PacketsParseWithCorrectChecksumsInEveryConfiguration) {
  for (IpVersion v : {IpVersion::kIpv4, IpVersion::kIpv6}) {
    for (bool vlan : {false, true}) {
      for (SizeSpec size : {SizeSpec::fixed(64), SizeSpec::fixed(60), SizeSpec::imix(),
                            SizeSpec::range(14, 1518), SizeSpec::fixed(9018)}) {
        TrafficOptions o;
        o.ip_version = v;
        if (vlan) o.vlan = 42;
        o.size = size;
        o.flows = 200;
        o.protocols = {1, 1, 1};
        o.src_mac = {mac("02:00:00:00:00:00"), mac("02:00:00:00:00:ff")};
        o.seed = 3;
        SCOPED_TRACE(
            fmt::format("v{} vlan {} size {}-{}", static_cast<int>(v), vlan, size.min, size.max));
        check_packets(o, 1500);
      }
    }
  }
}

TEST(Traffic, NarrowPrefixesAndPortRanges) {
  TrafficOptions o;
  o.src = IpPrefix::v4(ip4("10.1.2.128"), 25);
  o.dst = IpPrefix::v4(ip4("192.0.2.7"), 32);
  o.src_ports = {5000, 5009};
  o.dst_ports = {53, 53};
  o.flows = 1000;
  o.protocols = {1, 1, 0};
  check_packets(o, 3000);

  TrafficOptions v6;
  v6.src = IpPrefix::v6(ip6("2001:db8:aaaa::"), 125);
  v6.dst = IpPrefix::v6(ip6("2001:db8:bbbb::"), 7);
  v6.flows = 50;
  check_packets(v6, 500);
}

TEST(Traffic, SameSeedSameBytesDifferentSeedDifferent) {
  auto run = [](uint64_t seed) {
    TrafficOptions o;
    o.flows = 64;
    o.size = SizeSpec::imix();
    o.distribution = FlowDistribution::zipf(1.2);
    o.protocols = {2, 1, 1};
    o.seed = seed;
    TrafficGenerator g = must_create(o);
    std::vector<uint8_t> out, frame(g.max_frame_size());
    for (int i = 0; i < 2000; ++i) {
      auto p = g.next(frame.data());
      out.insert(out.end(), frame.begin(), frame.begin() + p.length);
      for (int b = 0; b < 8; ++b) out.push_back(static_cast<uint8_t>(p.timestamp_ns >> (8 * b)));
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(Traffic, FlowsAreDistinctAndTheRangesBoundThem) {
  TrafficOptions o;
  o.src = IpPrefix::v4(ip4("10.0.0.0"), 31);  // 2 sources
  o.dst = IpPrefix::v4(ip4("10.0.1.0"), 31);  // 2 destinations
  o.src_ports = {1, 1};
  o.dst_ports = {1, 2};
  o.protocols = {1, 1, 1};  // udp 4x2, tcp 4x2, icmp 4x1 = 20 distinct flows
  o.flows = 20;
  TrafficGenerator g = must_create(o);
  std::set<std::tuple<int, std::array<uint8_t, 16>, std::array<uint8_t, 16>, int, int>> seen;
  for (size_t i = 0; i < g.flow_count(); ++i) {
    Flow f = g.flow(i);
    seen.insert({static_cast<int>(f.protocol), f.src_ip, f.dst_ip, f.src_port, f.dst_port});
  }
  EXPECT_EQ(seen.size(), 20u);
  o.flows = 21;
  EXPECT_EQ(create_error(o),
            "21 flows asked, but the ranges hold only 20 distinct flows (source 10.0.0.0/31, "
            "destination 10.0.1.0/31, source ports 1-1, destination ports 1-2); widen them or "
            "ask for fewer");
}

TEST(Traffic, ImixHoldsExactProportionsInEveryRunOfTwelve) {
  TrafficOptions o;
  o.size = SizeSpec::imix();
  o.flows = 10;
  TrafficGenerator g = must_create(o);
  std::vector<uint8_t> frame(g.max_frame_size());
  EXPECT_EQ(g.max_frame_size(), 1514u);
  std::map<uint32_t, int> total;
  std::set<std::vector<uint32_t>> orders;
  for (int run = 0; run < 1000; ++run) {
    std::map<uint32_t, int> counts;
    std::vector<uint32_t> order;
    for (int i = 0; i < 12; ++i) {
      const uint32_t len = g.next(frame.data()).length;
      ++counts[len];
      ++total[len];
      order.push_back(len);
    }
    ASSERT_EQ(counts, (std::map<uint32_t, int>{{60, 7}, {590, 4}, {1514, 1}})) << run;
    orders.insert(order);
  }
  EXPECT_EQ(total[60], 7000);
  EXPECT_GT(orders.size(), 100u);  // the order within runs is shuffled
}

TEST(Traffic, SizeRangeIsUniformAndSmallSizesStopAtTheHeaders) {
  TrafficOptions o;
  o.size = SizeSpec::range(100, 109);
  TrafficGenerator g = must_create(o);
  std::vector<uint8_t> frame(g.max_frame_size());
  std::vector<uint64_t> counts(10);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t len = g.next(frame.data()).length;
    ASSERT_GE(len, 100u);
    ASSERT_LE(len, 109u);
    ++counts[len - 100];
  }
  EXPECT_LT(chi_square(counts, std::vector<double>(10, 0.1)), 27.9);  // dof 9, p 0.001

  TrafficOptions tiny;
  tiny.size = SizeSpec::fixed(60);
  tiny.ip_version = IpVersion::kIpv6;
  tiny.vlan = 1;
  tiny.protocols = {0, 1, 0};
  TrafficGenerator t = must_create(tiny);
  std::vector<uint8_t> f2(t.max_frame_size());
  EXPECT_EQ(t.next(f2.data()).length, 14u + 4 + 40 + 20);
}

TEST(Traffic, FlowPopularityFollowsZipfAndUniform) {
  constexpr uint32_t kFlows = 64;
  constexpr int kPackets = 500000;
  for (double s : {0.0, 0.8, 1.1}) {
    TrafficOptions o;
    o.flows = kFlows;
    o.distribution = s == 0 ? FlowDistribution::uniform() : FlowDistribution::zipf(s);
    o.seed = 12345;
    TrafficGenerator g = must_create(o);
    std::vector<uint8_t> frame(g.max_frame_size());
    std::vector<uint64_t> counts(kFlows);
    for (int i = 0; i < kPackets; ++i) ++counts[g.next(frame.data()).flow];
    auto expected = zipf_weights(kFlows, s);
    double total = 0;
    for (double w : expected) total += w;
    for (double& w : expected) w /= total;
    const double critical = chi_square_critical_001(kFlows - 1);
    EXPECT_LT(chi_square(counts, expected), critical) << "s " << s;
    // Power: a different exponent is rejected by the same samples.
    auto other = zipf_weights(kFlows, s + 0.1);
    double ot = 0;
    for (double w : other) ot += w;
    for (double& w : other) w /= ot;
    EXPECT_GT(chi_square(counts, other), critical) << "s " << s;
  }
}

TEST(Traffic, ProtocolMixWeightsFlows) {
  TrafficOptions o;
  o.flows = 30000;
  o.protocols = {6, 3, 1};
  TrafficGenerator g = must_create(o);
  std::vector<uint64_t> counts(3);
  for (size_t i = 0; i < g.flow_count(); ++i) ++counts[static_cast<size_t>(g.flow(i).protocol)];
  EXPECT_LT(chi_square(counts, {0.6, 0.3, 0.1}), 13.8);  // dof 2, p 0.001
}

TEST(Traffic, TimestampsFollowTheRate) {
  TrafficOptions o;
  o.timing = {Timing::Kind::kPacketsPerSecond, 3e6, 1'700'000'000'000'000'000ULL};
  TrafficGenerator g = must_create(o);
  std::vector<uint8_t> frame(g.max_frame_size());
  for (uint64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(g.next(frame.data()).timestamp_ns, 1'700'000'000'000'000'000ULL + i * 1000 / 3);

  // Exact for integer and dyadic rates, from the integer formula.
  for (double rate : {1.5, 7.0, 14.88e6, 1e9}) {
    TrafficOptions r;
    r.timing = {Timing::Kind::kPacketsPerSecond, rate, 0};
    TrafficGenerator rg = must_create(r);
    for (uint64_t i = 0; i < 5000; ++i) {
      const uint64_t expected =
          rate == 1.5 ? i * 2'000'000'000 / 3 : i * 1'000'000'000 / static_cast<uint64_t>(rate);
      ASSERT_EQ(rg.next(frame.data()).timestamp_ns, expected) << rate << " packet " << i;
    }
  }

  // Line rate: a 60-byte frame takes 84 bytes of a 10 Gb/s link, 67.2 ns.
  TrafficOptions line;
  line.size = SizeSpec::fixed(60);
  TrafficGenerator l = must_create(line);
  for (uint64_t i = 0; i < 1000; ++i) ASSERT_EQ(l.next(frame.data()).timestamp_ns, i * 672 / 10);

  // IMIX at 1 Gb/s: each frame advances the clock by its own wire time.
  TrafficOptions mix;
  mix.size = SizeSpec::imix();
  mix.timing = {Timing::Kind::kBitsPerSecond, 1e9, 0};
  TrafficGenerator m = must_create(mix);
  std::vector<uint8_t> big(m.max_frame_size());
  uint64_t bits = 0;
  for (int i = 0; i < 1000; ++i) {
    auto p = m.next(big.data());
    ASSERT_EQ(p.timestamp_ns, bits);  // 1 bit per ns
    bits += (p.length + 24) * 8;
  }
}

TEST(Traffic, OptionErrorsNameTheOption) {
  TrafficOptions o;
  o.size = SizeSpec::fixed(9019);
  EXPECT_EQ(create_error(o), "size 9019 is outside 14..9018 bytes");
  o = {};
  o.flows = 0;
  EXPECT_EQ(create_error(o), "flows 0 is outside 1..16777216");
  o = {};
  o.distribution = FlowDistribution::zipf(-1);
  EXPECT_EQ(create_error(o), "Zipf exponent -1 must be a finite number >= 0");
  o = {};
  o.ip_version = IpVersion::kIpv6;
  o.src = IpPrefix::v4(ip4("10.0.0.0"), 8);
  EXPECT_EQ(create_error(o), "source prefix 10.0.0.0/8 is IPv4 but the traffic is IPv6");
  o = {};
  o.dst = IpPrefix::v6(ip6("2001:db8::"), 64);  // implies IPv6, then src default is IPv6
  EXPECT_EQ(create_error(o), "(created)");
  o.src = IpPrefix::v4(ip4("10.0.0.0"), 8);
  EXPECT_EQ(create_error(o), "source prefix 10.0.0.0/8 is IPv4 but the traffic is IPv6");
  o = {};
  o.vlan = 4096;
  EXPECT_EQ(create_error(o), "VLAN id 4096 is above 4095");
  o = {};
  o.protocols = {0, 0, 0};
  EXPECT_EQ(create_error(o), "protocol mix has no protocol with a positive weight");
  o = {};
  o.timing.rate = 0;
  EXPECT_EQ(create_error(o), "rate 0 is outside 0.001..1000000000000000");
}

}  // namespace
}  // namespace ebpfaas::dataplane
