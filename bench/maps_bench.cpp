// Map figures: warm lookups on 1M-entry hash maps (4- and 16-byte keys),
// array lookups, update rates and LPM lookups on 100k prefixes, each beside
// an anchor measured in the same run (std::unordered_map; for LPM, one
// std::unordered_map per prefix length, the textbook hash-based LPM).
//
//   build/bin/maps_bench [--benchmark_filter=...]
//
// "Random" lookups visit the whole map in a shuffled order (independent
// lookups: the CPU overlaps their cache misses, as an engine's batch does);
// "Chained" makes each key depend on the previous lookup's value (the values
// form one random cycle through all keys), which measures latency instead.
#include <benchmark/benchmark.h>
#include <linux/bpf.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "maps/array_map.h"
#include "maps/hash_map.h"
#include "maps/lpm_trie.h"
#include "support/qsbr.h"

namespace {
using namespace ebpfaas;
using namespace ebpfaas::maps;

constexpr uint32_t kEntries = 1u << 20;
constexpr uint32_t kPrefixes = 100000;

ebpf::MapSpec spec(uint32_t type, uint32_t ks, uint32_t vs, uint32_t max, uint32_t flags = 0) {
  ebpf::MapSpec s;
  s.name = "bench";
  s.type = type;
  s.key_size = ks;
  s.value_size = vs;
  s.max_entries = max;
  s.flags = flags;
  return s;
}

std::shared_ptr<Map> must(Expected<std::shared_ptr<Map>> m) {
  if (!m) {
    fprintf(stderr, "%s\n", m.error().message().c_str());
    abort();
  }
  return *m;
}

using Key16 = std::array<uint8_t, 16>;
struct Key16Hash {
  size_t operator()(const Key16& k) const {
    uint64_t a, b;
    std::memcpy(&a, k.data(), 8);
    std::memcpy(&b, k.data() + 8, 8);
    return std::hash<uint64_t>()(a ^ (b * 0x9e3779b97f4a7c15ull));
  }
};

Key16 key16(uint32_t i) {
  // A 5-tuple-like key: addresses, ports, protocol.
  Key16 k{};
  uint32_t src = 0x0a000000 | i, dst = 0xc0a80001;
  uint16_t sport = static_cast<uint16_t>(i * 7), dport = 80;
  std::memcpy(k.data(), &src, 4);
  std::memcpy(k.data() + 4, &dst, 4);
  std::memcpy(k.data() + 8, &sport, 2);
  std::memcpy(k.data() + 10, &dport, 2);
  k[12] = 6;
  return k;
}

struct Fixture {
  std::vector<uint32_t> keys4;  // present keys, shuffled
  std::vector<Key16> keys16;    // present keys, shuffled
  std::shared_ptr<Map> hash4, hash16, array, lpm;
  std::unordered_map<uint32_t, uint64_t> umap4;
  std::unordered_map<Key16, uint64_t, Key16Hash> umap16;
  std::vector<uint32_t> lpm_probe;                             // addresses, network order
  std::vector<std::unordered_map<uint32_t, uint64_t>> by_len;  // anchor LPM
  std::vector<int> lens_desc;

