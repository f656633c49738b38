// Differential test against the Linux kernel's maps: the same map is created
// with bpf(2) and with maps::create_map, the same long random sequence of
// update (every flag), delete, lookup, lookup-and-delete and get_next_key is
// applied to both, and every return code, every value and the final contents
// must agree. Iteration order is compared exactly where ebpfaas follows
// Linux's order (arrays, devmaps, LPM tries) and as a set for hash maps, whose
// order depends on the hash function. LRU maps stay far from full: which
// element Linux evicts is not specified (and it evicts before the map is
// full); eviction has its own tests.
//
// Definitions are compared too: check_map_spec must return the errno that
// BPF_MAP_CREATE returns.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <net/if.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <random>

#include "maps/prog_array.h"
#include "tests/maps/map_test_util.h"

namespace ebpfaas::maps {
namespace {
using testing::spec;

using Bytes = std::vector<uint8_t>;

// Why the kernel cannot be used here, or "" when it can.
std::string kernel_unavailable() {
  int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe", 4, 4, 1, nullptr);
  if (fd < 0) return "SKIPPED: bpf(BPF_MAP_CREATE) failed: " + std::string(strerror(errno));
  close(fd);
  return "";
}

#define REQUIRE_KERNEL()                     \
  do {                                       \
    std::string why_ = kernel_unavailable(); \
    if (!why_.empty()) GTEST_SKIP() << why_; \
  } while (0)

uint32_t possible_cpus() {
  int n = libbpf_num_possible_cpus();
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  int get() const { return fd_; }

 private:
  int fd_;
};

// Keeps the calling thread on CPU 0 (Linux's per-CPU LRU lists follow the
// CPU that makes the call; ebpfaas's control plane uses CPU 0's list).
class PinToCpu0 {
 public:
  PinToCpu0() {
    sched_getaffinity(0, sizeof saved_, &saved_);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
  }
  ~PinToCpu0() { sched_setaffinity(0, sizeof saved_, &saved_); }

 private:
  cpu_set_t saved_;
};

struct Config {
  using Gen = std::function<Bytes(std::mt19937_64&)>;
  Config(std::string label, ebpf::MapSpec spec, Gen key, Gen value, bool exact_order = false,
         bool lookup_and_delete = false, int ops = 4000)
      : label(std::move(label)),
        spec(std::move(spec)),
        key(std::move(key)),
        value(std::move(value)),
        exact_order(exact_order),
        lookup_and_delete(lookup_and_delete),
        ops(ops) {}
  std::string label;
  ebpf::MapSpec spec;
  Gen key;                 // a key (may be out of range or absent)
  Gen value;               // a user-view value
  bool exact_order;        // iteration order must match too
  bool lookup_and_delete;  // BPF_MAP_LOOKUP_AND_DELETE_ELEM applies
  int ops;
  MapOptions options;
};

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng());
  return b;
}

Bytes u32_key(uint32_t k) {
  Bytes b(4);
  std::memcpy(b.data(), &k, 4);
  return b;
}

uint64_t random_flags(std::mt19937_64& rng) {
  unsigned r = rng() % 20;
  if (r < 8) return BPF_ANY;
  if (r < 13) return BPF_NOEXIST;
  if (r < 18) return BPF_EXIST;
  return r == 18 ? 3 : BPF_F_LOCK;
}

class Differ {
 public:
  Differ(const Config& c, int kfd, std::shared_ptr<Map> ours)
      : c_(c), kfd_(kfd), ours_(std::move(ours)) {
    ks_ = c.spec.key_size;
    vs_ = ours_->user_value_size();
  }

