// The control plane's costs: how long a deploy takes (ELF and C) against its
// unavoidable part measured in the same run (loading + verifying the object,
// compiling the C alone), and what the scheduler adds per execution: wall time
// beyond the requested time, packets lost across back-to-back switches.
//
//   control_bench [--rounds N] [--executions N] [--seconds S] [--engines N]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "control/service.h"
#include "dataplane/jit_tier.h"
#include "loader/compile.h"
#include "loader/load.h"
#include "support/file.h"

using namespace ebpfaas;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "control_bench: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5, executions = 20, engines = 1;
  double seconds = 0.2;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--executions")) executions = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--engines")) engines = std::atoi(argv[i + 1]);
  }
  const std::string nfs = EBPFAAS_NFS_DIR, src = EBPFAAS_NFS_SRC_DIR;
  const auto state = std::filesystem::temp_directory_path() /
                     ("ebpfaas-control-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(state);

  control::ServiceOptions o;
  o.state_dir = state.string();
  o.ports = {"in=gen:size=64,flows=1024"};
  o.engines = static_cast<uint32_t>(engines);
  o.min_time = 0.05;  // a benchmark, not the daemon: short slices
  o.default_time = seconds;
  auto svc = control::Service::open(o);
  if (!svc) die(svc.error().message());
  control::Service& s = **svc;

  std::printf("control_bench: %d rounds, %d executions of %.2f s, %d engine(s)\n\n", rounds,
              executions, seconds, engines);
  std::printf("%-26s %12s %14s %10s\n", "deploy", "deploy ms", "anchor ms", "overhead");
  struct Case {
    const char* label;
    std::string path;
    bool c;
  };
  const Case cases[] = {{"wire.o (ELF)", nfs + "/wire.o", false},
                        {"ipv4_router.o (ELF)", nfs + "/ipv4_router.o", false},
                        {"l2_learning_switch.c (C)", src + "/l2_learning_switch.c", true},
                        {"ddos_mitigation.c (C)", src + "/ddos_mitigation.c", true}};
  int n = 0;
  for (const Case& c : cases) {
    auto bytes = read_file(c.path);
    if (!bytes) die(bytes.error().message());
    auto art = s.put_artifact(*bytes);
    if (!art) die(art.error().message());
    std::vector<double> deploy, anchor;
    for (int r = 0; r < rounds; ++r) {
      auto t = Clock::now();
      auto f = s.deploy({"f" + std::to_string(n++), art->image, {}, {}, {}});
      if (!f) die(f.error().message());
      deploy.push_back(ms_since(t));
      // Anchor: what a deploy cannot skip — compile (C), load + verify, prepare the JIT.
      const auto tmp = state / "anchor.o";
      t = Clock::now();
      std::string obj = c.path;
      if (c.c) {
        if (auto st = loader::compile_c(c.path, tmp.string()); !st) die(st.error().message());
        obj = tmp.string();
      }
      loader::LoadOptions lo;
      lo.map_options.num_cpus = o.engines;
      auto loaded = loader::load_file(obj, lo);
      if (!loaded) die(loaded.error().message());
      auto shared = std::make_shared<const loader::LoadedObject>(std::move(*loaded));
      auto p = dataplane::prepare_jit(shared, f->program);
      if (!p) die(p.error().message());
      anchor.push_back(ms_since(t));
    }
    const double d = median(deploy), a = median(anchor);
    std::printf("%-26s %12.2f %14.2f %9.2fx\n", c.label, d, a, a > 0 ? d / a : 0);
  }

  // Back-to-back executions of two functions in turn.
  auto wire = s.put_artifact(*read_file(nfs + "/wire.o"));
  auto ddos = s.put_artifact(*read_file(nfs + "/ddos_mitigation.o"));
  if (!s.deploy({"wire", wire->image, {}, {}, {}}) || !s.deploy({"ddos", ddos->image, {}, {}, {}}))
    die("deploy");
  std::vector<std::string> ids;
  const auto t0 = Clock::now();
  for (int i = 0; i < executions; ++i) {
    auto id = s.submit({i % 2 ? "ddos" : "wire", seconds, {}, ""}, {});
    if (!id) die(id.error().message());
    ids.push_back(*id);
  }
  std::vector<control::ExecutionRecord> recs;
  for (const auto& id : ids) {
    for (;;) {
      auto r = s.execution(id);
      if (r && control::is_final(r->status)) {
        recs.push_back(*r);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  const double wall = ms_since(t0) / 1000;
  if (auto st = s.shutdown(); !st) die(st.error().message());
  const control::MetricsSnapshot m = s.metrics();
  uint64_t in = 0;
  double ran = 0;
  for (const auto& r : recs) in += r.packets.in, ran += r.elapsed;
  const double requested = executions * seconds;
  std::printf("\n%-40s %12s\n", "scheduler", "value");
  std::printf("%-40s %12.3f\n", "requested time, s", requested);
  std::printf("%-40s %12.3f\n", "time the executions ran, s", ran);
  std::printf("%-40s %12.3f\n", "wall time submit..last record, s", wall);
  std::printf("%-40s %12.2f\n", "overhead per execution, ms",
              (wall - requested) * 1000 / executions);
  std::printf("%-40s %12.2f\n", "packets per execution, M", in / 1e6 / executions);
  std::printf("%-40s %12llu\n", "switches (program publications)",
              static_cast<unsigned long long>(m.program_swaps));
  std::printf("%-40s %12lld\n", "packets not accounted (rx - runs - idle)",
              static_cast<long long>(m.rx_packets) - static_cast<long long>(in + m.idle_packets));
  std::printf("%-40s %12llu\n", "packets with no program",
              static_cast<unsigned long long>(m.no_program_drops));
  svc->reset();
  std::filesystem::remove_all(state);
  return 0;
}
