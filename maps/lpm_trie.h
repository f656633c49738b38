// BPF_MAP_TYPE_LPM_TRIE: longest-prefix match over keys
// struct bpf_lpm_trie_key { u32 prefixlen; u8 data[key_size - 4]; }.
//
// The same path-compressed binary trie as Linux's kernel/bpf/lpm_trie.c, so
// that it answers every call the same way, including the order of
// get_next_key (post-order: more specific prefixes before the ones that
// contain them). Lookups walk the trie without locks; updates take one lock
// and publish new nodes with release stores; replaced and deleted nodes are
// freed after a QSBR grace period.
//
// Linux semantics: BPF_F_NO_PREALLOC is required; prefixlen > 8 * data bytes is
// -EINVAL on update and delete and finds nothing on lookup; delete is exact-match; BPF_NOEXIST on
// an existing prefix is -EEXIST, BPF_EXIST on a missing one -ENOENT; a full trie refuses new
// prefixes with -ENOSPC.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>

#include "maps/map.h"

namespace ebpfaas::maps {

class LpmTrie final : public Map {
 public:
  static Expected<std::shared_ptr<LpmTrie>> create(const ebpf::MapSpec& spec,
                                                   const MapOptions& options);
  ~LpmTrie() override;

  uint32_t data_size() const { return data_size_; }
  uint32_t max_prefixlen() const { return data_size_ * 8; }
  uint32_t count() const;

  void* lookup(const void* key, uint32_t cpu) override;
  long update(const void* key, const void* value, uint64_t flags, uint32_t cpu) override;
  long erase(const void* key, uint32_t cpu) override;

 protected:
  long do_user_lookup(const void* key, void* value) override;
  long do_user_update(const void* key, const void* value, uint64_t flags) override;
  long do_user_delete(const void* key) override;
  long do_next_key(const void* key, void* next) override;

 private:
  struct Node;
  LpmTrie(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr);

  Node* new_node(const void* value);
  uint8_t* value_of(Node* n) const;
  uint32_t match_len(const Node* node, const uint8_t* data, uint32_t prefixlen) const;
  Node* find_longest(const void* key) const;
  void retire(Node* n);

  uint32_t data_size_ = 0;
  uint32_t value_offset_ = 0;
  std::atomic<Node*> root_{nullptr};
  mutable std::mutex mu_;  // writers and the control plane's reads
  uint32_t entries_ = 0;
};

}  // namespace ebpfaas::maps
