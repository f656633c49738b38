// BPF_MAP_TYPE_PROG_ARRAY: the targets of bpf_tail_call. Entries are programs
// held as type-erased shared handles (the VM stores its Program there), so
// maps/ does not depend on vm/.
//
//  - get(index): the tail-call helper's lock-free read; the pointer stays
//    valid until the engine's next quiescent point, even if the entry is
//    replaced meanwhile (the old handle is released after a grace period);
//  - set()/clear(): the control plane's API;
//  - bpf(2) view: update takes a u32 "program fd" that a resolver (installed
//    by whoever owns programs) turns into a handle and an id, only BPF_ANY;
//    lookup returns the id; delete clears. Programs cannot update or delete
//    entries (the verifier only lets them tail-call).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "maps/map.h"

namespace ebpfaas::maps {

class ProgArray final : public Map {
 public:
  using Handle = std::shared_ptr<const void>;
  struct Entry {
    Handle program;
    uint32_t id = 0;  // what bpf(2) lookups return (Linux: the program's id)
  };
  // Resolves the u32 a control-plane update carries; nullopt: -EBADF.
  using Resolver = std::function<std::optional<Entry>(uint32_t fd)>;

  static Expected<std::shared_ptr<ProgArray>> create(const ebpf::MapSpec& spec,
                                                     const MapOptions& options);
  ~ProgArray() override;

  // The program at `index`, or nullptr.
  const void* get(uint32_t index) const {
    return index < spec_.max_entries ? slots_[index].load(std::memory_order_acquire) : nullptr;
  }
  // 0, or -E2BIG for an index out of range, -EINVAL for a null program.
  long set(uint32_t index, Handle program, uint32_t id = 0);
  // 0, -E2BIG out of range, -ENOENT when already empty.
  long clear(uint32_t index);
  // The handle at `index` (control plane), or null.
  Handle handle(uint32_t index) const;
  // Clears every entry (Linux does so when the last user reference goes).
  void clear_all();
  void set_resolver(Resolver resolver);

  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_next_key(const void* key, void* next) override;

 private:
  ProgArray(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);
  void release_later(Handle h);

  std::unique_ptr<std::atomic<const void*>[]> slots_;
  mutable std::mutex mu_;
  std::vector<Entry> entries_;  // owners of what slots_ points to
  Resolver resolver_;
};

}  // namespace ebpfaas::maps
