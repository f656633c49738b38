// ebpfaas-oracle: runs an XDP object over a pcap file in the Linux kernel
// (BPF_PROG_TEST_RUN) and in ebpfaas, packet by packet, and reports every
// disagreement in return code, output bytes or final map contents.
//
//   ebpfaas-oracle OBJ.o --in TRACE.pcap [--section S] [--ifindex N]
//                  [--setup ENTRIES.json] [--ignore MAP:OFFSET:LEN ...]
//                  [--slot MAP:KEY:PROGRAM ...] [--max-reported N]
//
// ENTRIES.json: [{"map": "name", "key": "HEX", "value": "HEX"}, ...], written
// into both sides before the first packet. Exit 0: they agree; 1: they differ
// or an input is bad; 77: the kernel's BPF is not available (SKIPPED).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "dataplane/pcap_file.h"
#include "support/hex.h"
#include "tests/oracle/kernel_oracle.h"

namespace {

using namespace ebpfaas;

int fail(const std::string& message) {
  std::fprintf(stderr, "ebpfaas-oracle: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Compare ebpfaas with the Linux kernel on the same object and packets"};
  oracle::OracleOptions options;
  std::string in, setup;
  uint32_t ifindex = 1;
  std::vector<std::string> ignore;
  app.add_option("object", options.object, "ELF object (clang -O2 -g -target bpf)")->required();
  app.add_option("--in", in, "pcap file: one XDP invocation per packet")->required();
  app.add_option("--section", options.section, "program by name or section");
  app.add_option("--ifindex", ifindex, "ingress ifindex of every packet (a device here)");
  app.add_option("--setup", setup, "JSON list of initial map entries");
  app.add_option("--ignore", ignore, "MAP:OFFSET:LEN value bytes left out (timestamps)");
  std::vector<std::string> slots;
  app.add_option("--slot", slots, "MAP:KEY:PROGRAM prog array entries (tail call targets)");
  app.add_option("--max-reported", options.max_reported, "differences described (default 20)");
  CLI11_PARSE(app, argc, argv);

  for (const auto& spec : ignore) {
    oracle::IgnoredBytes ig;
    const auto a = spec.find(':'), b = spec.rfind(':');
    if (a == std::string::npos || a == b) return fail("--ignore " + spec + ": want MAP:OFFSET:LEN");
    ig.map = spec.substr(0, a);
    try {
      ig.offset = static_cast<uint32_t>(std::stoul(spec.substr(a + 1, b - a - 1)));
      ig.length = static_cast<uint32_t>(std::stoul(spec.substr(b + 1)));
    } catch (const std::exception&) {
      return fail("--ignore " + spec + ": OFFSET and LEN must be numbers");
    }
    options.ignore.push_back(ig);
  }
  for (const auto& spec : slots) {
    const auto a = spec.find(':'), b = spec.rfind(':');
    if (a == std::string::npos || a == b) return fail("--slot " + spec + ": want MAP:KEY:PROGRAM");
    oracle::ProgSlot slot{spec.substr(0, a), 0, spec.substr(b + 1)};
    try {
      slot.key = static_cast<uint32_t>(std::stoul(spec.substr(a + 1, b - a - 1)));
    } catch (const std::exception&) {
      return fail("--slot " + spec + ": KEY must be a number");
    }
    options.slots.push_back(slot);
  }
  if (!setup.empty()) {
    std::ifstream f(setup);
    if (!f) return fail(setup + ": cannot open");
    const auto doc = nlohmann::json::parse(f, nullptr, false);
    if (!doc.is_array()) return fail(setup + ": not a JSON list");
    for (size_t i = 0; i < doc.size(); ++i) {
      const auto& e = doc[i];
      if (!e.is_object() || !e.contains("map") || !e.contains("key") || !e.contains("value") ||
          !e["map"].is_string() || !e["key"].is_string() || !e["value"].is_string())
        return fail(
            fmt::format("{}: entry {}: want {{\"map\",\"key\",\"value\"}} strings", setup, i));
      auto key = parse_hex(e["key"].get<std::string>());
      auto value = parse_hex(e["value"].get<std::string>());
      if (!key) return fail(fmt::format("{}: entry {}: key: {}", setup, i, key.error().message()));
      if (!value)
        return fail(fmt::format("{}: entry {}: value: {}", setup, i, value.error().message()));
      options.setup.push_back({e["map"].get<std::string>(), std::move(*key), std::move(*value)});
    }
  }

  std::vector<oracle::OraclePacket> packets;
  auto reader = dataplane::PcapReader::open(in);
  if (!reader) return fail(reader.error().message());
  for (;;) {
    auto next = reader->next();
    if (!next) return fail(next.error().message());
    if (!*next) break;
    packets.push_back({std::vector<uint8_t>((*next)->data.begin(), (*next)->data.end()), ifindex});
  }

  auto report = oracle::run_oracle(options, packets);
  if (!report) return fail(report.error().message());
  if (!report->kernel_available) {
    std::printf("%s\n", report->why_unavailable.c_str());
    return 77;
  }
  for (const auto& d : report->differences) std::printf("DIFFERENCE %s\n", d.c_str());
  std::printf("%llu packets, %llu differ; %llu map entries compared, %llu maps differ\n",
              static_cast<unsigned long long>(report->packets),
              static_cast<unsigned long long>(report->mismatched_packets),
              static_cast<unsigned long long>(report->map_entries),
              static_cast<unsigned long long>(report->mismatched_maps));
  static const char* names[] = {"aborted", "drop", "pass", "tx", "redirect", "other"};
  for (int v = 0; v < 6; ++v)
    if (report->verdicts[v])
      std::printf("  %-9s %llu\n", names[v], static_cast<unsigned long long>(report->verdicts[v]));
  return report->agree() ? 0 : 1;
}
