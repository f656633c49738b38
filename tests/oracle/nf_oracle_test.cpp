// The four seed NFs against the Linux kernel: each runs over a trace crafted
// to take every branch (learning, flooding, LPM misses, TTL expiry, rate
// limiting, malformed headers) in the kernel and in ebpfaas, and return code,
// packet bytes and final maps must agree packet by packet. The test also
// checks that the trace really reached the verdicts it was built for, so a
// trace that stops exercising a branch fails instead of passing quietly.
// Test programs for helpers whose results are easy to get subtly wrong
// (checksums, buffer adjustments) run over random packets the same way.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cstdio>
#include <cstring>
#include <random>

#include "dataplane/packet_builder.h"
#include "tests/oracle/kernel_oracle.h"
#include "tests/oracle/netns.h"

namespace ebpfaas::oracle {
namespace {

using namespace dataplane;
using Bytes = std::vector<uint8_t>;

// Devices of the private namespace: lo is 1, the dummies 2..5.
constexpr uint32_t kPorts[] = {2, 3, 4, 5};

std::string nf(const char* name) {
  return std::string(EBPFAAS_NFS_DIR) + "/" + name + ".o";
}
std::string test_prog(const char* name) {
  return std::string(EBPFAAS_ORACLE_PROGS_DIR) + "/" + name + ".o";
}

class NfOracle : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { netns_problem_ = new std::string(enter_private_netns(4)); }
  static void TearDownTestSuite() {
    delete netns_problem_;
    netns_problem_ = nullptr;
  }
  void SetUp() override {
    if (!netns_problem_->empty()) GTEST_SKIP() << "SKIPPED: " << *netns_problem_;
  }

  // Runs the oracle; skips when the kernel's BPF is not available.
  // Both tiers against the kernel; the interpreter's report is returned.
  OracleReport compare(const OracleOptions& o, const std::vector<OraclePacket>& packets) {
    OracleOptions jit = o;
    jit.jit = true;
    {
      SCOPED_TRACE("ebpfaas JIT");
      compare_tier(jit, packets);
    }
    SCOPED_TRACE("ebpfaas interpreter");
    return compare_tier(o, packets);
  }

  OracleReport compare_tier(const OracleOptions& o, const std::vector<OraclePacket>& packets) {
    auto r = run_oracle(o, packets);
    EXPECT_TRUE(r) << (r ? "" : r.error().message());
    if (!r) return {};
    if (!r->kernel_available) {
      skipped_ = r->why_unavailable;
      return *r;
    }
    for (const auto& d : r->differences) ADD_FAILURE() << d;
    EXPECT_EQ(r->mismatched_packets, 0u);
    EXPECT_EQ(r->mismatched_maps, 0u);
    EXPECT_EQ(r->packets, packets.size());
    std::printf(
        "%llu packets agree (aborted %llu, drop %llu, pass %llu, tx %llu, redirect %llu);"
        " %llu map entries agree\n",
        static_cast<unsigned long long>(r->packets - r->mismatched_packets),
        static_cast<unsigned long long>(r->verdicts[XDP_ABORTED]),
        static_cast<unsigned long long>(r->verdicts[XDP_DROP]),
        static_cast<unsigned long long>(r->verdicts[XDP_PASS]),
        static_cast<unsigned long long>(r->verdicts[XDP_TX]),
        static_cast<unsigned long long>(r->verdicts[XDP_REDIRECT]),
        static_cast<unsigned long long>(r->map_entries));
    return *r;
  }