  Fixture() {
    std::mt19937_64 rng(42);
    keys4.resize(kEntries);
    for (uint32_t i = 0; i < kEntries; ++i) keys4[i] = static_cast<uint32_t>(rng());
    std::sort(keys4.begin(), keys4.end());
    keys4.erase(std::unique(keys4.begin(), keys4.end()), keys4.end());
    std::shuffle(keys4.begin(), keys4.end(), rng);
    MapOptions o;
    hash4 = must(create_map(spec(BPF_MAP_TYPE_HASH, 4, 8, kEntries), o));
    hash16 = must(create_map(spec(BPF_MAP_TYPE_HASH, 16, 8, kEntries), o));
    array = must(create_map(spec(BPF_MAP_TYPE_ARRAY, 4, 8, kEntries), o));
    umap4.reserve(kEntries);
    umap16.reserve(kEntries);
    // Each value is the index of the next key on one random cycle through
    // all keys (Sattolo's shuffle), for the chained benchmarks.
    auto cycle = [&](size_t n) {
      std::vector<uint64_t> next(n);
      for (size_t i = 0; i < n; ++i) next[i] = i;
      for (size_t i = n - 1; i > 0; --i) std::swap(next[i], next[rng() % i]);
      return next;
    };
    auto next4 = cycle(keys4.size());
    for (size_t i = 0; i < keys4.size(); ++i) {
      hash4->update(&keys4[i], &next4[i], BPF_ANY, 0);
      umap4[keys4[i]] = next4[i];
    }
    keys16.resize(kEntries);
    for (uint32_t i = 0; i < kEntries; ++i) keys16[i] = key16(i);
    std::shuffle(keys16.begin(), keys16.end(), rng);
    auto next16 = cycle(kEntries);
    for (uint32_t i = 0; i < kEntries; ++i) {
      hash16->update(keys16[i].data(), &next16[i], BPF_ANY, 0);
      umap16[keys16[i]] = next16[i];
    }
    // LPM: 100k prefixes /8../32 in 10.0.0.0/8-ish space plus a default route.
    lpm = must(create_map(spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, kPrefixes + 1, BPF_F_NO_PREALLOC), o));
    by_len.resize(33);
    uint32_t added = 0;
    while (added < kPrefixes) {
      uint32_t plen = 8 + static_cast<uint32_t>(rng() % 25);
      uint32_t addr = static_cast<uint32_t>(rng()) & (plen == 32 ? ~0u : ~(~0u >> plen));
      uint8_t key[8];
      std::memcpy(key, &plen, 4);
      uint32_t be = __builtin_bswap32(addr);
      std::memcpy(key + 4, &be, 4);
      uint64_t v = added;
      if (lpm->update(key, &v, BPF_NOEXIST, 0) == 0) {
        by_len[plen][addr] = v;
        ++added;
      }
    }
    lpm_probe.resize(1u << 20);
    for (auto& a : lpm_probe) a = static_cast<uint32_t>(rng());
    for (int l = 32; l >= 0; --l)
      if (!by_len[l].empty()) lens_desc.push_back(l);
  }
};

Fixture& fx() {
  static Fixture* f = new Fixture();
  return *f;
}

// ---- hash lookups, 4-byte keys ------------------------------------------------------

void BM_Hash4_Random(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.hash4;
  size_t i = 0, n = f.keys4.size();
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.lookup(&f.keys4[i], 0));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hash4_Random)->ThreadRange(1, 2)->UseRealTime();

