// BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (and global data, a
// single-entry array). Values live at a fixed stride in memory that never
// moves, so a JIT can inline a lookup from layout():
//
//   idx < max_entries ? values + cpu * cpu_stride + idx * stride : NULL
//
// (cpu_stride is 0 for a shared array). Like Linux, updates copy in place:
// concurrent readers may see a value half-written, and a program's pointer
// stays valid for the map's life.
#pragma once

#include "maps/map.h"
#include "maps/region.h"

namespace ebpfaas::maps {

struct ArrayLayout {
  uint8_t* values = nullptr;  // CPU 0's values (a shared array: the only copy)
  uint64_t cpu_stride = 0;    // bytes from CPU c's values to CPU c+1's; 0 if shared
  uint32_t stride = 0;        // bytes between values: round_up(value_size, 8)
  uint32_t max_entries = 0;
};

class ArrayMap final : public Map {
 public:
  static Expected<std::shared_ptr<ArrayMap>> create(const ebpf::MapSpec& spec,
                                                    const MapOptions& options);

  const ArrayLayout& layout() const { return layout_; }
  void* value_at(uint32_t index, uint32_t cpu) const {
    if (index >= layout_.max_entries || cpu >= num_cpus_) return nullptr;
    return layout_.values + cpu * layout_.cpu_stride + uint64_t{index} * layout_.stride;
  }

  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_next_key(const void* key, void* next) override;

 private:
  ArrayMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);
  Region memory_;
  ArrayLayout layout_;
};

}  // namespace ebpfaas::maps
