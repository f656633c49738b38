#include "dataplane/jit_tier.h"

#include "vm/jit/jit.h"

namespace ebpfaas::dataplane {

namespace {

uint32_t run_jit(const void* code, helpers::XdpBuff& buff, helpers::RunContext& rc) {
  return vm::run_xdp_jit(*static_cast<const vm::JitProgram*>(code), buff, rc);
}

}  // namespace

Expected<std::unique_ptr<PreparedProgram>> prepare_jit(
    std::shared_ptr<const loader::LoadedObject> object, std::string_view program) {
  auto p = prepare_interpreted(object, program);
  if (!p) return p.error();
  if ((*p)->checked)
    return errorf("{}: program '{}' is not verified: the JIT runs verified programs only",
                  object->name, (*p)->program->name);
  auto compiled = vm::jit_compile((*p)->program->program);
  if (!compiled)
    return compiled.error().context(fmt::format("{}: {}", object->name, (*p)->program->name));
  (*p)->tier = "JIT";
  (*p)->run_fn = run_jit;
  (*p)->code = compiled->get();
  (*p)->native_entry = (*compiled)->entry();
  (*p)->after_stop = &vm::JitProgram::xdp_after_stop_public;
  (*p)->native_code = (*p)->code;
  (*p)->keepalive = std::move(*compiled);
  return p;
}

}  // namespace ebpfaas::dataplane
