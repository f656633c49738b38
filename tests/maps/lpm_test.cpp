#include "maps/lpm_trie.h"

#include <cerrno>

#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::lpm_key;
using testing::make;
using testing::spec;

std::shared_ptr<Map> ipv4(uint32_t max = 100) {
  return make(spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, max, BPF_F_NO_PREALLOC));
}

long add(Map& m, uint32_t plen, std::vector<uint8_t> ip, uint64_t v, uint64_t flags = BPF_ANY) {
  auto k = lpm_key(plen, std::move(ip));
  return m.update(k.data(), &v, flags, 0);
}

// The value of the longest prefix matching `ip` (full length), or -1.
int64_t match(Map& m, std::vector<uint8_t> ip) {
  auto k = lpm_key(static_cast<uint32_t>(ip.size() * 8), std::move(ip));
  void* v = m.lookup(k.data(), 0);
  uint64_t out;
  long r = m.user_lookup(k.data(), &out);
  EXPECT_EQ(r == 0, v != nullptr);
  if (!v) return -1;
  EXPECT_EQ(testing::load64(v), out);
  return static_cast<int64_t>(out);
}

TEST(LpmTrie, LongestPrefixWins) {
  auto m = ipv4();
  ASSERT_EQ(add(*m, 8, {10, 0, 0, 0}, 8), 0);
  ASSERT_EQ(add(*m, 16, {10, 1, 0, 0}, 16), 0);
  ASSERT_EQ(add(*m, 24, {10, 1, 2, 0}, 24), 0);
  ASSERT_EQ(add(*m, 32, {10, 1, 2, 3}, 32), 0);
  EXPECT_EQ(match(*m, {10, 1, 2, 3}), 32);
  EXPECT_EQ(match(*m, {10, 1, 2, 4}), 24);
  EXPECT_EQ(match(*m, {10, 1, 3, 4}), 16);
  EXPECT_EQ(match(*m, {10, 2, 3, 4}), 8);
  EXPECT_EQ(match(*m, {11, 0, 0, 0}), -1);
  // The key's own prefixlen bounds the match.
  auto k = lpm_key(20, {10, 1, 2, 3});
  uint64_t out;
  ASSERT_EQ(m->user_lookup(k.data(), &out), 0);
  EXPECT_EQ(out, 16u);
}

TEST(LpmTrie, DefaultRouteAndHostRoutes) {
  auto m = ipv4();
  ASSERT_EQ(add(*m, 0, {0, 0, 0, 0}, 1), 0);
  EXPECT_EQ(match(*m, {1, 2, 3, 4}), 1);
  EXPECT_EQ(match(*m, {255, 255, 255, 255}), 1);
  ASSERT_EQ(add(*m, 32, {192, 168, 0, 1}, 2), 0);
  ASSERT_EQ(add(*m, 32, {192, 168, 0, 0}, 3), 0);
  EXPECT_EQ(match(*m, {192, 168, 0, 1}), 2);
  EXPECT_EQ(match(*m, {192, 168, 0, 0}), 3);
  EXPECT_EQ(match(*m, {192, 168, 0, 2}), 1);
  auto k0 = lpm_key(0, {0, 0, 0, 0});
  ASSERT_EQ(m->erase(k0.data(), 0), 0);
  EXPECT_EQ(match(*m, {192, 168, 0, 2}), -1);
  EXPECT_EQ(match(*m, {192, 168, 0, 1}), 2);
}

TEST(LpmTrie, Ipv6) {
  auto m = make(spec(BPF_MAP_TYPE_LPM_TRIE, 20, 4, 16, BPF_F_NO_PREALLOC));
  std::vector<uint8_t> a(16, 0), b(16, 0);
  a[0] = 0x20, a[1] = 0x01, a[2] = 0x0d, a[3] = 0xb8;
  b = a;
  b[15] = 1;
  uint32_t v = 48;
  auto k48 = lpm_key(48, a), k128 = lpm_key(128, b), k129 = lpm_key(129, b);
  ASSERT_EQ(m->update(k48.data(), &v, BPF_ANY, 0), 0);
  v = 128;
  ASSERT_EQ(m->update(k128.data(), &v, BPF_ANY, 0), 0);
  EXPECT_EQ(m->update(k129.data(), &v, BPF_ANY, 0), -EINVAL);
  uint32_t out;
  ASSERT_EQ(m->user_lookup(k128.data(), &out), 0);
  EXPECT_EQ(out, 128u);
  auto probe = b;
  probe[15] = 2;
  auto kp = lpm_key(128, probe);
  ASSERT_EQ(m->user_lookup(kp.data(), &out), 0);
  EXPECT_EQ(out, 48u);
  EXPECT_EQ(m->erase(k129.data(), 0), -EINVAL);
}

