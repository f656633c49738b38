#include "maps/prog_array.h"

#include <cerrno>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::make;
using testing::spec;

struct FakeProgram {
  FakeProgram(int i, int* d) : id(i), destroyed(d) {}
  int id;
  int* destroyed;
  ~FakeProgram() { ++*destroyed; }
};

TEST(ProgArray, SetGetClear) {
  QsbrDomain domain;
  QsbrThread engine(domain);
  int destroyed = 0;
  auto m = make(spec(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4), 1, &domain);
  auto& pa = static_cast<ProgArray&>(*m);
  auto p1 = std::make_shared<FakeProgram>(1, &destroyed);
  const void* raw = p1.get();
  EXPECT_EQ(pa.get(0), nullptr);
  ASSERT_EQ(pa.set(0, std::move(p1), 41), 0);
  EXPECT_EQ(pa.get(0), raw);
  EXPECT_EQ(pa.get(4), nullptr);
  EXPECT_EQ(pa.set(4, std::make_shared<int>(1)), -E2BIG);
  uint32_t k = 0, id;
  ASSERT_EQ(m->user_lookup(&k, &id), 0);
  EXPECT_EQ(id, 41u);
  // Replacing keeps the old program alive until the engine is quiescent.
  ASSERT_EQ(pa.set(0, std::make_shared<FakeProgram>(2, &destroyed), 42), 0);
  domain.reclaim();
  EXPECT_EQ(destroyed, 0);
  EXPECT_EQ(static_cast<const FakeProgram*>(raw)->id, 1);
  engine.quiescent();
  EXPECT_EQ(destroyed, 1);
  ASSERT_EQ(pa.clear(0), 0);
  EXPECT_EQ(pa.clear(0), -ENOENT);
  EXPECT_EQ(pa.clear(9), -E2BIG);
  EXPECT_EQ(pa.get(0), nullptr);
  engine.quiescent();
  EXPECT_EQ(destroyed, 2);
}

TEST(ProgArray, ControlPlaneAndProgramViews) {
  auto m = make(spec(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 2));
  auto& pa = static_cast<ProgArray&>(*m);
  uint32_t k = 1, fd = 7, out;
  EXPECT_EQ(m->user_update(&k, &fd, BPF_ANY), -EBADF) << "no resolver: no such fd";
  auto prog = std::make_shared<int>(5);
  pa.set_resolver([&](uint32_t f) -> std::optional<ProgArray::Entry> {
    if (f != 7) return std::nullopt;
    return ProgArray::Entry{prog, 1234};
  });
  EXPECT_EQ(m->user_update(&k, &fd, BPF_NOEXIST), -EINVAL);
  EXPECT_EQ(m->user_update(&k, &fd, BPF_EXIST), -EINVAL);
  uint32_t bad = 8;
  EXPECT_EQ(m->user_update(&k, &bad, BPF_ANY), -EBADF);
  ASSERT_EQ(m->user_update(&k, &fd, BPF_ANY), 0);
  EXPECT_EQ(pa.get(1), prog.get());
  ASSERT_EQ(m->user_lookup(&k, &out), 0);
  EXPECT_EQ(out, 1234u);
  k = 0;
  EXPECT_EQ(m->user_lookup(&k, &out), -ENOENT);
  k = 2;
  EXPECT_EQ(m->user_update(&k, &fd, BPF_ANY), -E2BIG);
  EXPECT_EQ(m->user_delete(&k), -E2BIG);
  k = 1;
  // Programs only tail-call.
  EXPECT_EQ(m->lookup(&k, 0), nullptr);
  EXPECT_EQ(m->update(&k, &fd, BPF_ANY, 0), -EINVAL);
  EXPECT_EQ(m->erase(&k, 0), -EINVAL);
  ASSERT_EQ(m->user_delete(&k), 0);
  EXPECT_EQ(m->user_delete(&k), -ENOENT);
  uint32_t next;
  ASSERT_EQ(m->next_key(nullptr, &next), 0);
  EXPECT_EQ(next, 0u);
}

}  // namespace
}  // namespace ebpfaas::maps
