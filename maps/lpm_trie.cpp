#include "maps/lpm_trie.h"

#include <linux/bpf.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "maps/map_internal.h"

namespace ebpfaas::maps {

namespace {
constexpr uint32_t kIntermediate = 1;  // LPM_TREE_NODE_FLAG_IM: no value, exactly two children

inline bool bit_at(const uint8_t* data, uint32_t index) {
  return (data[index / 8] >> (7 - index % 8)) & 1;
}

uint32_t key_prefixlen(const void* key) {
  uint32_t p;
  std::memcpy(&p, key, 4);
  return p;
}
const uint8_t* key_data(const void* key) {
  return static_cast<const uint8_t*>(key) + 4;
}
}  // namespace

struct LpmTrie::Node {
  std::atomic<Node*> child[2];
  uint32_t prefixlen;
  std::atomic<uint32_t> flags;  // set to kIntermediate in place when a node with two children goes
  uint8_t data[];               // data_size bytes, then the value at value_offset_
};

LpmTrie::LpmTrie(const ebpf::MapSpec& spec, const MapOptions& options, QsbrDomain& qsbr)
    : Map(spec, options.num_cpus, false, qsbr) {}

Expected<std::shared_ptr<LpmTrie>> LpmTrie::create(const ebpf::MapSpec& spec,
                                                   const MapOptions& options) {
  std::shared_ptr<LpmTrie> t(new LpmTrie(spec, options, domain_of(options)));
  t->data_size_ = spec.key_size - 4;
  // Values 8-byte aligned (Linux packs them right after the data).
  t->value_offset_ = round_up8(static_cast<uint32_t>(sizeof(Node)) + t->data_size_);
  return t;
}

LpmTrie::~LpmTrie() {
  // No reader is left: free the whole tree now.
  std::vector<Node*> stack;
  if (Node* r = root_.load(std::memory_order_relaxed)) stack.push_back(r);
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& c : n->child)
      if (Node* k = c.load(std::memory_order_relaxed)) stack.push_back(k);
    std::free(n);
  }
}

uint32_t LpmTrie::count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

LpmTrie::Node* LpmTrie::new_node(const void* value) {
  size_t size = value_offset_ + spec_.value_size;
  auto* n = static_cast<Node*>(std::aligned_alloc(8, round_up8(static_cast<uint32_t>(size))));
  if (!n) return nullptr;
  std::memset(static_cast<void*>(n), 0, size);
  n->child[0].store(nullptr, std::memory_order_relaxed);
  n->child[1].store(nullptr, std::memory_order_relaxed);
  n->flags.store(0, std::memory_order_relaxed);
  if (value) std::memcpy(value_of(n), value, spec_.value_size);
  return n;
}

uint8_t* LpmTrie::value_of(Node* n) const {
  return reinterpret_cast<uint8_t*>(n) + value_offset_;
}

void LpmTrie::retire(Node* n) {
  if (n) qsbr_->retire(n, [](void* p) { std::free(p); });
}

// Leading bits that `node`'s prefix and the key share, up to the shorter of
// the two prefix lengths (Linux's longest_prefix_match).
uint32_t LpmTrie::match_len(const Node* node, const uint8_t* data, uint32_t prefixlen) const {
  uint32_t limit = node->prefixlen < prefixlen ? node->prefixlen : prefixlen;
  uint32_t len = 0;
  uint32_t i = 0;
  while (len < limit && i + 8 <= data_size_) {
    uint64_t a, b;
    std::memcpy(&a, node->data + i, 8);
    std::memcpy(&b, data + i, 8);
    uint64_t diff = __builtin_bswap64(a ^ b);
    if (diff) {
      len += static_cast<uint32_t>(__builtin_clzll(diff));
      return len < limit ? len : limit;
    }
    len += 64;
    i += 8;
  }
  while (len < limit && i < data_size_) {
    uint8_t diff = node->data[i] ^ data[i];
    if (diff) {
      len += static_cast<uint32_t>(__builtin_clz(diff)) - 24;
      return len < limit ? len : limit;
    }
    len += 8;
    ++i;
  }
  return len < limit ? len : limit;
}

