#include <cstdio>
#include <iostream>
#include <iterator>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "helpers/conformance.h"
#include "support/file.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"
#include "vm/interpreter.h"

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

void run_disasm(const std::string& input) {
  auto bytes = unwrap(read_file(input));
  if (bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' &&
      bytes[3] == 'F')
    throw CommandError(input + ": ELF objects are read by the object loader, not available yet");
  auto insns = ebpf::insns_from_bytes(bytes);
  if (!insns) throw CommandError(input + ": " + insns.error().message());
  std::fputs(ebpf::disassemble(*insns).c_str(), stdout);
}

void run_exec(const std::string& mem_hex, bool jit, bool checked) {
  if (jit) throw CommandError("the JIT is not available in this build");
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
  uint64_t r0 = vm::interpret(**prog, base, mem.size(), rc);
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

  auto* dis = app.add_subcommand("disasm", "Disassemble raw eBPF (FILE.bin)");
  static std::string dis_in;
  dis->add_option("input", dis_in, "FILE.bin")->required();
  dis->callback([] { run_disasm(dis_in); });

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
