// Maps with Linux semantics. Two views of every map:
//  - the program's view (helpers, the JIT's inlined fast paths): lookups return
//    a pointer into the map; thread-safe for several engines at once;
//  - the control plane's view (the bpf() syscall's semantics): values are
//    copied; a per-CPU map's value is every CPU's value, each rounded up to 8
//    bytes, one after the other.
// Errors are negative errno values, as Linux returns them to programs.
#pragma once

#include <cstdint>
#include <memory>

#include "ebpf/map_spec.h"
#include "support/error.h"

namespace ebpfaas::maps {

class Map {
 public:
  explicit Map(ebpf::MapSpec spec) : spec_(std::move(spec)) {}
  virtual ~Map() = default;
  Map(const Map&) = delete;
  Map& operator=(const Map&) = delete;

  const ebpf::MapSpec& spec() const { return spec_; }
  uint32_t type() const { return spec_.type; }
  uint32_t key_size() const { return spec_.key_size; }
  uint32_t value_size() const { return spec_.value_size; }
  uint32_t max_entries() const { return spec_.max_entries; }

  // ---- the program's view -----------------------------------------------------
  // The value for `key` (per-CPU maps: CPU `cpu`'s copy), or nullptr.
  virtual void* lookup(const void* key, uint32_t cpu) = 0;
  // flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST. 0 or -ENOENT, -EEXIST, -E2BIG, -EINVAL, -ENOMEM.
  virtual long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) = 0;
  virtual long erase(const void* key, uint32_t cpu) = 0;
  // Queue and stack maps; others answer -EINVAL (Linux: -ENOTSUPP / -EINVAL).
  virtual long push(const void* value, uint64_t flags);
  virtual long pop(void* value);
  virtual long peek(void* value);

  // ---- the control plane's view --------------------------------------------------
  uint32_t user_value_size() const;  // value_size, or round_up(value_size, 8) * CPUs
  virtual long user_lookup(const void* key, void* value) = 0;
  virtual long user_update(const void* key, const void* value, uint64_t flags) = 0;
  virtual long user_delete(const void* key) = 0;
  // The key after `key` (nullptr: the first key); -ENOENT after the last.
  virtual long next_key(const void* key, void* next) = 0;

  uint32_t num_cpus() const { return num_cpus_; }

 protected:
  ebpf::MapSpec spec_;
  uint32_t num_cpus_ = 1;
};

struct MapOptions {
  uint32_t num_cpus = 1;  // engines that may run programs using the map
};

// Validates the definition like Linux's map_alloc_check (sizes, flags,
// max_entries) and creates the map; errors name the map and the field.
Expected<std::shared_ptr<Map>> create_map(const ebpf::MapSpec& spec, const MapOptions& options);

}  // namespace ebpfaas::maps
