#include "support/qsbr.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace ebpfaas {
namespace {

TEST(Qsbr, NoReadersFreesAtReclaim) {
  QsbrDomain d;
  int freed = 0;
  d.retire([&] { ++freed; });
  EXPECT_EQ(freed, 0);  // never synchronously inside retire()
  EXPECT_EQ(d.pending(), 1u);
  EXPECT_EQ(d.reclaim(), 1u);
  EXPECT_EQ(freed, 1);
  EXPECT_EQ(d.pending(), 0u);
}

TEST(Qsbr, WaitsForEveryOnlineThread) {
  QsbrDomain d;
  QsbrThread a(d), b(d);
  EXPECT_EQ(d.threads(), 2u);
  int freed = 0;
  d.retire([&] { ++freed; });
  d.reclaim();
  EXPECT_EQ(freed, 0);
  a.quiescent();
  d.reclaim();
  EXPECT_EQ(freed, 0) << "b has not passed a quiescent point";
  b.quiescent();
  d.reclaim();
  EXPECT_EQ(freed, 1);
}

TEST(Qsbr, QuiescentBeforeRetireDoesNotCount) {
  QsbrDomain d;
  QsbrThread a(d);
  a.quiescent();
  int freed = 0;
  d.retire([&] { ++freed; });
  d.reclaim();
  EXPECT_EQ(freed, 0);
  a.quiescent();  // also reclaims: the domain has work
  EXPECT_EQ(freed, 1);
}

TEST(Qsbr, OfflineThreadDoesNotBlock) {
  QsbrDomain d;
  QsbrThread a(d);
  a.offline();
  int freed = 0;
  d.retire([&] { ++freed; });
  d.reclaim();
  EXPECT_EQ(freed, 1);
  a.online();
  d.retire([&] { ++freed; });
  d.reclaim();
  EXPECT_EQ(freed, 1);
  a.quiescent();
  EXPECT_EQ(freed, 2);
}

TEST(Qsbr, UnregisterReleases) {
  QsbrDomain d;
  int freed = 0;
  {
    QsbrThread a(d);
    d.retire([&] { ++freed; });
    d.reclaim();
    EXPECT_EQ(freed, 0);
  }
  EXPECT_EQ(d.threads(), 0u);
  d.reclaim();
  EXPECT_EQ(freed, 1);
}

TEST(Qsbr, GracePeriodPrimitives) {
  QsbrDomain d;
  QsbrThread a(d);
  uint64_t t = d.start_grace_period();
  EXPECT_FALSE(d.passed(t));
  a.quiescent();
  EXPECT_TRUE(d.passed(t));
  uint64_t t2 = d.start_grace_period();
  EXPECT_GT(t2, t);
  EXPECT_FALSE(d.passed(t2));
}

TEST(Qsbr, PointerAndDeleter) {
  QsbrDomain d;
  static int deleted = 0;
  d.retire(new int(7), [](void* p) {
    deleted += *static_cast<int*>(p);
    delete static_cast<int*>(p);
  });
  d.drain();
  EXPECT_EQ(deleted, 7);
}

TEST(Qsbr, SynchronizeWaitsForAnotherThread) {
  QsbrDomain d;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> rounds{0};
  std::thread reader([&] {
    QsbrThread self(d);
    while (!stop.load()) {
      self.quiescent();
      rounds.fetch_add(1);
      std::this_thread::yield();
    }
  });
  while (rounds.load() == 0) std::this_thread::yield();
  uint64_t before = rounds.load();
  d.synchronize();
  EXPECT_GT(rounds.load(), before);  // the reader went through a quiescent point
  stop = true;
  reader.join();
}

TEST(Qsbr, DeleterMayRetireMore) {
  QsbrDomain d;
  int freed = 0;
  d.retire([&] {
    ++freed;
    d.retire([&] { ++freed; });
  });
  d.drain();
  EXPECT_EQ(freed, 2);
}

TEST(Qsbr, MoveKeepsRegistration) {
  QsbrDomain d;
  QsbrThread a(d);
  QsbrThread b = std::move(a);
  EXPECT_FALSE(a.registered());
  EXPECT_TRUE(b.registered());
  EXPECT_EQ(d.threads(), 1u);
  a.quiescent();  // no-op
}

}  // namespace
}  // namespace ebpfaas
