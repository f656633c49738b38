#include "maps/prog_array.h"

#include <linux/bpf.h>

#include <cerrno>
#include <cstring>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

ProgArray::ProgArray(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus, false, qsbr) {}

ProgArray::~ProgArray() = default;

Expected<std::shared_ptr<ProgArray>> ProgArray::create(const ebpf::MapSpec& spec,
                                                       const MapOptions& options) {
  std::shared_ptr<ProgArray> m(new ProgArray(spec, options, domain_of(options)));
  try {
    m->slots_.reset(new std::atomic<const void*>[spec.max_entries]);
    m->entries_.resize(spec.max_entries);
  } catch (const std::bad_alloc&) {
    return errorf("map '{}': cannot allocate {} entries", spec.name, spec.max_entries);
  }
  for (uint32_t i = 0; i < spec.max_entries; ++i)
    m->slots_[i].store(nullptr, std::memory_order_relaxed);
  return m;
}

void ProgArray::release_later(Handle h) {
  // An engine may be about to tail-call the old program: drop our reference
  // only after every engine has passed a quiescent point.
  if (h) qsbr_->retire([h = std::move(h)]() mutable { h.reset(); });
}

long ProgArray::set(uint32_t index, Handle program, uint32_t id) {
  if (index >= spec_.max_entries) return -E2BIG;
  if (!program) return -EINVAL;
  Handle old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    slots_[index].store(program.get(), std::memory_order_release);
    old = std::move(entries_[index].program);
    entries_[index] = Entry{std::move(program), id};
  }
  release_later(std::move(old));
  return 0;
}

long ProgArray::clear(uint32_t index) {
  if (index >= spec_.max_entries) return -E2BIG;
  Handle old;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!entries_[index].program) return -ENOENT;
    slots_[index].store(nullptr, std::memory_order_release);
    old = std::move(entries_[index].program);
    entries_[index] = Entry{};
  }
  release_later(std::move(old));
  return 0;
}

void ProgArray::clear_all() {
  for (uint32_t i = 0; i < spec_.max_entries; ++i) clear(i);
}

ProgArray::Handle ProgArray::handle(uint32_t index) const {
  if (index >= spec_.max_entries) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  return entries_[index].program;
}

void ProgArray::set_resolver(Resolver resolver) {
  std::lock_guard<std::mutex> lock(mu_);
  resolver_ = std::move(resolver);
}

void* ProgArray::lookup(const void*, uint32_t) {
  return nullptr;
}
long ProgArray::update(const void*, const void*, uint64_t, uint32_t) {
  return -EINVAL;
}
long ProgArray::erase(const void*, uint32_t) {
  return -EINVAL;
}

long ProgArray::do_user_lookup(const void* key, void* value) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  if (index >= spec_.max_entries) return -ENOENT;
  std::lock_guard<std::mutex> lock(mu_);
  if (!entries_[index].program) return -ENOENT;
  std::memcpy(value, &entries_[index].id, 4);
  return 0;
}

long ProgArray::do_user_update(const void* key, const void* value, uint64_t flags) {
  uint32_t index, fd;
  std::memcpy(&index, key, 4);
  std::memcpy(&fd, value, 4);
  if (flags != BPF_ANY) return -EINVAL;
  if (index >= spec_.max_entries) return -E2BIG;
  Resolver resolver;
  {
    std::lock_guard<std::mutex> lock(mu_);
    resolver = resolver_;
  }
  if (!resolver) return -EBADF;
  std::optional<Entry> e = resolver(fd);
  if (!e || !e->program) return -EBADF;
  return set(index, std::move(e->program), e->id);
}

long ProgArray::do_user_delete(const void* key) {
  uint32_t index;
  std::memcpy(&index, key, 4);
  return clear(index);
}

long ProgArray::do_next_key(const void* key, void* next) {
  return array_next_key(key, next, spec_.max_entries);
}

}  // namespace ebpfaas::maps
