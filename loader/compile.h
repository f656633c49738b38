// Step 1 of the data flow: a network function in C becomes an ELF object the
// way users build XDP programs, `clang -O2 -g -target bpf`.
#pragma once

#include <string>
#include <vector>

#include "support/error.h"

namespace ebpfaas::loader {

struct CompileOptions {
  std::string clang = "clang-16";
  std::vector<std::string> include_dirs;  // besides the system and BPF headers
  std::vector<std::string> defines;       // NAME or NAME=VALUE
  // Seconds the compiler may run; beyond, it is killed (with every process
  // it started) and the compile fails naming the limit. 0: no limit.
  double timeout_seconds = 0;
};

// Compiles source_path into output_path. The error carries the compiler's
// messages (file:line: error: ...), or says that the time limit ran out.
Status compile_c(const std::string& source_path, const std::string& output_path,
                 const CompileOptions& options = {});

}  // namespace ebpfaas::loader
