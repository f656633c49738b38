// The verifier's working state for one program: the exploration driver and
// the per-instruction checks. Internal to verifier/; the entry point is
// verify() in verifier.h.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ebpf/decode.h"
#include "verifier/cfg.h"
#include "verifier/helper_protos.h"
#include "verifier/state.h"
#include "verifier/verifier.h"

namespace ebpfaas::verifier {

// A rejection: the message (Linux's wording) and the register it is about.
struct Reject {
  std::string message;
  int regno = -1;
  std::string reg_state;  // the register's state when the check failed
};

enum class AccessType : uint8_t { kRead, kWrite };

class Env {
 public:
  Env(const ebpf::DecodedProgram& prog, const VerifyOptions& options, CfgInfo cfg);
  // Explores every path; nullopt when the program is safe.
  std::optional<Reject> run();
  uint32_t failed_pc() const { return pc_; }
  void fill_result(VerifyResult& r) const;
  std::string& log() { return log_; }

 private:
  using Status = std::optional<Reject>;  // nullopt: OK
  static Status ok() { return std::nullopt; }
  Status reject(int regno, std::string message) const;

  // ---- driver ------------------------------------------------------------------
  enum class Flow { kNext, kJumped, kPathDone };
  Status step(Flow& flow);
  Status is_state_visited(bool& pruned);
  void update_branch_counts(StateNode* node);
  Status push_branch(const VerifierState& st, uint32_t pc);
  StateNode* store_state();

  // ---- instructions --------------------------------------------------------------
  Status check_reg_read(int regno);
  Status check_alu(const ebpf::Instruction& in);
  Status adjust_ptr_alu(const ebpf::Instruction& in, int dst, const RegState& ptr,
                        const RegState& off, AluOp op, bool off_is_dst);
  Status check_load(const ebpf::Instruction& in);
  Status check_store(const ebpf::Instruction& in);
  Status check_atomic(const ebpf::Instruction& in);
  Status check_lddw(const ebpf::Instruction& in);
  Status check_cond_jump(const ebpf::Instruction& in, Flow& flow);
  Status check_helper_call(const ebpf::Instruction& in);
  Status check_local_call(const ebpf::Instruction& in, Flow& flow);
  Status check_exit(Flow& flow);

  // ---- memory --------------------------------------------------------------------
  Status check_mem_access(int regno, int off, int size, AccessType t, int value_regno,
                          const RegState* value, bool strict_align, bool sign_extend);
  Status check_alignment(int regno, const RegState& reg, int off, int size, bool strict);
  Status check_stack_bounds(int regno, const RegState& reg, int off, int size, const char* what);
  Status check_stack_read(int regno, const RegState& reg, int off, int size, int dst_regno);
  Status check_stack_write(int regno, const RegState& reg, int off, int size, int value_regno,
                           const RegState* value, bool is_store_imm, int64_t imm);
  Status check_stack_range_initialized(int regno, int off, int size, bool zero_size_ok,
                                       AccessType t);
  Status check_mem_region(int regno, const RegState& reg, int off, int size, uint32_t mem_size,
                          bool zero_size_ok);
  Status check_packet_access(int regno, const RegState& reg, int off, int size, bool zero_size_ok);
  Status check_map_value_access(int regno, const RegState& reg, int off, int size,
                                bool zero_size_ok, AccessType t);
  Status check_ctx_access(int regno, int off, int size, AccessType t, bool sign_extend,
                          int dst_regno);
  Status check_helper_mem_access(int regno, int size, AccessType t, bool zero_size_ok);
  Status check_ptr_off_zero(int regno, const RegState& reg);
  void record_region(const RegState& base);

  // ---- helpers of the checks -----------------------------------------------------
  FuncState& frame_of(const RegState& stack_ptr) { return cur_.frames[stack_ptr.frameno]; }
  RegState* regs() { return cur_.cur().regs.data(); }
  uint32_t new_id() { return ++id_gen_; }
  void clear_packet_pointers();
  void mark_ptr_or_null(VerifierState& st, uint32_t id, bool is_null);
  void find_good_packet_pointers(VerifierState& st, const RegState& dst, RegType type,
                                 bool right_open);
  bool try_match_packet_pointers(const ebpf::Instruction& in, VerifierState& this_branch,
                                 VerifierState& other_branch, int op);
  void sync_linked_regs(VerifierState& st, const RegState& known);
  const ebpf::MapSpec* map_of(const RegState& r) const;
  std::string map_desc(int32_t index) const;

  // ---- pruning -------------------------------------------------------------------
  bool states_equal(const VerifierState& old_st, const VerifierState& cur, bool exact);
  bool func_states_equal(const FuncState& o, const FuncState& c, uint16_t live, uint16_t relevant,
                         bool exact);
  bool regsafe(const RegState& o, const RegState& c, bool exact, bool precise = true);
  bool check_ids(uint32_t old_id, uint32_t cur_id);
  bool check_scalar_ids(uint32_t old_id, uint32_t cur_id);
  bool regs_exact(const RegState& o, const RegState& c);

  // ---- log -----------------------------------------------------------------------
  bool logging(int level) const {
    return options_.log_level >= level && log_.size() < options_.max_log_bytes;
  }
  void emit(const std::string& text);
  void log_state(const VerifierState& st);
  std::string state_str(const VerifierState& st) const;

  const ebpf::DecodedProgram& prog_;
  const VerifyOptions& options_;
  CfgInfo cfg_;

  VerifierState cur_;
  uint32_t pc_ = 0;
  uint32_t prev_pc_ = 0;
  struct Pending {
    VerifierState state;
    uint32_t pc;
    uint32_t prev_pc;
  };
  std::vector<Pending> pending_;

  std::deque<StateNode> nodes_;
  std::vector<std::vector<StateNode*>> explored_;
  uint32_t live_nodes_ = 0, peak_nodes_ = 0;

  uint64_t insns_processed_ = 0;
  uint64_t jmps_processed_ = 0;
  uint64_t prev_insns_processed_ = 0, prev_jmps_processed_ = 0;
  uint32_t id_gen_ = 0;

  // id maps for one state comparison
  std::vector<std::pair<uint32_t, uint32_t>> idmap_;
  uint32_t tmp_id_gen_ = 0;

  std::vector<InsnFacts> facts_;
  std::vector<int8_t> ctx_access_;     // per pc: -1 unseen, 0 non-ctx base, 1 ctx base
  std::vector<uint32_t> stack_depth_;  // per subprogram
  std::vector<bool> subprog_has_tail_call_;
  uint32_t max_pkt_off_ = 0;
  std::string log_;
};

}  // namespace ebpfaas::verifier