LpmTrie::Node* LpmTrie::find_longest(const void* key) const {
  const uint8_t* data = key_data(key);
  uint32_t prefixlen = key_prefixlen(key);
  uint32_t max = max_prefixlen();
  if (prefixlen > max) return nullptr;  // as Linux's trie_lookup_elem
  Node* found = nullptr;
  for (Node* node = root_.load(std::memory_order_acquire); node;) {
    uint32_t m = match_len(node, data, prefixlen);
    if (m == max) return node;  // an exact full-length match cannot be beaten
    if (m < node->prefixlen) break;
    if (!(node->flags.load(std::memory_order_relaxed) & kIntermediate)) found = node;
    node = node->child[bit_at(data, node->prefixlen)].load(std::memory_order_acquire);
  }
  return found;
}

void* LpmTrie::lookup(const void* key, uint32_t) {
  Node* n = find_longest(key);
  return n ? value_of(n) : nullptr;
}

long LpmTrie::do_user_lookup(const void* key, void* value) {
  std::lock_guard<std::mutex> lock(mu_);
  Node* n = find_longest(key);
  if (!n) return -ENOENT;
  std::memcpy(value, value_of(n), spec_.value_size);
  return 0;
}

long LpmTrie::update(const void* key, const void* value, uint64_t flags, uint32_t) {
  if (flags > BPF_EXIST) return -EINVAL;
  uint32_t prefixlen = key_prefixlen(key);
  const uint8_t* data = key_data(key);
  if (prefixlen > max_prefixlen()) return -EINVAL;
  Node* fresh = new_node(value);
  if (!fresh) return -ENOMEM;
  fresh->prefixlen = prefixlen;
  std::memcpy(fresh->data, data, data_size_);

  std::lock_guard<std::mutex> lock(mu_);
  auto check_add = [&]() -> long {
    if (flags == BPF_EXIST) return -ENOENT;
    if (entries_ == spec_.max_entries) return -ENOSPC;
    ++entries_;
    return 0;
  };
  auto fail = [&](long err) {
    std::free(fresh);
    return err;
  };
  // Find the slot to attach the new node to.
  std::atomic<Node*>* slot = &root_;
  Node* node;
  uint32_t m = 0;
  while ((node = slot->load(std::memory_order_relaxed))) {
    m = match_len(node, data, prefixlen);
    if (node->prefixlen != m || node->prefixlen == prefixlen) break;
    slot = &node->child[bit_at(data, node->prefixlen)];
  }
  if (!node) {
    if (long err = check_add()) return fail(err);
    slot->store(fresh, std::memory_order_release);
    return 0;
  }
  if (node->prefixlen == m) {
    // Same prefix: replace the node (an intermediate one becomes an entry).
    if (!(node->flags.load(std::memory_order_relaxed) & kIntermediate)) {
      if (flags == BPF_NOEXIST) return fail(-EEXIST);
    } else if (long err = check_add()) {
      return fail(err);
    }
    fresh->child[0].store(node->child[0].load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
    fresh->child[1].store(node->child[1].load(std::memory_order_relaxed),
                          std::memory_order_relaxed);
    slot->store(fresh, std::memory_order_release);
    retire(node);
    return 0;
  }
  if (long err = check_add()) return fail(err);
  if (m == prefixlen) {
    // The new prefix contains node's: insert it above.
    fresh->child[bit_at(node->data, m)].store(node, std::memory_order_relaxed);
    slot->store(fresh, std::memory_order_release);
    return 0;
  }
  // They diverge at bit m: an intermediate node holds both.
  Node* im = new_node(nullptr);
  if (!im) {
    --entries_;
    return fail(-ENOMEM);
  }
  im->prefixlen = m;
  im->flags.store(kIntermediate, std::memory_order_relaxed);
  std::memcpy(im->data, node->data, data_size_);
  if (bit_at(data, m)) {
    im->child[0].store(node, std::memory_order_relaxed);
    im->child[1].store(fresh, std::memory_order_relaxed);
  } else {
    im->child[0].store(fresh, std::memory_order_relaxed);
    im->child[1].store(node, std::memory_order_relaxed);
  }
  slot->store(im, std::memory_order_release);
  return 0;
}

long LpmTrie::erase(const void* key, uint32_t) {
  uint32_t prefixlen = key_prefixlen(key);
  const uint8_t* data = key_data(key);
  if (prefixlen > max_prefixlen()) return -EINVAL;
  std::lock_guard<std::mutex> lock(mu_);
  // Walk to the exact match, remembering the parent and the links to both.
  std::atomic<Node*>* trim = &root_;
  std::atomic<Node*>* trim2 = trim;
  Node* parent = nullptr;
  Node* node;
  uint32_t m = 0;
  while ((node = trim->load(std::memory_order_relaxed))) {
    m = match_len(node, data, prefixlen);
    if (node->prefixlen != m || node->prefixlen == prefixlen) break;
    parent = node;
    trim2 = trim;
    trim = &node->child[bit_at(data, node->prefixlen)];
  }
  if (!node || node->prefixlen != prefixlen || node->prefixlen != m ||
      (node->flags.load(std::memory_order_relaxed) & kIntermediate))
    return -ENOENT;
  --entries_;
  Node* c0 = node->child[0].load(std::memory_order_relaxed);
  Node* c1 = node->child[1].load(std::memory_order_relaxed);
  if (c0 && c1) {
    // Two children: the node stays, as an intermediate one.
    node->flags.fetch_or(kIntermediate, std::memory_order_release);
    return 0;
  }
  if (parent && (parent->flags.load(std::memory_order_relaxed) & kIntermediate) && !c0 && !c1) {
    // A leaf under an intermediate node: the intermediate goes too and its
    // other child takes its place.
    Node* other = parent->child[0].load(std::memory_order_relaxed) == node
                      ? parent->child[1].load(std::memory_order_relaxed)
                      : parent->child[0].load(std::memory_order_relaxed);
    trim2->store(other, std::memory_order_release);
    retire(parent);
    retire(node);
    return 0;
  }
  trim->store(c0 ? c0 : c1, std::memory_order_release);
  retire(node);
  return 0;
}

long LpmTrie::do_user_update(const void* key, const void* value, uint64_t flags) {
  return update(key, value, flags, 0);
}

long LpmTrie::do_user_delete(const void* key) {
  return erase(key, 0);
}

long LpmTrie::do_next_key(const void* key, void* next) {
  std::lock_guard<std::mutex> lock(mu_);
  Node* search_root = root_.load(std::memory_order_relaxed);
  if (!search_root) return -ENOENT;
  Node* next_node = nullptr;
  auto leftmost = [&](Node* from) {
    // The first node in post-order below `from` that holds an entry.
    for (Node* n = from; n;) {
      if (n->flags.load(std::memory_order_relaxed) & kIntermediate) {
        n = n->child[0].load(std::memory_order_relaxed);
      } else {
        next_node = n;
        n = n->child[0].load(std::memory_order_relaxed);
        if (!n) n = next_node->child[1].load(std::memory_order_relaxed);
      }
    }
  };
  bool found_key = false;
  if (key && key_prefixlen(key) <= max_prefixlen()) {
    uint32_t prefixlen = key_prefixlen(key);
    const uint8_t* data = key_data(key);
    std::vector<Node*> stack;
    Node* node = search_root;
    uint32_t m = 0;
    while (node) {
      stack.push_back(node);
      m = match_len(node, data, prefixlen);
      if (node->prefixlen != m || node->prefixlen == prefixlen) break;
      node = node->child[bit_at(data, node->prefixlen)].load(std::memory_order_relaxed);
    }
    if (node && node->prefixlen == prefixlen && node->prefixlen == m &&
        !(node->flags.load(std::memory_order_relaxed) & kIntermediate)) {
      found_key = true;
      // The node after the matched one in post-order: the leftmost entry of
      // the right sibling's subtree, else the first entry among the ancestors.
      node = stack.back();
      size_t sp = stack.size() - 1;
      while (sp > 0) {
        Node* parent = stack[sp - 1];
        if (parent->child[0].load(std::memory_order_relaxed) == node) {
          if (Node* right = parent->child[1].load(std::memory_order_relaxed)) {
            leftmost(right);
            break;
          }
        }
        if (!(parent->flags.load(std::memory_order_relaxed) & kIntermediate)) {
          next_node = parent;
          break;
        }
        node = parent;
        --sp;
      }
      if (!next_node) return -ENOENT;
    }
  }
  if (!found_key) leftmost(search_root);
  if (!next_node) return -ENOENT;
  auto* out = static_cast<uint8_t*>(next);
  std::memcpy(out, &next_node->prefixlen, 4);
  std::memcpy(out + 4, next_node->data, data_size_);
  return 0;
}

}  // namespace ebpfaas::maps