TEST(LpmTrie, FlagsExactDeleteAndCapacity) {
  auto m = ipv4(3);
  EXPECT_EQ(add(*m, 8, {10, 0, 0, 0}, 1, BPF_EXIST), -ENOENT);
  EXPECT_EQ(add(*m, 8, {10, 0, 0, 0}, 1, BPF_NOEXIST), 0);
  EXPECT_EQ(add(*m, 8, {10, 9, 9, 9}, 2, BPF_NOEXIST), -EEXIST) << "same /8";
  EXPECT_EQ(add(*m, 8, {10, 0, 0, 0}, 2, BPF_EXIST), 0);
  EXPECT_EQ(add(*m, 8, {10, 0, 0, 0}, 2, 3), -EINVAL);
  EXPECT_EQ(add(*m, 33, {10, 0, 0, 0}, 2), -EINVAL);
  EXPECT_EQ(add(*m, 16, {10, 1, 0, 0}, 3), 0);
  EXPECT_EQ(add(*m, 16, {10, 2, 0, 0}, 4), 0);
  EXPECT_EQ(add(*m, 16, {10, 3, 0, 0}, 5), -ENOSPC);
  EXPECT_EQ(add(*m, 16, {10, 2, 0, 0}, 6), 0) << "replacing needs no room";
  auto k = lpm_key(12, {10, 0, 0, 0});
  EXPECT_EQ(m->erase(k.data(), 0), -ENOENT) << "delete is exact";
  k = lpm_key(8, {10, 0, 0, 0});
  EXPECT_EQ(m->erase(k.data(), 0), 0);
  EXPECT_EQ(m->erase(k.data(), 0), -ENOENT);
  EXPECT_EQ(match(*m, {10, 1, 7, 7}), 3);
  EXPECT_EQ(match(*m, {10, 7, 7, 7}), -1);
  EXPECT_EQ(add(*m, 16, {10, 3, 0, 0}, 5), 0);
}

TEST(LpmTrie, NextKeyIsPostOrder) {
  // Linux's documented example: more specific prefixes first.
  auto m = ipv4();
  ASSERT_EQ(add(*m, 16, {192, 168, 0, 0}, 1), 0);
  ASSERT_EQ(add(*m, 24, {192, 168, 0, 0}, 2), 0);
  ASSERT_EQ(add(*m, 24, {192, 168, 1, 0}, 3), 0);
  ASSERT_EQ(add(*m, 24, {192, 168, 128, 0}, 4), 0);
  std::vector<std::pair<uint32_t, uint8_t>> got;
  std::vector<uint8_t> key(8), next(8);
  const void* prev = nullptr;
  while (m->next_key(prev, next.data()) == 0) {
    uint32_t plen;
    std::memcpy(&plen, next.data(), 4);
    got.emplace_back(plen, next[6]);
    key = next;
    prev = key.data();
  }
  std::vector<std::pair<uint32_t, uint8_t>> want = {{24, 0}, {24, 1}, {24, 128}, {16, 0}};
  EXPECT_EQ(got, want);
  // An unknown key restarts at the leftmost entry.
  auto unknown = lpm_key(20, {1, 2, 3, 4});
  ASSERT_EQ(m->next_key(unknown.data(), next.data()), 0);
  EXPECT_EQ(next[6], 0);
  EXPECT_EQ(next[0], 24);
}

TEST(LpmTrie, ManyPrefixesAgainstLinearScan) {
  auto m = make(spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 2000, BPF_F_NO_PREALLOC));
  struct P {
    uint32_t plen;
    uint32_t addr;  // host order
    uint64_t v;
  };
  std::vector<P> ps;
  uint32_t seed = 12345;
  auto rnd = [&] { return seed = seed * 1103515245 + 12345; };
  auto be = [](uint32_t a) {
    return std::vector<uint8_t>{uint8_t(a >> 24), uint8_t(a >> 16), uint8_t(a >> 8), uint8_t(a)};
  };
  auto mask = [](uint32_t plen) { return plen == 0 ? 0u : ~0u << (32 - plen); };
  for (int i = 0; i < 1500; ++i) {
    uint32_t plen = rnd() % 33, addr = (rnd() & 0x0fffffff) & mask(plen);
    bool dup = false;
    for (auto& p : ps) dup |= p.plen == plen && p.addr == addr;
    if (dup) continue;
    ps.push_back({plen, addr, uint64_t(i)});
    ASSERT_EQ(add(*m, plen, be(addr), i, BPF_NOEXIST), 0);
  }
  // Delete a third.
  for (size_t i = 0; i < ps.size(); i += 3) {
    auto k = lpm_key(ps[i].plen, be(ps[i].addr));
    ASSERT_EQ(m->erase(k.data(), 0), 0);
    ps[i].plen = 99;
  }
  for (int i = 0; i < 3000; ++i) {
    uint32_t ip = rnd() & 0x0fffffff;
    int64_t best = -1;
    uint32_t best_len = 0;
    for (auto& p : ps)
      if (p.plen <= 32 && (ip & mask(p.plen)) == p.addr && (best < 0 || p.plen > best_len))
        best = static_cast<int64_t>(p.v), best_len = p.plen;
    ASSERT_EQ(match(*m, be(ip)), best) << std::hex << ip;
  }
}

}  // namespace
}  // namespace ebpfaas::maps
