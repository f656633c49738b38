// A scratch state directory per test and small helpers for the control tests.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace ebpfaas::control::testing {

class StateDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           (std::string("ebpfaas-control-") + info->test_suite_name() + "-" + info->name() + "-" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string state() const { return (dir_ / "state").string(); }

  static std::vector<uint8_t> slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

  std::filesystem::path dir_;
};

// The seed NFs, built and as source (the test targets define both directories).
inline std::string nf_object(const std::string& name) {
  return std::string(EBPFAAS_NFS_DIR) + "/" + name + ".o";
}
inline std::string nf_source(const std::string& name) {
  return std::string(EBPFAAS_NFS_SRC_DIR) + "/" + name + ".c";
}

// C that does not verify (a packet read without a bounds check), and C that
// does not compile.
constexpr const char* kVerifierReject = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int unchecked(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[20] == 1 ? XDP_DROP : XDP_PASS;  /* no bounds check */
}
char LICENSE[] SEC("license") = "GPL";
)";

constexpr const char* kCompileError = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int broken(struct xdp_md *ctx)
{
	return XDP_PASS
}
char LICENSE[] SEC("license") = "GPL";
)";

// An Ethernet frame from a unicast source MAC to the broadcast address.
inline std::vector<uint8_t> frame_from(uint8_t host) {
  std::vector<uint8_t> f(60, 0);
  for (int i = 0; i < 6; ++i) f[i] = 0xff;
  const uint8_t src[6] = {0x02, 0, 0, 0, 0, host};
  std::copy(src, src + 6, f.begin() + 6);
  f[12] = 0x08;
  f[13] = 0x00;
  return f;
}

}  // namespace ebpfaas::control::testing
