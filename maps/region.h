// Zeroed memory reserved with mmap: pages cost nothing until touched, which
// lets a map reserve its worst case (1M buckets, every CPU's values) up front
// and keep pointers into it stable for the map's life, as inlined lookups need.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ebpfaas::maps {

class Region {
 public:
  Region() = default;
  ~Region();
  Region(Region&& o) noexcept;
  Region& operator=(Region&& o) noexcept;
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  // Reserves `bytes` of zeroed memory; `huge_pages`: ask for 2 MiB pages (for
  // tables that will really be that large: a small map should not pay 2 MiB
  // for its first page). False if the address space is exhausted.
  bool reserve(size_t bytes, bool huge_pages = false);
  uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ebpfaas::maps
