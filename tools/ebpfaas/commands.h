// Each group of subcommands registers itself on the CLI11 app; main() only
// wires them together and maps errors to exit codes.
#pragma once

#include <CLI/CLI.hpp>

namespace ebpfaas::cli {

// asm, disasm, exec (the conformance plugin)
void add_isa_commands(CLI::App& app);
// demo: today's main job (`make run`)
void add_demo_command(CLI::App& app);
// gen: generated traffic into a pcap file
void add_gen_command(CLI::App& app);

// Thrown by command callbacks to exit with a message and status 1.
struct CommandError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace ebpfaas::cli
