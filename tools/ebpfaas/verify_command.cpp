// `ebpfaas verify PROG [--section S] [--log] [--map ...]`: runs the verifier
// and prints the verdict, the instructions processed, the states and the
// time; exits non-zero when a program is rejected. PROG is an ELF object
// (every XDP program in it, or the one --section names), a C file (compiled
// like users do), raw code (.bin) or assembly (.s, .asm); maps for raw
// programs are given with --map.
#include <linux/bpf.h>

#include <cstdio>
#include <map>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "support/file.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"
#include "tools/ebpfaas/program_source.h"
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

// Verifies one program; prints its verdict line (and the log when asked).
bool verify_one(const std::string& what, const std::vector<ebpf::Insn>& insns,
                const std::vector<ebpf::MapSpec>& maps, bool devmap_program, bool log) {
  auto decoded = ebpf::decode(insns);
  if (!decoded) {
    std::printf("REJECTED %s: %s\n", what.c_str(), decoded.error().message().c_str());
    return false;
  }
  verifier::VerifyOptions options;
  options.maps = maps;
  options.log_level = log ? 2 : 0;
  options.devmap_program = devmap_program;
  std::string rejection_log;
  options.rejection_log = &rejection_log;
  auto result = verifier::verify(*decoded, options);
  if (!result) {
    if (log) std::fputs(rejection_log.c_str(), stdout);
    std::printf("REJECTED %s: %s\n", what.c_str(), result.error().message().c_str());
    return false;
  }
  if (log) std::fputs(result->log.c_str(), stdout);
  std::printf("ACCEPTED %s: %zu instructions, %llu processed, %u states (peak %u), %.3f ms\n",
              what.c_str(), insns.size(), static_cast<unsigned long long>(result->insns_processed),
              result->total_states, result->peak_states, result->time_ms);
  return true;
}

bool is_object_or_source(const std::string& path) {
  if (path.size() > 2 && path.substr(path.size() - 2) == ".c") return true;
  auto bytes = read_file(path);
  return bytes && bytes->size() >= 4 && (*bytes)[0] == 0x7f && (*bytes)[1] == 'E' &&
         (*bytes)[2] == 'L' && (*bytes)[3] == 'F';
}

int run_verify(const std::string& path, const std::string& section, bool log,
               const std::vector<std::string>& map_args) {
  if (is_object_or_source(path)) {
    if (!map_args.empty())
      throw CommandError("--map is for raw programs: an object declares its own maps");
    const loader::ObjectFile object = open_program_source(path);
    std::vector<const loader::ProgramSpec*> chosen;
    if (!section.empty()) {
      const loader::ProgramSpec* p = object.find_program(section);
      if (!p) throw CommandError(path + ": no program or section '" + section + "'");
      chosen.push_back(p);
    } else {
      for (const auto& p : object.programs)
        if (p.autoload && (p.type == 0 || p.type == BPF_PROG_TYPE_XDP)) chosen.push_back(&p);
      if (chosen.empty()) throw CommandError(path + ": no XDP program in the object");
    }
    bool all = true;
    for (const loader::ProgramSpec* p : chosen) {
      if (p->type != 0 && p->type != BPF_PROG_TYPE_XDP) {
        std::printf("REJECTED %s (%s): only XDP programs run in ebpfaas (section %s)\n",
                    path.c_str(), p->name.c_str(), p->section.c_str());
        all = false;
        continue;
      }
      all &= verify_one(fmt::format("{} ({}, section {})", path, p->name, p->section), p->insns,
                        object.maps, p->expected_attach_type == BPF_XDP_DEVMAP, log);
    }
    return all ? 0 : 1;
  }

  std::vector<ebpf::MapSpec> maps;
  for (const std::string& m : map_args) {
    auto spec = parse_map(m);
    if (!spec) throw CommandError(spec.error().message());
    maps.push_back(*spec);
  }
  auto insns = read_program(path);
  if (!insns) throw CommandError(insns.error().message());
  return verify_one(path, *insns, maps, false, log) ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("verify", "Prove a program safe (or show why it is not)");
  static std::string path, section;
  static bool log = false;
  static std::vector<std::string> maps;
  cmd->add_option("program", path,
                  "OBJ.o (ELF object), FN.c (compiled first), PROG.bin (raw code) or PROG.s")
      ->required();
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
