// The engines' program, double-buffered like the seed system's instruction
// memory: the next program is prepared in full (maps bound, code linked, JIT
// code compiled if that tier is used) in the inactive half while the engines
// run the active one; publish() swaps the halves with one atomic store.
// Engines read the active pointer once per RX batch, so a batch runs entirely
// under one version; the previous program is freed only after every engine
// has passed a QSBR quiescent point (dataplane engines announce one after each
// polling round), so no packet runs on freed code or maps.
//
//   ProgramSlot slot;
//   slot.publish(*prepare_interpreted(object_v1));   // first version
//   ... engines run ...
//   auto v2 = loader::load(object, {.reuse = v1->maps.get()});  // maps carried over
//   slot.publish(*prepare_interpreted(std::move(*v2)));
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "helpers/run_context.h"
#include "loader/load.h"
#include "support/error.h"
#include "support/qsbr.h"

namespace ebpfaas::dataplane {

// One program ready to run: the loaded object it came from (its maps, the code
// the tier runs) and how to invoke it.
struct PreparedProgram {
  using RunFn = uint32_t (*)(const void* code, helpers::XdpBuff& buff, helpers::RunContext& rc);

  std::shared_ptr<const loader::LoadedObject> object;
  const loader::LoadedProgram* program = nullptr;  // in object
  std::string tier;                                // "interpreter", "checked interpreter", "JIT"
  bool checked = false;                            // RunContext::checked
  RunFn run_fn = nullptr;
  const void* code = nullptr;  // what run_fn runs (a vm::Program, JIT code)
  // The JIT tier's native code, which engines call directly (one call per
  // packet instead of two): entry(&buff, 0, &rc) with rc.xdp = &buff, then,
  // only when rc.stop is set afterwards, after_stop(r0, rc) for the action.
  // Null for the interpreters. Used only while `code` is still native_code:
  // a wrapper that replaces run_fn and code (tracing) is called instead.
  using NativeEntry = uint64_t (*)(uint64_t r1, uint64_t r2, helpers::RunContext* rc);
  using AfterStopFn = uint32_t (*)(uint64_t r0, helpers::RunContext& rc);
  NativeEntry native_entry = nullptr;
  AfterStopFn after_stop = nullptr;
  const void* native_code = nullptr;
  NativeEntry direct_entry() const {
    return native_entry && after_stop && code == native_code ? native_entry : nullptr;
  }
  std::shared_ptr<const void> keepalive;  // owns `code` when the object does not
  // Set by publish(): a version number counting from 1, and the TSC of the
  // publication (for the swap latency engines measure).
  uint64_t version = 0;
  uint64_t published_tsc = 0;

  uint32_t run(helpers::XdpBuff& buff, helpers::RunContext& rc) const {
    return run_fn(code, buff, rc);
  }
};

// The interpreter tier for a program of `object` (by name or section; empty:
// the first). Unverified programs run checked.
Expected<std::unique_ptr<PreparedProgram>> prepare_interpreted(
    std::shared_ptr<const loader::LoadedObject> object, std::string_view program = {},
    bool checked = false);

class ProgramSlot {
 public:
  explicit ProgramSlot(QsbrDomain& domain = QsbrDomain::global()) : qsbr_(domain) {}
  // The engines must be stopped: frees both halves at once.
  ~ProgramSlot();
  ProgramSlot(const ProgramSlot&) = delete;
  ProgramSlot& operator=(const ProgramSlot&) = delete;

  // Puts `next` into the inactive half (replacing one prepared earlier).
  void prepare(std::unique_ptr<PreparedProgram> next);
  // Makes the prepared program active and retires the previous one; returns
  // the new version, or 0 when nothing was prepared.
  uint64_t publish();
  uint64_t publish(std::unique_ptr<PreparedProgram> next) {
    prepare(std::move(next));
    return publish();
  }

  // Engines: the active program (or null), valid until the caller's next
  // quiescent point.
  const PreparedProgram* active() const { return active_.load(std::memory_order_acquire); }
  uint64_t version() const;
  QsbrDomain& qsbr() const { return qsbr_; }

 private:
  QsbrDomain& qsbr_;
  std::mutex mu_;  // publishers
  std::atomic<PreparedProgram*> active_{nullptr};
  std::unique_ptr<PreparedProgram> inactive_;
  uint64_t versions_ = 0;
  std::atomic<uint64_t> active_version_{0};
};

}  // namespace ebpfaas::dataplane
