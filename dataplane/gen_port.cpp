#include "dataplane/gen_port.h"

#include "dataplane/tsc.h"

#include <x86intrin.h>

#include <algorithm>
#include <charconv>

#include "dataplane/traffic_spec.h"

namespace ebpfaas::dataplane {

namespace {

Expected<uint64_t> parse_count(std::string_view key, std::string_view v) {
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size())
    return errorf("gen port: {}={} is not a number", key, v);
  return n;
}

}  // namespace

Expected<GenPortOptions> parse_gen_spec(std::string_view spec) {
  // Port keys are taken out; the rest (with its continuation items, as in
  // proto=udp:8,tcp:2) goes to the traffic grammar unchanged.
  GenPortOptions o;
  std::string traffic;
  bool in_port_key = false;
  size_t pos = 0;
  while (pos <= spec.size() && !spec.empty()) {
    size_t comma = spec.find(',', pos);
    std::string_view item =
        spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
      in_port_key = key == "frames" || key == "count" || key == "rx";
      if (key == "rate") o.paced = true;
      if (key == "frames") {
        auto n = parse_count(key, value);
        if (!n) return n.error();
        if (*n == 0 || *n > (1u << 24))
          return errorf("gen port: frames={} is outside 1..{}", value, 1u << 24);
        o.frames = static_cast<uint32_t>(*n);
      } else if (key == "rx") {
        if (value != "on" && value != "off")
          return errorf("gen port: rx={} is not on or off", value);
        o.rx = value == "on";
      } else if (key == "count") {
        auto n = parse_count(key, value);
        if (!n) return n.error();
        o.count = *n;
      }
    } else if (in_port_key) {
      return errorf("gen port: '{}' is not key=value", item);
    }
    if (!in_port_key) {
      if (!traffic.empty()) traffic += ',';
      traffic += item;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  TrafficOptions base;
  base.flows = 1024;
  auto t = parse_traffic_spec(traffic, base);
  if (!t) return t.error().context("gen port");
  o.traffic = *t;
  return o;
}

Expected<std::unique_ptr<GenPort>> GenPort::create(std::string name, const GenPortOptions& options,
                                                   const PortOptions& port) {
  auto gen = TrafficGenerator::create(options.traffic);
  if (!gen) return gen.error().context(name);
  const uint16_t nq = std::max<uint16_t>(port.queues, 1);
  std::unique_ptr<GenPort> p(new GenPort(std::move(name)));
  p->counters_ = std::vector<QueueCounters>(nq);
  for (uint16_t q = 0; q < nq; ++q) p->queues_.push_back(std::make_unique<Queue>(port.pool_size));
  const uint32_t frames =
      options.frames ? options.frames : std::clamp<uint32_t>(options.traffic.flows, 4096, 65536);
  RssDispatch rss(nq);
  std::vector<uint8_t> frame(gen->max_frame_size());
  for (uint32_t i = 0; i < frames; ++i) {
    GeneratedPacket g = gen->next(frame.data());
    std::span<const uint8_t> bytes(frame.data(), std::min(g.length, kMaxPacketSize));
    const uint32_t hash = rss.hash(bytes);
    Queue& q = *p->queues_[rss.queue_for_hash(hash)];
    q.frames.push_back(
        {static_cast<uint32_t>(q.bytes.size()), static_cast<uint32_t>(bytes.size()), hash});
    q.bytes.insert(q.bytes.end(), bytes.begin(), bytes.end());
    // Padded to whole 64-byte blocks, which rx_burst copies with fixed-size moves.
    q.bytes.resize((q.bytes.size() + 63) / 64 * 64);
  }
  if (!options.rx)
    for (auto& q : p->queues_) q->left = 0;
  if (options.paced && options.rx) {
    const Timing& t = options.traffic.timing;
    double pps = t.rate;
    if (t.kind == Timing::Kind::kBitsPerSecond) {
      uint64_t bytes = 0;
      size_t n = 0;
      for (auto& q : p->queues_) {
        for (const Frame& f : q->frames) bytes += f.length;
        n += q->frames.size();
      }
      const double mean = n ? static_cast<double>(bytes) / static_cast<double>(n) : 64;
      pps = t.rate / ((mean + 24) * 8);
    }
    const double ticks_per_s = tsc_per_ns() * 1e9;
    for (auto& q : p->queues_)
      if (!q->frames.empty())
        q->per_tick = pps * static_cast<double>(q->frames.size()) / frames / ticks_per_s;
  }
  if (options.count && options.rx) {
    p->limited_ = true;
    for (uint16_t q = 0; q < nq; ++q) p->queues_[q]->left = 0;
    // Share the count by each queue's frames (queues without flows get none).
    uint64_t given = 0;
    for (uint16_t q = 0; q < nq; ++q) {
      uint64_t share = options.count * p->queues_[q]->frames.size() / frames;
      p->queues_[q]->left = share;
      given += share;
    }
    for (uint16_t q = 0; given < options.count; q = static_cast<uint16_t>((q + 1) % nq))
      if (!p->queues_[q]->frames.empty()) {
        ++p->queues_[q]->left;
        ++given;
      }
    for (auto& q : p->queues_) q->done.store(q->left == 0);
  }
  return p;
}

uint16_t GenPort::rx_burst(uint16_t queue, std::span<Packet*> out) {
  Queue& q = *queues_[queue];
  if (q.frames.empty() || q.left == 0) return 0;
  uint32_t want = static_cast<uint32_t>(std::min<uint64_t>(out.size(), q.left));
  if (q.per_tick > 0) {
    const uint64_t t = __rdtsc();
    if (!q.start_tsc) q.start_tsc = t;
    const auto due = static_cast<uint64_t>(static_cast<double>(t - q.start_tsc) * q.per_tick) + 1;
    if (due <= q.delivered) return 0;
    want = static_cast<uint32_t>(std::min<uint64_t>(want, due - q.delivered));
  }
  const uint32_t n = q.pool.take(out.data(), want);
  q.delivered += n;
  if (n < want) counters_[queue].rx_dropped.fetch_add(want - n, std::memory_order_relaxed);
  const uint64_t now = __rdtsc();
  uint64_t bytes = 0;
  const size_t count = q.frames.size();
  const uint8_t* base = q.bytes.data();
  for (uint32_t i = 0; i < n; ++i) {
    Packet* p = out[i];
    const Frame& f = q.frames[q.next];
    const uint32_t len = f.length;
    p->reset(len);
    // Whole blocks: the frame's padding lands in the buffer's tailroom.
    const uint8_t* src = base + f.offset;
    for (uint32_t off = 0; off < len; off += 64) std::memcpy(p->xdp.data + off, src + off, 64);
    p->rss_hash = f.hash;
    p->rx_tsc = now;
    p->queue = queue;
    p->xdp.rx_queue_index = queue;
    bytes += len;
    if (++q.next == count) q.next = 0;
  }
  if (q.left != UINT64_MAX) {
    q.left -= n;
    if (q.left == 0) q.done.store(true, std::memory_order_release);
  }
  counters_[queue].add_rx(n, bytes);
  return static_cast<uint16_t>(n);
}

uint16_t GenPort::tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) {
  uint64_t bytes = 0;
  HeapPacketPool& own = queues_[queue % queues_.size()]->pool;
  for (uint16_t i = 0; i < n; ++i) {
    Packet* p = pkts[i];
    bytes += p->length();
    if (p->pool == &own)
      own.put(p);
    else
      p->pool->release(p);
  }
  counters_[queue % counters_.size()].add_tx(n, bytes);
  return n;
}

PortStats GenPort::stats() const {
  return sum_counters(counters_);
}

bool GenPort::exhausted() const {
  if (!limited_) return false;
  for (const auto& q : queues_)
    if (!q->done.load(std::memory_order_acquire)) return false;
  return true;
}

}  // namespace ebpfaas::dataplane