  std::string skipped_;
  static std::string* netns_problem_;
};
std::string* NfOracle::netns_problem_ = nullptr;

#define SKIP_IF_NO_KERNEL()                          \
  do {                                               \
    if (!skipped_.empty()) GTEST_SKIP() << skipped_; \
  } while (0)

template <class T>
Bytes bytes_of(const T& v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

Bytes u32(uint32_t v) {
  return bytes_of(v);
}

Bytes must(Expected<Bytes> b) {
  EXPECT_TRUE(b) << (b ? "" : b.error().message());
  return b ? std::move(*b) : Bytes(64, 0);
}

MacAddress host_mac(uint32_t i) {
  return MacAddress::from_value(0x020000000000ull | i);
}

// ---- wire ---------------------------------------------------------------------

TEST_F(NfOracle, WireForwardsBetweenTwoPorts) {
  std::mt19937 rng(1);
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 4000; ++i) {
    const size_t size = 60 + rng() % 1455;
    auto pkt = must(
        PacketBuilder()
            .ethernet({.src = host_mac(rng() % 50), .dst = host_mac(rng() % 50)})
            .ipv4({.src = Ipv4Address::from_value(rng()), .dst = Ipv4Address::from_value(rng())})
            .udp({.src_port = static_cast<uint16_t>(rng()),
                  .dst_port = static_cast<uint16_t>(rng())})
            .frame_size(size)
            .build());
    // Both configured ports, and one that is neither (goes to port_a).
    trace.push_back({std::move(pkt), kPorts[rng() % 3]});
  }
  OracleOptions o;
  o.object = nf("wire");
  o.setup = {{"wire_config", u32(0), [] {
                Bytes v = u32(kPorts[0]);
                Bytes b = u32(kPorts[1]);
                v.insert(v.end(), b.begin(), b.end());
                return v;
              }()}};
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_EQ(r.verdicts[XDP_REDIRECT], trace.size());
}

TEST_F(NfOracle, WireDefaultConfiguration) {
  std::vector<OraclePacket> trace;
  for (uint32_t i = 0; i < 200; ++i)
    trace.push_back({must(PacketBuilder().ethernet().ipv6().tcp().build()), i % 2 ? 1u : 2u});
  OracleOptions o;
  o.object = nf("wire");
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_EQ(r.verdicts[XDP_REDIRECT], trace.size());
}

// ---- l2_learning_switch ---------------------------------------------------------

TEST_F(NfOracle, LearningSwitchLearnsFloodsAndFilters) {
  std::mt19937 rng(2);
  constexpr uint32_t kHosts = 96;
  std::vector<uint32_t> home(kHosts);
  for (auto& h : home) h = kPorts[rng() % 4];
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 20000; ++i) {
    // Hosts move now and then: the table must follow.
    if (i % 2500 == 2499) home[rng() % kHosts] = kPorts[rng() % 4];
    const uint32_t src = rng() % kHosts;
    MacAddress dst_mac;
    switch (rng() % 10) {
      case 0:
        dst_mac = kBroadcastMac;
        break;
      case 1:
        dst_mac = MacAddress::from_value(0x01005e000000ull | (rng() % 256));  // IPv4 multicast
        break;
      case 2:
        dst_mac = host_mac(kHosts + rng() % 1000);  // never seen: unknown unicast
        break;
      default:
        dst_mac = host_mac(rng() % kHosts);
    }
    MacAddress src_mac = host_mac(src);
    if (rng() % 200 == 0) src_mac = MacAddress::from_value(0x333300000001ull);  // invalid source
    PacketBuilder b;
    b.ethernet({.src = src_mac, .dst = dst_mac});
    if (rng() % 4 == 0)
      b.vlan({.id = static_cast<uint16_t>(rng() % 4096)}).ipv6().udp();
    else
      b.ipv4().tcp();
    b.frame_size(70 + rng() % 200);
    // Some frames are bare Ethernet headers (the shortest BPF_PROG_TEST_RUN takes).
    Bytes pkt = must(b.build());
    if (rng() % 100 == 0) pkt.resize(14);
    trace.push_back({std::move(pkt), home[src]});
  }
  OracleOptions o;
  o.object = nf("l2_learning_switch");
  for (uint32_t p : kPorts) o.setup.push_back({"flood_ports", u32(p), u32(p)});
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_REDIRECT], 10000u);
  EXPECT_GT(r.verdicts[XDP_DROP], 1000u);  // same-port destinations, invalid sources
  EXPECT_GT(r.map_entries, kHosts);        // learned hosts + flood ports
}

// ---- ipv4_router -----------------------------------------------------------------

struct RouteValue {
  uint8_t dst_mac[6];
  uint8_t src_mac[6];
  uint32_t port;
};

Bytes route_key(uint32_t prefixlen, Ipv4Address addr) {
  Bytes k = u32(prefixlen);
  k.insert(k.end(), addr.bytes.begin(), addr.bytes.end());
  return k;
}

