#include "dataplane/program_slot.h"

#include "dataplane/tsc.h"
#include "vm/xdp_frame.h"

namespace ebpfaas::dataplane {

namespace {

uint32_t run_interpreted(const void* code, helpers::XdpBuff& buff, helpers::RunContext& rc) {
  return vm::run_xdp(*static_cast<const vm::Program*>(code), buff, rc);
}

}  // namespace

Expected<std::unique_ptr<PreparedProgram>> prepare_interpreted(
    std::shared_ptr<const loader::LoadedObject> object, std::string_view program, bool checked) {
  if (!object) return Error("prepare: no object");
  const loader::LoadedProgram* prog = nullptr;
  if (program.empty()) {
    if (object->programs.empty()) return errorf("{}: no program to run", object->name);
    prog = &object->programs.front();
  } else if (!(prog = object->find(program))) {
    return errorf("{}: no program '{}'", object->name, program);
  }
  auto p = std::make_unique<PreparedProgram>();
  p->program = prog;
  p->checked = checked || !prog->verified;
  p->tier = p->checked ? "checked interpreter" : "interpreter";
  p->run_fn = run_interpreted;
  p->code = prog->program.get();
  p->object = std::move(object);
  return p;
}

ProgramSlot::~ProgramSlot() {
  delete active_.load();
}

void ProgramSlot::prepare(std::unique_ptr<PreparedProgram> next) {
  std::lock_guard lock(mu_);
  inactive_ = std::move(next);
}

uint64_t ProgramSlot::publish() {
  std::lock_guard lock(mu_);
  if (!inactive_) return 0;
  inactive_->version = ++versions_;
  inactive_->published_tsc = tsc_now();
  active_version_.store(versions_, std::memory_order_release);
  PreparedProgram* old = active_.exchange(inactive_.release(), std::memory_order_acq_rel);
  if (old) qsbr_.retire(old, [](void* p) { delete static_cast<PreparedProgram*>(p); });
  return versions_;
}

uint64_t ProgramSlot::version() const {
  return active_version_.load(std::memory_order_acquire);
}

}  // namespace ebpfaas::dataplane
