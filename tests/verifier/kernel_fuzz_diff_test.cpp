// Differential fuzzing against the Linux kernel: programs from the fuzzer's
// generator go through both verifiers. ebpfaas accepting what Linux rejects
// would be a soundness bug; ebpfaas rejecting what Linux accepts is allowed
// only for the rules ebpfaas deliberately keeps stricter (docs/verifier.md),
// recognized by their messages.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "tests/verifier/fuzz/fuzz_program.h"
#include "tests/verifier/kernel_loader.h"
#include "verifier/verifier.h"

namespace ebpfaas::verifier::testing {
namespace {

// Rejections that root-loaded Linux does not make (the unprivileged rules).
bool deliberately_stricter(const std::string& msg) {
  static const char* kRules[] = {
      "leaks addr",
      "pointer comparison prohibited",
      "invalid read from stack",
      "At program exit the register R0",
      "partial copy of pointer",
      "sign-extension part of pointer",
      "pointer arithmetic prohibited",
      "pointer -= pointer prohibited",
      "pointer += pointer prohibited",
      "attempt to corrupt spilled pointer",
      "leaking pointer from stack",
      "uninit stack in range of var-offset write",
      "spilled ptr in range of var-offset stack write",
      "!read_ok",  // packet pointers after xdp_adjust_*: unreadable, not scalars
  };
  for (const char* r : kRules)
    if (msg.find(r) != std::string::npos) return true;
  return false;
}

TEST(KernelFuzzDiff, GeneratedProgramsGetLinuxVerdicts) {
  std::string why;
  if (!kernel_bpf_available(&why)) GTEST_SKIP() << "SKIPPED: kernel BPF unavailable: " << why;
  // Inputs: 1500 pseudo-random ones, or a fuzzer corpus directory
  // (EBPFAAS_VERIFIER_DIFF_CORPUS=dir) to compare what the fuzzer explored.
  std::vector<std::vector<uint8_t>> inputs;
  if (const char* dir = std::getenv("EBPFAAS_VERIFIER_DIFF_CORPUS")) {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream f(entry.path(), std::ios::binary);
      inputs.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }
  } else {
    std::mt19937_64 rng(77);
    for (int i = 0; i < 1500; ++i) {
      std::vector<uint8_t> bytes(rng() % 500 + 8);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      inputs.push_back(std::move(bytes));
    }
  }
  int compared = 0, both_accept = 0, stricter = 0, no_helper = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<uint8_t>& bytes = inputs[i];
    FuzzedDataProvider in(bytes.data(), bytes.size());
    const auto insns = fuzz::generate_program(in);
    auto decoded = ebpf::decode(insns);
    if (!decoded) continue;  // the kernel's decoder is not what is compared here
    VerifyOptions options;
    options.maps = fuzz::fuzz_maps();
    auto ours = verify(*decoded, options);
    const KernelVerdict k = kernel_verify(insns, fuzz::fuzz_maps());
    if (!k.available) GTEST_SKIP() << "SKIPPED: " << k.why;
    ++compared;
    const std::string listing = ebpf::disassemble(insns, {.labels = true, .show_pc = true});
    if (ours && !k.accepted &&
        k.log.find("program of this type cannot use helper") != std::string::npos) {
      ++no_helper;  // a kernel built without a helper ebpfaas offers cannot judge it
      continue;
    }
    if (ours && !k.accepted) {
      ADD_FAILURE() << "ebpfaas accepts what Linux rejects (input #" << i << ")\n"
                    << listing << "\nkernel log:\n"
                    << k.log;
      continue;
    }
    if (!ours && k.accepted) {
      if (deliberately_stricter(ours.error().message())) {
        ++stricter;
        continue;
      }
      ADD_FAILURE() << "ebpfaas rejects what Linux accepts (input #" << i
                    << "): " << ours.error().message() << "\n"
                    << listing;
      continue;
    }
    if (ours) ++both_accept;
  }
  std::printf(
      "compared %d programs: %d accepted by both, %d rejected only by ebpfaas's stricter "
      "rules; %d not judged: they call a helper this kernel does not offer to XDP\n",
      compared, both_accept, stricter, no_helper);
  EXPECT_GT(both_accept, 50);
}

}  // namespace
}  // namespace ebpfaas::verifier::testing
