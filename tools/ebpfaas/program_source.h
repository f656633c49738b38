// What the commands that run programs share: loading OBJ.o or FN.c, and
// choosing the tier (interpreter, checked interpreter, JIT).
#pragma once

#include <functional>
#include <string>

#include "loader/load.h"

namespace ebpfaas::cli {

// Opens an object; a .c file is compiled first (clang -O2 -g -target bpf).
// Throws CommandError with the compiler's or loader's message.
loader::ObjectFile open_program_source(const std::string& path);

// Loads an object; a .c file is compiled first (clang -O2 -g -target bpf).
// Throws CommandError with the compiler's, loader's or verifier's message.
loader::LoadedObject load_program_source(const std::string& path,
                                         const loader::LoadOptions& options);

struct Runner {
  bool checked = false;
  std::string description;  // "interpreter", "checked interpreter", "JIT"
  std::function<uint32_t(helpers::XdpBuff&, helpers::RunContext&)> run;
};

Runner make_runner(const loader::LoadedProgram& prog, bool jit, bool checked);

}  // namespace ebpfaas::cli