  void run(uint64_t seed) {
    if (const char* env = std::getenv("EBPFAAS_DIFF_SEED")) seed += std::strtoull(env, nullptr, 0);
    std::mt19937_64 rng(seed);
    for (int i = 0; i < c_.ops && !::testing::Test::HasFailure(); ++i) {
      step_ = i;
      unsigned r = rng() % 100;
      Bytes key = ks_ ? c_.key(rng) : Bytes{};
      const void* kp = ks_ ? key.data() : nullptr;
      if (r < 45) {
        Bytes v = c_.value(rng);
        uint64_t flags = random_flags(rng);
        long kr = bpf_map_update_elem(kfd_, kp, v.data(), flags);
        long er = ours_->user_update(kp, v.data(), flags);
        ++seen_[fmt::format("update {}", kr)];
        ASSERT_EQ(er, kr) << where("update") << " flags " << flags << " key "
                          << (kp ? hex(kp, ks_) : "-") << " value " << hex(v.data(), v.size());
      } else if (r < 60) {
        long kr = bpf_map_delete_elem(kfd_, kp);
        long er = ours_->user_delete(kp);
        ++seen_[fmt::format("delete {}", kr)];
        ASSERT_EQ(er, kr) << where("delete") << " key " << (kp ? hex(kp, ks_) : "-");
      } else if (r < 82) {
        compare_lookup(kp);
      } else if (r < 90 && c_.lookup_and_delete) {
        Bytes kv(vs_, 0xaa), ev(vs_, 0xaa);
        long kr = bpf_map_lookup_and_delete_elem(kfd_, kp, kv.data());
        long er = ours_->user_lookup_and_delete(kp, ev.data());
        ASSERT_EQ(er, kr) << where("lookup_and_delete");
        if (kr == 0) ASSERT_EQ(ev, kv) << where("lookup_and_delete value");
      } else if (r < 97) {
        Bytes kn(std::max(ks_, 1u), 0), en(std::max(ks_, 1u), 0);
        bool first = rng() % 4 == 0;
        long kr = bpf_map_get_next_key(kfd_, first ? nullptr : kp, kn.data());
        long er = ours_->next_key(first ? nullptr : kp, en.data());
        if (c_.exact_order) {
          ASSERT_EQ(er, kr) << where("get_next_key");
          if (kr == 0) ASSERT_EQ(en, kn) << where("get_next_key key");
        } else if (first) {
          ASSERT_EQ(er == 0, kr == 0) << where("get_next_key(NULL)");
        }
      } else {
        compare_contents();
      }
    }
    compare_contents();
    // What the sequence exercised, so that a reader can tell it was not trivial.
    std::string summary;
    for (auto& [what, n] : seen_) summary += fmt::format(" [{}]x{}", what, n);
    std::cout << c_.label << ":" << summary << " lookups " << lookups_ << " dumps " << dumps_
              << "\n";
  }

 private:
  std::string where(const char* op) const {
    return c_.label + ": step " + std::to_string(step_) + " " + op;
  }

  std::string hex(const void* p, size_t n) const {
    std::string s;
    for (size_t i = 0; i < n; ++i) s += fmt::format("{:02x}", static_cast<const uint8_t*>(p)[i]);
    return s;
  }

  void compare_lookup(const void* kp) {
    Bytes kv(vs_, 0xaa), ev(vs_, 0xaa);
    long kr = bpf_map_lookup_elem(kfd_, kp, kv.data());
    long er = ours_->user_lookup(kp, ev.data());
    ++lookups_;
    ASSERT_EQ(er, kr) << where("lookup") << " key " << (kp ? hex(kp, ks_) : "-");
    if (kr == 0) ASSERT_EQ(ev, kv) << where("lookup value");
  }

  // Every key get_next_key yields from NULL, with its lookup result.
  using Dump = std::vector<std::pair<Bytes, std::pair<long, Bytes>>>;
  Dump dump(bool kernel) {
    Dump out;
    if (ks_ == 0) return out;
    Bytes key, next(ks_);
    bool have = false;
    for (size_t guard = 0; guard < 100000; ++guard) {
      long r = kernel ? bpf_map_get_next_key(kfd_, have ? key.data() : nullptr, next.data())
                      : ours_->next_key(have ? key.data() : nullptr, next.data());
      if (r != 0) {
        EXPECT_EQ(r, -ENOENT) << where(kernel ? "kernel dump" : "dump");
        break;
      }
      Bytes v(vs_, 0xaa);
      long lr = kernel ? bpf_map_lookup_elem(kfd_, next.data(), v.data())
                       : ours_->user_lookup(next.data(), v.data());
      if (lr != 0) v.clear();
      out.push_back({next, {lr, v}});
      key = next;
      have = true;
    }
    return out;
  }

