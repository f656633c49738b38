// Lays out one entry program as libbpf's bpf_object__reloc_code() does: the
// entry function first, then each function it reaches through a call or a
// function address, appended once, depth first in instruction order; every
// call's imm and every function address (lddw, src = BPF_PSEUDO_FUNC) then
// points at the appended copy. Internal to loader/.
#pragma once

#include "loader/code_sections.h"
#include "loader/line_info.h"
#include "loader/object.h"
#include "support/error.h"

namespace ebpfaas::loader {

// `lines` may be null (no line info).
Expected<ProgramSpec> link_program(const CodeSections& code, size_t entry_function,
                                   const LineTable* lines);

}  // namespace ebpfaas::loader
