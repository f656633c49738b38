#include <cerrno>
#include <set>

#include "maps/hash_map.h"
#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::make;
using testing::spec;

std::set<uint32_t> keys_of(Map& m) {
  std::set<uint32_t> s;
  uint32_t k, n;
  const void* prev = nullptr;
  while (m.next_key(prev, &n) == 0) {
    s.insert(n);
    k = n;
    prev = &k;
  }
  return s;
}

TEST(LruHash, EvictsInsteadOfE2big) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4));
  uint64_t v = 1;
  for (uint32_t k = 0; k < 4; ++k) ASSERT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), 0);
  uint32_t k = 4;
  ASSERT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), 0);
  EXPECT_EQ(static_cast<HashMap&>(*m).count(), 4u);
  EXPECT_EQ(keys_of(*m).size(), 4u);
  EXPECT_TRUE(keys_of(*m).count(4));
  EXPECT_EQ(m->update(&k, &v, 4, 0), -EINVAL);
  EXPECT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), -EEXIST);
  uint32_t absent = 99;
  EXPECT_EQ(m->update(&absent, &v, BPF_EXIST, 0), -ENOENT);
}

TEST(LruHash, LeastRecentlyUsedGoesFirst) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 8));
  uint64_t v = 0;
  for (uint32_t k = 0; k < 8; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  // Programs use 0..3; 4..7 go cold.
  for (uint32_t k = 0; k < 4; ++k) ASSERT_NE(m->lookup(&k, 0), nullptr);
  for (uint32_t k = 100; k < 104; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  std::set<uint32_t> want = {0, 1, 2, 3, 100, 101, 102, 103};
  EXPECT_EQ(keys_of(*m), want);
  // Second chance cleared the marks of 0..3, whose last use is now the
  // oldest: they go next, oldest first, like an exact LRU.
  for (uint32_t k = 200; k < 202; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(keys_of(*m), (std::set<uint32_t>{2, 3, 100, 101, 102, 103, 200, 201}));
}

TEST(LruHash, ControlPlaneLookupsDoNotMark) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 2));
  uint64_t v = 0;
  uint32_t a = 1, b = 2, c = 3;
  ASSERT_EQ(m->update(&a, &v, BPF_ANY, 0), 0);
  ASSERT_EQ(m->update(&b, &v, BPF_ANY, 0), 0);
  ASSERT_EQ(m->user_lookup(&a, &v), 0);
  ASSERT_EQ(m->update(&c, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(m->user_lookup(&a, &v), -ENOENT) << "a was the oldest and never used by a program";
  // A program lookup protects b.
  ASSERT_NE(m->lookup(&b, 0), nullptr);
  ASSERT_EQ(m->update(&a, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(m->user_lookup(&b, &v), 0);
  EXPECT_EQ(m->user_lookup(&c, &v), -ENOENT);
}

TEST(LruHash, UpdateCountsAsUse) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 2));
  uint64_t v = 0;
  uint32_t a = 1, b = 2, c = 3;
  ASSERT_EQ(m->update(&a, &v, BPF_ANY, 0), 0);
  ASSERT_EQ(m->update(&b, &v, BPF_ANY, 0), 0);
  v = 5;
  ASSERT_EQ(m->update(&a, &v, BPF_EXIST, 0), 0);
  ASSERT_EQ(m->update(&c, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(m->user_lookup(&a, &v), 0);
  EXPECT_EQ(v, 5u);
  EXPECT_EQ(m->user_lookup(&b, &v), -ENOENT);
}

TEST(LruHash, DeleteFreesRoom) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 3));
  uint64_t v = 0;
  for (uint32_t k = 0; k < 3; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  uint32_t k = 1;
  ASSERT_EQ(m->erase(&k, 0), 0);
  EXPECT_EQ(m->erase(&k, 0), -ENOENT);
  k = 10;
  ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(keys_of(*m), (std::set<uint32_t>{0, 2, 10})) << "no eviction while there was room";
}

TEST(LruHash, ManyInsertsKeepExactlyMaxEntries) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 100));
  uint64_t v = 0;
  for (uint32_t k = 0; k < 10000; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  auto keys = keys_of(*m);
  EXPECT_EQ(keys.size(), 100u);
  EXPECT_EQ(*keys.begin(), 9900u) << "the newest 100 remain";
}

TEST(LruPercpuHash, PerCpuValuesAndEviction) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 8, 2), 2);
  uint64_t v = 3;
  uint32_t a = 1, b = 2, c = 3;
  ASSERT_EQ(m->update(&a, &v, BPF_ANY, 1), 0);
  EXPECT_EQ(testing::load64(m->lookup(&a, 1)), 3u);
  EXPECT_EQ(testing::load64(m->lookup(&a, 0)), 0u);
  ASSERT_EQ(m->update(&b, &v, BPF_ANY, 0), 0);
  ASSERT_NE(m->lookup(&b, 0), nullptr);
  ASSERT_EQ(m->update(&c, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(keys_of(*m), (std::set<uint32_t>{2, 3}));
}

TEST(LruHash, NoCommonLruEvictsWithinTheCpusList) {
  auto m = make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU), 2);
  uint64_t v = 0;
  // CPU 0 owns two elements, CPU 1 two.
  for (uint32_t k = 0; k < 2; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  for (uint32_t k = 10; k < 12; ++k) ASSERT_EQ(m->update(&k, &v, BPF_ANY, 1), 0);
  uint32_t k = 2;
  ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  auto keys = keys_of(*m);
  EXPECT_EQ(keys.size(), 4u);
  EXPECT_TRUE(keys.count(10) && keys.count(11)) << "CPU 1's elements are untouched";
}

}  // namespace
}  // namespace ebpfaas::maps
