// The data plane: ports, a program slot and one engine per core. Each engine
// is a thread (pinned with pthread_setaffinity_np) that runs to completion:
// receive a batch of up to 32 packets from one of its RX queues, run the
// active program on each packet in place, apply the verdicts, send what goes
// out, and announce a QSBR quiescent point once per round over its queues.
//
// Ports and ifindexes: ports are numbered from 0 in the order given; the
// program sees port i as ifindex i + 1 (ctx->ingress_ifindex, and what
// bpf_redirect and devmap entries name), because Linux reserves ifindex 0 and
// devmaps cannot hold it. Engine e polls RX queue q of every port with
// q % engines == e, and transmits on TX queue e % tx_queues. Engine e is CPU
// e to the program (bpf_get_smp_processor_id, the copy of per-CPU maps it
// uses): load objects with map_options.num_cpus = engines.
//
// Verdicts: XDP_DROP frees; XDP_TX sends on the ingress port; XDP_REDIRECT
// sends to the port of rc.redirect (an ifindex, or every devmap entry with
// BPF_F_BROADCAST, ingress excluded with BPF_F_EXCLUDE_INGRESS, copies for
// all but the last target); XDP_PASS sends to the host port if one is
// configured (e.g. a TAP to the Linux stack), else counts and frees;
// XDP_ABORTED counts, frees and logs (the first few, with the fault message).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

#include "dataplane/engine_stats.h"
#include "dataplane/port.h"
#include "dataplane/program_slot.h"

namespace ebpfaas::dataplane {

inline constexpr uint32_t port_ifindex(uint32_t port) {
  return port + 1;
}

struct DataPlaneOptions {
  uint32_t engines = 1;
  bool pin = true;     // pin engine e to the e-th CPU of the process's affinity set
  int host_port = -1;  // XDP_PASS goes here; -1: counted and freed
  // Aborted programs and other events; default: stderr. Called from engines.
  std::function<void(std::string_view)> log;
  uint32_t max_logged_aborts = 10;  // per engine
};

class DataPlane {
 public:
  // The slot's QSBR domain is the one engines register with (maps should use
  // the same domain: loader::LoadOptions::map_options.qsbr).
  DataPlane(std::vector<std::unique_ptr<Port>> ports, ProgramSlot& slot, DataPlaneOptions options);
  ~DataPlane();  // stops
  DataPlane(const DataPlane&) = delete;
  DataPlane& operator=(const DataPlane&) = delete;

  // Starts the engines.
  Status start();
  // Stops them after their current round (nothing in flight is lost) and joins.
  void stop();
  bool running() const { return !threads_.empty(); }
  // Every port that can end has delivered everything (false when none can).
  bool inputs_exhausted() const;
  // Closes the ports (flushing pcap output); errors name the port.
  Status close_ports();

  uint32_t engines() const { return options_.engines; }
  size_t port_count() const { return ports_.size(); }
  Port& port(size_t i) { return *ports_[i]; }
  const Port& port(size_t i) const { return *ports_[i]; }
  EngineCounters engine_counters(uint32_t e) const { return stats_[e]->snapshot(); }
  EngineCounters total_counters() const;
  // What the engines counted under the programs before `version` (a version
  // this data plane's slot published), exact at the switch: each engine's
  // tally as it took `version` (or a later one), or, for an engine that has
  // not taken it yet, its tally once it finished the batches it had begun
  // with an older one. total_counters() read just after a publish may still
  // be missing up to a batch per engine of the old program, or already hold
  // some of the new one. Waits for a grace period of the slot's QSBR domain:
  // not callable from an engine.
  EngineCounters counters_before(uint64_t version) const;
  std::array<uint64_t, LatencyHistogram::kBuckets> latency() const;  // all engines
  // Which CPU engine e runs on (-1: not pinned).
  int engine_cpu(uint32_t e) const { return cpus_[e]; }

 private:
  class Engine;
  std::vector<std::unique_ptr<Port>> ports_;
  ProgramSlot& slot_;
  DataPlaneOptions options_;
  std::vector<std::unique_ptr<EngineStats>> stats_;
  std::vector<int> cpus_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
};

}  // namespace ebpfaas::dataplane
