// `ebpfaas prog run`, the counterpart of `bpftool prog run`: each packet of a
// pcap file is one XDP invocation; map state carries over from packet to
// packet. The work is done by the loader, the VM and the pcap reader.
#include <linux/bpf.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "dataplane/pcap_file.h"
#include "loader/load.h"
#include "loader/map_state.h"
#include "support/hex.h"
#include "support/qsbr.h"
#include "tools/ebpfaas/commands.h"
#include "tools/ebpfaas/program_source.h"
#include "vm/xdp_frame.h"

namespace ebpfaas::cli {
namespace {

struct ProgRunArgs {
  std::string object, section, in, out, state, clock = "real";
  uint32_t repeat = 1, port = 0, ifindex = 0;  // ifindex 0: port + 1
  bool jit = false, interp = false, checked = false, jsonl = false, dump_maps = false,
       no_verify = false;
};

const char* action_name(uint32_t a) {
  switch (a) {
    case XDP_ABORTED:
      return "XDP_ABORTED";
    case XDP_DROP:
      return "XDP_DROP";
    case XDP_PASS:
      return "XDP_PASS";
    case XDP_TX:
      return "XDP_TX";
    case XDP_REDIRECT:
      return "XDP_REDIRECT";
    default:
      return "unknown";
  }
}

void run_prog(const ProgRunArgs& a) {
  loader::LoadOptions options;
  if (!a.section.empty()) options.programs = {a.section};
  options.verify = !a.no_verify;
  auto object = load_program_source(a.object, options);
  const loader::LoadedProgram* prog =
      a.section.empty() ? &object.programs.front() : object.find(a.section);
  if (!prog) throw CommandError(a.object + ": no program '" + a.section + "'");
  if (!a.state.empty()) {
    if (auto st = loader::restore_state(*object.maps, a.state); !st)
      throw CommandError(st.error().message());
  }
  auto runner = make_runner(*prog, a.jit && !a.interp, a.checked || !prog->verified);

  auto reader = dataplane::PcapReader::open(a.in);
  if (!reader) throw CommandError(reader.error().message());
  std::optional<dataplane::PcapWriter> writer;
  if (!a.out.empty()) {
    auto w = dataplane::PcapWriter::create(a.out);
    if (!w) throw CommandError(w.error().message());
    writer.emplace(std::move(*w));
  }

  QsbrThread engine(QsbrDomain::global());
  helpers::RunContext rc;
  rc.checked = runner.checked;
  rc.linked_maps = prog->map_handles;
  rc.fixed_clock = a.clock == "pcap";
  rc.trace = [](void*, std::string_view line) {
    std::fprintf(stderr, "bpf_trace_printk: %.*s\n", static_cast<int>(line.size()), line.data());
  };
  vm::XdpFrame frame;
  uint64_t verdicts[6] = {}, packets = 0;
  double total_ns = 0;
  for (;;) {
    auto next = reader->next();
    if (!next) throw CommandError(next.error().message());
    if (!*next) break;
    const dataplane::PcapPacket& pkt = **next;
    if (auto st = frame.load(pkt.data, a.ifindex ? a.ifindex : a.port + 1); !st)
      throw CommandError(fmt::format("{}: packet {}: {}", a.in, packets + 1, st.error().message()));
    rc.clock_ns = pkt.timestamp_ns;
    uint32_t ret = 0;
    auto start = std::chrono::steady_clock::now();
    // As in the kernel, the repeats share the buffer and the maps.
    for (uint32_t r = 0; r < std::max(a.repeat, 1u); ++r) {
      rc.reset();
      ret = runner.run(frame.buff(), rc);
      if (rc.stop == helpers::RunContext::Stop::kFault)
        throw CommandError(fmt::format("{}: packet {}: {}", a.in, packets + 1, rc.fault_message));
    }
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        std::max(a.repeat, 1u);
    engine.quiescent();
    total_ns += ns;
    ++packets;
    ++verdicts[ret <= XDP_REDIRECT ? ret : 5];
    if (a.jsonl) {
      nlohmann::ordered_json line = {{"retval", ret},
                                     {"data_out", to_hex(frame.meta_and_data())},
                                     {"duration_ns", static_cast<uint64_t>(ns)}};
      std::printf("%s\n", line.dump().c_str());
    }
    if (writer && ret != XDP_DROP && ret != XDP_ABORTED)
      writer->write(pkt.timestamp_ns, frame.data());
  }
  if (writer)
    if (auto st = writer->close(); !st) throw CommandError(st.error().message());
  if (!a.state.empty())
    if (auto st = loader::save_state(*object.maps, a.state); !st)
      throw CommandError(st.error().message());
  if (a.dump_maps)
    for (const auto& m : object.maps->all())
      std::printf("%s\n", loader::dump_map(*m).dump().c_str());
  if (!a.jsonl) {
    std::fprintf(stderr, "%s (%s, %s): %llu packets, %.1f ns per packet\n", prog->name.c_str(),
                 runner.description.c_str(), prog->verified ? "verified" : "not verified",
                 static_cast<unsigned long long>(packets), packets ? total_ns / packets : 0.0);
    for (uint32_t v = 0; v <= XDP_REDIRECT; ++v)
      if (verdicts[v])
        std::fprintf(stderr, "  %-13s %llu\n", action_name(v),
                     static_cast<unsigned long long>(verdicts[v]));
    if (verdicts[5])
      std::fprintf(stderr, "  %-13s %llu\n", "other", static_cast<unsigned long long>(verdicts[5]));
  }
}

}  // namespace

void add_prog_commands(CLI::App& app) {
  auto* prog = app.add_subcommand("prog", "Run programs over recorded packets");
  prog->require_subcommand(1);
  auto* run = prog->add_subcommand(
      "run", "Run an XDP program once per packet of a pcap file (like bpftool prog run)");
  static ProgRunArgs a;
  run->add_option("object", a.object, "OBJ.o (or FN.c, compiled like users do)")->required();
  run->add_option("--section", a.section, "program by name or section (default: the first)");
  run->add_option("--in", a.in, "input pcap file")->required();
  run->add_option("--out", a.out, "write packets not dropped, as the program left them");
  run->add_option("--repeat", a.repeat, "runs per packet (they share buffer and maps)");
  auto* port =
      run->add_option("--port", a.port,
                      "ingress port P, numbered as `ebpfaas run` numbers ports: the program sees "
                      "ctx->ingress_ifindex P + 1 (default 0: ifindex 1, the loopback device "
                      "BPF_PROG_TEST_RUN reports when given no context)");
  run->add_option("--ifindex", a.ifindex, "ingress ifindex seen by the program, as is")
      ->check(CLI::Range(1u, 0x7fffffffu))
      ->excludes(port);
  auto* i = run->add_flag("--interp", a.interp, "run in the interpreter (default)");
  auto* j = run->add_flag("--jit", a.jit, "run JIT-compiled code");
  i->excludes(j);
  run->add_flag("--checked", a.checked, "bounds-check every access (always so without --verify)");
  run->add_flag("--no-verify", a.no_verify, "skip the verifier (the program then runs checked)");
  run->add_flag("--jsonl", a.jsonl,
                "one line per packet: {\"retval\":N,\"data_out\":\"HEX\",\"duration_ns\":N}");
  run->add_flag("--dump-maps", a.dump_maps, "print every map's entries as JSON at the end");
  run->add_option("--state", a.state, "map state file: restored before, saved after the run");
  run->add_option("--clock", a.clock, "real, or pcap: time helpers return the packet's timestamp")
      ->check(CLI::IsMember({"real", "pcap"}));
  run->callback([] { run_prog(a); });
}

}  // namespace ebpfaas::cli