Bytes route_value(uint32_t hop, uint32_t port) {
  RouteValue v{};
  const auto dst = MacAddress::from_value(0x0a0000000000ull | hop).bytes;
  const auto src = MacAddress::from_value(0x0e0000000000ull | port).bytes;
  std::copy(dst.begin(), dst.end(), v.dst_mac);
  std::copy(src.begin(), src.end(), v.src_mac);
  v.port = port;
  return bytes_of(v);
}

TEST_F(NfOracle, RouterLongestPrefixTtlAndChecksums) {
  OracleOptions o;
  o.object = nf("ipv4_router");
  o.setup = {
      {"routes", route_key(8, ip4("10.0.0.0")), route_value(1, kPorts[0])},
      {"routes", route_key(16, ip4("10.1.0.0")), route_value(2, kPorts[1])},
      {"routes", route_key(24, ip4("10.1.2.0")), route_value(3, kPorts[2])},
      {"routes", route_key(32, ip4("10.1.2.3")), route_value(4, kPorts[3])},
      {"routes", route_key(12, ip4("172.16.0.0")), route_value(5, kPorts[0])},
      {"routes", route_key(1, ip4("128.0.0.0")), route_value(6, kPorts[1])},
  };
  std::mt19937 rng(3);
  const Ipv4Address bases[] = {ip4("10.0.0.0"),    ip4("10.1.0.0"),   ip4("10.1.2.0"),
                               ip4("10.1.2.3"),    ip4("172.16.0.0"), ip4("172.32.0.0"),
                               ip4("192.168.1.1"), ip4("11.0.0.1"),   ip4("100.64.0.1")};
  const uint8_t ttls[] = {0, 1, 2, 3, 64, 128, 255};
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 20000; ++i) {
    const uint32_t kind = rng() % 20;
    const uint32_t port = kPorts[rng() % 4];
    PacketBuilder b;
    b.ethernet({.src = host_mac(rng() % 16), .dst = host_mac(1000)});
    if (kind == 0) {  // ARP: to the host
      auto pkt = must(
          PacketBuilder()
              .ethernet({.src = host_mac(1), .dst = kBroadcastMac, .ethertype = ethertype::kArp})
              .raw({0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1})
              .frame_size(60)
              .build());
      trace.push_back({std::move(pkt), port});
      continue;
    }
    if (kind == 1) {  // IPv6
      trace.push_back({must(b.ipv6().udp().build()), port});
      continue;
    }
    Ipv4Header ip;
    ip.dst = Ipv4Address::from_value(bases[rng() % std::size(bases)].value() |
                                     (rng() % 2 ? rng() % 0x20000 : 0));
    ip.src = Ipv4Address::from_value(rng());
    ip.ttl = ttls[rng() % std::size(ttls)];
    ip.tos = static_cast<uint8_t>(rng());
    ip.id = static_cast<uint16_t>(rng());
    ip.dont_fragment = rng() % 2;
    if (kind == 2) ip.options = {0x01, 0x01, 0x01, 0x00};     // options: ihl 6
    if (kind == 3) ip.ihl = static_cast<uint8_t>(rng() % 5);  // malformed
    if (kind == 4) ip.corrupt_checksum = true;  // routed anyway: routers do not verify
    b.ipv4(ip);
    switch (rng() % 3) {
      case 0:
        b.udp({.src_port = static_cast<uint16_t>(rng()), .dst_port = 53});
        break;
      case 1:
        b.tcp();
        break;
      default:
        b.icmp();
    }
    b.frame_size(60 + rng() % 1400);
    Bytes pkt = must(b.build());
    if (kind == 5) pkt.resize(14 + rng() % 20);                            // truncated IPv4 header
    if (kind == 6) pkt[14] = static_cast<uint8_t>((rng() % 16) << 4 | 5);  // any version
    trace.push_back({std::move(pkt), port});
  }
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_REDIRECT], 5000u);  // routed
  EXPECT_GT(r.verdicts[XDP_DROP], 5000u);      // expired, no route, malformed, IPv6
  EXPECT_GT(r.verdicts[XDP_PASS], 500u);       // ARP
}

// ---- helpers ----------------------------------------------------------------------

