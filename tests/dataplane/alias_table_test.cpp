#include "dataplane/alias_table.h"

#include <gtest/gtest.h>

#include <numeric>

#include "tests/dataplane/stats.h"

namespace ebpfaas::dataplane {
namespace {

using testing::chi_square;
using testing::chi_square_critical_001;

std::vector<double> normalized(std::vector<double> w) {
  const double total = std::accumulate(w.begin(), w.end(), 0.0);
  for (double& x : w) x /= total;
  return w;
}

TEST(AliasTable, RealisesTheWeightsExactly) {
  for (size_t n : {1, 2, 3, 10, 1000}) {
    for (double s : {0.0, 0.5, 1.0, 1.1, 2.0}) {
      auto w = zipf_weights(n, s);
      auto t = AliasTable::create(w);
      ASSERT_TRUE(t);
      auto p = normalized(w);
      for (uint32_t i = 0; i < n; ++i)
        ASSERT_NEAR(t->probability(i), p[i], 1e-12) << "n " << n << " s " << s << " i " << i;
    }
  }
}

TEST(AliasTable, SamplesFollowZipf) {
  constexpr size_t kN = 100;
  constexpr uint64_t kDraws = 1'000'000;
  auto t = AliasTable::create(zipf_weights(kN, 1.1));
  ASSERT_TRUE(t);
  Random rng(2024);
  std::vector<uint64_t> counts(kN);
  for (uint64_t i = 0; i < kDraws; ++i) ++counts[t->sample(rng)];
  const double critical = chi_square_critical_001(kN - 1);
  EXPECT_LT(chi_square(counts, normalized(zipf_weights(kN, 1.1))), critical);
  // The test has power: the same samples reject a nearby exponent and uniformity.
  EXPECT_GT(chi_square(counts, normalized(zipf_weights(kN, 1.05))), critical);
  EXPECT_GT(chi_square(counts, normalized(zipf_weights(kN, 0.0))), critical);
}

TEST(AliasTable, ZeroWeightIsNeverDrawn) {
  auto t = AliasTable::create(std::vector<double>{1, 0, 3, 0});
  ASSERT_TRUE(t);
  Random rng(5);
  std::vector<uint64_t> counts(4);
  for (int i = 0; i < 100000; ++i) ++counts[t->sample(rng)];
  EXPECT_EQ(counts[1], 0u);
  EXPECT_EQ(counts[3], 0u);
  EXPECT_NEAR(counts[2] / 100000.0, 0.75, 0.01);
}

TEST(AliasTable, RejectsBadWeights) {
  EXPECT_FALSE(AliasTable::create(std::vector<double>{}));
  EXPECT_FALSE(AliasTable::create(std::vector<double>{0, 0}));
  auto neg = AliasTable::create(std::vector<double>{1, -1});
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().message(),
            "alias table: weight -1 of outcome 1 is not a finite non-negative number");
  EXPECT_FALSE(AliasTable::create(std::vector<double>{1, NAN}));
}

TEST(Random, BoundedDrawsAreUniformAndReproducible) {
  Random a(99), b(99), c(100);
  EXPECT_EQ(a.next(), b.next());
  EXPECT_NE(Random(99).next(), c.next());
  // A range that is not a power of two, where modulo reduction would be biased.
  constexpr uint64_t kRange = 6;
  std::vector<uint64_t> counts(kRange);
  for (int i = 0; i < 600000; ++i) {
    const uint64_t v = a.below(kRange);
    ASSERT_LT(v, kRange);
    ++counts[v];
  }
  EXPECT_LT(chi_square(counts, std::vector<double>(kRange, 1.0 / kRange)), 20.5);  // dof 5, p 0.001
  for (int i = 0; i < 1000; ++i) {
    const uint64_t v = a.between(1024, 65535);
    ASSERT_GE(v, 1024u);
    ASSERT_LE(v, 65535u);
  }
  EXPECT_EQ(a.between(7, 7), 7u);
}

}  // namespace
}  // namespace ebpfaas::dataplane
