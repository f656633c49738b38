// BPF_MAP_TYPE_QUEUE (FIFO) and BPF_MAP_TYPE_STACK (LIFO): key_size 0, values
// in a ring of max_entries + 1 slots, as in Linux's queue_stack_maps.c.
// push with BPF_EXIST on a full map overwrites the oldest value (for both);
// without it a full map is -E2BIG; pop/peek on an empty map is -ENOENT. The
// control plane's lookup is peek, update is push, lookup-and-delete is pop.
#pragma once

#include <memory>
#include <vector>

#include "maps/map.h"
#include "maps/spin_lock.h"

namespace ebpfaas::maps {

class QueueStackMap final : public Map {
 public:
  static Expected<std::shared_ptr<QueueStackMap>> create(const ebpf::MapSpec& spec,
                                                         const MapOptions& options);
  bool is_stack() const { return stack_; }

  // Programs cannot look up, update or delete elements of these maps.
  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;
  long push(const void* value, uint64_t flags) override;
  long pop(void* value) override;
  long peek(void* value) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_user_lookup_and_delete(const void* key, void* value) override;
  long do_next_key(const void* key, void* next) override;

 private:
  QueueStackMap(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);
  long take(void* value, bool remove);

  bool stack_ = false;
  SpinLock lock_;
  uint32_t size_ = 0;  // slots: max_entries + 1 (one stays empty)
  uint32_t head_ = 0;  // next slot to write
  uint32_t tail_ = 0;  // oldest value
  std::vector<uint8_t> slots_;
};

}  // namespace ebpfaas::maps