  void compare_contents() {
    ++dumps_;
    Dump k = dump(true), e = dump(false);
    if (!c_.exact_order) {
      std::sort(k.begin(), k.end());
      std::sort(e.begin(), e.end());
    }
    ASSERT_EQ(e.size(), k.size()) << where("contents: number of keys");
    for (size_t i = 0; i < k.size(); ++i) {
      ASSERT_EQ(e[i].first, k[i].first) << where("contents: key") << " #" << i;
      ASSERT_EQ(e[i].second.first, k[i].second.first) << where("contents: lookup") << " #" << i;
      ASSERT_EQ(e[i].second.second, k[i].second.second) << where("contents: value") << " #" << i;
    }
    if (ks_ == 0) compare_lookup(nullptr);  // queue/stack: peek
  }

  const Config& c_;
  int kfd_;
  std::shared_ptr<Map> ours_;
  uint32_t ks_ = 0, vs_ = 0;
  int step_ = 0;
  std::map<std::string, int> seen_;
  int lookups_ = 0, dumps_ = 0;
};

void run_config(Config c, uint64_t seed = 1) {
  LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = c.spec.flags);
  Fd kfd(bpf_map_create(static_cast<bpf_map_type>(c.spec.type), "diff", c.spec.key_size,
                        c.spec.value_size, c.spec.max_entries, &opts));
  ASSERT_GE(kfd.get(), 0) << c.label << ": kernel refused the map: " << strerror(errno);
  c.options.num_cpus = possible_cpus();
  auto ours = create_map(c.spec, c.options);
  ASSERT_TRUE(ours.ok()) << ours.error().message();
  Differ d(c, kfd.get(), *ours);
  d.run(seed);
}

std::function<Bytes(std::mt19937_64&)> small_u32_keys(uint32_t space) {
  return [space](std::mt19937_64& rng) { return u32_key(static_cast<uint32_t>(rng() % space)); };
}

std::function<Bytes(std::mt19937_64&)> random_values(uint32_t size) {
  return [size](std::mt19937_64& rng) { return random_bytes(rng, size); };
}

uint32_t percpu_size(uint32_t vs) {
  return ((vs + 7) & ~7u) * possible_cpus();
}

// ---- element operations ---------------------------------------------------------

TEST(KernelDiff, Array) {
  REQUIRE_KERNEL();
  run_config(
      {"array", spec(BPF_MAP_TYPE_ARRAY, 4, 12, 16), small_u32_keys(20), random_values(12), true});
}

TEST(KernelDiff, PercpuArray) {
  REQUIRE_KERNEL();
  run_config({"percpu_array", spec(BPF_MAP_TYPE_PERCPU_ARRAY, 4, 12, 8), small_u32_keys(10),
              random_values(percpu_size(12)), true});
}

TEST(KernelDiff, Hash) {
  REQUIRE_KERNEL();
  run_config({"hash", spec(BPF_MAP_TYPE_HASH, 4, 8, 32), small_u32_keys(48), random_values(8),
              false, true});
}

TEST(KernelDiff, HashNoPreallocOddSizes) {
  REQUIRE_KERNEL();
  auto keys = [](std::mt19937_64& rng) {
    Bytes k(13, 0x5c);
    k[0] = static_cast<uint8_t>(rng() % 40);
    k[12] = static_cast<uint8_t>(rng() % 2);
    return k;
  };
  run_config({"hash/no_prealloc", spec(BPF_MAP_TYPE_HASH, 13, 20, 40, BPF_F_NO_PREALLOC), keys,
              random_values(20), false, true});
}

