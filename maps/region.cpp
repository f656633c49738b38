#include "maps/region.h"

#include <sys/mman.h>

#include <utility>

namespace ebpfaas::maps {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
}

Region::~Region() {
  if (data_) munmap(data_, size_);
}

Region::Region(Region&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)) {}

Region& Region::operator=(Region&& o) noexcept {
  if (this != &o) {
    if (data_) munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
  }
  return *this;
}

bool Region::reserve(size_t bytes, bool huge_pages) {
  if (bytes == 0) bytes = 1;
  size_t page = 4096;
  size_t size = (bytes + page - 1) / page * page;
  void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) return false;
  // Large tables are read at random: 2 MiB pages save a TLB miss per lookup.
  if (huge_pages && size >= kHugePage) madvise(p, size, MADV_HUGEPAGE);
  if (data_) munmap(data_, size_);
  data_ = static_cast<uint8_t*>(p);
  size_ = size;
  return true;
}

}  // namespace ebpfaas::maps
