// Several engines looking up, updating and deleting at once, with QSBR. Run
// under AddressSanitizer this catches an element freed while a reader holds
// it; the value check catches a reader seeing a half-written element.
#include <atomic>
#include <random>
#include <set>
#include <thread>

#include "maps/devmap.h"
#include "maps/hash_map.h"
#include "maps/lpm_trie.h"
#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::spec;

constexpr int kThreads = 4;
constexpr int kOpsPerThread = 60000;
constexpr int kBatch = 32;  // operations between quiescent points

struct Value {
  uint64_t x;
  uint64_t not_x;
};

// Runs `body(rng, cpu)` kOpsPerThread times on each of kThreads registered
// threads, announcing a quiescent point every kBatch operations.
template <class Body>
void run_engines(QsbrDomain& domain, Body body) {
  std::vector<std::thread> threads;
  std::atomic<int> started{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      QsbrThread self(domain);
      std::mt19937_64 rng(t * 7919 + 1);
      started.fetch_add(1);
      while (started.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kOpsPerThread; ++i) {
        body(rng, static_cast<uint32_t>(t));
        if (i % kBatch == kBatch - 1) self.quiescent();
      }
      self.offline();
    });
  }
  for (auto& th : threads) th.join();
}

size_t dump_count(Map& m, uint32_t key_size) {
  std::vector<uint8_t> key(key_size), next(key_size);
  std::set<std::vector<uint8_t>> seen;
  const void* prev = nullptr;
  while (m.next_key(prev, next.data()) == 0) {
    EXPECT_TRUE(seen.insert(next).second);
    key = next;
    prev = key.data();
  }
  return seen.size();
}

void stress_hash(uint32_t type, uint32_t max_entries, uint32_t key_space) {
  QsbrDomain domain;
  MapOptions o;
  o.num_cpus = kThreads;
  o.qsbr = &domain;
  auto made = create_map(spec(type, 4, sizeof(Value), max_entries), o);
  ASSERT_TRUE(made.ok());
  auto& m = **made;
  bool percpu = m.percpu();
  std::atomic<uint64_t> torn{0}, hits{0}, bad_rc{0};
  std::atomic<long> last_bad{0};
  run_engines(domain, [&](std::mt19937_64& rng, uint32_t cpu) {
    uint32_t key = static_cast<uint32_t>(rng() % key_space);
    unsigned op = rng() % 10;
    if (op < 6) {
      if (auto* v = static_cast<Value*>(m.lookup(&key, cpu))) {
        hits.fetch_add(1, std::memory_order_relaxed);
        // Shared values are replaced, never rewritten: always consistent.
        // Per-CPU values are only written by their own CPU.
        Value copy;
        std::memcpy(&copy, v, sizeof copy);
        // A new per-CPU element starts at zero on the other CPUs.
        bool fresh = percpu && copy.x == 0 && copy.not_x == 0;
        if (copy.not_x != ~copy.x && !fresh) torn.fetch_add(1);
        if (percpu) {
          Value w{copy.x + 1, ~(copy.x + 1)};
          std::memcpy(v, &w, sizeof w);
        }
      }
    } else if (op < 9) {
      uint64_t x = rng();
      Value v{x, ~x};
      long rc = m.update(&key, &v, rng() % 3, cpu);
      if (rc != 0 && rc != -EEXIST && rc != -ENOENT && rc != -E2BIG) {
        bad_rc.fetch_add(1);
        last_bad = rc;
      }
    } else {
      long rc = m.erase(&key, cpu);
      if (rc != 0 && rc != -ENOENT) bad_rc.fetch_add(1);
    }
  });
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_EQ(bad_rc.load(), 0u) << "last " << last_bad.load();
  EXPECT_GT(hits.load(), 0u);
  auto& h = static_cast<HashMap&>(m);
  size_t n = dump_count(m, 4);
  EXPECT_EQ(n, h.count());
  EXPECT_LE(n, m.max_entries());
  // Every key the dump yields can be looked up and deleted.
  uint32_t k;
  while (m.next_key(nullptr, &k) == 0) ASSERT_EQ(m.user_delete(&k), 0);
  EXPECT_EQ(h.count(), 0u);
  domain.drain();
}