TEST(KernelDiff, Hash16ByteKeys) {
  REQUIRE_KERNEL();
  auto keys = [](std::mt19937_64& rng) {
    Bytes k(16, 0);
    k[rng() % 16] = static_cast<uint8_t>(rng() % 3);
    k[0] = static_cast<uint8_t>(rng() % 4);
    return k;
  };
  run_config({"hash/16", spec(BPF_MAP_TYPE_HASH, 16, 8, 64), keys, random_values(8), false, true});
}

TEST(KernelDiff, PercpuHash) {
  REQUIRE_KERNEL();
  run_config({"percpu_hash", spec(BPF_MAP_TYPE_PERCPU_HASH, 4, 12, 32), small_u32_keys(48),
              random_values(percpu_size(12)), false, true});
}

TEST(KernelDiff, LruHashBelowCapacity) {
  REQUIRE_KERNEL();
  run_config({"lru_hash", spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, 2048), small_u32_keys(256),
              random_values(8), false, true});
}

TEST(KernelDiff, LruPercpuHashBelowCapacity) {
  REQUIRE_KERNEL();
  run_config({"lru_percpu_hash", spec(BPF_MAP_TYPE_LRU_PERCPU_HASH, 4, 4, 2048),
              small_u32_keys(256), random_values(percpu_size(4)), false, true});
}

TEST(KernelDiff, LruHashPerCpuListsUpToFull) {
  REQUIRE_KERNEL();
  // With BPF_F_NO_COMMON_LRU Linux evicts only when the CPU's list is full:
  // keys 0..key_space fit in CPU 0's share exactly.
  PinToCpu0 pin;
  uint32_t share = 64;
  uint32_t max = share * possible_cpus();
  run_config({"lru_hash/no_common_lru", spec(BPF_MAP_TYPE_LRU_HASH, 4, 8, max, BPF_F_NO_COMMON_LRU),
              small_u32_keys(share), random_values(8), false, true});
}

Bytes lpm_random_key(std::mt19937_64& rng, uint32_t data_size) {
  // Few distinct prefixes so that updates, deletes and lookups collide, all
  // prefix lengths (and one past the maximum).
  uint32_t max = data_size * 8;
  uint32_t plen = static_cast<uint32_t>(rng() % (max + 2));
  Bytes k(4 + data_size, 0);
  std::memcpy(k.data(), &plen, 4);
  uint8_t pattern = static_cast<uint8_t>(rng() % 4);
  for (uint32_t i = 0; i < data_size; ++i)
    k[4 + i] = static_cast<uint8_t>((pattern & 1 ? 0xc0 : 0x0a) ^ (pattern & 2 ? i * 17 : 0));
  // Flip a bit somewhere: neighbouring prefixes share parts of their path.
  if (rng() % 2) k[4 + rng() % data_size] ^= static_cast<uint8_t>(1u << (rng() % 8));
  return k;
}

TEST(KernelDiff, LpmTrieIpv4) {
  REQUIRE_KERNEL();
  run_config({"lpm_trie/ipv4", spec(BPF_MAP_TYPE_LPM_TRIE, 8, 8, 48, BPF_F_NO_PREALLOC),
              [](std::mt19937_64& rng) { return lpm_random_key(rng, 4); }, random_values(8), true,
              false, 6000});
}

TEST(KernelDiff, LpmTrieOneByteAndIpv6) {
  REQUIRE_KERNEL();
  run_config({"lpm_trie/1", spec(BPF_MAP_TYPE_LPM_TRIE, 5, 3, 300, BPF_F_NO_PREALLOC),
              [](std::mt19937_64& rng) { return lpm_random_key(rng, 1); }, random_values(3), true});
  run_config({"lpm_trie/ipv6", spec(BPF_MAP_TYPE_LPM_TRIE, 20, 4, 64, BPF_F_NO_PREALLOC),
              [](std::mt19937_64& rng) { return lpm_random_key(rng, 16); }, random_values(4),
              true});
}