TEST_F(NfOracle, CsumDiffMatchesLinuxInEveryForm) {
  std::mt19937 rng(5);
  const uint32_t specials[] = {0, 0xffffffff, 0xffff, 0x10000, 0xffff0000, 1, 0x80000000};
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 3000; ++i) {
    Bytes pkt(128);
    for (auto& b : pkt) b = static_cast<uint8_t>(rng());
    // Words and seeds at the edges of ones' complement arithmetic (0 and its two forms).
    if (i < 49 * 4) {
      const uint32_t a = specials[(i / 4) % 7], seed = specials[(i / 28) % 7];
      for (int w = 0; w < 15; ++w) std::memcpy(&pkt[64 + 4 * w], w % 2 || i % 4 ? &a : &seed, 4);
      std::memcpy(&pkt[124], &seed, 4);
    }
    trace.push_back({std::move(pkt), kPorts[0]});
  }
  OracleOptions o;
  o.object = test_prog("csum_diff");
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_EQ(r.verdicts[XDP_PASS], trace.size());
}

TEST_F(NfOracle, AdjustHeadTailMatchLinux) {
  std::mt19937 rng(6);
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 5000; ++i) {
    auto pkt = must(PacketBuilder()
                        .ethernet({.src = host_mac(rng() % 256), .dst = host_mac(rng() % 256)})
                        .ipv4({.src = Ipv4Address::from_value(rng())})
                        .udp()
                        .frame_size(60 + rng() % 1455)
                        .build());
    trace.push_back({std::move(pkt), kPorts[rng() % 4]});
  }
  OracleOptions o;
  o.object = test_prog("adjust");
  o.section = "adjust";
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_TX], 1000u);
  EXPECT_GT(r.verdicts[XDP_PASS], 1000u);
}

// Metadata in front of the packet (8 to 32 bytes by the packet's length); the
// metadata itself is not part of BPF_PROG_TEST_RUN's data_out.
TEST_F(NfOracle, AdjustMetaMatchesLinux) {
  std::mt19937 rng(16);
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 2000; ++i) {
    auto pkt = must(PacketBuilder()
                        .ethernet({.src = host_mac(rng() % 256), .dst = host_mac(rng() % 256)})
                        .ipv4({.src = Ipv4Address::from_value(rng())})
                        .udp()
                        .frame_size(60 + rng() % 1455)
                        .build());
    trace.push_back({std::move(pkt), kPorts[rng() % 4]});
  }
  OracleOptions o;
  o.object = test_prog("adjust");
  o.section = "adjust_meta";
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_TX], 300u);
  EXPECT_GT(r.verdicts[XDP_PASS], 300u);
}

TEST_F(NfOracle, TailCallsMapsAndErrorCodesMatchLinux) {
  std::mt19937 rng(7);
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 5000; ++i) {
    Bytes pkt(std::array<size_t, 4>{64, 80, 128, 300}[rng() % 4]);
    for (auto& b : pkt) b = static_cast<uint8_t>(rng());
    if (rng() % 2) pkt[24] = static_cast<uint8_t>(rng() % 16), pkt[25] = 0;  // few keys
    trace.push_back({std::move(pkt), kPorts[0]});
  }
  OracleOptions o;
  o.object = test_prog("maps_tail_calls");
  o.section = "entry";
  o.slots = {{"jt", 1, "t1"}, {"jt", 2, "t2"}, {"jt", 3, "entry"}};
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_TX], 500u);    // t1
  EXPECT_GT(r.verdicts[XDP_PASS], 500u);  // t2, or no target
  EXPECT_GT(r.verdicts[XDP_DROP], 100u);  // 33 tail calls into entry, then its own verdict
  EXPECT_GT(r.map_entries, 100u);
}

// ---- ddos_mitigation -------------------------------------------------------------

