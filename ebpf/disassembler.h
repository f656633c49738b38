// Disassembler producing the assembler's syntax, so that
// assemble(disassemble(p)) == p for every valid program.
#pragma once

#include <functional>
#include <span>
#include <string>

#include "ebpf/decode.h"
#include "ebpf/insn.h"

namespace ebpfaas::ebpf {

struct DisassembleOptions {
  bool labels = true;    // "L12:" and named targets instead of +N offsets
  bool show_pc = false;  // prefix each line with its pc as a comment
  // Extra text appended as a comment, e.g. a helper or map name; may return "".
  std::function<std::string(uint32_t pc, const Instruction&)> annotate;
};

// One instruction; `target_label` replaces a numeric target when non-empty.
std::string format_instruction(const Instruction& insn, uint32_t pc,
                               std::string_view target_label = {});

// A whole program. Invalid instructions are shown as `.invalid 0x...` lines
// with the decoder's message as a comment, so broken objects can be inspected.
std::string disassemble(std::span<const Insn> insns, const DisassembleOptions& options = {});

// Linux's name for a helper id ("map_lookup_elem"), or "" when unknown.
std::string_view helper_name(int32_t id);

}  // namespace ebpfaas::ebpf