TEST(KernelDiff, QueueAndStack) {
  REQUIRE_KERNEL();
  for (uint32_t type : {BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK})
    run_config({map_type_name(type), spec(type, 0, 8, 16), nullptr, random_values(8), false, true});
}

std::function<Bytes(std::mt19937_64&)> devmap_values(uint32_t vs) {
  return [vs](std::mt19937_64& rng) {
    static const uint32_t ifindexes[] = {0, 1, 1, 1, 424242};
    uint32_t ifindex = ifindexes[rng() % 5];
    Bytes v(vs);
    std::memcpy(v.data(), &ifindex, 4);
    if (vs == 8) {
      static const int fds[] = {-1, -1, 0, 9999};
      int fd = fds[rng() % 4];
      std::memcpy(v.data() + 4, &fd, 4);
    }
    return v;
  };
}

MapOptions host_devices() {
  MapOptions o;
  o.ifindex_exists = [](uint32_t ifindex) {
    char name[IF_NAMESIZE];
    return if_indextoname(ifindex, name) != nullptr;
  };
  return o;
}

TEST(KernelDiff, Devmap) {
  REQUIRE_KERNEL();
  for (uint32_t vs : {4u, 8u}) {
    Config c{"devmap/" + std::to_string(vs), spec(BPF_MAP_TYPE_DEVMAP, 4, vs, 8),
             small_u32_keys(10), devmap_values(vs), true};
    c.options = host_devices();
    run_config(c);
  }
}

TEST(KernelDiff, DevmapHash) {
  REQUIRE_KERNEL();
  auto keys = [](std::mt19937_64& rng) { return u32_key(static_cast<uint32_t>(rng() % 24) * 5); };
  Config c{"devmap_hash", spec(BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, 12), keys, devmap_values(4), true};
  c.options = host_devices();
  run_config(c);
}

TEST(KernelDiff, ProgArray) {
  REQUIRE_KERNEL();
  // Three XDP programs (r0 = 2; exit) stand for tail-call targets; the
  // resolver maps their fds to handles and ids the way the loader would.
  struct bpf_insn insns[2] = {};
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K;
  insns[0].imm = 2;
  insns[1].code = BPF_JMP | BPF_EXIT;
  std::vector<Fd> progs;
  std::map<uint32_t, ProgArray::Entry> by_fd;
  for (int i = 0; i < 3; ++i) {
    int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "target", "GPL", insns, 2, nullptr);
    if (fd < 0) GTEST_SKIP() << "SKIPPED: BPF_PROG_LOAD failed: " << strerror(errno);
    bpf_prog_info info{};
    uint32_t len = sizeof info;
    ASSERT_EQ(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
    by_fd[static_cast<uint32_t>(fd)] = {std::make_shared<int>(i), info.id};
    progs.emplace_back(fd);
  }
  std::vector<uint32_t> fds;
  for (auto& [fd, e] : by_fd) fds.push_back(fd);
  fds.push_back(987654);  // not an fd
  Config c{"prog_array", spec(BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 6), small_u32_keys(8),
           [fds](std::mt19937_64& rng) { return u32_key(fds[rng() % fds.size()]); }, true};
  LIBBPF_OPTS(bpf_map_create_opts, opts);
  Fd kfd(bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "diff", 4, 4, 6, &opts));
  ASSERT_GE(kfd.get(), 0);
  auto ours = create_map(c.spec, MapOptions{});
  ASSERT_TRUE(ours.ok());
  static_cast<ProgArray&>(**ours).set_resolver(
      [by_fd](uint32_t fd) -> std::optional<ProgArray::Entry> {
        auto it = by_fd.find(fd);
        if (it == by_fd.end()) return std::nullopt;
        return it->second;
      });
  Differ d(c, kfd.get(), *ours);
  d.run(7);
}

// ---- definitions ----------------------------------------------------------------

