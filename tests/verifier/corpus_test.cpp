// Every unsafe corpus program is rejected for its stated reason; every safe
// one is accepted.
#include <gtest/gtest.h>

#include <set>

#include "tests/verifier/corpus_util.h"

namespace ebpfaas::verifier::testing {
namespace {

std::string param_name(const ::testing::TestParamInfo<CorpusProgram>& info) {
  return info.param.name;
}

class Unsafe : public ::testing::TestWithParam<CorpusProgram> {};

TEST_P(Unsafe, IsRejectedForTheRightReason) {
  const CorpusProgram& p = GetParam();
  std::string log;
  auto r = verify_program(p, &log, 2);
  ASSERT_FALSE(r.ok()) << p.name << " was accepted:\n" << log;
  EXPECT_NE(r.error().message().find(p.reason), std::string::npos)
      << p.name << ": expected \"" << p.reason << "\" in \"" << r.error().message() << "\"\n"
      << log;
}

INSTANTIATE_TEST_SUITE_P(Corpus, Unsafe, ::testing::ValuesIn(unsafe_corpus()), param_name);

class Safe : public ::testing::TestWithParam<CorpusProgram> {};

TEST_P(Safe, IsAccepted) {
  const CorpusProgram& p = GetParam();
  std::string log;
  auto r = verify_program(p, &log, 2);
  ASSERT_TRUE(r.ok()) << p.name << ": " << r.error().message() << "\n" << log;
  EXPECT_GT(r->insns_processed, 0u);
}

INSTANTIATE_TEST_SUITE_P(Corpus, Safe, ::testing::ValuesIn(safe_corpus()), param_name);

TEST(Corpus, HasAtLeastHundredUnsafeProgramsWithDistinctNames) {
  EXPECT_GE(unsafe_corpus().size(), 100u);
  std::set<std::string> names;
  for (const auto& p : unsafe_corpus()) EXPECT_TRUE(names.insert(p.name).second) << p.name;
  for (const auto& p : safe_corpus()) EXPECT_TRUE(names.insert(p.name).second) << p.name;
}

}  // namespace
}  // namespace ebpfaas::verifier::testing
