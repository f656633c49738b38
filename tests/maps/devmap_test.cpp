#include "maps/devmap.h"

#include <cerrno>
#include <map>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::spec;

std::shared_ptr<Map> make_dev(uint32_t type, uint32_t vs, uint32_t max) {
  MapOptions o;
  o.ifindex_exists = [](uint32_t i) { return i >= 1 && i <= 8; };
  auto m = create_map(spec(type, 4, vs, max), o);
  EXPECT_TRUE(m.ok());
  return *m;
}

std::map<uint32_t, uint32_t> entries(const DevMap& d) {
  std::map<uint32_t, uint32_t> out;
  d.for_each([&](uint32_t key, const bpf_devmap_val& v) { out[key] = v.ifindex; });
  return out;
}

TEST(Devmap, Semantics) {
  auto m = make_dev(BPF_MAP_TYPE_DEVMAP, 4, 4);
  auto& d = static_cast<DevMap&>(*m);
  EXPECT_TRUE(m->flags() & BPF_F_RDONLY_PROG);
  uint32_t k = 1, ifindex = 3, out;
  EXPECT_EQ(m->user_lookup(&k, &out), -ENOENT);
  ASSERT_EQ(m->user_update(&k, &ifindex, BPF_ANY), 0);
  EXPECT_EQ(m->user_update(&k, &ifindex, BPF_NOEXIST), -EEXIST);
  ASSERT_EQ(m->user_update(&k, &ifindex, BPF_EXIST), 0);
  ASSERT_EQ(m->user_lookup(&k, &out), 0);
  EXPECT_EQ(out, 3u);
  ASSERT_NE(d.get(1), nullptr);
  EXPECT_EQ(d.get(1)->ifindex, 3u);
  EXPECT_EQ(d.get(0), nullptr);
  EXPECT_EQ(d.get(4), nullptr);
  EXPECT_EQ(m->lookup(&k, 0), d.get(1));
  uint32_t unknown = 99;
  EXPECT_EQ(m->user_update(&k, &unknown, BPF_ANY), -EINVAL);
  k = 4;
  EXPECT_EQ(m->user_update(&k, &ifindex, BPF_ANY), -E2BIG);
  EXPECT_EQ(m->user_delete(&k), -EINVAL);
  k = 2;
  EXPECT_EQ(m->user_delete(&k), 0) << "deleting an empty slot succeeds";
  ifindex = 5;
  ASSERT_EQ(m->user_update(&k, &ifindex, BPF_ANY), 0);
  EXPECT_EQ(entries(d), (std::map<uint32_t, uint32_t>{{1, 3}, {2, 5}}));
  EXPECT_EQ(d.count(), 2u);
  uint32_t zero = 0;
  ASSERT_EQ(m->user_update(&k, &zero, BPF_ANY), 0) << "ifindex 0 clears";
  EXPECT_EQ(entries(d), (std::map<uint32_t, uint32_t>{{1, 3}}));
  // Programs only look up.
  EXPECT_EQ(m->update(&k, &ifindex, BPF_ANY, 0), -EINVAL);
  EXPECT_EQ(m->erase(&k, 0), -EINVAL);
  // get_next_key walks every slot, populated or not.
  uint32_t next;
  k = 2;
  ASSERT_EQ(m->next_key(&k, &next), 0);
  EXPECT_EQ(next, 3u);
}

TEST(Devmap, DevmapValWithProgram) {
  auto m = make_dev(BPF_MAP_TYPE_DEVMAP, 8, 4);
  uint32_t k = 0;
  bpf_devmap_val v{};
  v.ifindex = 2;
  v.bpf_prog.fd = -1;
  ASSERT_EQ(m->user_update(&k, &v, BPF_ANY), 0);
  bpf_devmap_val out{};
  out.bpf_prog.id = 77;
  ASSERT_EQ(m->user_lookup(&k, &out), 0);
  EXPECT_EQ(out.ifindex, 2u);
  EXPECT_EQ(out.bpf_prog.id, 0u);
  v.bpf_prog.fd = 5;
  EXPECT_EQ(m->user_update(&k, &v, BPF_ANY), -EINVAL) << "devmap programs are not supported";
  v.ifindex = 0;
  EXPECT_EQ(m->user_update(&k, &v, BPF_ANY), -EINVAL) << "a program needs a device";
}

TEST(DevmapHash, Semantics) {
  auto m = make_dev(BPF_MAP_TYPE_DEVMAP_HASH, 4, 2);
  auto& d = static_cast<DevMap&>(*m);
  uint32_t k = 1000, ifindex = 1, out;
  ASSERT_EQ(m->user_update(&k, &ifindex, BPF_EXIST), 0) << "devmap_hash ignores BPF_EXIST";
  EXPECT_EQ(m->user_update(&k, &ifindex, BPF_NOEXIST), -EEXIST);
  uint32_t zero = 0;
  EXPECT_EQ(m->user_update(&k, &zero, BPF_ANY), -EINVAL);
  uint32_t k2 = 7;
  ifindex = 2;
  ASSERT_EQ(m->user_update(&k2, &ifindex, BPF_ANY), 0);
  uint32_t k3 = 8;
  EXPECT_EQ(m->user_update(&k3, &ifindex, BPF_ANY), -E2BIG);
  ASSERT_EQ(m->user_update(&k2, &ifindex, BPF_ANY), 0) << "replacing is fine when full";
  EXPECT_EQ(entries(d), (std::map<uint32_t, uint32_t>{{7, 2}, {1000, 1}}));
  ASSERT_EQ(m->user_lookup(&k, &out), 0);
  EXPECT_EQ(out, 1u);
  EXPECT_EQ(d.get(8), nullptr);
  EXPECT_EQ(m->user_delete(&k3), -ENOENT);
  ASSERT_EQ(m->user_delete(&k), 0);
  EXPECT_EQ(m->user_lookup(&k, &out), -ENOENT);
  uint32_t next;
  ASSERT_EQ(m->next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 7u);
  EXPECT_EQ(m->next_key(&next, &next), -ENOENT);
}

}  // namespace
}  // namespace ebpfaas::maps