TEST(KernelDiff, CreateValidation) {
  REQUIRE_KERNEL();
  const uint32_t types[] = {BPF_MAP_TYPE_HASH,
                            BPF_MAP_TYPE_ARRAY,
                            BPF_MAP_TYPE_PROG_ARRAY,
                            BPF_MAP_TYPE_PERCPU_HASH,
                            BPF_MAP_TYPE_PERCPU_ARRAY,
                            BPF_MAP_TYPE_LRU_HASH,
                            BPF_MAP_TYPE_LRU_PERCPU_HASH,
                            BPF_MAP_TYPE_LPM_TRIE,
                            BPF_MAP_TYPE_DEVMAP,
                            BPF_MAP_TYPE_QUEUE,
                            BPF_MAP_TYPE_STACK,
                            BPF_MAP_TYPE_DEVMAP_HASH};
  const uint32_t key_sizes[] = {0, 1, 4, 5, 8, 260, 261};
  const uint32_t value_sizes[] = {0, 4, 8, 12, 32769};
  const uint32_t flag_sets[] = {0,
                                BPF_F_NO_PREALLOC,
                                BPF_F_NO_COMMON_LRU,
                                BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU,
                                BPF_F_NUMA_NODE,
                                BPF_F_RDONLY,
                                BPF_F_WRONLY,
                                BPF_F_RDONLY | BPF_F_WRONLY,
                                BPF_F_RDONLY_PROG,
                                BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG,
                                BPF_F_ZERO_SEED,
                                BPF_F_MMAPABLE,
                                BPF_F_PRESERVE_ELEMS,
                                BPF_F_INNER_MAP,
                                BPF_F_NO_PREALLOC | BPF_F_RDONLY_PROG,
                                1u << 13};
  const uint32_t max_entries[] = {0, 1, 7};
  MapOptions o;
  o.num_cpus = possible_cpus();
  int compared = 0;
  for (uint32_t t : types)
    for (uint32_t ks : key_sizes)
      for (uint32_t vs : value_sizes)
        for (uint32_t f : flag_sets)
          for (uint32_t max : max_entries) {
            auto s = spec(t, ks, vs, max, f, "v");
            LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = f);
            int fd = bpf_map_create(static_cast<bpf_map_type>(t), "v", ks, vs, max, &opts);
            long kr = fd < 0 ? -errno : 0;
            if (fd >= 0) close(fd);
            std::string why;
            long er = check_map_spec(s, o, &why);
            ASSERT_EQ(er, kr) << map_type_name(t) << " key_size " << ks << " value_size " << vs
                              << " flags " << std::hex << f << std::dec << " max_entries " << max
                              << ": " << why;
            ++compared;
          }
  // Limits that need large numbers (checked before Linux allocates anything).
  struct Big {
    uint32_t type, ks, vs, max, flags;
  } bigs[] = {{BPF_MAP_TYPE_HASH, 4, 8, (1u << 27) + 1, BPF_F_NO_PREALLOC},
              {BPF_MAP_TYPE_HASH, 4, 1u << 22, 1, BPF_F_NO_PREALLOC},
              {BPF_MAP_TYPE_HASH, (1u << 22) - 60, 8, 1, BPF_F_NO_PREALLOC},
              {BPF_MAP_TYPE_DEVMAP_HASH, 4, 4, (1u << 31) + 1, 0},
              {BPF_MAP_TYPE_QUEUE, 0, (1u << 22) + 1, 1, 0},
              {BPF_MAP_TYPE_LPM_TRIE, 8, (1u << 22), 1, BPF_F_NO_PREALLOC}};
  for (auto& b : bigs) {
    auto s = spec(b.type, b.ks, b.vs, b.max, b.flags, "v");
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = b.flags);
    int fd = bpf_map_create(static_cast<bpf_map_type>(b.type), "v", b.ks, b.vs, b.max, &opts);
    long kr = fd < 0 ? -errno : 0;
    if (fd >= 0) close(fd);
    std::string why;
    EXPECT_EQ(check_map_spec(s, o, &why), kr) << map_type_name(b.type) << " " << why;
    ++compared;
  }
  EXPECT_GT(compared, 1000);
}

}  // namespace
}  // namespace ebpfaas::maps
