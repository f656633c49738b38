// The exploration driver: walks every path of the program depth-first,
// storing states at pruning points and cutting paths that reach a state
// already proven safe (Linux's do_check / is_state_visited).
#include "verifier/verifier.h"

#include <fmt/format.h>

#include <chrono>

#include "ebpf/disassembler.h"
#include "ebpf/opcode.h"
#include "verifier/env.h"

namespace ebpfaas::verifier {

using ebpf::Instruction;
using ebpf::Op;
using ebpf::OpKind;

namespace {
constexpr size_t kMaxPendingBranches = 8192;  // BPF_COMPLEXITY_LIMIT_JMP_SEQ
}

Env::Env(const ebpf::DecodedProgram& prog, const VerifyOptions& options, CfgInfo cfg)
    : prog_(prog), options_(options), cfg_(std::move(cfg)) {
  const size_t n = prog.insns.size();
  explored_.resize(n);
  facts_.resize(n);
  ctx_access_.assign(n, -1);
  stack_depth_.assign(prog.subprog_starts.size(), 0);
  subprog_has_tail_call_.assign(prog.subprog_starts.size(), false);

  FuncState main;
  main.callsite = -1;
  main.subprog = 0;
  main.frameno = 0;
  RegState& ctx = main.regs[1];
  ctx.type = RegType::kCtx;
  mark_known(ctx, 0);
  RegState& fp = main.regs[10];
  fp.type = RegType::kStack;
  mark_known(fp, 0);
  cur_.frames.push_back(std::move(main));
}

Env::Status Env::reject(int regno, std::string message) const {
  Reject r;
  r.message = std::move(message);
  r.regno = regno;
  if (regno >= 0 && regno < kNumRegs && !cur_.frames.empty())
    r.reg_state = cur_.cur().regs[regno].str();
  return r;
}

void Env::update_branch_counts(StateNode* node) {
  while (node) {
    if (--node->branches > 0) break;
    node = node->state.parent;
  }
}

Env::Status Env::push_branch(const VerifierState& st, uint32_t pc) {
  if (pending_.size() >= kMaxPendingBranches)
    return reject(-1, fmt::format("The sequence of {} jumps is too complex.", pending_.size() + 1));
  if (st.parent) ++st.parent->branches;
  pending_.push_back(Pending{st, pc, pc_});
  return ok();
}

StateNode* Env::store_state() {
  StateNode& node = nodes_.emplace_back();
  node.state = cur_;
  node.state.parent = cur_.parent;
  node.pc = pc_;
  node.branches = 1;
  // An id held by a single scalar links nothing: forgetting it lets the
  // stored state match more future states.
  std::vector<std::pair<uint32_t, int>> counts;
  auto count = [&](const RegState& r) {
    if (!r.is_scalar() || !r.id) return;
    for (auto& c : counts)
      if (c.first == r.id) {
        ++c.second;
        return;
      }
    counts.push_back({r.id, 1});
  };
  for (const FuncState& f : node.state.frames) {
    for (const RegState& r : f.regs) count(r);
    for (const StackSlot& s : f.stack)
      if (s.is_spilled()) count(s.spilled);
  }
  auto clear = [&](RegState& r) {
    if (!r.is_scalar() || !r.id || r.add_const) return;
    for (auto& c : counts)
      if (c.first == r.id && c.second == 1) r.id = 0;
  };
  for (FuncState& f : node.state.frames) {
    for (RegState& r : f.regs) clear(r);
    for (StackSlot& s : f.stack)
      if (s.is_spilled()) clear(s.spilled);
  }
  cur_.parent = &node;
  explored_[pc_].push_back(&node);
  ++live_nodes_;
  peak_nodes_ = std::max(peak_nodes_, live_nodes_);
  return &node;
}

Env::Status Env::is_state_visited(bool& pruned) {
  pruned = false;
  bool add_new_state =
      jmps_processed_ - prev_jmps_processed_ >= 2 && insns_processed_ - prev_insns_processed_ >= 8;
  auto& list = explored_[pc_];
  for (size_t i = 0; i < list.size();) {
    StateNode* node = list[i];
    if (node->branches > 0) {
      // A state on the current path: the program is looping. An identical
      // state means it loops forever.
      const FuncState& of = node->state.cur();
      const FuncState& cf = cur_.cur();
      bool maybe_looping = node->state.frames.size() == cur_.frames.size();
      for (int r = 0; maybe_looping && r < kNumRegs; ++r)
        maybe_looping = of.regs[r].type == cf.regs[r].type &&
                        of.regs[r].var_off == cf.regs[r].var_off &&
                        of.regs[r].off == cf.regs[r].off;
      if (maybe_looping && states_equal(node->state, cur_, true)) {
        if (logging(1))
          emit(fmt::format("infinite loop detected at insn {}\ncur state:{}\n", pc_,
                           state_str(cur_)));
        return reject(-1, fmt::format("infinite loop detected at insn {}", pc_));
      }
      // Iterations of a loop differ; storing each one rarely helps pruning.
      if (jmps_processed_ - prev_jmps_processed_ < 20 &&
          insns_processed_ - prev_insns_processed_ < 100)
        add_new_state = false;
    } else if (states_equal(node->state, cur_, false)) {
      ++node->hits;
      pruned = true;
      return ok();
    }
    // Like Linux, stop comparing with stored states that keep failing to
    // match (they stay in memory: paths still refer to them).
    if (add_new_state) ++node->misses;
    if (node->misses > node->hits * 3 + 3) {
      node->evicted = true;
      list[i] = list.back();
      list.pop_back();
      --live_nodes_;
      continue;
    }
    ++i;
  }
  if (add_new_state) {
    store_state();
    prev_jmps_processed_ = jmps_processed_;
    prev_insns_processed_ = insns_processed_;
  }
  return ok();
}

std::optional<Reject> Env::run() {
  pc_ = 0;
  prev_pc_ = 0;
  const size_t n = prog_.insns.size();
  if (logging(2)) emit(fmt::format("func#0 @0\n0:{}\n", state_str(cur_)));
  for (;;) {
    bool path_done = false;
    if (pc_ >= n) return reject(-1, fmt::format("invalid insn idx {} insn_cnt {}", pc_, n));
    if (++insns_processed_ > options_.max_insns_processed)
      return reject(-1,
                    fmt::format("BPF program is too large. Processed {} insn", insns_processed_));
    if (cfg_.prune_point[pc_]) {
      bool pruned = false;
      if (auto e = is_state_visited(pruned)) return e;
      if (pruned) {
        if (logging(2)) emit(fmt::format("{}: safe\n", pc_));
        path_done = true;
      }
    }
    if (!path_done) {
      facts_[pc_].reached = true;
      const uint32_t this_pc = pc_;
      Flow flow = Flow::kNext;
      if (logging(2))
        emit(fmt::format("{}: {}", this_pc,
                         ebpf::format_instruction(prog_.insns[this_pc], this_pc)));
      if (auto e = step(flow)) {
        if (logging(2)) emit("\n");
        return e;
      }
      if (logging(2)) emit(fmt::format(" ;{}\n", state_str(cur_)));
      prev_pc_ = this_pc;
      if (flow == Flow::kNext) {
        pc_ += prog_.insns[this_pc].op == Op::Lddw ? 2 : 1;
        continue;
      }
      if (flow == Flow::kJumped) continue;
    }
    // The path ended (exit of the program, or pruned): take the next one.
    update_branch_counts(cur_.parent);
    if (pending_.empty()) break;
    Pending next = std::move(pending_.back());
    pending_.pop_back();
    cur_ = std::move(next.state);
    pc_ = next.pc;
    prev_pc_ = next.prev_pc;
    if (logging(2)) emit(fmt::format("from {} to {}:{}\n", prev_pc_, pc_, state_str(cur_)));
  }

  // Frames of a call chain share one 512-byte stack in Linux.
  const auto& starts = prog_.subprog_starts;
  auto round = [](uint32_t depth) { return (depth + 15) / 16 * 16; };
  struct Walk {
    uint32_t subprog;
    uint32_t depth;
    int frames;
  };
  std::vector<Walk> work{{0, round(stack_depth_[0]), 1}};
  if (round(stack_depth_[0]) > kMaxStack)
    return reject(
        -1, fmt::format("combined stack size of 1 calls is {}. Too large", round(stack_depth_[0])));
  while (!work.empty()) {
    const Walk w = work.back();
    work.pop_back();
    const uint32_t begin = starts[w.subprog];
    const uint32_t end = w.subprog + 1 < starts.size() ? starts[w.subprog + 1] : n;
    for (uint32_t pc = begin; pc < end; ++pc) {
      const Instruction& in = prog_.insns[pc];
      if (in.op != Op::CallLocal) continue;
      const uint32_t callee = static_cast<uint32_t>(prog_.subprog_of(in.target));
      if (subprog_has_tail_call_[callee] && w.depth >= 256)
        return reject(-1, fmt::format("tail_calls are not allowed when call stack of previous "
                                      "frames is {} bytes. Too large",
                                      w.depth));
      const uint32_t depth = w.depth + round(stack_depth_[callee]);
      if (depth > kMaxStack)
        return reject(-1, fmt::format("combined stack size of {} calls is {}. Too large",
                                      w.frames + 1, depth));
      if (w.frames + 1 > kMaxFrames)
        return reject(-1, fmt::format("the call stack of {} frames is too deep !", w.frames));
      work.push_back({callee, depth, w.frames + 1});
    }
  }
  return std::nullopt;
}

void Env::fill_result(VerifyResult& r) const {
  r.insns_processed = insns_processed_;
  r.total_states = static_cast<uint32_t>(nodes_.size());
  r.peak_states = peak_nodes_;
  r.insn_facts = facts_;
  for (uint32_t pc = 0; pc < ctx_access_.size(); ++pc)
    if (ctx_access_[pc] == 1 && prog_.insns[pc].info().kind == OpKind::kLoad)
      r.ctx_load_pcs.push_back(pc);
  r.stack_depth = stack_depth_;
  r.max_packet_offset = max_pkt_off_;
}

// ---- one instruction ---------------------------------------------------------------

Env::Status Env::check_reg_read(int regno) {
  if (regs()[regno].type == RegType::kNotInit)
    return reject(regno, fmt::format("R{} !read_ok", regno));
  return ok();
}

Env::Status Env::step(Flow& flow) {
  const Instruction& in = prog_.insns[pc_];
  switch (in.info().kind) {
    case OpKind::kAlu:
      return check_alu(in);
    case OpKind::kLoad:
      return check_load(in);
    case OpKind::kStoreImm:
    case OpKind::kStoreReg:
      return check_store(in);
    case OpKind::kAtomic:
      return check_atomic(in);
    case OpKind::kLoadImm64:
      return check_lddw(in);
    case OpKind::kJump:
      ++jmps_processed_;
      if (in.op == Op::Ja || in.op == Op::Ja32) {
        pc_ = static_cast<uint32_t>(in.target);
        flow = Flow::kJumped;
        return ok();
      }
      return check_cond_jump(in, flow);
    case OpKind::kCall:
      ++jmps_processed_;
      switch (in.op) {
        case Op::Call:
          return check_helper_call(in);
        case Op::CallLocal:
          return check_local_call(in, flow);
        case Op::CallKfunc:
          return reject(
              -1, fmt::format("calling kernel function (btf_id {}) is not supported", in.imm));
        default:
          return reject(-1, "BPF_CALL uses reserved fields (indirect calls are not supported)");
      }
    case OpKind::kExit:
      ++jmps_processed_;
      return check_exit(flow);
    case OpKind::kLoadLegacy:
      return reject(-1, "BPF_LD_[ABS|IND] instructions not allowed for this program type");
    case OpKind::kFiller:
      break;
  }
  return reject(-1, "unexpected instruction");
}

// ---- result -------------------------------------------------------------------------

Expected<VerifyResult> verify(const ebpf::DecodedProgram& program, const VerifyOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  auto cfg = analyze_cfg(program);
  if (!cfg) {
    if (options.rejection_log) *options.rejection_log = cfg.error().message() + "\n";
    return cfg.error();
  }
  Env env(program, options, std::move(*cfg));
  auto rejected = env.run();
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  VerifyResult result;
  env.fill_result(result);
  result.time_ms = ms;
  const std::string summary = fmt::format(
      "processed {} insns (limit {}) total_states {} peak_states {}\n", result.insns_processed,
      options.max_insns_processed, result.total_states, result.peak_states);
  if (rejected) {
    const uint32_t pc = env.failed_pc();
    std::string msg = fmt::format(
        "pc {}: {}: {}", pc, ebpf::format_instruction(program.insns[pc], pc), rejected->message);
    if (rejected->regno >= 0 && !rejected->reg_state.empty())
      msg += fmt::format(" (R{}={})", rejected->regno, rejected->reg_state);
    if (options.rejection_log) {
      *options.rejection_log = env.log();
      *options.rejection_log += msg + "\n" + summary;
    }
    return Error(std::move(msg));
  }
  result.log = std::move(env.log());
  if (options.log_level > 0) result.log += summary;
  return result;
}

}  // namespace ebpfaas::verifier
