#include <cstdio>
#include <iostream>
#include <iterator>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "ebpf/opcode.h"
#include "helpers/conformance.h"
#include "loader/object.h"
#include "support/file.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"
#include "vm/interpreter.h"
#include "vm/jit/jit.h"

namespace ebpfaas::cli {
namespace {

template <class T>
T unwrap(Expected<T> v) {
  if (!v) throw CommandError(v.error().message());
  return std::move(*v);
}

void unwrap(Status s) {
  if (!s) throw CommandError(s.error().message());
}

void run_asm(const std::string& input, const std::string& output) {
  std::string source = unwrap(read_text_file(input));
  auto insns = ebpf::assemble(source);
  if (!insns) throw CommandError(input + ": " + insns.error().message());
  auto bytes = ebpf::insns_to_bytes(*insns);
  unwrap(write_file_atomic(output, bytes));
}

bool is_elf(const std::vector<uint8_t>& bytes) {
  return bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
         bytes[3] == 'F';
}

// Map references by name, calls by the function they reach.
std::string annotate(const loader::ObjectFile& obj, const loader::ProgramSpec& prog, uint32_t pc,
                     const ebpf::Instruction& in, bool source) {
  std::string note;
  auto map_name = [&](int32_t idx) {
    return idx >= 0 && static_cast<size_t>(idx) < obj.maps.size() ? obj.maps[idx].name
                                                                  : std::string("?");
  };
  if (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoMapIdx)
    note = "map " + map_name(in.imm);
  else if (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoMapIdxValue)
    note = fmt::format("{}+{}", map_name(in.imm), static_cast<uint32_t>(in.imm64 >> 32));
  else if (in.op == ebpf::Op::CallLocal || (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoFunc))
    if (const auto* f = prog.function_at(static_cast<uint32_t>(in.target));
        f && static_cast<int32_t>(f->pc) == in.target)
      note = f->name;
  if (source) {
    const loader::SourceLine* line = prog.line_at(pc);
    if (line && line->pc == pc) {
      std::string where = fmt::format("{}:{}", line->file, line->line);
      note = note.empty() ? where : note + " " + where;
    }
  }
  return note;
}

void run_disasm(const std::string& input, const std::string& section, bool source) {
  auto bytes = unwrap(read_file(input));
  if (!is_elf(bytes)) {
    if (!section.empty()) throw CommandError("--section applies to ELF objects only");
    auto insns = ebpf::insns_from_bytes(bytes);
    if (!insns) throw CommandError(input + ": " + insns.error().message());
    std::fputs(ebpf::disassemble(*insns).c_str(), stdout);
    return;
  }
  auto obj = unwrap(loader::open_object_bytes(bytes, input));
  for (const std::string& w : obj.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (section.empty()) {
    for (size_t i = 0; i < obj.maps.size(); ++i) {
      const ebpf::MapSpec& m = obj.maps[i];
      std::string type(loader::map_type_name(m.type));
      std::printf("map %zu: %s, type %s, key %u, value %u, max_entries %u, flags %#x%s\n", i,
                  m.name.c_str(), type.empty() ? std::to_string(m.type).c_str() : type.c_str(),
                  m.key_size, m.value_size, m.max_entries, m.flags,
                  m.pinning ? ", pinned by name" : "");
    }
    if (!obj.maps.empty()) std::fputs("\n", stdout);
  }
  size_t shown = 0;
  for (const loader::ProgramSpec& prog : obj.programs) {
    if (!section.empty() && prog.section != section && prog.name != section) continue;
    if (shown++) std::fputs("\n", stdout);
    std::string type(loader::program_type_name(prog.type));
    std::printf("program %s: section %s, type %s, %zu instructions (entry function %u)\n",
                prog.name.c_str(), prog.section.c_str(), type.empty() ? "unknown" : type.c_str(),
                prog.insns.size(), prog.entry_insn_count());
    for (size_t i = 1; i < prog.functions.size(); ++i)
      std::printf("  function %s (section %s) at %u, %u instructions\n",
                  prog.functions[i].name.c_str(), prog.functions[i].section.c_str(),
                  prog.functions[i].pc, prog.functions[i].insn_count);
    ebpf::DisassembleOptions options;
    options.show_pc = true;
    options.annotate = [&](uint32_t pc, const ebpf::Instruction& in) {
      return annotate(obj, prog, pc, in, source);
    };
    std::fputs(ebpf::disassemble(prog.insns, options).c_str(), stdout);
  }
  if (!section.empty() && shown == 0)
    throw CommandError(input + ": no program named or in section '" + section + "'");
}

void run_exec(const std::string& mem_hex, bool jit, bool checked) {
  if (jit && checked)
    throw CommandError("--jit runs native code without checks; --checked needs the interpreter");
  std::string program_hex((std::istreambuf_iterator<char>(std::cin)),
                          std::istreambuf_iterator<char>());
  auto code = parse_hex(program_hex);
  if (!code) throw CommandError("program: " + code.error().message());
  auto insns = ebpf::insns_from_bytes(*code);
  if (!insns) throw CommandError("program: " + insns.error().message());
  auto decoded = ebpf::decode(*insns);
  if (!decoded) throw CommandError("invalid program: " + decoded.error().message());
  std::vector<uint8_t> mem;
  if (!mem_hex.empty()) {
    auto m = parse_hex(mem_hex);
    if (!m) throw CommandError("memory: " + m.error().message());
    mem = std::move(*m);
  }
  vm::LinkOptions link;
  link.helpers = &helpers::conformance_helpers();
  auto prog = vm::Program::create(std::move(*decoded), std::move(link));
  if (!prog) throw CommandError("cannot load program: " + prog.error().message());
  helpers::RunContext rc;
  rc.checked = checked;
  const uint64_t base = mem.empty() ? 0 : reinterpret_cast<uint64_t>(mem.data());
  rc.packet = helpers::Region{base, base + mem.size(), true};
  uint64_t r0 = 0;
  if (jit) {
    auto compiled = vm::jit_compile(*prog);
    if (!compiled) throw CommandError("cannot compile program: " + compiled.error().message());
    r0 = (*compiled)->run(base, mem.size(), rc);
  } else {
    r0 = vm::interpret(**prog, base, mem.size(), rc);
  }
  if (rc.stop == helpers::RunContext::Stop::kFault)
    throw CommandError("runtime fault: " + rc.fault_message);
  std::printf("%llx\n", static_cast<unsigned long long>(r0));
}

}  // namespace

void add_isa_commands(CLI::App& app) {
  auto* as = app.add_subcommand("asm", "Assemble eBPF assembly (conformance-suite syntax)");
  static std::string asm_in, asm_out;
  as->add_option("input", asm_in, "FILE.s")->required();
  as->add_option("-o,--output", asm_out, "FILE.bin")->required();
  as->callback([] { run_asm(asm_in, asm_out); });

  auto* dis = app.add_subcommand(
      "disasm", "Disassemble raw eBPF (FILE.bin) or the programs of a BPF object (FILE.o)");
  static std::string dis_in, dis_section;
  static bool dis_source = false;
  dis->add_option("input", dis_in, "FILE.bin or FILE.o")->required();
  dis->add_option("--section", dis_section, "only the programs in this section (or of this name)");
  dis->add_flag("--source", dis_source, "annotate instructions with their source lines");
  dis->callback([] { run_disasm(dis_in, dis_section, dis_source); });

  auto* ex = app.add_subcommand(
      "exec",
      "Conformance plugin: program as base16 on stdin, memory as the optional argument, "
      "r0 in hex on stdout");
  static std::string mem;
  static bool interp = false, jit = false, checked = false;
  ex->add_option("memory", mem, "input memory as base16");
  auto* i = ex->add_flag("--interp", interp, "run in the interpreter (default)");
  auto* j = ex->add_flag("--jit", jit, "run JIT-compiled code");
  i->excludes(j);
  ex->add_flag("--checked", checked, "bounds-check every memory access");
  ex->callback([] { run_exec(mem, jit, checked); });
}

}  // namespace ebpfaas::cli