TEST(MapsStress, Hash) {
  stress_hash(BPF_MAP_TYPE_HASH, 512, 1024);
}
TEST(MapsStress, PercpuHash) {
  stress_hash(BPF_MAP_TYPE_PERCPU_HASH, 512, 1024);
}
TEST(MapsStress, LruHash) {
  stress_hash(BPF_MAP_TYPE_LRU_HASH, 256, 1024);
}
TEST(MapsStress, LruPercpuHash) {
  stress_hash(BPF_MAP_TYPE_LRU_PERCPU_HASH, 256, 1024);
}

TEST(MapsStress, LpmTrie) {
  QsbrDomain domain;
  MapOptions o;
  o.num_cpus = kThreads;
  o.qsbr = &domain;
  auto made = create_map(spec(BPF_MAP_TYPE_LPM_TRIE, 8, sizeof(Value), 4096, BPF_F_NO_PREALLOC), o);
  ASSERT_TRUE(made.ok());
  auto& m = **made;
  std::atomic<uint64_t> torn{0}, hits{0};
  run_engines(domain, [&](std::mt19937_64& rng, uint32_t cpu) {
    uint32_t plen = static_cast<uint32_t>(rng() % 13) + 20;
    uint32_t addr = static_cast<uint32_t>(rng()) & 0x00ffff00;
    uint8_t key[8];
    std::memcpy(key, &plen, 4);
    for (int i = 0; i < 4; ++i) key[4 + i] = static_cast<uint8_t>(addr >> (24 - 8 * i));
    unsigned op = rng() % 10;
    if (op < 6) {
      uint32_t full = 32;
      std::memcpy(key, &full, 4);
      if (auto* v = static_cast<Value*>(m.lookup(key, cpu))) {
        hits.fetch_add(1, std::memory_order_relaxed);
        Value copy;
        std::memcpy(&copy, v, sizeof copy);
        if (copy.not_x != ~copy.x) torn.fetch_add(1);
      }
    } else if (op < 9) {
      uint64_t x = rng();
      Value v{x, ~x};
      m.update(key, &v, BPF_ANY, cpu);
    } else {
      m.erase(key, cpu);
    }
  });
  EXPECT_EQ(torn.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_EQ(dump_count(m, 8), static_cast<LpmTrie&>(m).count());
  domain.drain();
}

TEST(MapsStress, DevmapHash) {
  QsbrDomain domain;
  MapOptions o;
  o.num_cpus = kThreads;
  o.qsbr = &domain;
  auto made = create_map(spec(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 64), o);
  ASSERT_TRUE(made.ok());
  auto& d = static_cast<DevMap&>(**made);
  std::atomic<uint64_t> bad{0};
  std::atomic<bool> stop{false};
  // One control thread rewrites entries; engines resolve and flood.
  std::thread control([&] {
    std::mt19937 rng(1);
    while (!stop.load()) {
      uint32_t k = rng() % 100, ifindex = k + 1;
      if (rng() % 3)
        d.user_update(&k, &ifindex, BPF_ANY);
      else
        d.user_delete(&k);
    }
  });
  run_engines(domain, [&](std::mt19937_64& rng, uint32_t) {
    uint32_t k = static_cast<uint32_t>(rng() % 100);
    if (const bpf_devmap_val* v = d.get(k))
      if (v->ifindex != k + 1) bad.fetch_add(1);
    if (rng() % 16 == 0)
      d.for_each([&](uint32_t key, const bpf_devmap_val& v) {
        if (v.ifindex != key + 1) bad.fetch_add(1);
      });
  });
  stop = true;
  control.join();
  EXPECT_EQ(bad.load(), 0u);
  domain.drain();
}

}  // namespace
}  // namespace ebpfaas::maps
