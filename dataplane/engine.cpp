#include "dataplane/engine.h"

#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>

#include <cstdio>

#include "dataplane/tsc.h"
#include "maps/devmap.h"

namespace ebpfaas::dataplane {

class DataPlane::Engine {
 public:
  Engine(DataPlane& dp, uint32_t index) : dp_(dp), index_(index), tx_(dp.ports_.size()) {
    // The program's CPU (per-CPU map slot, bpf_get_smp_processor_id): without
    // one per engine, engines would share slot 0's counters, racing on them
    // and bouncing their cache lines between cores.
    rc_.cpu = index;
    for (size_t p = 0; p < dp.ports_.size(); ++p) {
      Port& port = *dp.ports_[p];
      for (uint16_t q = 0; q < port.rx_queues(); ++q)
        if (q % dp.options_.engines == index) queues_.push_back({static_cast<uint16_t>(p), q});
    }
  }

  void run() {
    QsbrThread qsbr(dp_.slot_.qsbr());
    uint32_t idle = 0;
    while (!dp_.stop_.load(std::memory_order_relaxed)) {
      bool busy = false;
      for (const RxQueue& rq : queues_) busy |= poll(rq);
      // The tally goes out before the quiescent point: once a grace period
      // has passed, what the engine did with an older program is visible.
      if (busy) dp_.stats_[index_]->store(c_);
      qsbr.quiescent();
      if (busy) {
        idle = 0;
      } else if (++idle > 64) {
        // A shared machine: give the core away while there is no traffic.
        std::this_thread::yield();
      } else {
        _mm_pause();
      }
    }
    dp_.stats_[index_]->store(c_);
  }

 private:
  struct RxQueue {
    uint16_t port, queue;
  };
  struct TxBuffer {
    Packet* pkts[2 * kBatchSize];
    uint16_t n = 0;
  };

  bool poll(const RxQueue& rq) {
    Port& port = *dp_.ports_[rq.port];
    Packet* batch[kBatchSize];
    const uint16_t n = port.rx_burst(rq.queue, batch);
    if (!n) return false;
    // A new program takes over at a batch boundary. Versions, not addresses,
    // tell programs apart: a new one may be allocated where a freed one was.
    const PreparedProgram* prog = dp_.slot_.active();
    if ((prog ? prog->version : 0) != version_) switch_to(prog);
    ++c_.batches;
    c_.rx_packets += n;
    if (!prog) {
      for (uint16_t i = 0; i < n; ++i) {
        c_.rx_bytes += batch[i]->length();
        drop(batch[i], DropCause::kNoProgram);
      }
      return true;
    }
    const uint32_t ifindex = port_ifindex(rq.port);
    const uint64_t arrival = batch[0]->rx_tsc;  // ports stamp a batch at once
    if (const auto entry = native_) {
      // JIT code: called here, not through run_fn.
      for (uint16_t i = 0; i < n; ++i) {
        Packet* p = batch[i];
        c_.rx_bytes += p->length();
        p->port = rq.port;
        p->xdp.ingress_ifindex = ifindex;
        rc_.reset();
        rc_.xdp = &p->xdp;
        const uint64_t r0 = entry(reinterpret_cast<uint64_t>(&p->xdp), 0, &rc_);
        apply(p, __builtin_expect(rc_.stop != helpers::RunContext::Stop::kNone, 0)
                     ? prog->after_stop(r0, rc_)
                     : static_cast<uint32_t>(r0));
      }
    } else {
      for (uint16_t i = 0; i < n; ++i) {
        Packet* p = batch[i];
        c_.rx_bytes += p->length();
        p->port = rq.port;
        p->xdp.ingress_ifindex = ifindex;
        rc_.reset();
        apply(p, prog->run(p->xdp, rc_));
      }
    }
    flush_all();
    // Arrival to verdict applied (packets are gone now: only the stamp is used).
    const uint64_t done = tsc_now();
    dp_.stats_[index_]->latency.add(
        static_cast<uint64_t>(tsc_to_ns(done > arrival ? done - arrival : 0)), n);
    return true;
  }

