// `ebpfaas run` and `ebpfaas bench`: an NF on the data plane (ports, engines,
// program slot) with live per-second figures and a final summary. The work is
// done by dataplane/engine.h; this file parses arguments and prints.
#include <linux/bpf.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "dataplane/engine.h"
#include "loader/map_state.h"
#include "tools/ebpfaas/commands.h"
#include "tools/ebpfaas/program_source.h"

namespace ebpfaas::cli {
namespace {

using namespace ebpfaas::dataplane;

std::atomic<bool> interrupted{false};

struct RunArgs {
  std::string object, section, state, other, gen;
  std::vector<std::string> ports;
  uint32_t engines = 1;
  double duration = 0;
  double swap_interval_ms = 100;
  int host_port = -1;
  bool jit = false, no_pin = false, quiet = false, json = false;
};

// A prepared program whose code is a Runner (the tier make_runner chose: the
// interpreter today, the JIT when it is built in).
std::unique_ptr<PreparedProgram> prepare(std::shared_ptr<const loader::LoadedObject> object,
                                         const std::string& section, bool jit) {
  const loader::LoadedProgram* prog =
      section.empty() ? &object->programs.front() : object->find(section);
  if (!prog) throw CommandError(object->name + ": no program '" + section + "'");
  if (!jit) {
    auto p = prepare_interpreted(object, section);
    if (!p) throw CommandError(p.error().message());
    return std::move(*p);
  }
  auto runner = std::make_shared<Runner>(make_runner(*prog, true, !prog->verified));
  auto p = std::make_unique<PreparedProgram>();
  p->object = std::move(object);
  p->program = prog;
  p->tier = runner->description;
  p->checked = runner->checked;
  p->code = runner.get();
  p->keepalive = runner;
  p->run_fn = [](const void* code, helpers::XdpBuff& buff, helpers::RunContext& rc) {
    return static_cast<const Runner*>(code)->run(buff, rc);
  };
  return p;
}

std::shared_ptr<const loader::LoadedObject> load(const std::string& path, const RunArgs& a,
                                                 const loader::MapSet* reuse) {
  loader::LoadOptions options;
  options.map_options.num_cpus = a.engines;
  options.reuse = reuse;
  if (!a.section.empty()) options.programs = {a.section};
  auto object = load_program_source(path, options);
  if (object.programs.empty()) throw CommandError(path + ": no XDP program");
  return std::make_shared<loader::LoadedObject>(std::move(object));
}

const char* kVerdictNames[] = {"aborted", "drop", "pass", "tx", "redirect"};

void print_second(double t, const EngineCounters& now, const EngineCounters& before, double dt) {
  const double pkts = static_cast<double>(now.rx_packets - before.rx_packets);
  const double bytes = static_cast<double>(now.rx_bytes - before.rx_bytes);
  std::string verdicts;
  for (size_t v = 0; v < 5; ++v)
    if (uint64_t n = now.verdicts[v] - before.verdicts[v])
      verdicts += fmt::format(" {} {}", kVerdictNames[v], n);
  std::printf(
      "%6.1fs  %8.3f Mpps  %7.3f Gb/s  tx %8.3f Mpps  drops %llu %s\n", t, pkts / dt / 1e6,
      bytes * 8 / dt / 1e9, static_cast<double>(now.tx_packets - before.tx_packets) / dt / 1e6,
      static_cast<unsigned long long>(now.drops_total() - before.drops_total()), verdicts.c_str());
  std::fflush(stdout);
}

nlohmann::ordered_json summary(const DataPlane& dp, const std::string& program,
                               const std::string& tier, double seconds, uint64_t swaps_published) {
  const EngineCounters t = dp.total_counters();
  const auto lat = dp.latency();
  nlohmann::ordered_json j;
  j["program"] = program;
  j["tier"] = tier;
  j["engines"] = dp.engines();
  j["seconds"] = seconds;
  j["rx_packets"] = t.rx_packets;
  j["rx_bytes"] = t.rx_bytes;
  j["tx_packets"] = t.tx_packets;
  j["mpps"] = static_cast<double>(t.rx_packets) / seconds / 1e6;
  j["gbps"] = static_cast<double>(t.rx_bytes) * 8 / seconds / 1e9;
  nlohmann::ordered_json per_engine = nlohmann::json::array();
  for (uint32_t e = 0; e < dp.engines(); ++e) {
    const EngineCounters c = dp.engine_counters(e);
    per_engine.push_back({{"engine", e},
                          {"cpu", dp.engine_cpu(e)},
                          {"rx_packets", c.rx_packets},
                          {"mpps", static_cast<double>(c.rx_packets) / seconds / 1e6}});
  }
  j["per_engine"] = per_engine;
  nlohmann::ordered_json verdicts;
  for (size_t v = 0; v < 5; ++v) verdicts[kVerdictNames[v]] = t.verdicts[v];
  j["verdicts"] = verdicts;
  nlohmann::ordered_json drops;
  for (size_t d = 0; d < t.drops.size(); ++d)
    if (t.drops[d]) drops[drop_cause_name(static_cast<DropCause>(d))] = t.drops[d];
  j["drops"] = drops;
  j["latency_ns"] = {{"p50", latency_quantile(lat, 0.5)},
                     {"p99", latency_quantile(lat, 0.99)},
                     {"p99.9", latency_quantile(lat, 0.999)}};
  if (swaps_published) {
    // Every packet received went somewhere: out of a port or counted as a drop.
    const uint64_t accounted = t.tx_packets + t.drops_total();
    j["swaps"] = swaps_published;
    j["lost"] = t.rx_packets + t.broadcast_copies > accounted
                    ? t.rx_packets + t.broadcast_copies - accounted
                    : 0;
    j["swap_latency_us"] = {
        {"mean", t.swaps ? static_cast<double>(t.total_swap_ns) / t.swaps / 1e3 : 0.0},
        {"max", static_cast<double>(t.max_swap_ns) / 1e3}};
  }
  nlohmann::ordered_json ports = nlohmann::json::array();
  for (size_t p = 0; p < dp.port_count(); ++p) {
    const PortStats s = dp.port(p).stats();
    ports.push_back({{"port", p},
                     {"ifindex", port_ifindex(static_cast<uint32_t>(p))},
                     {"spec", dp.port(p).name()},
                     {"device", dp.port(p).device()},
                     {"rx_packets", s.rx_packets},
                     {"tx_packets", s.tx_packets},
                     {"rx_dropped", s.rx_dropped},
                     {"tx_dropped", s.tx_dropped}});
  }
  j["ports"] = ports;
  return j;
}

void print_summary(const nlohmann::ordered_json& j) {
  std::printf("%s (%s), %u engine(s), %.2f s: %.3f Mpps, %.3f Gb/s\n",
              j["program"].get<std::string>().c_str(), j["tier"].get<std::string>().c_str(),
              j["engines"].get<uint32_t>(), j["seconds"].get<double>(), j["mpps"].get<double>(),
              j["gbps"].get<double>());
  for (const auto& e : j["per_engine"])
    std::printf("  engine %u (cpu %d): %llu packets, %.3f Mpps\n", e["engine"].get<uint32_t>(),
                e["cpu"].get<int>(), e["rx_packets"].get<unsigned long long>(),
                e["mpps"].get<double>());
  std::printf("  verdicts:");
  for (const auto& [k, v] : j["verdicts"].items())
    if (v.get<uint64_t>()) std::printf(" %s %llu", k.c_str(), v.get<unsigned long long>());
  std::printf("\n");
  for (const auto& [k, v] : j["drops"].items())
    std::printf("  dropped, %s: %llu\n", k.c_str(), v.get<unsigned long long>());
  std::printf("  latency (arrival to verdict): p50 %llu ns, p99 %llu ns, p99.9 %llu ns\n",
              j["latency_ns"]["p50"].get<unsigned long long>(),
              j["latency_ns"]["p99"].get<unsigned long long>(),
              j["latency_ns"]["p99.9"].get<unsigned long long>());
  if (j.contains("swaps"))
    std::printf("  swaps %llu, packets lost %llu, swap latency mean %.1f us, max %.1f us\n",
                j["swaps"].get<unsigned long long>(), j["lost"].get<unsigned long long>(),
                j["swap_latency_us"]["mean"].get<double>(),
                j["swap_latency_us"]["max"].get<double>());
  for (const auto& p : j["ports"])
    std::printf(
        "  port %u (ifindex %u) %s%s: rx %llu, tx %llu, rx dropped %llu, tx dropped %llu\n",
        p["port"].get<uint32_t>(), p["ifindex"].get<uint32_t>(),
        p["spec"].get<std::string>().c_str(),
        p["device"].get<std::string>().empty()
            ? ""
            : (" [" + p["device"].get<std::string>() + "]").c_str(),
        p["rx_packets"].get<unsigned long long>(), p["tx_packets"].get<unsigned long long>(),
        p["rx_dropped"].get<unsigned long long>(), p["tx_dropped"].get<unsigned long long>());
}

void run_dataplane(const RunArgs& a, bool bench) {
  if (a.engines == 0 || a.engines > 64) throw CommandError("--engines must be 1..64");
  auto object = load(a.object, a, nullptr);
  if (!a.state.empty())
    if (auto st = loader::restore_state(*object->maps, a.state); !st)
      throw CommandError(st.error().message());
  std::shared_ptr<const loader::LoadedObject> other;
  if (!a.other.empty()) other = load(a.other, a, object->maps.get());

  std::vector<std::unique_ptr<Port>> ports;
  std::vector<std::string> specs = a.ports;
  if (bench) specs = {"gen:" + a.gen};
  for (const std::string& spec : specs) {
    auto port = open_port(spec, {.queues = static_cast<uint16_t>(a.engines)});
    if (!port) throw CommandError(port.error().message());
    ports.push_back(std::move(*port));
  }
  ProgramSlot slot;
  slot.publish(prepare(object, a.section, a.jit));
  // The first version may be freed by the time the summary is printed.
  const std::string program_name = slot.active()->program->name, tier = slot.active()->tier;
  DataPlane dp(std::move(ports), slot,
               {.engines = a.engines, .pin = !a.no_pin, .host_port = a.host_port});

  interrupted = false;
  auto old_int = std::signal(SIGINT, [](int) { interrupted = true; });
  auto old_term = std::signal(SIGTERM, [](int) { interrupted = true; });
  if (auto st = dp.start(); !st) throw CommandError(st.error().message());

  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  auto last_print = start, last_swap = start;
  EngineCounters before{};
  uint64_t swaps = 0;
  bool use_other = false;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(
        other ? std::max(1, static_cast<int>(std::min(a.swap_interval_ms, 50.0))) : 20));
    const auto now = clock::now();
    const double t = std::chrono::duration<double>(now - start).count();
    if (other &&
        std::chrono::duration<double, std::milli>(now - last_swap).count() >= a.swap_interval_ms) {
      use_other = !use_other;
      slot.publish(prepare(use_other ? other : object, a.section, a.jit));
      ++swaps;
      last_swap = now;
    }
    if (!a.quiet && !a.json && now - last_print >= std::chrono::seconds(1)) {
      const EngineCounters c = dp.total_counters();
      print_second(t, c, before, std::chrono::duration<double>(now - last_print).count());
      before = c;
      last_print = now;
    }
    if (interrupted || (a.duration > 0 && t >= a.duration) || dp.inputs_exhausted()) break;
  }
  dp.stop();
  const double seconds = std::chrono::duration<double>(clock::now() - start).count();
  std::signal(SIGINT, old_int);
  std::signal(SIGTERM, old_term);
  Status closed = dp.close_ports();
  auto j = summary(dp, program_name, tier, seconds, swaps);
  if (a.json)
    std::printf("%s\n", j.dump().c_str());
  else
    print_summary(j);
  if (!closed) throw CommandError(closed.error().message());
  if (!a.state.empty())
    if (auto st = loader::save_state(*object->maps, a.state); !st)
      throw CommandError(st.error().message());
}

