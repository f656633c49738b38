// `ebpfaas verify PROG [--section S] [--log] [--map ...]`: runs the verifier
// and prints the verdict, the instructions processed, the states and the
// time; exits non-zero when the program is rejected. PROG is raw code
// (.bin) or assembly (.s, .asm); maps for raw programs are given with --map.
#include <linux/bpf.h>

#include <cstdio>
#include <map>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "support/file.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"
#include "verifier/verifier.h"

namespace ebpfaas::cli {
namespace {

// "counters=array:4:8:16[:flags]" -> MapSpec.
Expected<ebpf::MapSpec> parse_map(const std::string& text) {
  static const std::map<std::string, uint32_t> kTypes = {
      {"hash", BPF_MAP_TYPE_HASH},
      {"array", BPF_MAP_TYPE_ARRAY},
      {"prog_array", BPF_MAP_TYPE_PROG_ARRAY},
      {"percpu_hash", BPF_MAP_TYPE_PERCPU_HASH},
      {"percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY},
      {"lru_hash", BPF_MAP_TYPE_LRU_HASH},
      {"lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH},
      {"lpm_trie", BPF_MAP_TYPE_LPM_TRIE},
      {"devmap", BPF_MAP_TYPE_DEVMAP},
      {"devmap_hash", BPF_MAP_TYPE_DEVMAP_HASH},
      {"queue", BPF_MAP_TYPE_QUEUE},
      {"stack", BPF_MAP_TYPE_STACK},
  };
  ebpf::MapSpec spec;
  std::string rest = text;
  if (auto eq = rest.find('='); eq != std::string::npos) {
    spec.name = rest.substr(0, eq);
    rest = rest.substr(eq + 1);
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t colon = rest.find(':', start);
    parts.push_back(rest.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 4 || parts.size() > 5)
    return errorf("--map '{}': expected [NAME=]TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS]", text);
  auto type = kTypes.find(parts[0]);
  if (type == kTypes.end()) return errorf("--map '{}': unknown map type '{}'", text, parts[0]);
  spec.type = type->second;
  uint32_t* fields[] = {&spec.key_size, &spec.value_size, &spec.max_entries, &spec.flags};
  for (size_t i = 1; i < parts.size(); ++i) {
    auto v = parse_int(parts[i]);
    if (!v || *v < 0 || *v > UINT32_MAX)
      return errorf("--map '{}': bad number '{}'", text, parts[i]);
    *fields[i - 1] = static_cast<uint32_t>(*v);
  }
  if (spec.name.empty()) spec.name = fmt::format("map{}", parts.size());
  return spec;
}

Expected<std::vector<ebpf::Insn>> read_program(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  if (bytes->size() >= 4 && (*bytes)[0] == 0x7f && (*bytes)[1] == 'E' && (*bytes)[2] == 'L' &&
      (*bytes)[3] == 'F')
    return errorf(
        "{}: ELF objects need the object loader, which this build does not have yet; "
        "pass raw code (.bin) or assembly (.s)",
        path);
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends_with(".s") || ends_with(".asm")) {
    auto insns = ebpf::assemble(std::string(bytes->begin(), bytes->end()));
    if (!insns) return insns.error().context(path);
    return insns;
  }
  auto insns = ebpf::insns_from_bytes(*bytes);
  if (!insns) return insns.error().context(path);
  return insns;
}

int run_verify(const std::string& path, const std::string& section, bool log,
               const std::vector<std::string>& map_args) {
  (void)section;
  std::vector<ebpf::MapSpec> maps;
  for (const std::string& m : map_args) {
    auto spec = parse_map(m);
    if (!spec) throw CommandError(spec.error().message());
    maps.push_back(*spec);
  }
  auto insns = read_program(path);
  if (!insns) throw CommandError(insns.error().message());
  auto decoded = ebpf::decode(*insns);
  if (!decoded) {
    std::printf("REJECTED %s: %s\n", path.c_str(), decoded.error().message().c_str());
    return 1;
  }
  verifier::VerifyOptions options;
  options.maps = maps;
  options.log_level = log ? 2 : 0;
  std::string rejection_log;
  options.rejection_log = &rejection_log;
  auto result = verifier::verify(*decoded, options);
  if (!result) {
    if (log) std::fputs(rejection_log.c_str(), stdout);
    std::printf("REJECTED %s: %s\n", path.c_str(), result.error().message().c_str());
    return 1;
  }
  if (log) std::fputs(result->log.c_str(), stdout);
  std::printf("ACCEPTED %s: %zu instructions, %llu processed, %u states (peak %u), %.3f ms\n",
              path.c_str(), insns->size(), static_cast<unsigned long long>(result->insns_processed),
              result->total_states, result->peak_states, result->time_ms);
  return 0;
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Prove a program safe (or show why it is not)");
  static std::string path, section;
  static bool log = false;
  static std::vector<std::string> maps;
  cmd->add_option("program", path, "PROG.bin (raw code) or PROG.s (assembly)")->required();
  cmd->add_option("--section", section, "program section in an object file");
  cmd->add_flag("--log", log, "print the verifier's step-by-step state (like Linux's log level 2)");
  cmd->add_option("--map", maps,
                  "a map of a raw program, in lddw map_idx order: "
                  "[NAME=]TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS]");
  cmd->callback([] {
    const int rc = run_verify(path, section, log, maps);
    if (rc != 0) throw RejectedExit(rc);
  });
}

}  // namespace ebpfaas::cli
