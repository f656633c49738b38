// The JIT tier for the program slot: the program compiled to native code
// (vm/jit, LLVM ORC) while it sits in the slot's inactive half, so that
// publishing it costs the engines nothing. A separate library
// (ebpfaas_engine_jit) so that only its users link LLVM.
#pragma once

#include <memory>
#include <string_view>

#include "dataplane/program_slot.h"

namespace ebpfaas::dataplane {

// JIT-compiles a verified program of `object` (by name or section; empty: the
// first). Errors name the program and what the JIT refused.
Expected<std::unique_ptr<PreparedProgram>> prepare_jit(
    std::shared_ptr<const loader::LoadedObject> object, std::string_view program = {});

}  // namespace ebpfaas::dataplane
