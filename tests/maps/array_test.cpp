#include "maps/array_map.h"

#include <cerrno>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::load64;
using testing::make;
using testing::spec;

TEST(ArrayMap, Semantics) {
  auto m = make(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 4));
  uint32_t k = 2;
  uint64_t v = 0;
  // Every element exists from the start, zeroed.
  ASSERT_EQ(m->user_lookup(&k, &v), 0);
  EXPECT_EQ(v, 0u);
  v = 42;
  EXPECT_EQ(m->update(&k, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(load64(m->lookup(&k, 0)), 42u);
  EXPECT_EQ(m->update(&k, &v, BPF_EXIST, 0), 0);
  EXPECT_EQ(m->update(&k, &v, BPF_NOEXIST, 0), -EEXIST);
  EXPECT_EQ(m->update(&k, &v, 3, 0), -EINVAL);
  EXPECT_EQ(m->update(&k, &v, BPF_F_LOCK, 0), -EINVAL);
  EXPECT_EQ(m->erase(&k, 0), -EINVAL);
  EXPECT_EQ(m->user_delete(&k), -EINVAL);
  k = 4;
  EXPECT_EQ(m->lookup(&k, 0), nullptr);
  EXPECT_EQ(m->update(&k, &v, BPF_ANY, 0), -E2BIG);
  EXPECT_EQ(m->user_update(&k, &v, BPF_ANY), -E2BIG);
  EXPECT_EQ(m->user_lookup(&k, &v), -ENOENT);
  EXPECT_EQ(m->user_lookup_and_delete(&k, &v), -kENOTSUPP);
  EXPECT_EQ(m->push(&v, 0), -EINVAL);
}

TEST(ArrayMap, NextKeyVisitsEveryIndex) {
  auto m = make(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 3));
  uint32_t k, next;
  ASSERT_EQ(m->next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 0u);
  k = 0;
  ASSERT_EQ(m->next_key(&k, &next), 0);
  EXPECT_EQ(next, 1u);
  k = 2;
  EXPECT_EQ(m->next_key(&k, &next), -ENOENT);
  k = 99;  // out of range: restart
  ASSERT_EQ(m->next_key(&k, &next), 0);
  EXPECT_EQ(next, 0u);
}

TEST(ArrayMap, LayoutForInlining) {
  auto m = make(spec(BPF_MAP_TYPE_ARRAY, 4, 12, 10));
  auto& a = static_cast<ArrayMap&>(*m);
  const ArrayLayout& l = a.layout();
  EXPECT_EQ(l.stride, 16u);
  EXPECT_EQ(l.max_entries, 10u);
  EXPECT_EQ(l.cpu_stride, 0u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(m->lookup(&i, 0), l.values + i * l.stride);
}

TEST(PercpuArray, EachCpuHasItsCopy) {
  auto m = make(spec(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 4, 2), 3);
  ASSERT_EQ(m->user_value_size(), 24u);
  uint32_t k = 1;
  for (uint32_t cpu = 0; cpu < 3; ++cpu) {
    uint32_t v = 100 + cpu;
    ASSERT_EQ(m->update(&k, &v, BPF_ANY, cpu), 0);
  }
  for (uint32_t cpu = 0; cpu < 3; ++cpu) {
    uint32_t got;
    std::memcpy(&got, m->lookup(&k, cpu), 4);
    EXPECT_EQ(got, 100 + cpu);
  }
  EXPECT_EQ(m->lookup(&k, 3), nullptr);
  uint8_t all[24];
  ASSERT_EQ(m->user_lookup(&k, all), 0);
  for (uint32_t cpu = 0; cpu < 3; ++cpu) {
    uint32_t got;
    std::memcpy(&got, all + cpu * 8, 4);
    EXPECT_EQ(got, 100 + cpu);
  }
  // The control plane writes every CPU's copy.
  for (uint32_t cpu = 0; cpu < 3; ++cpu) {
    uint32_t v = 7 * cpu;
    std::memcpy(all + cpu * 8, &v, 4);
  }
  ASSERT_EQ(m->user_update(&k, all, BPF_ANY), 0);
  uint32_t got;
  std::memcpy(&got, m->lookup(&k, 2), 4);
  EXPECT_EQ(got, 14u);
  EXPECT_EQ(m->user_update(&k, all, BPF_NOEXIST), -EEXIST);
  auto& a = static_cast<ArrayMap&>(*m);
  EXPECT_EQ(m->lookup(&k, 2), a.layout().values + 2 * a.layout().cpu_stride + 8);
}

}  // namespace
}  // namespace ebpfaas::maps
