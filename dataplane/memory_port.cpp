#include "dataplane/memory_port.h"

#include "dataplane/tsc.h"

namespace ebpfaas::dataplane {

MemoryPort::MemoryPort(std::string name, uint16_t queues, uint32_t pool_size)
    : Port(std::move(name)), counters_(std::max<uint16_t>(queues, 1)) {
  for (uint16_t q = 0; q < std::max<uint16_t>(queues, 1); ++q)
    queues_.push_back(std::make_unique<Queue>(pool_size));
}

void MemoryPort::inject(uint16_t queue, std::vector<uint8_t> frame) {
  Queue& q = *queues_.at(queue);
  std::lock_guard lock(q.mu);
  q.rx.push_back(std::move(frame));
}

size_t MemoryPort::pending(uint16_t queue) const {
  const Queue& q = *queues_.at(queue);
  std::lock_guard lock(q.mu);
  return q.rx.size();
}

std::vector<MemoryPort::Sent> MemoryPort::take_sent() {
  std::lock_guard lock(sent_mu_);
  return std::exchange(sent_, {});
}

uint16_t MemoryPort::rx_burst(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  std::lock_guard lock(q.mu);
  uint32_t n = 0;
  const uint64_t now = tsc_now();
  uint64_t bytes = 0;
  while (n < out.size() && !q.rx.empty()) {
    Packet* p = q.pool.alloc_one();
    if (!p) break;
    p->assign(q.rx.front());
    q.rx.pop_front();
    p->rx_tsc = now;
    p->queue = queue;
    p->xdp.rx_queue_index = queue;
    bytes += p->length();
    out[n++] = p;
  }
  counters_[queue].add_rx(n, bytes);
  return static_cast<uint16_t>(n);
}

uint16_t MemoryPort::tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) {
  uint64_t bytes = 0;
  {
    std::lock_guard lock(sent_mu_);
    for (uint16_t i = 0; i < n; ++i) {
      auto b = pkts[i]->bytes();
      sent_.push_back({queue, {b.begin(), b.end()}});
      bytes += b.size();
    }
  }
  for (uint16_t i = 0; i < n; ++i) pkts[i]->pool->free(pkts[i]);
  counters_[queue % counters_.size()].add_tx(n, bytes);
  return n;
}

}  // namespace ebpfaas::dataplane