void common_options(CLI::App* cmd, RunArgs& a) {
  cmd->add_option("object", a.object, "OBJ.o (or FN.c, compiled like users do)")->required();
  cmd->add_option("--section", a.section, "program by name or section (default: the first)");
  cmd->add_option("--engines", a.engines, "engines (threads, one per core; default 1)");
  cmd->add_option("--duration", a.duration, "seconds to run (default: until the inputs end or ^C)");
  cmd->add_option("--state", a.state, "map state file: restored before, saved after the run");
  cmd->add_flag("--jit", a.jit, "run JIT-compiled code");
  cmd->add_flag("--no-pin", a.no_pin, "do not pin engines to CPUs");
  cmd->add_flag("--json", a.json, "print the summary as one JSON object");
  cmd->add_option("--swap", a.other, "OTHER.o: published in turn with OBJ while traffic flows");
  cmd->add_option("--swap-interval", a.swap_interval_ms, "ms between swaps (default 100)");
}

}  // namespace

void add_run_commands(CLI::App& app) {
  static RunArgs run_args, bench_args;
  auto* run =
      app.add_subcommand("run", "Run an NF on packet ports (port i is ifindex i+1 to the program)");
  common_options(run, run_args);
  run->add_option("--port", run_args.ports,
                  "gen:KEY=V,..  pcap:IN[,out=OUT][,timing=fast|capture][,loop=N]  "
                  "dpdk:PCI|VDEV[,ARGS]  iface:NAME (repeatable)")
      ->required();
  run->add_option("--host-port", run_args.host_port,
                  "port index that receives XDP_PASS (default: counted and freed)");
  run->add_flag("--quiet", run_args.quiet, "no per-second figures");
  run->callback([] { run_dataplane(run_args, false); });

  auto* bench = app.add_subcommand("bench", "Throughput of an NF on the in-memory generator");
  common_options(bench, bench_args);
  bench_args.duration = 5;
  bench->add_option("--gen", bench_args.gen, "traffic spec: size=64,flows=1024[,dist=zipf:1.1]")
      ->required();
  bench->callback([] { run_dataplane(bench_args, true); });
}

}  // namespace ebpfaas::cli
