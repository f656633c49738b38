// Each group of subcommands registers itself on the CLI11 app; main() only
// wires them together and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace ebpfaas::cli {

// asm, disasm, exec (the conformance plugin)
void add_isa_commands(CLI::App& app);
// prog run: a program over the packets of a pcap file
void add_prog_commands(CLI::App& app);
// map list/dump/lookup/update/delete: a deployed function's maps, or a map state file
void add_map_commands(CLI::App& app);
// demo: today's main job (`make run`)
void add_demo_command(CLI::App& app);
// gen: generated traffic into a pcap file
void add_gen_command(CLI::App& app);
// verify: the verifier's verdict on a program
void add_verify_command(CLI::App& app);
// run, bench: an NF on the data plane
void add_run_commands(CLI::App& app);
// login, logout, deploy, update, remove, list, describe, invoke, logs, stats,
// version: functions on an ebpfaasd gateway, as faas-cli does on OpenFaaS
void add_function_commands(CLI::App& app);
// new, build: function scaffolds from templates/ and local builds
void add_scaffold_commands(CLI::App& app);

// Thrown by command callbacks to exit with a message and status 1.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Thrown by command callbacks that printed their own verdict and only need a
// non-zero exit status (e.g. `verify` of a rejected program).
struct RejectedExit {
  int status;
};

}  // namespace ebpfaas::cli
