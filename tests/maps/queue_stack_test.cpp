#include "maps/queue_stack.h"

#include <cerrno>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::make;
using testing::spec;

TEST(QueueMap, Fifo) {
  auto m = make(spec(BPF_MAP_TYPE_QUEUE, 0, 4, 3));
  uint32_t v;
  EXPECT_EQ(m->pop(&v), -ENOENT);
  EXPECT_EQ(m->peek(&v), -ENOENT);
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_EQ(m->push(&i, BPF_ANY), 0);
  uint32_t four = 4;
  EXPECT_EQ(m->push(&four, BPF_ANY), -E2BIG);
  EXPECT_EQ(m->push(&four, BPF_NOEXIST), -EINVAL);
  EXPECT_EQ(m->push(&four, 4), -EINVAL);
  ASSERT_EQ(m->push(&four, BPF_EXIST), 0) << "overwrites the oldest";
  ASSERT_EQ(m->peek(&v), 0);
  EXPECT_EQ(v, 2u);
  for (uint32_t want : {2u, 3u, 4u}) {
    ASSERT_EQ(m->pop(&v), 0);
    EXPECT_EQ(v, want);
  }
  EXPECT_EQ(m->pop(&v), -ENOENT);
  // Programs cannot use the element calls.
  EXPECT_EQ(m->lookup(nullptr, 0), nullptr);
  EXPECT_EQ(m->update(nullptr, &v, 0, 0), -EINVAL);
  EXPECT_EQ(m->erase(nullptr, 0), -EINVAL);
}

TEST(StackMap, Lifo) {
  auto m = make(spec(BPF_MAP_TYPE_STACK, 0, 4, 3));
  for (uint32_t i = 1; i <= 3; ++i) ASSERT_EQ(m->push(&i, BPF_ANY), 0);
  uint32_t v = 4;
  ASSERT_EQ(m->push(&v, BPF_EXIST), 0);  // drops 1, the oldest
  for (uint32_t want : {4u, 3u, 2u}) {
    ASSERT_EQ(m->pop(&v), 0);
    EXPECT_EQ(v, want);
  }
  EXPECT_EQ(m->pop(&v), -ENOENT);
}

TEST(QueueMap, ControlPlaneView) {
  auto m = make(spec(BPF_MAP_TYPE_QUEUE, 0, 8, 2));
  uint64_t v = 5, out;
  EXPECT_EQ(m->user_lookup(nullptr, &out), -ENOENT);
  ASSERT_EQ(m->user_update(nullptr, &v, BPF_ANY), 0);
  v = 6;
  ASSERT_EQ(m->user_update(nullptr, &v, BPF_ANY), 0);
  ASSERT_EQ(m->user_lookup(nullptr, &out), 0);
  EXPECT_EQ(out, 5u);
  EXPECT_EQ(m->user_delete(nullptr), -EINVAL);
  EXPECT_EQ(m->next_key(nullptr, &out), -EINVAL);
  ASSERT_EQ(m->user_lookup_and_delete(nullptr, &out), 0);
  EXPECT_EQ(out, 5u);
  ASSERT_EQ(m->user_lookup_and_delete(nullptr, &out), 0);
  EXPECT_EQ(out, 6u);
  EXPECT_EQ(m->user_lookup_and_delete(nullptr, &out), -ENOENT);
}

TEST(QueueMap, WrapsAround) {
  auto m = make(spec(BPF_MAP_TYPE_QUEUE, 0, 4, 5));
  uint32_t next_in = 0, next_out = 0, v;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 3; ++i, ++next_in) ASSERT_EQ(m->push(&next_in, BPF_ANY), 0);
    for (int i = 0; i < 3; ++i, ++next_out) {
      ASSERT_EQ(m->pop(&v), 0);
      ASSERT_EQ(v, next_out);
    }
  }
}

}  // namespace
}  // namespace ebpfaas::maps
