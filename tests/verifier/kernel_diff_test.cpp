// Differential test against the Linux kernel's verifier: every corpus
// program is loaded with BPF_PROG_LOAD, and the kernel's verdict must equal
// ebpfaas's, except where ebpfaas deliberately keeps a stricter rule (the
// program's `linux` field says so and names the rule). Any other
// disagreement is a bug in ebpfaas.
#include <gtest/gtest.h>

#include "tests/verifier/corpus_util.h"
#include "tests/verifier/kernel_loader.h"

namespace ebpfaas::verifier::testing {
namespace {

std::vector<CorpusProgram> all_programs() {
  std::vector<CorpusProgram> all = safe_corpus();
  all.insert(all.end(), unsafe_corpus().begin(), unsafe_corpus().end());
  return all;
}

class KernelDiff : public ::testing::TestWithParam<CorpusProgram> {};

TEST_P(KernelDiff, VerdictMatchesLinux) {
  const CorpusProgram& p = GetParam();
  std::string why;
  if (!kernel_bpf_available(&why)) GTEST_SKIP() << "SKIPPED: kernel BPF unavailable: " << why;
  const auto insns = assemble_or_die(p);
  const KernelVerdict k = kernel_verify(insns, p.maps, p.devmap_program);
  if (!k.available) GTEST_SKIP() << "SKIPPED: " << k.why;
  const bool ours = verify_program(p).ok();
  ASSERT_EQ(ours, p.safe) << "see the corpus tests";
  const bool expected_linux = p.linux == Linux::kAccepts ? true : p.safe;
  // Kernels may be built without a helper ebpfaas offers: that kernel cannot
  // judge the program (the verdict is about the helper table, not safety).
  if (!k.accepted && expected_linux &&
      k.log.find("program of this type cannot use helper") != std::string::npos) {
    const size_t at = k.log.find("cannot use helper");
    GTEST_SKIP() << "SKIPPED: this kernel does not offer the helper: "
                 << k.log.substr(at, k.log.find('\n', at) - at);
  }
  EXPECT_EQ(k.accepted, expected_linux)
      << p.name << ": Linux " << (k.accepted ? "accepts" : "rejects") << ", ebpfaas "
      << (ours ? "accepts" : "rejects")
      << (p.linux == Linux::kAccepts ? " (listed as deliberately stricter: " + p.why_stricter + ")"
                                     : std::string())
      << "\nkernel log:\n"
      << k.log;
}

INSTANTIATE_TEST_SUITE_P(Corpus, KernelDiff, ::testing::ValuesIn(all_programs()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace ebpfaas::verifier::testing