// One token per second: refills happen at the same packets on both sides (the
// oracle hands ebpfaas the kernel's clock), and a burst of 20 is spent within
// the trace by every source heavier than that.
TEST_F(NfOracle, DdosRateLimitsSourcesAndBlocksPorts) {
  OracleOptions o;
  o.object = nf("ddos_mitigation");
  Bytes cfg = bytes_of(uint64_t{1});
  const Bytes burst = bytes_of(uint64_t{20});
  cfg.insert(cfg.end(), burst.begin(), burst.end());
  o.setup = {{"ddos_config", u32(0), cfg}};
  for (uint32_t port : {19u, 53u, 123u, 389u, 1900u, 11211u})
    o.setup.push_back({"blocked_ports", u32(port), u32(1)});
  // last_ns: when the bucket last refilled, each side's own clock reading.
  o.ignore = {{"src_buckets", 8, 8}};

  std::mt19937 rng(4);
  // Source k sends with weight 1/(k+1): a few heavy hitters, a long tail.
  std::vector<double> weights;
  for (int k = 0; k < 400; ++k) weights.push_back(1.0 / (k + 1));
  std::discrete_distribution<uint32_t> source(weights.begin(), weights.end());
  const uint16_t dports[] = {19, 53, 80, 123, 389, 443, 1900, 8080, 11211};
  std::vector<OraclePacket> trace;
  for (int i = 0; i < 20000; ++i) {
    const uint32_t kind = rng() % 25;
    PacketBuilder b;
    b.ethernet({.src = host_mac(rng() % 8), .dst = host_mac(100)});
    if (kind == 0) {
      trace.push_back({must(b.ipv6().udp({.dst_port = 53}).build()), kPorts[0]});
      continue;
    }
    if (kind == 1) {
      trace.push_back({must(PacketBuilder()
                                .ethernet({.dst = kBroadcastMac, .ethertype = ethertype::kArp})
                                .raw({0x00, 0x01, 0x08, 0x00, 6, 4, 0, 1})
                                .frame_size(60)
                                .build()),
                       kPorts[0]});
      continue;
    }
    Ipv4Header ip;
    ip.src = Ipv4Address::from_value(0xc6120000u | source(rng));  // 198.18.0.0/16
    ip.dst = ip4("192.0.2.10");
    ip.ttl = 64;
    if (kind == 2) ip.options = {0x94, 0x04, 0x00, 0x00};  // router alert: ihl 6
    if (kind == 3) ip.fragment_offset = 1 + rng() % 100;   // no ports in later fragments
    if (kind == 4) ip.more_fragments = true;               // first fragment: ports checked
    b.ipv4(ip);
    const uint16_t dport = dports[rng() % std::size(dports)];
    switch (rng() % 3) {
      case 0:
        b.udp({.src_port = static_cast<uint16_t>(rng()), .dst_port = dport});
        break;
      case 1:
        b.tcp(
            {.src_port = static_cast<uint16_t>(rng()), .dst_port = dport, .flags = tcpflag::kSyn});
        break;
      default:
        b.icmp();
    }
    b.frame_size(60 + rng() % 600);
    Bytes pkt = must(b.build());
    if (kind == 5) pkt.resize(14 + rng() % 24);                       // truncated IPv4 or L4 header
    if (kind == 6) pkt[14] = static_cast<uint8_t>(0x40 | rng() % 5);  // ihl < 5
    trace.push_back({std::move(pkt), kPorts[rng() % 4]});
  }
  auto r = compare(o, trace);
  SKIP_IF_NO_KERNEL();
  EXPECT_GT(r.verdicts[XDP_PASS], 2000u);  // light sources, non-IPv4
  EXPECT_GT(r.verdicts[XDP_DROP], 8000u);  // heavy hitters beyond their burst, blocked ports
  EXPECT_GT(r.map_entries, 300u);          // buckets of the sources seen
}

// The comparison is live: without the mask, the buckets' timestamps (each
// side's own clock reading when a bucket refilled) must show up as differences.
TEST_F(NfOracle, OracleReportsDifferences) {
  OracleOptions o;
  o.object = nf("ddos_mitigation");
  std::vector<OraclePacket> trace;
  for (uint32_t i = 0; i < 50; ++i)
    trace.push_back({must(PacketBuilder()
                              .ethernet()
                              .ipv4({.src = Ipv4Address::from_value(0xc6120000u | i % 5)})
                              .udp({.dst_port = 80})
                              .build()),
                     kPorts[0]});
  auto r = run_oracle(o, trace);
  ASSERT_TRUE(r) << r.error().message();
  if (!r->kernel_available) GTEST_SKIP() << r->why_unavailable;
  EXPECT_EQ(r->mismatched_packets, 0u);
  EXPECT_EQ(r->mismatched_maps, 1u);
  ASSERT_FALSE(r->differences.empty());
  EXPECT_NE(r->differences.front().find("map src_buckets: key c6120000"), std::string::npos)
      << r->differences.front();
}

}  // namespace
}  // namespace ebpfaas::oracle
