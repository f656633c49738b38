// ebpfaas: the command-line front end. Thin by design: argument parsing here,
// the work in the libraries.
#include <cstdio>

#include "tools/ebpfaas/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"ebpfaas: serverless network functions on eBPF/XDP"};
  app.require_subcommand(1);
  app.fallthrough();
  ebpfaas::cli::add_isa_commands(app);
  ebpfaas::cli::add_demo_command(app);
  ebpfaas::cli::add_gen_command(app);
  ebpfaas::cli::add_verify_command(app);
  ebpfaas::cli::add_prog_commands(app);
  ebpfaas::cli::add_map_commands(app);
  ebpfaas::cli::add_run_commands(app);
  ebpfaas::cli::add_function_commands(app);
  ebpfaas::cli::add_scaffold_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const ebpfaas::cli::RejectedExit& e) {
    return e.status;
  } catch (const ebpfaas::cli::CommandError& e) {
    std::fprintf(stderr, "ebpfaas: %s\n", e.what());
    return 1;
  }
  return 0;
}
