// `ebpfaas gen` end to end: the real binary, its exit status, its report and
// the file it writes.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "dataplane/pcap_file.h"
#include "tests/dataplane/frame_check.h"
#include "tests/dataplane/temp_dir.h"

namespace ebpfaas::dataplane {
namespace {

struct CliResult {
  int status;
  std::string output;  // stdout and stderr
};

CliResult run_cli(const std::string& args) {
  const std::string cmd = std::string(EBPFAAS_CLI) + " " + args + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CliResult r{-1, {}};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class GenCommand : public testing::TempDirTest {};

TEST_F(GenCommand, WritesTheRequestedTraffic) {
  const std::string out = path("t.pcap");
  CliResult r =
      run_cli("gen -o " + out +
              " -n 3000 --size imix --flows 50 --dist zipf:1.1 --proto mix --vlan 12 "
              "--src 10.9.0.0/16 --dst 192.0.2.0/24 --sport 4000-4099 --dport 53 --rate 2Mpps "
              "--start 1700000000 --seed 5");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("wrote 3000 packets"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" to " + out + " in "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("traffic: size=imix,flows=50,dist=zipf:1.1,proto=udp,tcp,icmp,"
                          "src=10.9.0.0/16,dst=192.0.2.0/24,sport=4000-4099,dport=53"),
            std::string::npos)
      << r.output;
  auto trace = read_pcap(out);
  ASSERT_TRUE(trace) << trace.error().message();
  ASSERT_EQ(trace->size(), 3000u);
  int protocols[256] = {};
  for (size_t i = 0; i < trace->size(); ++i) {
    auto pkt = (*trace)[i];
    ASSERT_EQ(pkt.timestamp_ns, 1'700'000'000'000'000'000ULL + i * 500);
    auto p = testing::parse_frame(pkt.data);
    ASSERT_EQ(p.error, "");
    ASSERT_EQ(p.vlan_tcis, std::vector<uint16_t>{12});
    ASSERT_TRUE(p.ip_checksum_ok && p.l4_checksum_ok);
    ASSERT_EQ(pkt.data[p.l3 + 12], 10);
    ASSERT_EQ(pkt.data[p.l3 + 13], 9);
    ASSERT_EQ(testing::be32(pkt.data, p.l3 + 16) >> 8, 0xc00002u);
    if (p.protocol != 1) {
      ASSERT_GE(p.src_port, 4000);
      ASSERT_LE(p.src_port, 4099);
      ASSERT_EQ(p.dst_port, 53);
    }
    ++protocols[p.protocol];
  }
  EXPECT_GT(protocols[17], 0);
  EXPECT_GT(protocols[6], 0);
  EXPECT_GT(protocols[1], 0);
}

TEST_F(GenCommand, SameSeedSameFileDifferentSeedDifferentFile) {
  const std::string common = " -n 2000 --flows 100 --size 64-256 --proto mix --ipv6 ";
  ASSERT_EQ(run_cli("gen -o " + path("a.pcap") + common + "--seed 1").status, 0);
  ASSERT_EQ(run_cli("gen -o " + path("b.pcap") + common + "--seed 1").status, 0);
  ASSERT_EQ(run_cli("gen -o " + path("c.pcap") + common + "--seed 2").status, 0);
  const auto a = slurp(path("a.pcap"));
  EXPECT_GT(a.size(), 2000u * (16 + 64));
  EXPECT_EQ(a, slurp(path("b.pcap")));
  EXPECT_NE(a, slurp(path("c.pcap")));
  // The --spec form describes the same traffic.
  ASSERT_EQ(run_cli("gen -o " + path("d.pcap") +
                    " -n 2000 --spec flows=100,size=64-256,proto=mix,ip=6,seed=1")
                .status,
            0);
  EXPECT_EQ(a, slurp(path("d.pcap")));
}

TEST_F(GenCommand, MicrosecondPrecisionAndStandardOutput) {
  ASSERT_EQ(run_cli("gen -o " + path("us.pcap") + " -n 10 --precision us").status, 0);
  EXPECT_EQ(testing::be32(slurp(path("us.pcap")), 0), 0xd4c3b2a1u);
  // "-" streams the capture; the report goes to stderr.
  const std::string cmd =
      std::string(EBPFAAS_CLI) + " gen -o - -n 7 2>" + path("report.txt") + " >" + path("o.pcap");
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto trace = read_pcap(path("o.pcap"));
  ASSERT_TRUE(trace) << trace.error().message();
  EXPECT_EQ(trace->size(), 7u);
  const auto report = slurp(path("report.txt"));
  EXPECT_NE(std::string(report.begin(), report.end()).find("wrote 7 packets"), std::string::npos);
}

TEST_F(GenCommand, BadOptionsFailWithAMessage) {
  struct Case {
    std::string args, message;
  } cases[] = {
      {"--size 70000", "ebpfaas: size 70000 is outside 14..9018 bytes"},
      {"--size huge", "ebpfaas: --size: invalid size 'huge' (expected N, MIN-MAX or imix)"},
      {"--dist zipf:x", "ebpfaas: --dist: invalid Zipf exponent 'x' (expected a number)"},
      {"--src 10.0.0.0/40", "ebpfaas: --src: 10.0.0.0/40: prefix length 40 is above 32"},
      {"--ipv6 --dst 10.0.0.0/8",
       "ebpfaas: destination prefix 10.0.0.0/8 is IPv4 but the traffic is IPv6"},
      {"--flows 10 --src 10.0.0.1 --dst 10.0.0.2 --sport 1 --dport 1",
       "ebpfaas: 10 flows asked, but the ranges hold only 1 distinct flows"},
      {"--rate fast", "ebpfaas: --rate: invalid rate 'fast'"},
      {"--proto sctp", "ebpfaas: --proto: invalid protocol 'sctp'"},
  };
  for (const Case& c : cases) {
    CliResult r = run_cli("gen -o " + path("x.pcap") + " -n 5 " + c.args);
    EXPECT_EQ(r.status, 1) << c.args << ": " << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << c.args << ": " << r.output;
    EXPECT_FALSE(std::filesystem::exists(path("x.pcap"))) << c.args;
  }
  CliResult missing = run_cli("gen -n 5");
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.output.find("--output is required"), std::string::npos) << missing.output;
  CliResult nodir = run_cli("gen -o " + path("no/such/x.pcap") + " -n 5");
  EXPECT_EQ(nodir.status, 1);
  EXPECT_NE(nodir.output.find("cannot create pcap file " + path("no/such/x.pcap")),
            std::string::npos);
}

}  // namespace
}  // namespace ebpfaas::dataplane
