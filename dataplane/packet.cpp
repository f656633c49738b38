#include "dataplane/packet.h"

#include <cstdlib>
#include <new>

namespace ebpfaas::dataplane {

Packet* clone_packet(const Packet& p, PacketPool& pool) {
  Packet* c = pool.alloc_one();
  if (!c) return nullptr;
  // Same offsets as the original, metadata included.
  const uint32_t meta = static_cast<uint32_t>(p.xdp.data - p.xdp.data_meta);
  const uint32_t head = static_cast<uint32_t>(p.xdp.data - p.xdp.data_hard_start);
  c->reset(0);
  if (head <= c->frame_size && head + p.length() <= c->frame_size) {
    c->xdp.data = c->frame + head;
    c->xdp.data_meta = c->xdp.data - meta;
    c->xdp.data_end = c->xdp.data + p.length();
    std::memcpy(c->xdp.data_meta, p.xdp.data_meta, meta + p.length());
  } else {
    c->assign(p.bytes());
  }
  c->xdp.ingress_ifindex = p.xdp.ingress_ifindex;
  c->xdp.rx_queue_index = p.xdp.rx_queue_index;
  c->rx_tsc = p.rx_tsc;
  c->rss_hash = p.rss_hash;
  c->port = p.port;
  c->queue = p.queue;
  return c;
}

void HeapPacketPool::FrameDeleter::operator()(uint8_t* p) const {
  ::operator delete[](p, std::align_val_t{64});
}

namespace {
// Frames 4096 bytes apart would put every packet's first bytes in the same L1
// cache set (the set index is address bits 6..11), so a batch of 32 would
// evict itself from the 12 ways of a set while the engine runs it. One cache
// line more per frame spreads 64 consecutive frames over all 64 sets (DPDK's
// mempools pad objects for the same reason).
constexpr size_t kFrameStride = kFrameSize + 64;
}  // namespace

HeapPacketPool::HeapPacketPool(uint32_t count)
    : frames_(static_cast<uint8_t*>(
          ::operator new[](size_t{count} * kFrameStride, std::align_val_t{64}))),
      packets_(count) {
  free_.reserve(count);
  lifo_ = &free_;
  for (uint32_t i = 0; i < count; ++i) {
    Packet& p = packets_[i];
    p.frame = frames_.get() + size_t{i} * kFrameStride;
    p.frame_size = kFrameSize;
    p.pool = this;
    p.reset(0);
  }
  for (uint32_t i = count; i-- > 0;) free_.push_back(&packets_[i]);
}

uint32_t HeapPacketPool::alloc(std::span<Packet*> out) {
  uint32_t n = static_cast<uint32_t>(std::min(out.size(), free_.size()));
  for (uint32_t i = 0; i < n; ++i) {
    Packet* p = free_.back();
    free_.pop_back();
    p->reset(0);
    out[i] = p;
  }
  return n;
}

}  // namespace ebpfaas::dataplane
