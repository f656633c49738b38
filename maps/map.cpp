#include "maps/map.h"

#include <linux/bpf.h>

#include <cerrno>
#include <climits>

#include "maps/array_map.h"
#include "maps/devmap.h"
#include "maps/hash_map.h"
#include "maps/lpm_trie.h"
#include "maps/map_internal.h"
#include "maps/prog_array.h"
#include "maps/queue_stack.h"

namespace ebpfaas::maps {

namespace {

// Linux's limits (x86-64): kmalloc's largest object, the per-CPU allocator's
// unit, the sizes of struct htab_elem and struct lpm_trie_node.
constexpr uint64_t kKmallocMaxSize = uint64_t{1} << 22;
constexpr uint32_t kPcpuMinUnitSize = 32 << 10;
constexpr uint64_t kHtabElemSize = 48;
constexpr uint64_t kLpmNodeSize = 24;
constexpr uint32_t kMaxCpus = 4096;

constexpr uint32_t kAccessMask =
    BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
constexpr uint32_t kArrayFlags =
    BPF_F_NUMA_NODE | BPF_F_MMAPABLE | kAccessMask | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
constexpr uint32_t kHashFlags =
    BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | kAccessMask | BPF_F_ZERO_SEED;
constexpr uint32_t kLpmFlags = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | kAccessMask;
constexpr uint32_t kQueueStackFlags = BPF_F_NUMA_NODE | kAccessMask;
constexpr uint32_t kDevmapFlags = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

const char* errno_name(long err) {
  switch (-err) {
    case EINVAL:
      return "EINVAL";
    case E2BIG:
      return "E2BIG";
    case EPERM:
      return "EPERM";
    case ENOMEM:
      return "ENOMEM";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case kENOTSUPP:
      return "ENOTSUPP";
    default:
      return "error";
  }
}

bool prog_access_ok(uint32_t flags) {
  return (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !=
         (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
}

class Checker {
 public:
  Checker(const ebpf::MapSpec& s, std::string* why) : s_(s), why_(why) {}
  long fail(long err, const std::string& what) {
    if (why_)
      *why_ = fmt::format("map '{}' ({}): {} ({})", s_.name, map_type_name(s_.type), what,
                          errno_name(err));
    return err;
  }
  long flags(uint32_t allowed) {
    if (s_.flags & ~allowed)
      return fail(-EINVAL, fmt::format("map_flags {:#x}: {:#x} not allowed for this type", s_.flags,
                                       s_.flags & ~allowed));
    if (!prog_access_ok(s_.flags))
      return fail(-EINVAL, "map_flags: BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG together");
    return 0;
  }
  long nonzero(uint32_t v, const char* field) {
    return v == 0 ? fail(-EINVAL, fmt::format("{} is 0", field)) : 0;
  }

 private:
  const ebpf::MapSpec& s_;
  std::string* why_;
};

#define CHECK(expr)                  \
  do {                               \
    if (long e_ = (expr)) return e_; \
  } while (0)

long check_array_like(Checker& c, const ebpf::MapSpec& s) {
  bool percpu = s.type == BPF_MAP_TYPE_PERCPU_ARRAY;
  CHECK(c.nonzero(s.max_entries, "max_entries"));
  if (s.key_size != 4)
    return c.fail(-EINVAL, fmt::format("key_size {}: array maps need 4-byte keys", s.key_size));
  CHECK(c.nonzero(s.value_size, "value_size"));
  CHECK(c.flags(kArrayFlags));
  if (percpu && (s.flags & BPF_F_NUMA_NODE))
    return c.fail(-EINVAL, "map_flags: BPF_F_NUMA_NODE on a per-CPU map");
  if (s.type != BPF_MAP_TYPE_ARRAY && (s.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)))
    return c.fail(-EINVAL, "map_flags: BPF_F_MMAPABLE/BPF_F_INNER_MAP only for plain arrays");
  if (s.flags & BPF_F_PRESERVE_ELEMS)
    return c.fail(-EINVAL, "map_flags: BPF_F_PRESERVE_ELEMS only for perf event arrays");
  if (s.value_size > INT_MAX)
    return c.fail(-E2BIG, fmt::format("value_size {} too large", s.value_size));
  if (percpu && round_up8(s.value_size) > kPcpuMinUnitSize)
    return c.fail(-E2BIG, fmt::format("value_size {}: per-CPU values are at most {} bytes",
                                      s.value_size, kPcpuMinUnitSize));
  return 0;
}

long check_hash(Checker& c, const ebpf::MapSpec& s, uint32_t num_cpus) {
  bool percpu = s.type == BPF_MAP_TYPE_PERCPU_HASH || s.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  bool lru = s.type == BPF_MAP_TYPE_LRU_HASH || s.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  bool percpu_lru = s.flags & BPF_F_NO_COMMON_LRU;
  bool prealloc = !(s.flags & BPF_F_NO_PREALLOC);
  CHECK(c.flags(kHashFlags));
  if (!lru && percpu_lru)
    return c.fail(-EINVAL, "map_flags: BPF_F_NO_COMMON_LRU only for LRU maps");
  if (lru && !prealloc)
    return c.fail(-kENOTSUPP, "map_flags: LRU maps cannot have BPF_F_NO_PREALLOC");
  if ((s.flags & BPF_F_NUMA_NODE) && (percpu || percpu_lru))
    return c.fail(-EINVAL, "map_flags: BPF_F_NUMA_NODE on a per-CPU map");
  CHECK(c.nonzero(s.max_entries, "max_entries"));
  CHECK(c.nonzero(s.key_size, "key_size"));
  CHECK(c.nonzero(s.value_size, "value_size"));
  if (uint64_t{s.key_size} + s.value_size >= kKmallocMaxSize - kHtabElemSize)
    return c.fail(-E2BIG,
                  fmt::format("key_size {} + value_size {} too large", s.key_size, s.value_size));
  if (percpu && round_up8(s.value_size) > kPcpuMinUnitSize)
    return c.fail(-E2BIG, fmt::format("value_size {}: per-CPU values are at most {} bytes",
                                      s.value_size, kPcpuMinUnitSize));
  uint64_t entries = s.max_entries;
  if (percpu_lru) {
    uint64_t up = (entries + num_cpus - 1) / num_cpus * num_cpus;
    entries = up > UINT32_MAX ? entries / num_cpus * num_cpus : up;
  }
  // Linux's bucket array (16-byte buckets, a power of two) must stay under 4 GiB.
  if (entries > (1u << 31) || roundup_pow2(entries) > UINT32_MAX / 16)
    return c.fail(-E2BIG, fmt::format("max_entries {} too large", s.max_entries));
  return 0;
}

long check_lpm(Checker& c, const ebpf::MapSpec& s) {
  CHECK(c.nonzero(s.max_entries, "max_entries"));
  if (!(s.flags & BPF_F_NO_PREALLOC))
    return c.fail(-EINVAL, "map_flags: lpm_trie maps need BPF_F_NO_PREALLOC");
  CHECK(c.flags(kLpmFlags));
  if (s.key_size < 4 + 1 || s.key_size > 4 + 256)
    return c.fail(
        -EINVAL, fmt::format("key_size {}: must be 4 (prefixlen) + 1..256 data bytes", s.key_size));
  if (s.value_size < 1 || s.value_size > kKmallocMaxSize - 256 - kLpmNodeSize)
    return c.fail(-EINVAL, fmt::format("value_size {} out of range", s.value_size));
  return 0;
}

long check_queue_stack(Checker& c, const ebpf::MapSpec& s) {
  CHECK(c.nonzero(s.max_entries, "max_entries"));
  if (s.key_size != 0)
    return c.fail(-EINVAL,
                  fmt::format("key_size {}: queue and stack maps have no key (0)", s.key_size));
  CHECK(c.nonzero(s.value_size, "value_size"));
  CHECK(c.flags(kQueueStackFlags));
  if (s.value_size > kKmallocMaxSize)
    return c.fail(-E2BIG, fmt::format("value_size {} too large", s.value_size));
  return 0;
}

long check_devmap(Checker& c, const ebpf::MapSpec& s) {
  CHECK(c.nonzero(s.max_entries, "max_entries"));
  if (s.key_size != 4)
    return c.fail(-EINVAL, fmt::format("key_size {}: devmap keys are 4 bytes", s.key_size));
  if (s.value_size != 4 && s.value_size != 8)
    return c.fail(-EINVAL,
                  fmt::format("value_size {}: devmap values are a 4-byte ifindex or an 8-byte "
                              "struct bpf_devmap_val",
                              s.value_size));
  if (s.flags & ~kDevmapFlags)
    return c.fail(-EINVAL, fmt::format("map_flags {:#x}: {:#x} not allowed for devmaps", s.flags,
                                       s.flags & ~kDevmapFlags));
  if (s.type == BPF_MAP_TYPE_DEVMAP_HASH && s.max_entries > (1u << 31))
    return c.fail(-EINVAL, fmt::format("max_entries {} too large", s.max_entries));
  return 0;
}

}  // namespace

std::string map_type_name(uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_HASH:
      return "hash";
    case BPF_MAP_TYPE_ARRAY:
      return "array";
    case BPF_MAP_TYPE_PROG_ARRAY:
      return "prog_array";
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return "perf_event_array";
    case BPF_MAP_TYPE_PERCPU_HASH:
      return "percpu_hash";
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return "percpu_array";
    case BPF_MAP_TYPE_STACK_TRACE:
      return "stack_trace";
    case BPF_MAP_TYPE_CGROUP_ARRAY:
      return "cgroup_array";
    case BPF_MAP_TYPE_LRU_HASH:
      return "lru_hash";
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return "lru_percpu_hash";
    case BPF_MAP_TYPE_LPM_TRIE:
      return "lpm_trie";
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return "array_of_maps";
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return "hash_of_maps";
    case BPF_MAP_TYPE_DEVMAP:
      return "devmap";
    case BPF_MAP_TYPE_SOCKMAP:
      return "sockmap";
    case BPF_MAP_TYPE_CPUMAP:
      return "cpumap";
    case BPF_MAP_TYPE_XSKMAP:
      return "xskmap";
    case BPF_MAP_TYPE_SOCKHASH:
      return "sockhash";
    case BPF_MAP_TYPE_QUEUE:
      return "queue";
    case BPF_MAP_TYPE_STACK:
      return "stack";
    case BPF_MAP_TYPE_SK_STORAGE:
      return "sk_storage";
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return "devmap_hash";
    case BPF_MAP_TYPE_STRUCT_OPS:
      return "struct_ops";
    case BPF_MAP_TYPE_RINGBUF:
      return "ringbuf";
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return "bloom_filter";
    default:
      return fmt::format("type {}", type);
  }
}

long check_map_spec(const ebpf::MapSpec& s, const MapOptions& options, std::string* why) {
  Checker c(s, why);
  if (options.num_cpus == 0 || options.num_cpus > kMaxCpus)
    return c.fail(-EINVAL, fmt::format("num_cpus {}: must be 1..{}", options.num_cpus, kMaxCpus));
  if ((s.flags & BPF_F_RDONLY) && (s.flags & BPF_F_WRONLY))
    return c.fail(-EINVAL, "map_flags: BPF_F_RDONLY and BPF_F_WRONLY together");
  if (s.global_data) {
    if (s.type != BPF_MAP_TYPE_ARRAY) return c.fail(-EINVAL, "global data must be an array map");
    if (s.max_entries != 1)
      return c.fail(-EINVAL,
                    fmt::format("max_entries {}: global data has one entry", s.max_entries));
    if (s.initial_value.size() > s.value_size)
      return c.fail(-EINVAL, fmt::format("initial value of {} bytes exceeds value_size {}",
                                         s.initial_value.size(), s.value_size));
  } else if (!s.initial_value.empty()) {
    return c.fail(-EINVAL, "an initial value is only for global data");
  }
  switch (s.type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return check_array_like(c, s);
    case BPF_MAP_TYPE_PROG_ARRAY:
      if (s.value_size != 4)
        return c.fail(-EINVAL, fmt::format("value_size {}: prog_array values are 4-byte program "
                                           "fds",
                                           s.value_size));
      if (s.flags & BPF_F_MMAPABLE) return c.fail(-EINVAL, "map_flags: BPF_F_MMAPABLE");
      // Linux: "Program read-only/write-only not supported for special maps yet."
      if (s.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))
        return c.fail(-EINVAL, "map_flags: BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG on a prog_array");
      return check_array_like(c, s);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return check_hash(c, s, options.num_cpus);
    case BPF_MAP_TYPE_LPM_TRIE:
      return check_lpm(c, s);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return check_queue_stack(c, s);
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return check_devmap(c, s);
    default:
      if (s.type == BPF_MAP_TYPE_UNSPEC ||
          s.type > 33 /* BPF_MAP_TYPE_ARENA, the last in Linux 6.18 */)
        return c.fail(-EINVAL, fmt::format("type {}: no such map type", s.type));
      return c.fail(-EOPNOTSUPP, "this map type is not supported by ebpfaas");
  }
}

