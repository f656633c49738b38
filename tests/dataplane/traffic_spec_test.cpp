#include "dataplane/traffic_spec.h"

#include <gtest/gtest.h>

namespace ebpfaas::dataplane {
namespace {

template <class T>
std::string error_of(const Expected<T>& v) {
  return v ? "(parsed)" : v.error().message();
}

TEST(TrafficSpec, Sizes) {
  EXPECT_EQ(parse_size_spec("64")->kind, SizeSpec::Kind::kFixed);
  EXPECT_EQ(parse_size_spec("64")->min, 64u);
  auto r = parse_size_spec("60-1514");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, SizeSpec::Kind::kRange);
  EXPECT_EQ(r->max, 1514u);
  EXPECT_EQ(parse_size_spec("IMIX")->kind, SizeSpec::Kind::kImix);
  EXPECT_EQ(error_of(parse_size_spec("big")), "invalid size 'big' (expected N, MIN-MAX or imix)");
  EXPECT_EQ(error_of(parse_size_spec("100-60")),
            "size range '100-60' is empty (minimum above maximum)");
}

TEST(TrafficSpec, DistributionsAndProtocols) {
  auto z = parse_flow_distribution("zipf:1.1");
  ASSERT_TRUE(z);
  EXPECT_EQ(z->kind, FlowDistribution::Kind::kZipf);
  EXPECT_DOUBLE_EQ(z->s, 1.1);
  EXPECT_EQ(parse_flow_distribution("uniform")->kind, FlowDistribution::Kind::kUniform);
  EXPECT_FALSE(parse_flow_distribution("zipf"));
  EXPECT_FALSE(parse_flow_distribution("zipf:-2"));
  EXPECT_FALSE(parse_flow_distribution("zipf:abc"));

  auto m = parse_protocol_mix("mix");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->udp + m->tcp + m->icmp, 3u);
  auto w = parse_protocol_mix("udp:8,tcp:1+icmp");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->udp, 8u);
  EXPECT_EQ(w->tcp, 1u);
  EXPECT_EQ(w->icmp, 1u);
  auto t = parse_protocol_mix("tcp");
  EXPECT_EQ(t->udp, 0u);
  EXPECT_EQ(t->tcp, 1u);
  EXPECT_EQ(error_of(parse_protocol_mix("sctp")),
            "invalid protocol 'sctp' in 'sctp' (expected udp, tcp, icmp or mix)");
  EXPECT_FALSE(parse_protocol_mix("udp,udp"));
  EXPECT_FALSE(parse_protocol_mix("udp:0"));
  EXPECT_FALSE(parse_protocol_mix("udp:"));
}

TEST(TrafficSpec, PrefixesPortsMacs) {
  auto p = parse_ip_prefix("10.1.2.3/16");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->to_string(), "10.1.0.0/16");
  EXPECT_EQ(parse_ip_prefix("192.0.2.9")->to_string(), "192.0.2.9/32");
  auto v6 = parse_ip_prefix("2001:db8::ff/120");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->version, IpVersion::kIpv6);
  EXPECT_EQ(v6->to_string(), "2001:db8::/120");
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/33"));
  EXPECT_FALSE(parse_ip_prefix("2001:db8::/129"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0/8"));
  EXPECT_FALSE(parse_ip_prefix("10.0.0.0/"));

  auto ports = parse_port_range("1024-65535");
  ASSERT_TRUE(ports);
  EXPECT_EQ(ports->first, 1024);
  EXPECT_EQ(ports->last, 65535);
  EXPECT_EQ(parse_port_range("80")->last, 80);
  EXPECT_EQ(error_of(parse_port_range("70000")), "port 70000 is above 65535");
  EXPECT_FALSE(parse_port_range("9-8"));

  auto macs = parse_mac_range("02-00-00-00-00-01-02-00-00-00-00-ff");
  ASSERT_TRUE(macs);
  EXPECT_EQ(macs->first, mac("02:00:00:00:00:01"));
  EXPECT_EQ(macs->last, mac("02:00:00:00:00:ff"));
  EXPECT_EQ(parse_mac_range("02:00:00:00:00:01")->last, mac("02:00:00:00:00:01"));
  EXPECT_FALSE(parse_mac_range("02:00:00:00:00:09-02:00:00:00:00:01"));
}

TEST(TrafficSpec, Rates) {
  auto pps = parse_rate("1.5Mpps");
  ASSERT_TRUE(pps);
  EXPECT_EQ(pps->kind, Timing::Kind::kPacketsPerSecond);
  EXPECT_DOUBLE_EQ(pps->rate, 1.5e6);
  auto bps = parse_rate("10Gbps");
  EXPECT_EQ(bps->kind, Timing::Kind::kBitsPerSecond);
  EXPECT_DOUBLE_EQ(bps->rate, 1e10);
  EXPECT_DOUBLE_EQ(parse_rate("1000")->rate, 1000);
  EXPECT_DOUBLE_EQ(parse_rate("100k")->rate, 1e5);
  EXPECT_FALSE(parse_rate("0"));
  EXPECT_FALSE(parse_rate("-5"));
  EXPECT_FALSE(parse_rate("fast"));
  EXPECT_EQ(*parse_start_time_ns("1700000000.25"), 1'700'000'000'250'000'000ULL);
  EXPECT_EQ(*parse_start_time_ns("3"), 3'000'000'000ULL);
  EXPECT_FALSE(parse_start_time_ns("1.0000000001"));
}

TEST(TrafficSpec, KeyValueSpecsAndRoundTrip) {
  auto o = parse_traffic_spec(
      "size=imix,flows=1024,dist=zipf:1.1,proto=udp:8,tcp:2,vlan=7,"
      "src=10.0.0.0/8,sport=1000-2000,rate=1Mpps,seed=9");
  ASSERT_TRUE(o) << o.error().message();
  EXPECT_EQ(o->size.kind, SizeSpec::Kind::kImix);
  EXPECT_EQ(o->flows, 1024u);
  EXPECT_EQ(o->protocols.udp, 8u);
  EXPECT_EQ(o->protocols.tcp, 2u);
  EXPECT_EQ(o->protocols.icmp, 0u);
  EXPECT_EQ(o->vlan, 7);
  EXPECT_EQ(o->seed, 9u);
  EXPECT_EQ(o->src_ports.first, 1000);
  const std::string text = to_spec(*o);
  EXPECT_EQ(text,
            "size=imix,flows=1024,dist=zipf:1.1,proto=udp:8,tcp:2,src=10.0.0.0/8,"
            "sport=1000-2000,dport=1-1023,smac=02:00:00:00:00:01,dmac=02:00:00:00:00:02,vlan=7,"
            "rate=1Mpps,start=0.000000000,seed=9");
  auto again = parse_traffic_spec(text);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(to_spec(*again), text);

  EXPECT_EQ(error_of(parse_traffic_spec("size=64,colour=red")),
            "traffic spec 'size=64,colour=red': unknown key 'colour' (known: size, flows, dist, "
            "proto, ip, src, dst, sport, dport, smac, dmac, vlan, rate, start, seed)");
  EXPECT_EQ(error_of(parse_traffic_spec("flows=many")),
            "traffic spec flows=: invalid flow count 'many' (expected a non-negative integer)");
  EXPECT_FALSE(parse_traffic_spec("udp"));
  EXPECT_FALSE(parse_traffic_spec("ip=5"));
}

}  // namespace
}  // namespace ebpfaas::dataplane
