#include "maps/hash_map.h"

#include <cerrno>
#include <set>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::load64;
using testing::make;
using testing::spec;

TEST(HashMap, FlagsAndErrors) {
  auto m = make(spec(BPF_MAP_TYPE_HASH, 4, 8, 2));
  uint32_t k = 7;
  uint64_t v = 1;
  EXPECT_EQ(m->lookup(&k, 0), nullptr);
  EXPECT_EQ(m->update(&k, &v, BPF_EXIST, 0), -ENOENT);
  EXPECT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), 0);
  EXPECT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), -EEXIST);
  v = 2;
  EXPECT_EQ(m->update(&k, &v, BPF_EXIST, 0), 0);
  EXPECT_EQ(load64(m->lookup(&k, 0)), 2u);
  EXPECT_EQ(m->update(&k, &v, 3, 0), -EINVAL);
  EXPECT_EQ(m->update(&k, &v, BPF_F_LOCK, 0), -EINVAL);
  uint32_t k2 = 8, k3 = 9;
  EXPECT_EQ(m->update(&k2, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(m->update(&k3, &v, BPF_ANY, 0), -E2BIG) << "full";
  EXPECT_EQ(m->update(&k2, &v, BPF_ANY, 0), 0) << "replacing is fine when full";
  EXPECT_EQ(m->erase(&k3, 0), -ENOENT);
  EXPECT_EQ(m->erase(&k2, 0), 0);
  EXPECT_EQ(m->erase(&k2, 0), -ENOENT);
  EXPECT_EQ(m->update(&k3, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(static_cast<HashMap&>(*m).count(), 2u);
  uint64_t out;
  EXPECT_EQ(m->user_lookup_and_delete(&k3, &out), 0);
  EXPECT_EQ(out, 2u);
  EXPECT_EQ(m->user_lookup(&k3, &out), -ENOENT);
  EXPECT_EQ(m->user_lookup_and_delete(&k3, &out), -ENOENT);
}

TEST(HashMap, OddKeySizes) {
  for (uint32_t ks : {1u, 3u, 6u, 8u, 12u, 16u, 20u, 37u, 64u}) {
    auto m = make(spec(BPF_MAP_TYPE_HASH, ks, 3, 500));
    std::vector<uint8_t> key(ks);
    for (uint32_t i = 0; i < 200; ++i) {
      std::fill(key.begin(), key.end(), 0);
      std::memcpy(key.data(), &i, std::min<uint32_t>(ks, 4));
      if (ks > 4) key[ks - 1] = static_cast<uint8_t>(i * 7);
      uint8_t v[3] = {uint8_t(i), uint8_t(i >> 8), 9};
      long r = m->update(key.data(), v, BPF_NOEXIST, 0);
      if (ks == 1 && i >= 256) break;
      ASSERT_EQ(r, 0) << "ks " << ks << " i " << i;
    }
    for (uint32_t i = 0; i < 200; ++i) {
      std::fill(key.begin(), key.end(), 0);
      std::memcpy(key.data(), &i, std::min<uint32_t>(ks, 4));
      if (ks > 4) key[ks - 1] = static_cast<uint8_t>(i * 7);
      auto* v = static_cast<uint8_t*>(m->lookup(key.data(), 0));
      ASSERT_TRUE(v) << ks << " " << i;
      EXPECT_EQ(v[0], uint8_t(i));
    }
  }
}

TEST(HashMap, NextKeyDumpsEveryKeyOnce) {
  auto m = make(spec(BPF_MAP_TYPE_HASH, 4, 8, 1000));
  std::set<uint32_t> want;
  for (uint32_t i = 0; i < 1000; i += 3) {
    uint64_t v = i;
    ASSERT_EQ(m->update(&i, &v, BPF_ANY, 0), 0);
    want.insert(i);
  }
  std::set<uint32_t> got;
  uint32_t key, next;
  const void* prev = nullptr;
  while (m->next_key(prev, &next) == 0) {
    EXPECT_TRUE(got.insert(next).second) << "duplicate " << next;
    key = next;
    prev = &key;
  }
  EXPECT_EQ(got, want);
  // A key that is not in the map restarts at the first key.
  uint32_t missing = 1, first;
  ASSERT_EQ(m->next_key(nullptr, &first), 0);
  ASSERT_EQ(m->next_key(&missing, &next), 0);
  EXPECT_EQ(next, first);
  // Deleting while iterating (the usual user-space loop) still terminates.
  size_t deleted = 0;
  while (m->next_key(nullptr, &next) == 0) {
    ASSERT_EQ(m->user_delete(&next), 0);
    ++deleted;
  }
  EXPECT_EQ(deleted, want.size());
}

TEST(HashMap, ReplacedValueStaysReadableUntilQuiescent) {
  QsbrDomain domain;
  QsbrThread engine(domain);
  auto m = make(spec(BPF_MAP_TYPE_HASH, 4, 8, 4), 1, &domain);
  uint32_t k = 1;
  uint64_t v = 10;
  ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  auto* old = static_cast<uint64_t*>(m->lookup(&k, 0));
  v = 20;
  ASSERT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  ASSERT_EQ(m->erase(&k, 0), 0);
  // The engine has not passed a quiescent point: the old element is intact
  // and cannot be reused for a new key.
  for (uint32_t i = 100; i < 103; ++i) ASSERT_EQ(m->update(&i, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(*old, 10u);
  engine.quiescent();
}

TEST(HashMap, InlineFastPathMatchesLookup) {
  auto m = make(spec(BPF_MAP_TYPE_HASH, 16, 8, 100));
  auto& h = static_cast<HashMap&>(*m);
  uint8_t key[16] = {};
  for (uint32_t i = 0; i < 50; ++i) {
    std::memcpy(key, &i, 4);
    uint64_t v = i * 3;
    ASSERT_EQ(m->update(key, &v, BPF_ANY, 0), 0);
  }
  for (uint32_t i = 0; i < 60; ++i) {
    std::memcpy(key, &i, 4);
    EXPECT_EQ(hash_lookup(h.layout(), key, 0), m->lookup(key, 0));
  }
}

TEST(PercpuHash, ProgramWritesItsCpuControlPlaneWritesAll) {
  auto m = make(spec(BPF_MAP_TYPE_PERCPU_HASH, 4, 4, 8), 2);
  ASSERT_EQ(m->user_value_size(), 16u);
  uint32_t k = 5, v = 77;
  ASSERT_EQ(m->update(&k, &v, BPF_NOEXIST, 1), 0);
  uint32_t got;
  std::memcpy(&got, m->lookup(&k, 1), 4);
  EXPECT_EQ(got, 77u);
  std::memcpy(&got, m->lookup(&k, 0), 4);
  EXPECT_EQ(got, 0u) << "a new element's other CPUs start at zero";
  v = 5;
  ASSERT_EQ(m->update(&k, &v, BPF_EXIST, 0), 0);
  uint8_t all[16];
  ASSERT_EQ(m->user_lookup(&k, all), 0);
  std::memcpy(&got, all, 4);
  EXPECT_EQ(got, 5u);
  std::memcpy(&got, all + 8, 4);
  EXPECT_EQ(got, 77u);
  // In place: a program's pointer sees the control plane's write.
  void* p = m->lookup(&k, 1);
  uint32_t a = 1, b = 2;
  std::memcpy(all, &a, 4);
  std::memcpy(all + 8, &b, 4);
  ASSERT_EQ(m->user_update(&k, all, BPF_EXIST), 0);
  std::memcpy(&got, p, 4);
  EXPECT_EQ(got, 2u);
  EXPECT_EQ(m->lookup(&k, 2), nullptr);
  EXPECT_EQ(m->update(&k, &v, BPF_ANY, 2), -EINVAL);
  EXPECT_EQ(m->update(&k, &v, BPF_F_LOCK, 0), -EINVAL);
  uint8_t popped[16];
  ASSERT_EQ(m->user_lookup_and_delete(&k, popped), 0);
  EXPECT_EQ(std::memcmp(popped, all, 16), 0);
}

}  // namespace
}  // namespace ebpfaas::maps