void BM_Hash4_Inline_Random(benchmark::State& state) {
  auto& f = fx();
  const HashLayout& l = static_cast<HashMap&>(*f.hash4).layout();
  size_t i = 0, n = f.keys4.size();
  for (auto _ : state) {
    benchmark::DoNotOptimize(hash_lookup(l, &f.keys4[i], 0));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hash4_Inline_Random);

void BM_UnorderedMap4_Random(benchmark::State& state) {
  auto& f = fx();
  size_t i = 0, n = f.keys4.size();
  for (auto _ : state) {
    auto it = f.umap4.find(f.keys4[i]);
    benchmark::DoNotOptimize(it == f.umap4.end() ? nullptr : &it->second);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMap4_Random)->ThreadRange(1, 2)->UseRealTime();

void BM_Hash4_Chained(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.hash4;
  uint64_t x = 0;
  for (auto _ : state) x = *static_cast<uint64_t*>(m.lookup(&f.keys4[x], 0));
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_Hash4_Chained);

void BM_UnorderedMap4_Chained(benchmark::State& state) {
  auto& f = fx();
  uint64_t x = 0;
  for (auto _ : state) x = f.umap4.find(f.keys4[x])->second;
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_UnorderedMap4_Chained);

// ---- hash lookups, 16-byte keys -----------------------------------------------------

void BM_Hash16_Random(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.hash16;
  size_t i = 0, n = f.keys16.size();
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.lookup(f.keys16[i].data(), 0));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hash16_Random);

void BM_UnorderedMap16_Random(benchmark::State& state) {
  auto& f = fx();
  size_t i = 0, n = f.keys16.size();
  for (auto _ : state) {
    auto it = f.umap16.find(f.keys16[i]);
    benchmark::DoNotOptimize(it == f.umap16.end() ? nullptr : &it->second);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMap16_Random);

void BM_Hash16_Chained(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.hash16;
  uint64_t x = 0;
  for (auto _ : state) x = *static_cast<uint64_t*>(m.lookup(f.keys16[x].data(), 0));
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_Hash16_Chained);

void BM_UnorderedMap16_Chained(benchmark::State& state) {
  auto& f = fx();
  uint64_t x = 0;
  for (auto _ : state) x = f.umap16.find(f.keys16[x])->second;
  benchmark::DoNotOptimize(x);
}
BENCHMARK(BM_UnorderedMap16_Chained);

// ---- arrays ---------------------------------------------------------------------------

void BM_Array_Random(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.array;
  size_t i = 0, n = f.keys4.size();
  for (auto _ : state) {
    uint32_t idx = f.keys4[i] & (kEntries - 1);
    benchmark::DoNotOptimize(m.lookup(&idx, 0));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Array_Random);

void BM_Array_Inline_Random(benchmark::State& state) {
  auto& f = fx();
  const ArrayLayout& l = static_cast<ArrayMap&>(*f.array).layout();
  size_t i = 0, n = f.keys4.size();
  for (auto _ : state) {
    uint32_t idx = f.keys4[i] & (kEntries - 1);
    benchmark::DoNotOptimize(idx < l.max_entries ? l.values + uint64_t{idx} * l.stride : nullptr);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Array_Inline_Random);

// ---- updates --------------------------------------------------------------------------

// Replacing the value of an existing key (a new element each time, the old one
// recycled after a grace period): the token-bucket / counter pattern.
void BM_Hash4_UpdateExisting(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.hash4;
  QsbrThread self(QsbrDomain::global());
  size_t i = 0, n = f.keys4.size();
  uint64_t v = 0;
  for (auto _ : state) {
    m.update(&f.keys4[i], &v, BPF_EXIST, 0);
    if ((++i & 31) == 0) self.quiescent();
    if (i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hash4_UpdateExisting);

void BM_UnorderedMap4_UpdateExisting(benchmark::State& state) {
  auto& f = fx();
  size_t i = 0, n = f.keys4.size();
  uint64_t v = 0;
  for (auto _ : state) {
    f.umap4[f.keys4[i]] = v++;
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMap4_UpdateExisting);

// Flow setup and teardown: a sliding window of 512k live keys in a 1M-entry
// map; each iteration inserts the newest key and deletes the oldest.
void BM_Hash4_InsertDelete(benchmark::State& state) {
  constexpr uint32_t kWindow = 1u << 19;
  auto m = must(create_map(spec(BPF_MAP_TYPE_HASH, 4, 8, kEntries), MapOptions{}));
  QsbrThread self(QsbrDomain::global());
  auto key = [](uint32_t i) { return i * 2654435761u; };
  uint64_t v = 0;
  uint32_t head = 0;
  for (; head < kWindow; ++head) {
    uint32_t k = key(head);
    m->update(&k, &v, BPF_NOEXIST, 0);
  }
  for (auto _ : state) {
    uint32_t in = key(head), out = key(head - kWindow);
    if (m->update(&in, &v, BPF_NOEXIST, 0) != 0 || m->erase(&out, 0) != 0) {
      state.SkipWithError("insert/delete failed");
      break;
    }
    if ((++head & 31) == 0) self.quiescent();
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

void BM_UnorderedMap4_InsertDelete(benchmark::State& state) {
  constexpr uint32_t kWindow = 1u << 19;
  std::unordered_map<uint32_t, uint64_t> m;
  m.reserve(kEntries);
  auto key = [](uint32_t i) { return i * 2654435761u; };
  uint32_t head = 0;
  for (; head < kWindow; ++head) m.emplace(key(head), 0);
  for (auto _ : state) {
    m.emplace(key(head), 0);
    m.erase(key(head - kWindow));
    ++head;
  }
  state.SetItemsProcessed(state.iterations() * 2);
}

// ---- LPM --------------------------------------------------------------------------------

void BM_Lpm100k_Lookup(benchmark::State& state) {
  auto& f = fx();
  Map& m = *f.lpm;
  size_t i = 0, n = f.lpm_probe.size();
  uint8_t key[8];
  uint32_t plen = 32;
  std::memcpy(key, &plen, 4);
  for (auto _ : state) {
    std::memcpy(key + 4, &f.lpm_probe[i], 4);
    benchmark::DoNotOptimize(m.lookup(key, 0));
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Lpm100k_Lookup);

void BM_UnorderedMapPerLength100k_Lookup(benchmark::State& state) {
  auto& f = fx();
  size_t i = 0, n = f.lpm_probe.size();
  for (auto _ : state) {
    uint32_t addr = __builtin_bswap32(f.lpm_probe[i]);
    const uint64_t* hit = nullptr;
    for (int l : f.lens_desc) {
      uint32_t masked = l == 0 ? 0 : addr & ~(l == 32 ? 0u : (~0u >> l));
      auto it = f.by_len[l].find(masked);
      if (it != f.by_len[l].end()) {
        hit = &it->second;
        break;
      }
    }
    benchmark::DoNotOptimize(hit);
    if (++i == n) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UnorderedMapPerLength100k_Lookup);

void register_updates() {
  BENCHMARK(BM_Hash4_InsertDelete);
  BENCHMARK(BM_UnorderedMap4_InsertDelete);
}

}  // namespace

int main(int argc, char** argv) {
  register_updates();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  fx();  // build the maps before timing
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
