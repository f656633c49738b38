#include "dataplane/pcap_port.h"

#include <x86intrin.h>

#include <charconv>
#include <chrono>

#include "dataplane/rss.h"

namespace ebpfaas::dataplane {

namespace {

uint64_t steady_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}
uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Expected<PcapPortOptions> parse_pcap_spec(std::string_view spec) {
  PcapPortOptions o;
  bool first = true;
  for (const SpecItem& it : split_spec(spec)) {
    if (it.bare) {
      if (!first) return errorf("pcap port '{}': '{}' is not key=value", spec, it.key);
      o.in = it.key;
    } else if (it.key == "in") {
      o.in = it.value;
    } else if (it.key == "out") {
      o.out = it.value;
    } else if (it.key == "timing") {
      if (it.value == "fast")
        o.capture_timing = false;
      else if (it.value == "capture")
        o.capture_timing = true;
      else
        return errorf("pcap port '{}': timing={} (expected fast or capture)", spec, it.value);
    } else if (it.key == "loop") {
      auto [p, ec] = std::from_chars(it.value.data(), it.value.data() + it.value.size(), o.loops);
      if (ec != std::errc() || p != it.value.data() + it.value.size())
        return errorf("pcap port '{}': loop={} is not a number", spec, it.value);
    } else {
      return errorf("pcap port '{}': unknown key '{}' (known: in, out, timing, loop)", spec,
                    it.key);
    }
    first = false;
  }
  if (o.in.empty() && o.out.empty())
    return errorf("pcap port '{}': needs an input file, out=FILE or both", spec);
  return o;
}

Expected<std::unique_ptr<PcapPort>> PcapPort::create(std::string name,
                                                     const PcapPortOptions& options,
                                                     const PortOptions& port) {
  std::unique_ptr<PcapPort> p(new PcapPort(std::move(name)));
  p->options_ = options;
  const uint16_t nq = std::max<uint16_t>(port.queues, 1);
  p->counters_ = std::vector<QueueCounters>(nq);
  for (uint16_t q = 0; q < nq; ++q) p->queues_.push_back(std::make_unique<Queue>(port.pool_size));
  if (!options.in.empty()) {
    auto trace = read_pcap(options.in);
    if (!trace) return trace.error();
    if (trace->linktype != kLinktypeEthernet)
      return errorf("{}: link type {} is not Ethernet", options.in, trace->linktype);
    p->trace_ = std::move(*trace);
    RssDispatch rss(nq);
    for (uint32_t i = 0; i < p->trace_.size(); ++i)
      p->queues_[rss.queue(p->trace_[i].data)]->records.push_back(i);
    if (p->trace_.size()) {
      p->first_ts_ = p->trace_.records.front().timestamp_ns;
      const uint64_t last = p->trace_.records.back().timestamp_ns;
      const uint64_t n = p->trace_.size();
      p->span_ns_ = last - p->first_ts_ + (n > 1 ? (last - p->first_ts_) / (n - 1) : 0);
    }
  }
  for (auto& q : p->queues_) q->done.store(options.in.empty() || q->records.empty());
  if (!options.out.empty()) {
    auto w = PcapWriter::create(options.out);
    if (!w) return w.error();
    p->writer_.emplace(std::move(*w));
  }
  return p;
}

uint16_t PcapPort::rx_burst(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  if (q.done.load(std::memory_order_relaxed)) return 0;
  uint64_t now_ns = 0;
  if (options_.capture_timing) {
    now_ns = steady_ns();
    // The first poll of any queue starts the clock.
    uint64_t expected = 0;
    start_ns_.compare_exchange_strong(expected, now_ns);
  }
  uint32_t n = 0;
  const uint64_t tsc = __rdtsc();
  uint64_t bytes = 0;
  while (n < out.size()) {
    const PcapPacket rec = trace_[q.records[q.next]];
    if (options_.capture_timing &&
        rec.timestamp_ns - first_ts_ + q.loop * span_ns_ > now_ns - start_ns_.load())
      break;
    Packet* p = q.pool.alloc_one();
    if (!p) {
      counters_[queue].rx_dropped.fetch_add(1, std::memory_order_relaxed);
      break;
    }
    p->assign(rec.data);
    p->rx_tsc = tsc;
    p->queue = queue;
    p->xdp.rx_queue_index = queue;
    bytes += p->length();
    out[n++] = p;
    if (++q.next == q.records.size()) {
      q.next = 0;
      if (++q.loop == options_.loops) {
        q.done.store(true, std::memory_order_release);
        break;
      }
    }
  }
  counters_[queue].add_rx(n, bytes);
  return static_cast<uint16_t>(n);
}

uint16_t PcapPort::tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) {
  QueueCounters& c = counters_[queue % counters_.size()];
  if (!writer_) {
    c.tx_dropped.fetch_add(n, std::memory_order_relaxed);
    for (uint16_t i = 0; i < n; ++i) pkts[i]->pool->free(pkts[i]);
    return 0;
  }
  uint64_t bytes = 0;
  {
    std::lock_guard lock(out_mu_);
    const uint64_t ts = wall_ns();
    for (uint16_t i = 0; i < n; ++i) {
      writer_->write(ts, pkts[i]->bytes());
      bytes += pkts[i]->length();
    }
  }
  for (uint16_t i = 0; i < n; ++i) pkts[i]->pool->free(pkts[i]);
  c.add_tx(n, bytes);
  return n;
}

PortStats PcapPort::stats() const {
  return sum_counters(counters_);
}

bool PcapPort::exhausted() const {
  for (const auto& q : queues_)
    if (!q->done.load(std::memory_order_acquire)) return false;
  return true;
}

Status PcapPort::close() {
  std::lock_guard lock(out_mu_);
  if (!writer_) return {};
  Status st = writer_->close();
  writer_.reset();
  return st;
}

}  // namespace ebpfaas::dataplane
