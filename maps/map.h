// Maps with Linux semantics. Two views of every map:
//  - the program's view (helpers, the JIT's inlined fast paths): lookups return
//    a pointer into the map; thread-safe for several engines at once, lock-free
//    for lookups. A pointer stays valid until the engine's next quiescent point
//    (support/qsbr.h), like a pointer inside an RCU read-side section in Linux;
//  - the control plane's view (the bpf() syscall's semantics): values are
//    copied; a per-CPU map's value is every CPU's value, each rounded up to 8
//    bytes, one after the other.
// Errors are negative errno values, as Linux returns them to programs and from
// bpf(2).
//
// Type-specific extensions live beside this header: array_map.h (value layout
// for inlined array lookups), hash_layout.h (the hash fast path), prog_array.h
// (tail-call targets), devmap.h (redirect targets), lpm_trie.h, queue_stack.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "ebpf/map_spec.h"
#include "support/error.h"

namespace ebpfaas {
class QsbrDomain;
}

namespace ebpfaas::maps {

// Linux's kernel-internal ENOTSUPP, which bpf(2) returns for unsupported
// operations (lookup-and-delete on an array, ...).
inline constexpr long kENOTSUPP = 524;

class Map {
 public:
  virtual ~Map() = default;
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  const ebpf::MapSpec& spec() const { return spec_; }
  const std::string& name() const { return spec_.name; }
  uint32_t type() const { return spec_.type; }
  uint32_t key_size() const { return spec_.key_size; }
  uint32_t value_size() const { return spec_.value_size; }
  // As Linux reports it (an LRU map with BPF_F_NO_COMMON_LRU rounds it up to a
  // multiple of the CPUs).
  uint32_t max_entries() const { return spec_.max_entries; }
  uint32_t flags() const { return spec_.flags; }
  uint32_t num_cpus() const { return num_cpus_; }
  bool percpu() const { return percpu_; }

  // ---- the program's view -----------------------------------------------------
  // The value for `key` (per-CPU maps: CPU `cpu`'s copy), or nullptr.
  virtual void* lookup(const void* key, uint32_t cpu) = 0;
  // flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST. 0 or -ENOENT, -EEXIST, -E2BIG, -EINVAL, -ENOMEM.
  // Per-CPU maps write CPU `cpu`'s copy (a new element's other copies are zeroed).
  virtual long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) = 0;
  virtual long erase(const void* key, uint32_t cpu) = 0;
  // Queue and stack maps; others answer -EINVAL (the verifier rejects such calls).
  virtual long push(const void* value, uint64_t flags);
  virtual long pop(void* value);
  virtual long peek(void* value);

  // ---- the control plane's view (bpf(2)) -----------------------------------------
  // Size of the value buffer the calls below use: value_size, or
  // round_up(value_size, 8) * num_cpus() for per-CPU maps.
  uint32_t user_value_size() const;
  // BPF_MAP_LOOKUP_ELEM (queue/stack: peek, key ignored).
  long user_lookup(const void* key, void* value);
  // BPF_MAP_UPDATE_ELEM (queue/stack: push).
  long user_update(const void* key, const void* value, uint64_t flags);
  // BPF_MAP_DELETE_ELEM.
  long user_delete(const void* key);
  // BPF_MAP_LOOKUP_AND_DELETE_ELEM: queue/stack pop, hash maps; others -ENOTSUPP.
  long user_lookup_and_delete(const void* key, void* value);
  // BPF_MAP_GET_NEXT_KEY: the key after `key` (nullptr, or a key not in the
  // map: the first key); -ENOENT after the last.
  long next_key(const void* key, void* next);
  // BPF_MAP_FREEZE: the control plane may no longer write (-EPERM), programs
  // still may unless BPF_F_RDONLY_PROG. -EBUSY when already frozen.
  long freeze();
  bool frozen() const { return frozen_.load(std::memory_order_acquire); }

 protected:
  Map(ebpf::MapSpec spec, uint32_t num_cpus, bool percpu, QsbrDomain& qsbr);
  // One CPU, the global QSBR domain (test doubles).
  explicit Map(ebpf::MapSpec spec);

  virtual long do_user_lookup(const void* key, void* value) = 0;
  virtual long do_user_update(const void* key, const void* value, uint64_t flags) = 0;
  virtual long do_user_delete(const void* key) = 0;
  virtual long do_user_lookup_and_delete(const void* key, void* value);
  virtual long do_next_key(const void* key, void* next) = 0;

  ebpf::MapSpec spec_;
  uint32_t num_cpus_ = 1;
  bool percpu_ = false;
  QsbrDomain* qsbr_;
  std::atomic<bool> frozen_{false};
};

struct MapOptions {
  uint32_t num_cpus = 1;  // engines that may run programs using the map
  // Where replaced and deleted elements wait for readers; nullptr: the global
  // domain. Must outlive the map.
  QsbrDomain* qsbr = nullptr;
  // devmap/devmap_hash: does this ifindex exist? Linux refuses entries for
  // unknown devices with -EINVAL. Unset: every non-zero ifindex is accepted.
  std::function<bool(uint32_t ifindex)> ifindex_exists;
};

// Checks a definition like Linux's map_create/map_alloc_check. Returns 0 or the
// negative errno Linux returns for it (-EINVAL, -E2BIG, -ENOTSUPP, -EPERM);
// `why` (if given) names the map and the field.
long check_map_spec(const ebpf::MapSpec& spec, const MapOptions& options, std::string* why);

// Validates the definition (check_map_spec) and creates the map; errors name
// the map and the field.
Expected<std::shared_ptr<Map>> create_map(const ebpf::MapSpec& spec, const MapOptions& options);

// The name of a BPF_MAP_TYPE_* value ("hash", "lpm_trie", ...), or "type N".
std::string map_type_name(uint32_t type);

}  // namespace ebpfaas::maps
