#include "maps/queue_stack.h"

#include <linux/bpf.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

QueueStackMap::QueueStackMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus, false, qsbr), stack_(spec.type == BPF_MAP_TYPE_STACK) {}

Expected<std::shared_ptr<QueueStackMap>> QueueStackMap::create(const ebpf::MapSpec& spec,
                                                               const MapOptions& options) {
  std::shared_ptr<QueueStackMap> m(new QueueStackMap(spec, options, domain_of(options)));
  m->size_ = spec.max_entries + 1;
  uint64_t bytes = uint64_t{m->size_} * spec.value_size;
  try {
    m->slots_.resize(bytes);
  } catch (const std::bad_alloc&) {
    return errorf("map '{}': cannot allocate {} bytes", spec.name, bytes);
  }
  return m;
}

void* QueueStackMap::lookup(const void*, uint32_t) {
  return nullptr;
}
long QueueStackMap::update(const void*, const void*, uint64_t, uint32_t) {
  return -EINVAL;
}
long QueueStackMap::erase(const void*, uint32_t) {
  return -EINVAL;
}

long QueueStackMap::push(const void* value, uint64_t flags) {
  if ((flags & BPF_NOEXIST) || flags > BPF_EXIST) return -EINVAL;
  std::lock_guard<SpinLock> lock(lock_);
  uint32_t next = head_ + 1 == size_ ? 0 : head_ + 1;
  if (next == tail_) {  // full
    if (!(flags & BPF_EXIST)) return -E2BIG;
    // Overwrite the oldest value.
    tail_ = tail_ + 1 == size_ ? 0 : tail_ + 1;
  }
  std::memcpy(&slots_[uint64_t{head_} * spec_.value_size], value, spec_.value_size);
  head_ = next;
  return 0;
}

long QueueStackMap::take(void* value, bool remove) {
  std::lock_guard<SpinLock> lock(lock_);
  if (head_ == tail_) return -ENOENT;
  uint32_t index;
  if (stack_) {
    index = head_ == 0 ? size_ - 1 : head_ - 1;
    if (remove) head_ = index;
  } else {
    index = tail_;
    if (remove) tail_ = tail_ + 1 == size_ ? 0 : tail_ + 1;
  }
  std::memcpy(value, &slots_[uint64_t{index} * spec_.value_size], spec_.value_size);
  return 0;
}

long QueueStackMap::pop(void* value) {
  return take(value, true);
}
long QueueStackMap::peek(void* value) {
  return take(value, false);
}

long QueueStackMap::do_user_lookup(const void*, void* value) {
  return peek(value);
}
long QueueStackMap::do_user_update(const void*, const void* value, uint64_t flags) {
  return push(value, flags);
}
long QueueStackMap::do_user_delete(const void*) {
  return -EINVAL;
}
long QueueStackMap::do_user_lookup_and_delete(const void*, void* value) {
  return pop(value);
}
long QueueStackMap::do_next_key(const void*, void*) {
  return -EINVAL;
}

}  // namespace ebpfaas::maps
