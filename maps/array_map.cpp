#include "maps/array_map.h"

#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

ArrayMap::ArrayMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus, spec.type == BPF_MAP_TYPE_PERCPU_ARRAY, qsbr) {}

Expected<std::shared_ptr<ArrayMap>> ArrayMap::create(const ebpf::MapSpec& spec,
                                                     const MapOptions& options) {
  std::shared_ptr<ArrayMap> map(new ArrayMap(spec, options, domain_of(options)));
  ArrayLayout& l = map->layout_;
  l.stride = round_up8(spec.value_size);
  l.max_entries = spec.max_entries;
  uint64_t block = uint64_t{spec.max_entries} * l.stride;
  uint32_t copies = 1;
  if (map->percpu_) {
    // Each CPU's values on pages of their own: engines never share a line.
    l.cpu_stride = (block + 4095) / 4096 * 4096;
    copies = map->num_cpus_;
  }
  uint64_t total = map->percpu_ ? l.cpu_stride * copies : block;
  if (!map->memory_.reserve(total, block >= (4u << 20)))
    return errorf("map '{}': cannot reserve {} bytes for {} entries", spec.name, total,
                  spec.max_entries);
  l.values = map->memory_.data();
  if (spec.global_data && !spec.initial_value.empty())
    std::memcpy(l.values, spec.initial_value.data(), spec.initial_value.size());
  return map;
}

void* ArrayMap::lookup(const void* key, uint32_t cpu) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  return value_at(index, percpu_ ? cpu : 0);
}

long ArrayMap::update(const void* key, const void* value, uint64_t flags, uint32_t cpu) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  if ((flags & ~uint64_t{BPF_F_LOCK}) > BPF_EXIST) return -EINVAL;
  if (index >= layout_.max_entries) return -E2BIG;  // all elements exist, none can be added
  if (flags & BPF_NOEXIST) return -EEXIST;
  if (flags & BPF_F_LOCK) return -EINVAL;  // no bpf_spin_lock in the value
  void* dst = value_at(index, percpu_ ? cpu : 0);
  if (!dst) return -EINVAL;
  std::memcpy(dst, value, spec_.value_size);
  return 0;
}

long ArrayMap::erase(const void*, uint32_t) {
  return -EINVAL;
}

long ArrayMap::do_user_lookup(const void* key, void* value) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  if (index >= layout_.max_entries) return -ENOENT;
  if (!percpu_) {
    std::memcpy(value, value_at(index, 0), spec_.value_size);
    return 0;
  }
  // Each CPU's value rounded up to 8 bytes, as bpf(2) copies them.
  auto* out = static_cast<uint8_t*>(value);
  for (uint32_t c = 0; c < num_cpus_; ++c)
    std::memcpy(out + c * layout_.stride, value_at(index, c), layout_.stride);
  return 0;
}

long ArrayMap::do_user_update(const void* key, const void* value, uint64_t flags) {
  if (!percpu_) return update(key, value, flags, 0);
  uint32_t index;
  std::memcpy(&index, key, 4);
  if (flags > BPF_EXIST) return -EINVAL;
  if (index >= layout_.max_entries) return -E2BIG;
  if (flags == BPF_NOEXIST) return -EEXIST;
  auto* in = static_cast<const uint8_t*>(value);
  for (uint32_t c = 0; c < num_cpus_; ++c)
    std::memcpy(value_at(index, c), in + c * layout_.stride, layout_.stride);
  return 0;
}

long ArrayMap::do_user_delete(const void*) {
  return -EINVAL;
}

long ArrayMap::do_next_key(const void* key, void* next) {
  return array_next_key(key, next, layout_.max_entries);
}

}  // namespace ebpfaas::maps
