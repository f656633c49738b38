// `ebpfaas run` and `ebpfaas bench` end to end: the real binary on pcap and
// generator ports.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "dataplane/pcap_file.h"
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

const std::string kSwap = std::string(EBPFAAS_DP_PROGS_DIR) + "/swap_versions.o";

class DpRunCommand : public testing::TempDirTest {};

TEST_F(DpRunCommand, PcapInPcapOut) {
  CliResult g = run_cli("gen -o " + path("in.pcap") + " -n 500 --flows 10");
  ASSERT_EQ(g.status, 0) << g.output;
  CliResult r = run_cli("run " + kSwap + " --section stamp_v2 --engines 2 --no-pin --port pcap:" +
                        path("in.pcap") + ",out=" + path("out.pcap") + " --quiet");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("verdicts: tx 500"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("latency (arrival to verdict): p50"), std::string::npos) << r.output;
  auto out = read_pcap(path("out.pcap"));
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), 500u);
  for (size_t i = 0; i < out->size(); ++i) ASSERT_EQ((*out)[i].data[30], 2) << i;
}

TEST_F(DpRunCommand, BenchWithSwapsLosesNothing) {
  CliResult r = run_cli("bench " + kSwap +
                        " --section stamp_v1 --gen size=64,flows=64 --duration 1 --no-pin --swap " +
                        kSwap + " --swap-interval 20 --json");
  ASSERT_EQ(r.status, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.output;
  EXPECT_GT(j["rx_packets"].get<uint64_t>(), 0u);
  EXPECT_GT(j["swaps"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["lost"].get<uint64_t>(), 0u);
  EXPECT_EQ(j["verdicts"]["tx"].get<uint64_t>(), j["rx_packets"].get<uint64_t>());
}

TEST_F(DpRunCommand, BadPortSpecNamesTheKey) {
  CliResult r = run_cli("run " + kSwap + " --port gen:size=64,colour=red --duration 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find("colour"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace ebpfaas::dataplane