  void switch_to(const PreparedProgram* prog) {
    // Everything counted so far belongs to the older versions.
    if (prog) dp_.stats_[index_]->mark_version(prog->version, c_);
    if (prog) {
      rc_.checked = prog->checked;
      rc_.linked_maps = prog->program->map_handles;
      c_.version = prog->version;
      if (version_ || prog->version > 1) {
        const uint64_t now = tsc_now();
        const uint64_t ns = static_cast<uint64_t>(
            tsc_to_ns(now > prog->published_tsc ? now - prog->published_tsc : 0));
        ++c_.swaps;
        c_.last_swap_ns = ns;
        c_.total_swap_ns += ns;
        c_.max_swap_ns = std::max(c_.max_swap_ns, ns);
      }
    }
    version_ = prog ? prog->version : 0;
    native_ = prog ? prog->direct_entry() : nullptr;
    // A trace sink is the business of the program that set it (a wrapper
    // sets it for every packet): the next one starts without.
    rc_.trace = nullptr;
    rc_.trace_user = nullptr;
  }

  [[gnu::always_inline]] void apply(Packet* p, uint32_t action) {
    if (action <= XDP_REDIRECT) ++c_.verdicts[action];
    switch (action) {
      case XDP_DROP:
        return drop(p, DropCause::kProgram);
      case XDP_TX:
        return send(p->port, p);
      case XDP_REDIRECT:
        return redirect(p);
      case XDP_PASS:
        if (dp_.options_.host_port >= 0)
          return send(static_cast<uint16_t>(dp_.options_.host_port), p);
        return drop(p, DropCause::kPassNoHost);
      case XDP_ABORTED:
        log_abort(p);
        return drop(p, DropCause::kAborted);
      default:
        return drop(p, DropCause::kInvalidVerdict);
    }
  }

  [[gnu::always_inline]] void redirect(Packet* p) {
    const auto& r = rc_.redirect;
    if (r.map && (r.flags & BPF_F_BROADCAST)) return broadcast(p, r.flags);
    const uint32_t ifindex = r.ifindex;
    if (ifindex == 0 || ifindex > dp_.ports_.size()) return drop(p, DropCause::kUnknownIfindex);
    send(static_cast<uint16_t>(ifindex - 1), p);
  }

  [[gnu::noinline]] void broadcast(Packet* p, uint64_t flags) {
    const auto* devmap = static_cast<const maps::DevMap*>(rc_.redirect.map);
    uint16_t targets[64];
    uint32_t n = 0;
    const bool exclude = flags & BPF_F_EXCLUDE_INGRESS;
    devmap->for_each([&](uint32_t, const bpf_devmap_val& v) {
      if (v.ifindex == 0 || v.ifindex > dp_.ports_.size()) return;
      const uint16_t port = static_cast<uint16_t>(v.ifindex - 1);
      if (exclude && port == p->port) return;
      if (n < std::size(targets)) targets[n++] = port;
    });
    if (n == 0) return drop(p, DropCause::kEmptyBroadcast);
    for (uint32_t i = 0; i + 1 < n; ++i) {
      Packet* copy = clone_packet(*p, *p->pool);
      if (!copy) {
        ++c_.drops[static_cast<size_t>(DropCause::kCloneFailed)];
        continue;
      }
      ++c_.broadcast_copies;
      send(targets[i], copy);
    }
    send(targets[n - 1], p);
  }

  [[gnu::always_inline]] void send(uint16_t port, Packet* p) {
    TxBuffer& b = tx_[port];
    b.pkts[b.n++] = p;
    if (b.n == kBatchSize) flush(port);
  }

  [[gnu::noinline]] void flush(uint16_t port) {
    TxBuffer& b = tx_[port];
    if (!b.n) return;
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < b.n; ++i) bytes += b.pkts[i]->length();
    Port& out = *dp_.ports_[port];
    const uint16_t queue = static_cast<uint16_t>(index_ % std::max<uint16_t>(out.tx_queues(), 1));
    const uint16_t n = b.n;
    b.n = 0;
    const uint16_t sent = out.tx_burst(queue, b.pkts, n);
    c_.tx_packets += sent;
    c_.tx_bytes += sent == n ? bytes : 0;  // partial sends: bytes are the port's to count
    c_.drops[static_cast<size_t>(DropCause::kTxFailed)] += n - sent;
  }

  void flush_all() {
    for (uint16_t p = 0; p < tx_.size(); ++p) flush(p);
  }