#undef CHECK

Expected<std::shared_ptr<Map>> create_map(const ebpf::MapSpec& spec, const MapOptions& options) {
  std::string why;
  if (check_map_spec(spec, options, &why) != 0) return Error(why);
  auto up = [](auto r) -> Expected<std::shared_ptr<Map>> {
    if (!r) return r.error();
    return std::shared_ptr<Map>(std::move(*r));
  };
  switch (spec.type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return up(ArrayMap::create(spec, options));
    case BPF_MAP_TYPE_PROG_ARRAY:
      return up(ProgArray::create(spec, options));
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return up(HashMap::create(spec, options));
    case BPF_MAP_TYPE_LPM_TRIE:
      return up(LpmTrie::create(spec, options));
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return up(QueueStackMap::create(spec, options));
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return up(DevMap::create(spec, options));
    default:
      return errorf("map '{}': type {} not supported", spec.name, spec.type);
  }
}

// ---- Map ----------------------------------------------------------------------------

Map::Map(ebpf::MapSpec spec, uint32_t num_cpus, bool percpu, QsbrDomain& qsbr)
    : spec_(std::move(spec)), num_cpus_(num_cpus), percpu_(percpu), qsbr_(&qsbr) {}

Map::Map(ebpf::MapSpec spec) : Map(std::move(spec), 1, false, QsbrDomain::global()) {}

