#include "dataplane/packet_builder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/dataplane/frame_check.h"

namespace ebpfaas::dataplane {
namespace {

using testing::be16;
using testing::be32;
using testing::ones_complement_sum;
using testing::parse_frame;

std::vector<uint8_t> must(Expected<std::vector<uint8_t>> v) {
  EXPECT_TRUE(v) << (v ? "" : v.error().message());
  return v ? std::move(*v) : std::vector<uint8_t>{};
}

std::string error_of(Expected<std::vector<uint8_t>> v) {
  return v ? std::string("(built)") : v.error().message();
}

TEST(PacketBuilder, MatchesAKnownIpv4Header) {
  // The reference header 45 00 00 73 00 00 40 00 40 11 b8 61 c0 a8 00 01 c0 a8 00 c7
  // (a 115-byte UDP datagram with DF set).
  auto f = must(PacketBuilder()
                    .ethernet()
                    .ipv4({.src = ip4("192.168.0.1"),
                           .dst = ip4("192.168.0.199"),
                           .ttl = 64,
                           .dont_fragment = true})
                    .udp()
                    .frame_size(14 + 115)
                    .build());
  const std::vector<uint8_t> expected = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40,
                                         0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
                                         0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  ASSERT_EQ(f.size(), 129u);
  EXPECT_EQ(std::vector<uint8_t>(f.begin() + 14, f.begin() + 34), expected);
}

TEST(PacketBuilder, EthernetIpv4UdpFieldByField) {
  auto f = must(
      PacketBuilder()
          .ethernet({.src = mac("02:00:00:00:00:0a"), .dst = kBroadcastMac})
          .ipv4(
              {.src = ip4("10.0.0.1"), .dst = ip4("10.0.0.2"), .ttl = 1, .tos = 0xb8, .id = 0x1234})
          .udp({.src_port = 1234, .dst_port = 53})
          .payload("hello")
          .build());
  ASSERT_EQ(f.size(), 14u + 20 + 8 + 5);
  EXPECT_EQ(std::vector<uint8_t>(f.begin(), f.begin() + 6), std::vector<uint8_t>(6, 0xff));
  EXPECT_EQ(f[11], 0x0a);
  EXPECT_EQ(be16(f, 12), 0x0800);
  EXPECT_EQ(f[14], 0x45);
  EXPECT_EQ(f[15], 0xb8);
  EXPECT_EQ(be16(f, 16), 20 + 8 + 5);
  EXPECT_EQ(be16(f, 18), 0x1234);
  EXPECT_EQ(f[22], 1);
  EXPECT_EQ(f[23], 17);
  EXPECT_EQ(be16(f, 34), 1234);
  EXPECT_EQ(be16(f, 36), 53);
  EXPECT_EQ(be16(f, 38), 8 + 5);
  EXPECT_EQ(std::string(f.begin() + 42, f.end()), "hello");
  auto p = parse_frame(f);
  EXPECT_EQ(p.error, "");
  EXPECT_TRUE(p.ip_checksum_ok);
  EXPECT_TRUE(p.l4_checksum_ok);
}

TEST(PacketBuilder, EveryProtocolChecksumsVerifyIndependently) {
  for (bool v6 : {false, true}) {
    for (int proto = 0; proto < 3; ++proto) {
      for (size_t size : {60, 64, 65, 77, 78, 128, 1514}) {
        PacketBuilder b;
        b.ethernet();
        if (v6) {
          b.ipv6({.src = ip6("2001:db8::1"), .dst = ip6("2001:db8:1::2"), .flow_label = 0xabcde});
        } else {
          b.ipv4({.src = ip4("198.18.1.2"), .dst = ip4("198.19.3.4")});
        }
        if (proto == 0) b.udp({.src_port = 7, .dst_port = 9});
        if (proto == 1) b.tcp({.src_port = 80, .dst_port = 443, .seq = 0xdeadbeef});
        if (proto == 2) {
          if (v6) {
            b.icmpv6({.id = 3, .seq = 4});
          } else {
            b.icmp({.id = 3, .seq = 4});
          }
        }
        const size_t min = 14 + (v6 ? 40 : 20) + (proto == 1 ? 20 : 8) + 3;
        if (size < min) continue;
        b.payload("xyz").frame_size(size);
        auto f = must(b.build());
        ASSERT_EQ(f.size(), size);
        auto p = parse_frame(f);
        ASSERT_EQ(p.error, "") << v6 << proto << size;
        EXPECT_EQ(p.ip_version, v6 ? 6 : 4);
        EXPECT_EQ(p.ip_end, size);
        if (!v6) EXPECT_TRUE(p.ip_checksum_ok);
        EXPECT_TRUE(p.l4_checksum_ok) << "v6=" << v6 << " proto=" << proto << " size=" << size;
      }
    }
  }
}

TEST(PacketBuilder, VlanAndQinQTags) {
  auto f = must(PacketBuilder()
                    .ethernet()
                    .vlan({.id = 100, .pcp = 5, .dei = true, .tpid = ethertype::kQinQ})
                    .vlan({.id = 4095})
                    .ipv6()
                    .udp()
                    .build());
  auto p = parse_frame(f);
  ASSERT_EQ(p.error, "");
  ASSERT_EQ(p.vlan_tcis.size(), 2u);
  EXPECT_EQ(be16(f, 12), ethertype::kQinQ);
  EXPECT_EQ(p.vlan_tcis[0], 5 << 13 | 1 << 12 | 100);
  EXPECT_EQ(be16(f, 16), ethertype::kVlan);
  EXPECT_EQ(p.vlan_tcis[1], 4095);
  EXPECT_EQ(p.ethertype, ethertype::kIpv6);
  EXPECT_EQ(p.l3, 22u);
  EXPECT_TRUE(p.l4_checksum_ok);

  auto built = PacketBuilder().ethernet().vlan({.id = 7}).ipv4().tcp().build_with_layout();
  ASSERT_TRUE(built);
  EXPECT_EQ(built->offset_of(LayerKind::kVlan), 14u);
  EXPECT_EQ(built->offset_of(LayerKind::kIpv4), 18u);
  EXPECT_EQ(built->offset_of(LayerKind::kTcp), 38u);
  EXPECT_EQ(built->payload_offset, 58u);
  EXPECT_EQ(built->offset_of(LayerKind::kIpv6), std::nullopt);
}

TEST(PacketBuilder, IpAndTcpOptionsSetHeaderLengths) {
  // Router alert (4 bytes) and a 3-byte option padded with EOL to 8.
  auto f = must(PacketBuilder()
                    .ethernet()
                    .ipv4({.options = {0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x07}})
                    .tcp({.flags = tcpflag::kSyn, .options = {0x02, 0x04, 0x05, 0xb4}})
                    .build());
  auto p = parse_frame(f);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.ip_header_len, 28u);
  EXPECT_EQ(f[14 + 27], 0);  // padding
  EXPECT_EQ(f[p.l4 + 12] >> 4, 6);
  EXPECT_EQ(f[p.l4 + 13], tcpflag::kSyn);
  EXPECT_EQ(f.size(), 14u + 28 + 24);
  EXPECT_TRUE(p.ip_checksum_ok);
  EXPECT_TRUE(p.l4_checksum_ok);
}

TEST(PacketBuilder, FragmentFields) {
  auto f = must(PacketBuilder()
                    .ethernet()
                    .ipv4({.dont_fragment = false,
                           .more_fragments = true,
                           .fragment_offset = 185,
                           .protocol = ipproto::kUdp})
                    .payload(std::vector<uint8_t>(16, 0xaa))
                    .build());
  EXPECT_EQ(be16(f, 20), 0x2000 | 185);
  EXPECT_EQ(f[23], ipproto::kUdp);
  EXPECT_EQ(be16(f, 16), 36);
  EXPECT_TRUE(parse_frame(f).ip_checksum_ok);
}

TEST(PacketBuilder, IcmpErrorQuotingAPacketAndIpInIp) {
  auto inner = must(PacketBuilder().ipv4({.ttl = 1}).udp({.dst_port = 33434}).build());
  auto f = must(PacketBuilder()
                    .ethernet()
                    .ipv4({.src = ip4("192.0.2.1"), .dst = ip4("10.0.0.1")})
                    .icmp({.type = icmptype::kTimeExceeded})
                    .raw(std::span<const uint8_t>(inner.data(), 28))
                    .build());
  auto p = parse_frame(f);
  ASSERT_EQ(p.error, "");
  EXPECT_EQ(p.protocol, ipproto::kIcmp);
  EXPECT_TRUE(p.l4_checksum_ok);
  EXPECT_EQ(f[p.l4], icmptype::kTimeExceeded);
  EXPECT_EQ(ones_complement_sum({f.data() + p.l4 + 8, 20}), 0xffff);  // quoted header intact

  auto tunnel = must(PacketBuilder().ethernet().ipv4().ipv4({.ttl = 9}).udp().build());
  EXPECT_EQ(tunnel[23], ipproto::kIpip);
  EXPECT_EQ(ones_complement_sum({tunnel.data() + 14, 20}), 0xffff);
  EXPECT_EQ(ones_complement_sum({tunnel.data() + 34, 20}), 0xffff);
  EXPECT_EQ(be16(tunnel, 16), 48);
  EXPECT_EQ(be16(tunnel, 36), 28);
}

TEST(PacketBuilder, ComputedUdpChecksumZeroIsSentAsFfff) {
  // Choose a payload word that makes the sum 0xffff, i.e. the checksum 0.
  PacketBuilder b;
  b.ethernet().ipv4().udp().payload({0, 0});
  auto f = must(b.build());
  const uint16_t c = be16(f, 40);
  b.payload({static_cast<uint8_t>(c >> 8), static_cast<uint8_t>(c)});
  auto g = must(b.build());
  EXPECT_EQ(be16(g, 40), 0xffff);
  EXPECT_TRUE(parse_frame(g).l4_checksum_ok);
}

TEST(PacketBuilder, MalformedPacketsForErrorBranches) {
  const PacketBuilder base = [] {
    PacketBuilder b;
    b.ethernet().ipv4().udp().frame_size(64);
    return b;
  }();
  // Corrupted checksums fail verification, whatever the correct value was.
  for (uint16_t id = 0; id < 300; ++id) {
    auto f = must(PacketBuilder()
                      .ethernet()
                      .ipv4({.id = id, .corrupt_checksum = true})
                      .udp({.src_port = id, .corrupt_checksum = true})
                      .build());
    auto p = parse_frame(f);
    ASSERT_FALSE(p.ip_checksum_ok) << id;
    ASSERT_FALSE(p.l4_checksum_ok) << id;
  }
  for (int proto = 0; proto < 3; ++proto) {
    PacketBuilder b;
    b.ethernet().ipv6();
    if (proto == 0) b.tcp({.corrupt_checksum = true});
    if (proto == 1) b.icmpv6({.corrupt_checksum = true});
    if (proto == 2) b.udp({.corrupt_checksum = true});
    EXPECT_FALSE(parse_frame(must(b.build())).l4_checksum_ok) << proto;
  }
  auto icmp = must(PacketBuilder().ethernet().ipv4().icmp({.corrupt_checksum = true}).build());
  EXPECT_FALSE(parse_frame(icmp).l4_checksum_ok);

  // Explicit values go out as given.
  auto bad_ihl =
      must(PacketBuilder().ethernet().ipv4({.ihl = 4, .checksum = 0xbeef}).udp().build());
  EXPECT_EQ(bad_ihl[14], 0x44);
  EXPECT_EQ(be16(bad_ihl, 24), 0xbeef);
  auto no_udp_sum = must(PacketBuilder().ethernet().ipv4().udp({.checksum = 0}).build());
  EXPECT_EQ(be16(no_udp_sum, 40), 0);
  auto long_len = must(PacketBuilder().ethernet().ipv4({.total_length = 1500}).udp().build());
  EXPECT_EQ(be16(long_len, 16), 1500);
  EXPECT_EQ(parse_frame(long_len).error, "ipv4 lengths");

  // Truncation keeps the lengths and checksums of the whole packet.
  auto cut = must(PacketBuilder(base).truncate(30).build());
  auto whole = must(PacketBuilder(base).build());
  ASSERT_EQ(cut.size(), 30u);
  EXPECT_EQ(std::vector<uint8_t>(whole.begin(), whole.begin() + 30), cut);
  EXPECT_EQ(parse_frame(cut).error, "short ipv4");

  // A trailer is not counted by the IP or UDP lengths.
  auto padded =
      must(PacketBuilder().ethernet().ipv4().udp().trailer({1, 2, 3}).frame_size(60).build());
  auto pp = parse_frame(padded);
  EXPECT_EQ(padded.size(), 60u);
  EXPECT_EQ(pp.ip_end, 57u);
  EXPECT_TRUE(pp.l4_checksum_ok);
  EXPECT_EQ(padded[59], 3);

  // A patch lands after everything else.
  auto patched = must(PacketBuilder(base).patch(22, {0}).build());
  EXPECT_EQ(patched[22], 0);
  EXPECT_FALSE(parse_frame(patched).ip_checksum_ok);

  // A hand-made header after Ethernet.
  auto raw =
      must(PacketBuilder().ethernet({.ethertype = ethertype::kIpv4}).raw({0x4f, 0, 0, 20}).build());
  EXPECT_EQ(raw.size(), 18u);
  EXPECT_EQ(raw[14], 0x4f);
}

TEST(PacketBuilder, ErrorsNameTheLayerAndField) {
  EXPECT_EQ(error_of(PacketBuilder().ethernet().vlan({.id = 4096}).ipv4().udp().build()),
            "layer 2 (vlan): VLAN id 4096 is above 4095");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().ipv4({.ihl = 16}).udp().build()),
            "layer 2 (ipv4): ihl 16 does not fit 4 bits");
  EXPECT_EQ(
      error_of(
          PacketBuilder().ethernet().ipv4({.options = std::vector<uint8_t>(41)}).udp().build()),
      "layer 2 (ipv4): 41 option bytes, at most 40 fit");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().raw({1, 2}).build()),
            "layer 1 (ethernet): set ethertype: the next layer has no EtherType of its own");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().ipv4().build()),
            "layer 2 (ipv4): set protocol: the next layer has no IP protocol number");
  EXPECT_EQ(error_of(PacketBuilder().udp().build()),
            "layer 1 (udp): no IP layer before it for the checksum pseudo-header; set checksum");
  EXPECT_EQ(
      error_of(PacketBuilder().ethernet().ipv4().udp().payload("12345").frame_size(40).build()),
      "frame size 40 is smaller than the 47 bytes of headers, payload and trailer");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().ipv4().udp().truncate(100).build()),
            "truncate to 100 bytes: the frame is only 42 bytes");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().ipv4().udp().patch(41, {1, 2}).build()),
            "patch of 2 bytes at offset 41 runs past the 42-byte frame");
  EXPECT_EQ(error_of(PacketBuilder().ethernet().ipv6({.flow_label = 0x100000}).udp().build()),
            "layer 2 (ipv6): flow label 0x100000 does not fit 20 bits");
  EXPECT_EQ(error_of(PacketBuilder().vlan({}).ipv4().udp().build()),
            "layer 1 (vlan): a VLAN tag must follow an Ethernet header or another tag");
}

}  // namespace
}  // namespace ebpfaas::dataplane