  [[gnu::always_inline]] void drop(Packet* p, DropCause cause) {
    ++c_.drops[static_cast<size_t>(cause)];
    p->pool->release(p);
  }

  [[gnu::noinline]] void log_abort(const Packet* p) {
    if (logged_aborts_ >= dp_.options_.max_logged_aborts) return;
    ++logged_aborts_;
    std::string msg = fmt::format(
        "engine {}: XDP_ABORTED on port {} ({} bytes){}{}{}", index_, p->port, p->length(),
        rc_.fault_message.empty() ? "" : ": ", rc_.fault_message,
        logged_aborts_ == dp_.options_.max_logged_aborts ? " (further aborts counted only)" : "");
    if (dp_.options_.log)
      dp_.options_.log(msg);
    else
      std::fprintf(stderr, "%s\n", msg.c_str());
  }

  DataPlane& dp_;
  uint32_t index_;
  std::vector<RxQueue> queues_;
  std::vector<TxBuffer> tx_;
  uint64_t version_ = 0;                           // of the program last run (0: none)
  PreparedProgram::NativeEntry native_ = nullptr;  // its JIT code, called directly
  helpers::RunContext rc_;
  EngineCounters c_;
  uint32_t logged_aborts_ = 0;
};

DataPlane::DataPlane(std::vector<std::unique_ptr<Port>> ports, ProgramSlot& slot,
                     DataPlaneOptions options)
    : ports_(std::move(ports)), slot_(slot), options_(std::move(options)) {
  if (options_.engines == 0) options_.engines = 1;
  for (uint32_t e = 0; e < options_.engines; ++e) stats_.push_back(std::make_unique<EngineStats>());
  cpus_.assign(options_.engines, -1);
  if (options_.pin) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
      std::vector<int> allowed;
      for (int c = 0; c < CPU_SETSIZE; ++c)
        if (CPU_ISSET(c, &set)) allowed.push_back(c);
      for (uint32_t e = 0; e < options_.engines && !allowed.empty(); ++e)
        cpus_[e] = allowed[e % allowed.size()];
    }
  }
}

DataPlane::~DataPlane() {
  stop();
}

Status DataPlane::start() {
  if (running()) return Error("data plane: already running");
  if (ports_.empty()) return Error("data plane: no port");
  if (options_.host_port >= static_cast<int>(ports_.size()))
    return errorf("data plane: host port {} is not one of the {} ports", options_.host_port,
                  ports_.size());
  stop_.store(false);
  tsc_per_ns();  // calibrate before the engines need it
  for (uint32_t e = 0; e < options_.engines; ++e) {
    threads_.emplace_back([this, e] {
      if (cpus_[e] >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpus_[e], &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
      }
      Engine engine(*this, e);
      engine.run();
    });
  }
  return {};
}

void DataPlane::stop() {
  stop_.store(true);
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool DataPlane::inputs_exhausted() const {
  bool any = false;
  for (const auto& p : ports_) {
    if (!p->finite()) continue;
    any = true;
    if (!p->exhausted()) return false;
  }
  return any;
}

Status DataPlane::close_ports() {
  for (auto& p : ports_)
    if (auto st = p->close(); !st) return st.error().context(fmt::format("port '{}'", p->name()));
  return {};
}

EngineCounters DataPlane::total_counters() const {
  EngineCounters t;
  for (const auto& s : stats_) t += s->snapshot();
  return t;
}

EngineCounters DataPlane::counters_before(uint64_t version) const {
  slot_.qsbr().synchronize();
  EngineCounters t;
  for (const auto& s : stats_) {
    const EngineCounters now = s->snapshot();  // before the marks: see EngineStats::snapshot
    const std::optional<EngineCounters> mark = s->marked_at_or_after(version);
    t += mark ? *mark : now;
  }
  return t;
}

std::array<uint64_t, LatencyHistogram::kBuckets> DataPlane::latency() const {
  std::array<uint64_t, LatencyHistogram::kBuckets> h{};
  for (const auto& s : stats_) {
    auto one = s->latency.snapshot();
    for (size_t i = 0; i < h.size(); ++i) h[i] += one[i];
  }
  return h;
}

}  // namespace ebpfaas::dataplane