long Map::push(const void*, uint64_t) {
  return -EINVAL;
}
long Map::pop(void*) {
  return -EINVAL;
}
long Map::peek(void*) {
  return -EINVAL;
}

uint32_t Map::user_value_size() const {
  return percpu_ ? round_up8(spec_.value_size) * num_cpus_ : spec_.value_size;
}

// Permissions as bpf(2) derives them from the map's fd: BPF_F_RDONLY and a
// frozen map refuse writes, BPF_F_WRONLY refuses reads.
long Map::user_lookup(const void* key, void* value) {
  if (spec_.flags & BPF_F_WRONLY) return -EPERM;
  return do_user_lookup(key, value);
}

long Map::user_update(const void* key, const void* value, uint64_t flags) {
  if ((spec_.flags & BPF_F_RDONLY) || frozen()) return -EPERM;
  if (flags & BPF_F_LOCK) return -EINVAL;  // no value has a bpf_spin_lock
  return do_user_update(key, value, flags);
}

long Map::user_delete(const void* key) {
  if ((spec_.flags & BPF_F_RDONLY) || frozen()) return -EPERM;
  return do_user_delete(key);
}

long Map::user_lookup_and_delete(const void* key, void* value) {
  if ((spec_.flags & (BPF_F_RDONLY | BPF_F_WRONLY)) || frozen()) return -EPERM;
  return do_user_lookup_and_delete(key, value);
}

long Map::do_user_lookup_and_delete(const void*, void*) {
  return -kENOTSUPP;
}

long Map::next_key(const void* key, void* next) {
  if (spec_.flags & BPF_F_WRONLY) return -EPERM;
  return do_next_key(key, next);
}

long Map::freeze() {
  if ((spec_.flags & BPF_F_RDONLY)) return -EPERM;
  bool expected = false;
  if (!frozen_.compare_exchange_strong(expected, true, std::memory_order_acq_rel)) return -EBUSY;
  return 0;
}

}  // namespace ebpfaas::maps
