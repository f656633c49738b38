#include "tools/ebpfaas/program_source.h"

#include <unistd.h>

#include <filesystem>

#include "loader/compile.h"
#include "tools/ebpfaas/commands.h"
#include "vm/jit/jit.h"
#include "vm/xdp_frame.h"

namespace ebpfaas::cli {

loader::ObjectFile open_program_source(const std::string& path) {
  std::string object_path = path;
  std::string temp;
  if (path.size() > 2 && path.substr(path.size() - 2) == ".c") {
    char dir[] = "/tmp/ebpfaas-cc-XXXXXX";
    if (!mkdtemp(dir)) throw CommandError("cannot create a temporary directory");
    temp = dir;
    object_path = temp + "/" + std::filesystem::path(path).stem().string() + ".o";
    auto st = loader::compile_c(path, object_path);
    if (!st) {
      std::filesystem::remove_all(temp);
      throw CommandError(st.error().message());
    }
  }
  auto object = loader::open_object(object_path);
  if (!temp.empty()) std::filesystem::remove_all(temp);
  if (!object) throw CommandError(object.error().message());
  return std::move(*object);
}

loader::LoadedObject load_program_source(const std::string& path,
                                         const loader::LoadOptions& options) {
  auto object = loader::load(open_program_source(path), options);
  if (!object) throw CommandError(object.error().message());
  return std::move(*object);
}

Runner make_runner(const loader::LoadedProgram& prog, bool jit, bool checked) {
  if (jit) {
    if (checked)
      throw CommandError(prog.verified ? "--jit runs native code without checks; drop --checked"
                                       : "--jit needs a verified program (drop --no-verify)");
    auto compiled = vm::jit_compile(prog.program);
    if (!compiled)
      throw CommandError(prog.name + ": cannot compile: " + compiled.error().message());
    Runner r;
    r.description = "JIT";
    r.run = [code = *compiled](helpers::XdpBuff& buff, helpers::RunContext& rc) {
      return vm::run_xdp_jit(*code, buff, rc);
    };
    return r;
  }
  Runner r;
  r.checked = checked;
  r.description = checked ? "checked interpreter" : "interpreter";
  auto program = prog.program;
  r.run = [program](helpers::XdpBuff& buff, helpers::RunContext& rc) {
    return vm::run_xdp(*program, buff, rc);
  };
  return r;
}

}  // namespace ebpfaas::cli
