// Data-plane throughput per NF on the in-memory generator (64-byte frames,
// 1024 flows), interpreted and JIT-compiled, with 1 and 2 engines, beside two anchors measured in
// the same run: DPDK's testpmd forwarding between net_null ports (io mode, one forwarding core),
// and a null program (XDP_TX) through the same engines. Then the program-swap latency (publish ->
// first packet run by the new version) over many swaps under traffic.
//
//   dataplane_bench [--seconds S] [--swaps N] [--no-testpmd] [--only NF] [--nfs DIR] [--progs DIR]
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/engine.h"
#include "dataplane/jit_tier.h"
#include "dataplane/tsc.h"
#include "loader/load.h"

using namespace ebpfaas;
using namespace ebpfaas::dataplane;

namespace {

double g_seconds = 2.0;

struct Result {
  double mpps = 0;
  // The engines' CPU time over the window (the process's: the main thread
  // sleeps) in cores, and packets per CPU second: on a shared machine the
  // engines get less than their cores, and the second figure is what the data
  // plane costs per packet while it runs.
  double cores = 0;
  double mpps_per_core = 0;
  EngineCounters counters;
};

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::shared_ptr<const loader::LoadedObject> load(const std::string& path, uint32_t engines,
                                                 const std::string& program = {}) {
  loader::LoadOptions o;
  o.map_options.num_cpus = engines;
  if (!program.empty()) o.programs = {program};
  auto obj = loader::load_file(path, o);
  if (!obj) {
    std::fprintf(stderr, "%s\n", obj.error().message().c_str());
    std::exit(1);
  }
  return std::make_shared<loader::LoadedObject>(std::move(*obj));
}

void update(const loader::LoadedObject& obj, const char* map, const void* key, const void* value) {
  auto m = obj.maps->find(map);
  if (!m || m->user_update(key, value, BPF_ANY) != 0) {
    std::fprintf(stderr, "%s: cannot update map %s\n", obj.name.c_str(), map);
    std::exit(1);
  }
}

std::vector<std::unique_ptr<Port>> open_ports(const std::vector<std::string>& specs,
                                              uint32_t engines) {
  std::vector<std::unique_ptr<Port>> ports;
  for (const auto& s : specs) {
    auto p = open_port(s, {.queues = static_cast<uint16_t>(engines)});
    if (!p) {
      std::fprintf(stderr, "%s\n", p.error().message().c_str());
      std::exit(1);
    }
    ports.push_back(std::move(*p));
  }
  return ports;
}

Result measure(std::shared_ptr<const loader::LoadedObject> obj,
               const std::vector<std::string>& specs, uint32_t engines, bool jit) {
  ProgramSlot slot;
  auto prepared = jit ? prepare_jit(obj) : prepare_interpreted(obj);
  if (!prepared) {
    std::fprintf(stderr, "%s\n", prepared.error().message().c_str());
    std::exit(1);
  }
  slot.publish(std::move(*prepared));
  DataPlane dp(open_ports(specs, engines), slot, {.engines = engines});
  if (auto st = dp.start(); !st) std::exit(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // warm up
  const EngineCounters c0 = dp.total_counters();
  const auto t0 = std::chrono::steady_clock::now();
  const double cpu0 = process_cpu_seconds();
  std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
  const EngineCounters c1 = dp.total_counters();
  const double cpu = process_cpu_seconds() - cpu0;
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  dp.stop();
  Result r;
  const double packets = static_cast<double>(c1.rx_packets - c0.rx_packets);
  r.mpps = packets / dt / 1e6;
  r.cores = cpu / dt;
  r.mpps_per_core = cpu > 0 ? packets / cpu / 1e6 : 0;
  r.counters = dp.total_counters();
  return r;
}

std::string verdict_mix(const EngineCounters& c) {
  static const char* names[] = {"aborted", "drop", "pass", "tx", "redirect"};
  std::string s;
  for (size_t v = 0; v < 5; ++v)
    if (c.verdicts[v] * 100 >= c.rx_packets && c.rx_packets)
      s += fmt::format("{}{} {:.0f}%", s.empty() ? "" : ", ", names[v],
                       100.0 * static_cast<double>(c.verdicts[v]) / c.rx_packets);
  return s;
}

// testpmd io forwarding between two net_null ports, one forwarding core; the
// mean of the per-second Rx-pps samples after the first, summed over ports.
double testpmd_mpps() {
  int pipefd[2];
  if (pipe(pipefd) != 0) return 0;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    close(pipefd[0]);
    std::string prefix = fmt::format("--file-prefix=ebpfaas-testpmd-{}", getpid());
    execlp("dpdk-testpmd", "dpdk-testpmd", "--no-huge", "-m", "1024", "--no-shconf", prefix.c_str(),
           "--no-pci", "--no-telemetry", "--log-level=lib.eal:error", "--vdev=net_null0",
           "--vdev=net_null1", "-l", "0-1", "--", "--forward-mode=io", "--auto-start",
           "--stats-period=1", "--nb-cores=1", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipefd[1]);
  // Start-up (1 GiB of --no-huge memory, the mbuf pool) takes seconds on a loaded machine.
  const int seconds = static_cast<int>(std::max(8.0, g_seconds + 6));
  std::thread killer([pid, seconds] {
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    kill(pid, SIGINT);
  });
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  killer.join();
  int status = 0;
  waitpid(pid, &status, 0);
  std::vector<double> samples;  // Rx-pps per port, in order
  for (size_t pos = 0; (pos = out.find("Rx-pps:", pos)) != std::string::npos; pos += 7)
    samples.push_back(std::strtod(out.c_str() + pos + 7, nullptr));
  // Two ports per period; skip the first two periods (start-up).
  double sum = 0;
  int periods = 0;
  for (size_t i = 4; i + 1 < samples.size(); i += 2) {
    if (samples[i] + samples[i + 1] <= 0) continue;
    sum += samples[i] + samples[i + 1];
    ++periods;
  }
  return periods ? sum / periods / 1e6 : 0;
}

struct SwapFigures {
  double p50_us = 0, p99_us = 0, max_us = 0, mean_us = 0;
  uint64_t swaps = 0, lost = 0;
};

SwapFigures measure_swaps(const std::string& null_obj, uint32_t engines, int swaps) {
  auto a = load(null_obj, engines, "xdp_null_a");
  auto b = load(null_obj, engines, "xdp_null_b");
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(a)));
  DataPlane dp(open_ports({"gen:size=64,flows=1024"}, engines), slot, {.engines = engines});
  if (!dp.start()) std::exit(1);
  auto wait_version = [&](uint64_t v) {
    for (;;) {
      bool all = true;
      for (uint32_t e = 0; e < engines; ++e) all &= dp.engine_counters(e).version >= v;
      if (all) return;
      // Sleep, not spin: the engines need the cores more than this thread.
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  };
  wait_version(1);
  std::vector<double> us;
  for (int i = 0; i < swaps; ++i) {
    std::this_thread::sleep_for(std::chrono::microseconds(500));
    const uint64_t v = slot.publish(std::move(*prepare_interpreted(i % 2 ? a : b)));
    wait_version(v);
    uint64_t worst = 0;  // the swap is done when the last engine has it
    for (uint32_t e = 0; e < engines; ++e)
      worst = std::max(worst, dp.engine_counters(e).last_swap_ns);
    us.push_back(static_cast<double>(worst) / 1e3);
  }
  dp.stop();
  const EngineCounters c = dp.total_counters();
  std::sort(us.begin(), us.end());
  SwapFigures f;
  f.swaps = us.size();
  f.p50_us = us[us.size() / 2];
  f.p99_us = us[us.size() * 99 / 100];
  f.max_us = us.back();
  for (double x : us) f.mean_us += x / static_cast<double>(us.size());
  f.lost = c.rx_packets - (c.tx_packets + c.drops_total());
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  std::string nfs = EBPFAAS_NFS_DIR, progs = EBPFAAS_BENCH_PROGS_DIR;
  int swaps = 1000;
  bool testpmd = true;
  std::string only;  // NFs whose name contains this
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      g_seconds = std::atof(argv[++i]);
    else if (a == "--swaps" && i + 1 < argc)
      swaps = std::atoi(argv[++i]);
    else if (a == "--only" && i + 1 < argc)
      only = argv[++i];
    else if (a == "--no-testpmd")
      testpmd = false;
    else if (a == "--nfs" && i + 1 < argc)
      nfs = argv[++i];
    else if (a == "--progs" && i + 1 < argc)
      progs = argv[++i];
    else {
      std::fprintf(stderr,
                   "usage: dataplane_bench [--seconds S] [--swaps N] [--no-testpmd] [--only NF] "
                   "[--nfs DIR] [--progs DIR]\n");
      return 2;
    }
  }
  const std::string gen = "gen:size=64,flows=1024";
  std::printf("data plane, 64-byte frames, 1024 flows, Mpps over %.1f s per figure\n\n", g_seconds);
  if (testpmd) {
    const double pmd = testpmd_mpps();
    std::printf("anchor: dpdk-testpmd io forwarding net_null0 <-> net_null1, 1 core: %.2f Mpps\n",
                pmd);
  }
  std::printf(
      "\nMpps (wall clock); in brackets: Mpps per CPU second of the engines, and the cores they "
      "got\n"
      "\n| NF | interpreter, 1 engine | JIT, 1 engine | JIT, 2 engines | JIT 2/1 | verdicts |"
      "\n|---|---|---|---|---|---|\n");
  struct Nf {
    std::string name, path;
    std::vector<std::string> ports;
    std::function<void(const loader::LoadedObject&)> configure;
  };
  const std::vector<Nf> nf_list = {
      {"null (XDP_TX, anchor)", progs + "/xdp_null.o", {gen}, nullptr},
      {"wire",
       nfs + "/wire.o",
       {gen, gen + ",seed=2"},
       [](const loader::LoadedObject& o) {
         uint32_t key = 0, cfg[2] = {port_ifindex(0), port_ifindex(1)};
         update(o, "wire_config", &key, cfg);
       }},
      {"l2_learning_switch",
       nfs + "/l2_learning_switch.o",
       {gen + ",smac=02:00:00:00:00:01,dmac=02:00:00:00:00:02",
        gen + ",smac=02:00:00:00:00:02,dmac=02:00:00:00:00:01,seed=2"},
       [](const loader::LoadedObject& o) {
         for (uint32_t p = 0; p < 2; ++p) {
           uint32_t ifindex = port_ifindex(p);
           update(o, "flood_ports", &ifindex, &ifindex);
         }
       }},
      {"ipv4_router",
       nfs + "/ipv4_router.o",
       {gen},
       [](const loader::LoadedObject& o) {
         struct {
           uint32_t prefixlen, addr;
         } key{16, htonl(0xc6130000)};  // 198.19.0.0/16
         struct {
           uint8_t dst[6], src[6];
           uint32_t port;
         } route{{2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 8}, port_ifindex(0)};
         update(o, "routes", &key, &route);
       }},
      {"ddos_mitigation",
       nfs + "/ddos_mitigation.o",
       {gen},
       [](const loader::LoadedObject& o) {
         uint32_t key = 0;
         uint64_t cfg[2] = {1000000000, 1000000000};  // no source is rate-limited
         update(o, "ddos_config", &key, cfg);
       }},
  };
  for (const Nf& nf : nf_list) {
    if (nf.name.find(only) == std::string::npos) continue;
    // interpreter with 1 engine, JIT with 1 and 2 engines
    const struct {
      uint32_t engines;
      bool jit;
    } runs[] = {{1, false}, {1, true}, {2, true}};
    Result r[3];
    for (int i = 0; i < 3; ++i) {
      auto obj = load(nf.path, runs[i].engines, nf.name.starts_with("null") ? "xdp_null_a" : "");
      if (nf.configure) nf.configure(*obj);
      r[i] = measure(obj, nf.ports, runs[i].engines, runs[i].jit);
    }
    auto cell = [](const Result& x) {
      return fmt::format("{:.2f} ({:.2f}/CPU-s, {:.2f} cores)", x.mpps, x.mpps_per_core, x.cores);
    };
    std::printf("| %s | %s | %s | %s | %.2f | %s |\n", nf.name.c_str(), cell(r[0]).c_str(),
                cell(r[1]).c_str(), cell(r[2]).c_str(), r[1].mpps > 0 ? r[2].mpps / r[1].mpps : 0.0,
                verdict_mix(r[1].counters).c_str());
    std::fflush(stdout);
  }
  if (swaps > 0) {
    std::printf(
        "\n| swap latency (publish -> first packet on every engine) | swaps | p50 us | p99 us "
        "| max us | mean us | packets lost |\n|---|---|---|---|---|---|---|\n");
    for (uint32_t e = 1; e <= 2; ++e) {
      SwapFigures f = measure_swaps(progs + "/xdp_null.o", e, swaps);
      std::printf("| %u engine(s) | %llu | %.1f | %.1f | %.1f | %.1f | %llu |\n", e,
                  static_cast<unsigned long long>(f.swaps), f.p50_us, f.p99_us, f.max_us, f.mean_us,
                  static_cast<unsigned long long>(f.lost));
      std::fflush(stdout);
    }
  }
  return 0;
}
