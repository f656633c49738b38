#include <cerrno>

#include "maps/array_map.h"
#include "maps/hash_map.h"
#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::spec;

long check(const ebpf::MapSpec& s, std::string* why = nullptr, uint32_t cpus = 1) {
  MapOptions o;
  o.num_cpus = cpus;
  return check_map_spec(s, o, why);
}

TEST(CreateMap, ValidDefinitions) {
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 16)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 16)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 6, 2, 16, BPF_F_NO_PREALLOC)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 16, BPF_F_NO_COMMON_LRU)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16, BPF_F_NO_PREALLOC)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_QUEUE, 0, 8, 16)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 33)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_DEVMAP, 4, 8, 16)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 16)), 0);
}

TEST(CreateMap, ErrorsNameMapAndField) {
  std::string why;
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_ARRAY, 8, 8, 16, 0, "counters"), &why), -EINVAL);
  EXPECT_NE(why.find("counters"), std::string::npos) << why;
  EXPECT_NE(why.find("key_size 8"), std::string::npos) << why;
  auto m = create_map(spec(BPF_MAP_TYPE_HASH, 4, 0, 16, 0, "flows"), MapOptions{});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.error().message().find("flows"), std::string::npos);
  EXPECT_NE(m.error().message().find("value_size"), std::string::npos);
}

TEST(CreateMap, ZeroSizes) {
  for (uint32_t t : {BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH,
                     BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_DEVMAP}) {
    uint32_t ks = t == BPF_MAP_TYPE_QUEUE ? 0 : 4;
    uint32_t vs = t == BPF_MAP_TYPE_DEVMAP ? 4 : 8;
    EXPECT_EQ(check(spec(t, ks, vs, 0)), -EINVAL) << t << " max_entries 0";
    if (t != BPF_MAP_TYPE_DEVMAP) EXPECT_EQ(check(spec(t, ks, 0, 4)), -EINVAL) << t;
  }
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 0, 8, 4)), -EINVAL);
}

TEST(CreateMap, TypeSpecificRules) {
  std::string why;
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PERCPU_ARRAY, 2, 8, 4)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_QUEUE, 4, 8, 4), &why), -EINVAL);
  EXPECT_NE(why.find("key_size"), std::string::npos);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PROG_ARRAY, 4, 8, 4), &why), -EINVAL);
  EXPECT_NE(why.find("value_size 8"), std::string::npos);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_DEVMAP, 4, 12, 4)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_DEVMAP, 4, 4, 4, BPF_F_RDONLY_PROG)), -EINVAL);
  // LPM: BPF_F_NO_PREALLOC required, 1..256 data bytes.
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16), &why), -EINVAL);
  EXPECT_NE(why.find("BPF_F_NO_PREALLOC"), std::string::npos);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LPM_TRIE, 4, 8, 16, BPF_F_NO_PREALLOC)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LPM_TRIE, 261, 8, 16, BPF_F_NO_PREALLOC)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LPM_TRIE, 260, 8, 16, BPF_F_NO_PREALLOC)), 0);
}

TEST(CreateMap, Flags) {
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_NO_PREALLOC)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 4, BPF_F_MMAPABLE)), 0);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 4, BPF_F_MMAPABLE)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_NO_COMMON_LRU)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 4, BPF_F_NO_PREALLOC)), -kENOTSUPP);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY | BPF_F_WRONLY)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)),
            -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_MMAPABLE)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_QUEUE, 0, 8, 4, BPF_F_NO_PREALLOC)), -EINVAL);
}

TEST(CreateMap, TooLarge) {
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 32769, 4)), -E2BIG);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_PERCPU_HASH, 4, 32769, 4)), -E2BIG);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 1u << 22, 4)), -E2BIG);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_HASH, 4, 8, (1u << 27) + 1, BPF_F_NO_PREALLOC)), -E2BIG);
}

TEST(CreateMap, UnknownAndUnsupportedTypes) {
  std::string why;
  EXPECT_EQ(check(spec(0, 4, 8, 4), &why), -EINVAL);
  EXPECT_EQ(check(spec(1000, 4, 8, 4)), -EINVAL);
  EXPECT_EQ(check(spec(BPF_MAP_TYPE_RINGBUF, 0, 0, 4096), &why), -EOPNOTSUPP);
  EXPECT_NE(why.find("ringbuf"), std::string::npos) << why;
}

TEST(CreateMap, GlobalData) {
  auto s = spec(BPF_MAP_TYPE_ARRAY, 4, 12, 1, BPF_F_RDONLY_PROG, ".rodata");
  s.global_data = true;
  s.initial_value = {1, 2, 3, 4, 5};
  auto m = testing::make(s);
  ASSERT_TRUE(m);
  uint32_t k = 0;
  auto* v = static_cast<uint8_t*>(m->lookup(&k, 0));
  ASSERT_TRUE(v);
  EXPECT_EQ(v[0], 1);
  EXPECT_EQ(v[4], 5);
  EXPECT_EQ(v[5], 0);
  // Readable by the control plane and programs alike.
  uint8_t out[12];
  EXPECT_EQ(m->user_lookup(&k, out), 0);
  EXPECT_EQ(out[3], 4);
  s.initial_value.resize(13);
  EXPECT_EQ(check(s), -EINVAL);
  s.initial_value.resize(4);
  s.max_entries = 2;
  EXPECT_EQ(check(s), -EINVAL);
  s.max_entries = 1;
  s.type = BPF_MAP_TYPE_HASH;
  EXPECT_EQ(check(s), -EINVAL);
}

TEST(CreateMap, PerCpuLruRoundsMaxEntries) {
  auto m = testing::make(spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 10, BPF_F_NO_COMMON_LRU), 4);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->max_entries(), 12u);
}

TEST(CreateMap, Permissions) {
  auto ro = testing::make(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_RDONLY));
  uint32_t k = 1;
  uint64_t v = 2;
  EXPECT_EQ(ro->user_update(&k, &v, BPF_ANY), -EPERM);
  EXPECT_EQ(ro->user_delete(&k), -EPERM);
  EXPECT_EQ(ro->user_lookup(&k, &v), -ENOENT);
  EXPECT_EQ(ro->update(&k, &v, BPF_ANY, 0), 0) << "programs may still write";
  auto wo = testing::make(spec(BPF_MAP_TYPE_HASH, 4, 8, 4, BPF_F_WRONLY));
  EXPECT_EQ(wo->user_update(&k, &v, BPF_ANY), 0);
  EXPECT_EQ(wo->user_lookup(&k, &v), -EPERM);
  EXPECT_EQ(wo->next_key(nullptr, &k), -EPERM);
  auto f = testing::make(spec(BPF_MAP_TYPE_ARRAY, 4, 8, 4));
  EXPECT_EQ(f->user_update(&k, &v, BPF_ANY), 0);
  EXPECT_EQ(f->freeze(), 0);
  EXPECT_EQ(f->freeze(), -EBUSY);
  EXPECT_EQ(f->user_update(&k, &v, BPF_ANY), -EPERM);
  EXPECT_EQ(f->user_lookup(&k, &v), 0);
  EXPECT_EQ(f->update(&k, &v, BPF_ANY, 0), 0);
  EXPECT_EQ(f->user_update(&k, &v, BPF_F_LOCK), -EPERM);
  EXPECT_EQ(ro->freeze(), -EPERM);
}

}  // namespace
}  // namespace ebpfaas::maps
