#include "vm/jit/translate.h"

#include <linux/bpf.h>
#include <llvm/IR/BasicBlock.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <vector>

#include "ebpf/opcode.h"
#include "helpers/linux_helpers.h"
#include "maps/array_map.h"
#include "maps/hash_map.h"
#include "vm/xdp_context.h"

namespace ebpfaas::vm::jit_detail {
namespace {

using ebpf::Instruction;
using ebpf::kMaxCallDepth;
using ebpf::kStackSize;
using ebpf::Op;
using ebpf::OpInfo;
using ebpf::OpKind;
using llvm::BasicBlock;
using llvm::Value;

constexpr int kStackBytes = kMaxCallDepth * kStackSize;

// Base operations in the order of EBPFAAS_ALU_BINOPS / _JMP_CONDS / _ATOMIC_OPS.
enum class Alu { Add, Sub, Mul, Div, Sdiv, Or, And, Lsh, Rsh, Mod, Smod, Xor, Mov, Arsh };
enum class Cond { Jeq, Jgt, Jge, Jset, Jne, Jsgt, Jsge, Jlt, Jle, Jslt, Jsle };
enum class Atomic { Add, Or, And, Xor, FetchAdd, FetchOr, FetchAnd, FetchXor, Xchg, CmpXchg };

int op_index(Op op) {
  return static_cast<int>(op);
}

// ebpfaas's helpers (helpers/linux_helpers.cpp) that set RunContext::stop only
// in checked mode: after them a fast-mode run needs no look at rc.stop. Not
// here: bpf_tail_call, and the XDP buffer helpers (they check their context
// argument in every mode).
bool never_stops_fast(int64_t id) {
  switch (id) {
    case BPF_FUNC_map_lookup_elem:
    case BPF_FUNC_map_update_elem:
    case BPF_FUNC_map_delete_elem:
    case BPF_FUNC_map_push_elem:
    case BPF_FUNC_map_pop_elem:
    case BPF_FUNC_map_peek_elem:
    case BPF_FUNC_ktime_get_ns:
    case BPF_FUNC_ktime_get_boot_ns:
    case BPF_FUNC_ktime_get_coarse_ns:
    case BPF_FUNC_jiffies64:
    case BPF_FUNC_get_prandom_u32:
    case BPF_FUNC_get_smp_processor_id:
    case BPF_FUNC_get_numa_node_id:
    case BPF_FUNC_trace_printk:
    case BPF_FUNC_csum_diff:
    case BPF_FUNC_redirect:
    case BPF_FUNC_redirect_map:
      return true;
    default:
      return false;
  }
}

class Translator {
 public:
  Translator(const Program& prog, llvm::LLVMContext& ctx, llvm::Module& m, const Runtime& rt)
      : prog_(prog), ctx_(ctx), m_(m), rt_(rt), b_(ctx) {}

  Status run(const std::string& name);

 private:
  llvm::Type* i8() { return b_.getInt8Ty(); }
  llvm::Type* i32() { return b_.getInt32Ty(); }
  llvm::Type* i64() { return b_.getInt64Ty(); }
  llvm::Type* ptr() { return b_.getPtrTy(); }
  llvm::ConstantInt* c64(uint64_t v) { return b_.getInt64(v); }
  llvm::ConstantInt* c32(uint32_t v) { return b_.getInt32(v); }
  // The immediate sign-extended to 64 bits, then truncated to t (as the
  // interpreter's casts do).
  llvm::Constant* imm(llvm::Type* t, int32_t v) {
    const unsigned bits = t->getIntegerBitWidth();
    uint64_t x = static_cast<uint64_t>(static_cast<int64_t>(v));
    if (bits < 64) x &= (uint64_t{1} << bits) - 1;
    return llvm::ConstantInt::get(t, x);
  }

  Value* reg(int r) { return b_.CreateLoad(i64(), regs_[r]); }
  void set(int r, Value* v) { b_.CreateStore(v, regs_[r]); }
  // A pointer to `base + off`. Frame-pointer-relative addresses are derived
  // from the stack allocation so that LLVM can reason about them.
  Value* address(int base, int16_t off) {
    if (base == ebpf::kFramePointer) {
      Value* idx = b_.CreateAdd(b_.CreateLoad(i64(), fp_off_), c64(static_cast<uint64_t>(off)));
      return b_.CreateGEP(i8(), stack_, idx);
    }
    return b_.CreateIntToPtr(b_.CreateAdd(reg(base), c64(static_cast<uint64_t>(off))), ptr());
  }
  Value* fn_ptr(uint64_t addr) { return b_.CreateIntToPtr(c64(addr), ptr()); }
  void update_r10() {
    set(ebpf::kFramePointer,
        b_.CreatePtrToInt(b_.CreateGEP(i8(), stack_, b_.CreateLoad(i64(), fp_off_)), i64()));
  }
  BasicBlock* block_at(uint32_t pc) { return pc < blocks_.size() ? blocks_[pc] : fell_off_; }
  // Continues at pc: a branch when pc starts a block, else the same block goes on.
  void next(uint32_t pc) {
    if (pc >= blocks_.size() || blocks_[pc]) b_.CreateBr(block_at(pc));
  }
  // Stops with "pc N: what" and returns 0, as the interpreter's faults do.
  void emit_fault(uint32_t pc, const char* what) {
    llvm::FunctionType* ft = llvm::FunctionType::get(b_.getVoidTy(), {ptr(), i32(), ptr()}, false);
    llvm::Constant* msg = b_.CreateGlobalStringPtr(what);
    b_.CreateCall(ft, fn_ptr(rt_.fault_at), {rc_, c32(pc), msg});
    b_.CreateRet(c64(0));
  }

  Status insn(uint32_t pc, const Instruction& in);
  void alu(uint32_t pc, const Instruction& in);
  void cond_jump(uint32_t pc, const Instruction& in);
  void load(uint32_t pc, const Instruction& in);
  void atomic(const Instruction& in);
  void helper_call(uint32_t pc, Value* callee, std::vector<Value*> args, llvm::FunctionType* ft,
                   bool may_stop = true);
  void inline_map_lookups(uint32_t pc);
  uint32_t map_lddw_for_r1(uint32_t pc) const;
  void inline_hash_lookup(const maps::Map& map, const maps::HashLayout& l, uint32_t pc);
  void inline_redirect(uint32_t pc);
  void emit_stop_handler();
  void emit_local_exit();

  const Program& prog_;
  llvm::LLVMContext& ctx_;
  llvm::Module& m_;
  const Runtime& rt_;
  llvm::IRBuilder<> b_;
  llvm::Function* fn_ = nullptr;
  Value* rc_ = nullptr;
  llvm::AllocaInst* regs_[ebpf::kNumRegisters] = {};
  llvm::AllocaInst* stack_ = nullptr;
  llvm::AllocaInst* fp_off_ = nullptr;  // r10 - stack base
  llvm::AllocaInst* depth_ = nullptr;
  llvm::AllocaInst* ret_ids_ = nullptr;
  llvm::AllocaInst* saved_ = nullptr;
  std::vector<BasicBlock*> blocks_;
  std::vector<bool> ctx_load_;
  std::vector<uint32_t> return_pcs_;  // pc after each local call, by call-site id
  bool has_local_calls_ = false;
  BasicBlock* fell_off_ = nullptr;
  BasicBlock* local_exit_ = nullptr;
  // After a helper asked to stop: the pc and context argument of the call.
  BasicBlock* stop_ = nullptr;
  llvm::PHINode* stop_pc_ = nullptr;
  llvm::PHINode* stop_ctx_ = nullptr;
  llvm::PHINode* stop_next_ = nullptr;  // index of the block to continue at (kNone: impossible)
  std::vector<BasicBlock*> stop_continue_;
};

Status Translator::run(const std::string& name) {
  const auto& insns = prog_.decoded().insns;
  const uint32_t n = static_cast<uint32_t>(insns.size());
  llvm::FunctionType* ft = llvm::FunctionType::get(i64(), {i64(), i64(), ptr()}, false);
  fn_ = llvm::Function::Create(ft, llvm::Function::ExternalLinkage, name, m_);
  fn_->addFnAttr(llvm::Attribute::NoUnwind);
  rc_ = fn_->getArg(2);
  fn_->addParamAttr(2, llvm::Attribute::NoAlias);
  fn_->addParamAttr(2, llvm::Attribute::NonNull);
  fn_->addParamAttr(2, llvm::Attribute::getWithAlignment(ctx_, llvm::Align(alignof(RunContext))));

  ctx_load_.assign(n, false);
  for (uint32_t pc : prog_.link().ctx_load_pcs)
    if (pc < n) ctx_load_[pc] = true;
  for (uint32_t pc = 0; pc < n; ++pc)
    if (insns[pc].op == Op::CallLocal) {
      has_local_calls_ = true;
      return_pcs_.push_back(pc + 1);
    }

  BasicBlock* entry = BasicBlock::Create(ctx_, "entry", fn_);
  b_.SetInsertPoint(entry);
  for (int r = 0; r < ebpf::kNumRegisters; ++r)
    regs_[r] = b_.CreateAlloca(i64(), nullptr, "r" + std::to_string(r));
  // Every frame's stack with local calls, else the one frame's.
  const int stack_bytes = has_local_calls_ ? kStackBytes : kStackSize;
  stack_ = b_.CreateAlloca(llvm::ArrayType::get(i8(), stack_bytes), nullptr, "stack");
  stack_->setAlignment(llvm::Align(16));
  fp_off_ = b_.CreateAlloca(i64(), nullptr, "fp_off");
  b_.CreateStore(c64(stack_bytes), fp_off_);
  if (has_local_calls_) {
    depth_ = b_.CreateAlloca(i32(), nullptr, "depth");
    b_.CreateStore(c32(0), depth_);
    ret_ids_ = b_.CreateAlloca(llvm::ArrayType::get(i32(), kMaxCallDepth), nullptr, "ret_ids");
    saved_ = b_.CreateAlloca(llvm::ArrayType::get(i64(), kMaxCallDepth * 4), nullptr, "saved");
  }
  // The interpreter starts with every register 0 but r1, r2 and r10.
  for (int r = 0; r < ebpf::kNumRegisters; ++r) set(r, c64(0));
  set(1, fn_->getArg(0));
  set(2, fn_->getArg(1));
  update_r10();

  // A block where control can arrive from elsewhere: jump and call targets,
  // what follows a jump, exit or call. Other instructions continue the block
  // of the one before.
  std::vector<bool> leader(n, false);
  if (n) leader[0] = true;
  for (uint32_t pc = 0; pc < n; ++pc) {
    const Instruction& in = insns[pc];
    const OpKind kind = in.info().kind;
    if (kind == OpKind::kJump || kind == OpKind::kCall || kind == OpKind::kExit) {
      if (pc + 1 < n) leader[pc + 1] = true;
      if (in.target >= 0 && static_cast<uint32_t>(in.target) < n) leader[in.target] = true;
    }
  }
  blocks_.assign(n, nullptr);
  for (uint32_t pc = 0; pc < n; ++pc)
    if (leader[pc]) blocks_[pc] = BasicBlock::Create(ctx_, "pc" + std::to_string(pc), fn_);
  fell_off_ = BasicBlock::Create(ctx_, "fell_off", fn_);
  if (n == 0) {
    b_.CreateBr(fell_off_);
  } else {
    b_.CreateBr(blocks_[0]);
  }
  b_.SetInsertPoint(fell_off_);
  emit_fault(n, "execution ran past the last instruction");

  if (has_local_calls_) local_exit_ = BasicBlock::Create(ctx_, "local_exit", fn_);
  stop_ = BasicBlock::Create(ctx_, "helper_stop", fn_);
  b_.SetInsertPoint(stop_);
  stop_pc_ = b_.CreatePHI(i32(), 4, "stop_pc");
  stop_ctx_ = b_.CreatePHI(i64(), 4, "stop_ctx");
  stop_next_ = b_.CreatePHI(i32(), 4, "stop_next");

  for (uint32_t pc = 0; pc < n; ++pc) {
    if (insns[pc].op == Op::LddwHigh) continue;  // part of the lddw before it
    if (blocks_[pc]) b_.SetInsertPoint(blocks_[pc]);
    if (auto st = insn(pc, insns[pc]); !st) return st;
  }
  emit_stop_handler();
  if (has_local_calls_) emit_local_exit();
  return {};
}

Status Translator::insn(uint32_t pc, const Instruction& in) {
  const OpInfo& info = in.info();
  switch (info.kind) {
    case OpKind::kAlu:
      alu(pc, in);
      next(pc + 1);
      return {};
    case OpKind::kJump:
      if (in.op == Op::Ja || in.op == Op::Ja32) {
        b_.CreateBr(block_at(static_cast<uint32_t>(in.target)));
      } else {
        cond_jump(pc, in);
      }
      return {};
    case OpKind::kLoadImm64:
      set(in.dst, c64(prog_.lddw_value(pc)));
      next(pc + 2);
      return {};
    case OpKind::kFiller:
      emit_fault(pc, "instruction not executable here");
      return {};
    case OpKind::kLoad:
      load(pc, in);
      next(pc + 1);
      return {};
    case OpKind::kStoreImm:
    case OpKind::kStoreReg: {
      llvm::Type* t = b_.getIntNTy(info.width * 8);
      Value* v = info.kind == OpKind::kStoreImm ? static_cast<Value*>(imm(t, in.imm))
                                                : b_.CreateTrunc(reg(in.src), t);
      b_.CreateAlignedStore(v, address(in.dst, in.off), llvm::Align(1));
      next(pc + 1);
      return {};
    }
    case OpKind::kAtomic:
      atomic(in);
      next(pc + 1);
      return {};
    case OpKind::kExit:
      if (has_local_calls_) {
        b_.CreateBr(local_exit_);
      } else {
        b_.CreateRet(reg(0));
      }
      return {};
    case OpKind::kCall:
      break;
    case OpKind::kLoadLegacy:
      return errorf("pc {}: legacy packet access (LD_ABS/LD_IND) cannot be compiled", pc);
  }

  llvm::FunctionType* helper_ty =
      llvm::FunctionType::get(i64(), {i64(), i64(), i64(), i64(), i64(), ptr()}, false);
  switch (in.op) {
    case Op::Call: {
      HelperFn fn = prog_.helpers().get(in.imm);
      if (!fn) return errorf("pc {}: call to unknown helper id {}", pc, in.imm);
      // ebpfaas's own helper (not a test's or an embedder's stand-in): its
      // fast paths can be compiled in, and most never stop a fast-mode run.
      const bool own = fn == helpers::xdp_helpers().get(in.imm);
      if (own && in.imm == BPF_FUNC_redirect) {
        inline_redirect(pc);
        return {};
      }
      if (own && in.imm == BPF_FUNC_map_lookup_elem) inline_map_lookups(pc);
      helper_call(pc, fn_ptr(reinterpret_cast<uint64_t>(fn)),
                  {reg(1), reg(2), reg(3), reg(4), reg(5), rc_}, helper_ty,
                  !(own && never_stops_fast(in.imm)));
      return {};
    }
    case Op::Callx: {
      llvm::FunctionType* ft = llvm::FunctionType::get(
          i64(), {ptr(), i64(), i64(), i64(), i64(), i64(), i64(), ptr()}, false);
      helper_call(pc, fn_ptr(rt_.callx),
                  {fn_ptr(reinterpret_cast<uint64_t>(&prog_.helpers())), reg(in.dst), reg(1),
                   reg(2), reg(3), reg(4), reg(5), rc_},
                  ft);
      return {};
    }
    case Op::CallLocal: {
      Value* depth = b_.CreateLoad(i32(), depth_);
      BasicBlock* ok = BasicBlock::Create(ctx_, "call_ok", fn_);
      BasicBlock* deep = BasicBlock::Create(ctx_, "call_too_deep", fn_);
      b_.CreateCondBr(b_.CreateICmpSGE(b_.CreateAdd(depth, c32(1)), c32(kMaxCallDepth)), deep, ok);
      b_.SetInsertPoint(deep);
      emit_fault(pc, "call stack too deep (8 frames)");
      b_.SetInsertPoint(ok);
      uint32_t site = 0;
      while (return_pcs_[site] != pc + 1) ++site;
      Value* d64 = b_.CreateZExt(depth, i64());
      b_.CreateStore(c32(site), b_.CreateGEP(i32(), ret_ids_, d64));
      for (int i = 0; i < 4; ++i)
        b_.CreateStore(reg(6 + i), b_.CreateGEP(i64(), saved_,
                                                b_.CreateAdd(b_.CreateMul(d64, c64(4)), c64(i))));
      b_.CreateStore(b_.CreateAdd(depth, c32(1)), depth_);
      b_.CreateStore(b_.CreateSub(b_.CreateLoad(i64(), fp_off_), c64(kStackSize)), fp_off_);
      update_r10();
      b_.CreateBr(block_at(static_cast<uint32_t>(in.target)));
      return {};
    }
    default:
      return errorf("pc {}: {} cannot be compiled", pc, info.name);
  }
}

void Translator::alu(uint32_t, const Instruction& in) {
  const OpInfo& info = in.info();
  const bool is64 = info.width == 64;
  llvm::Type* t = is64 ? i64() : i32();
  auto narrow = [&](Value* v) { return is64 ? v : b_.CreateTrunc(v, i32()); };
  auto widen = [&](Value* v) { return is64 ? v : b_.CreateZExt(v, i64()); };
  Value* d = nullptr;

  switch (in.op) {
    case Op::Neg32:
    case Op::Neg64:
      set(in.dst, widen(b_.CreateNeg(narrow(reg(in.dst)))));
      return;
    case Op::MovSx8To32:
    case Op::MovSx16To32:
    case Op::MovSx8To64:
    case Op::MovSx16To64:
    case Op::MovSx32To64: {
      const unsigned from = in.op == Op::MovSx8To32 || in.op == Op::MovSx8To64 ? 8
                            : in.op == Op::MovSx32To64                         ? 32
                                                                               : 16;
      Value* v = b_.CreateSExt(b_.CreateTrunc(reg(in.src), b_.getIntNTy(from)), t);
      set(in.dst, widen(v));
      return;
    }
    case Op::Le16:
      set(in.dst, b_.CreateAnd(reg(in.dst), c64(0xffff)));
      return;
    case Op::Le32:
      set(in.dst, b_.CreateAnd(reg(in.dst), c64(0xffffffffull)));
      return;
    case Op::Le64:
      return;
    case Op::Be16:
    case Op::Bswap16:
    case Op::Be32:
    case Op::Bswap32:
    case Op::Be64:
    case Op::Bswap64: {
      const unsigned bits = in.op == Op::Be16 || in.op == Op::Bswap16   ? 16
                            : in.op == Op::Be32 || in.op == Op::Bswap32 ? 32
                                                                        : 64;
      Value* v = reg(in.dst);
      if (bits != 64) v = b_.CreateTrunc(v, b_.getIntNTy(bits));
      v = b_.CreateUnaryIntrinsic(llvm::Intrinsic::bswap, v);
      if (bits != 64) v = b_.CreateZExt(v, i64());
      set(in.dst, v);
      return;
    }
    default:
      break;
  }

  // Binary operations: Add32Imm, Add32Reg, Add64Imm, Add64Reg, Sub32Imm, ...
  const Alu op = static_cast<Alu>(op_index(in.op) / 4);
  d = narrow(reg(in.dst));
  Value* s = info.reg_source ? narrow(reg(in.src)) : imm(t, in.imm);
  const unsigned w = is64 ? 64 : 32;
  llvm::Constant* zero = llvm::ConstantInt::get(t, 0);
  llvm::Constant* one = llvm::ConstantInt::get(t, 1);
  llvm::Constant* minus1 = llvm::ConstantInt::getSigned(t, -1);
  Value* r = nullptr;
  switch (op) {
    case Alu::Add:
      r = b_.CreateAdd(d, s);
      break;
    case Alu::Sub:
      r = b_.CreateSub(d, s);
      break;
    case Alu::Mul:
      r = b_.CreateMul(d, s);
      break;
    case Alu::Or:
      r = b_.CreateOr(d, s);
      break;
    case Alu::And:
      r = b_.CreateAnd(d, s);
      break;
    case Alu::Xor:
      r = b_.CreateXor(d, s);
      break;
    case Alu::Mov:
      r = s;
      break;
    case Alu::Lsh:
      r = b_.CreateShl(d, b_.CreateAnd(s, llvm::ConstantInt::get(t, w - 1)));
      break;
    case Alu::Rsh:
      r = b_.CreateLShr(d, b_.CreateAnd(s, llvm::ConstantInt::get(t, w - 1)));
      break;
    case Alu::Arsh:
      r = b_.CreateAShr(d, b_.CreateAnd(s, llvm::ConstantInt::get(t, w - 1)));
      break;
    // Division by zero gives 0; modulo by zero leaves dst.
    case Alu::Div:
    case Alu::Mod: {
      Value* is0 = b_.CreateICmpEQ(s, zero);
      Value* safe = b_.CreateSelect(is0, one, s);
      r = op == Alu::Div ? b_.CreateSelect(is0, zero, b_.CreateUDiv(d, safe))
                         : b_.CreateSelect(is0, d, b_.CreateURem(d, safe));
      break;
    }
    // Signed: INT_MIN / -1 == INT_MIN and INT_MIN % -1 == 0, as in Linux.
    case Alu::Sdiv:
    case Alu::Smod: {
      Value* is0 = b_.CreateICmpEQ(s, zero);
      Value* ism1 = b_.CreateICmpEQ(s, minus1);
      Value* safe = b_.CreateSelect(b_.CreateOr(is0, ism1), one, s);
      if (op == Alu::Sdiv) {
        r = b_.CreateSelect(is0, zero,
                            b_.CreateSelect(ism1, b_.CreateNeg(d), b_.CreateSDiv(d, safe)));
      } else {
        r = b_.CreateSelect(is0, d, b_.CreateSelect(ism1, zero, b_.CreateSRem(d, safe)));
      }
      break;
    }
  }
  set(in.dst, widen(r));
}

void Translator::cond_jump(uint32_t pc, const Instruction& in) {
  const OpInfo& info = in.info();
  const bool is64 = info.width == 64;
  llvm::Type* t = is64 ? i64() : i32();
  // Jeq64Imm, Jeq64Reg, Jeq32Imm, Jeq32Reg, Jgt64Imm, ...
  const Cond c = static_cast<Cond>((op_index(in.op) - op_index(Op::Jeq64Imm)) / 4);
  Value* d = reg(in.dst);
  Value* s = info.reg_source ? reg(in.src) : imm(t, in.imm);
  if (!is64) {
    d = b_.CreateTrunc(d, i32());
    if (info.reg_source) s = b_.CreateTrunc(s, i32());
  }
  Value* cond = nullptr;
  switch (c) {
    case Cond::Jeq:
      cond = b_.CreateICmpEQ(d, s);
      break;
    case Cond::Jne:
      cond = b_.CreateICmpNE(d, s);
      break;
    case Cond::Jgt:
      cond = b_.CreateICmpUGT(d, s);
      break;
    case Cond::Jge:
      cond = b_.CreateICmpUGE(d, s);
      break;
    case Cond::Jlt:
      cond = b_.CreateICmpULT(d, s);
      break;
    case Cond::Jle:
      cond = b_.CreateICmpULE(d, s);
      break;
    case Cond::Jsgt:
      cond = b_.CreateICmpSGT(d, s);
      break;
    case Cond::Jsge:
      cond = b_.CreateICmpSGE(d, s);
      break;
    case Cond::Jslt:
      cond = b_.CreateICmpSLT(d, s);
      break;
    case Cond::Jsle:
      cond = b_.CreateICmpSLE(d, s);
      break;
    case Cond::Jset:
      cond = b_.CreateICmpNE(b_.CreateAnd(d, s), llvm::ConstantInt::get(t, 0));
      break;
  }
  b_.CreateCondBr(cond, block_at(static_cast<uint32_t>(in.target)), block_at(pc + 1));
}

void Translator::load(uint32_t pc, const Instruction& in) {
  const OpInfo& info = in.info();
  if (ctx_load_[pc]) {
    // Linux's convert_ctx_access: an xdp_md field load becomes an XdpBuff load.
    // Program::create has already rejected fields that do not exist.
    auto field = xdp_ctx_field(static_cast<uint32_t>(in.off), info.width);
    const unsigned bytes = field ? field->size : 4;
    const uint32_t off = field ? field->buff_offset : 0;
    Value* p = address(in.src, static_cast<int16_t>(off));
    Value* v = b_.CreateAlignedLoad(b_.getIntNTy(bytes * 8), p, llvm::Align(1));
    set(in.dst, bytes == 8 ? v : b_.CreateZExt(v, i64()));
    return;
  }
  llvm::Type* t = b_.getIntNTy(info.width * 8);
  Value* v = b_.CreateAlignedLoad(t, address(in.src, in.off), llvm::Align(1));
  if (info.width == 8) {
    set(in.dst, v);
  } else {
    set(in.dst, info.is_signed ? b_.CreateSExt(v, i64()) : b_.CreateZExt(v, i64()));
  }
}

void Translator::atomic(const Instruction& in) {
  const OpInfo& info = in.info();
  const bool is64 = info.width == 64;
  llvm::Type* t = is64 ? i64() : i32();
  const llvm::Align align(is64 ? 8 : 4);
  // AtomicAdd32, AtomicAdd64, AtomicOr32, ...
  const Atomic op = static_cast<Atomic>((op_index(in.op) - op_index(Op::AtomicAdd32)) / 2);
  Value* p = address(in.dst, in.off);
  Value* s = b_.CreateTrunc(reg(in.src), t);
  const auto order = llvm::AtomicOrdering::SequentiallyConsistent;
  if (op == Atomic::CmpXchg) {
    Value* expected = b_.CreateTrunc(reg(0), t);
    Value* pair = b_.CreateAtomicCmpXchg(p, expected, s, align, order, order);
    Value* old = b_.CreateExtractValue(pair, 0);
    set(0, is64 ? old : b_.CreateZExt(old, i64()));
    return;
  }
  llvm::AtomicRMWInst::BinOp bin = llvm::AtomicRMWInst::Add;
  bool fetch = true;
  switch (op) {
    case Atomic::Add:
      fetch = false;
      [[fallthrough]];
    case Atomic::FetchAdd:
      bin = llvm::AtomicRMWInst::Add;
      break;
    case Atomic::Or:
      fetch = false;
      [[fallthrough]];
    case Atomic::FetchOr:
      bin = llvm::AtomicRMWInst::Or;
      break;
    case Atomic::And:
      fetch = false;
      [[fallthrough]];
    case Atomic::FetchAnd:
      bin = llvm::AtomicRMWInst::And;
      break;
    case Atomic::Xor:
      fetch = false;
      [[fallthrough]];
    case Atomic::FetchXor:
      bin = llvm::AtomicRMWInst::Xor;
      break;
    case Atomic::Xchg:
      bin = llvm::AtomicRMWInst::Xchg;
      break;
    case Atomic::CmpXchg:
      break;
  }
  Value* old = b_.CreateAtomicRMW(bin, p, s, align, order);
  if (fetch) set(in.src, is64 ? old : b_.CreateZExt(old, i64()));
}

// bpf_map_lookup_elem on an array or hash map the program names, as the map's
// lookup computes it (maps/array_map.h, maps/hash_layout.h): one test per map
// for r1, which the optimizer folds when r1 is the map's constant handle.
// Other maps fall through to the helper call emitted after this.
void Translator::inline_map_lookups(uint32_t pc) {
  const auto& insns = prog_.decoded().insns;
  const uint32_t only = map_lddw_for_r1(pc);
  std::vector<uint64_t> seen;
  for (uint32_t i = only ? only : 0; i < (only ? only + 1 : insns.size()); ++i) {
    const Instruction& l = insns[i];
    if (l.op != Op::Lddw || (l.src != ebpf::kPseudoMapFd && l.src != ebpf::kPseudoMapIdx)) continue;
    const uint64_t handle = prog_.lddw_value(i);
    if (!handle || std::find(seen.begin(), seen.end(), handle) != seen.end()) continue;
    seen.push_back(handle);
    const auto* map = reinterpret_cast<const maps::Map*>(handle);
    const uint32_t type = map->type();
    const maps::ArrayMap* array = nullptr;
    const maps::HashMap* hash = nullptr;
    if (type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY) {
      array = dynamic_cast<const maps::ArrayMap*>(map);
    } else if (type == BPF_MAP_TYPE_HASH || type == BPF_MAP_TYPE_PERCPU_HASH ||
               type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH) {
      hash = dynamic_cast<const maps::HashMap*>(map);
      // Keys of up to 16 bytes: one multiply to hash, two loads to compare.
      if (hash && (hash->layout().key_size == 0 || hash->layout().key_size > 16)) hash = nullptr;
    }
    if (!array && !hash) continue;

    BasicBlock* hit = BasicBlock::Create(ctx_, array ? "array_lookup" : "hash_lookup", fn_);
    BasicBlock* other = BasicBlock::Create(ctx_, "not_this_map", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(reg(1), c64(handle)), hit, other);
    b_.SetInsertPoint(hit);
    if (hash) {
      inline_hash_lookup(*map, hash->layout(), pc);
      b_.SetInsertPoint(other);
      continue;
    }
    const maps::ArrayLayout& layout = array->layout();
    const bool percpu = type == BPF_MAP_TYPE_PERCPU_ARRAY;
    Value* key = b_.CreateIntToPtr(reg(2), ptr());
    Value* index = b_.CreateZExt(b_.CreateAlignedLoad(i32(), key, llvm::Align(1)), i64());
    Value* ok = b_.CreateICmpULT(index, c64(layout.max_entries));
    Value* addr = b_.CreateAdd(c64(reinterpret_cast<uint64_t>(layout.values)),
                               b_.CreateMul(index, c64(layout.stride)));
    if (percpu) {
      Value* cpu =
          b_.CreateZExt(b_.CreateLoad(i32(), b_.CreateGEP(i8(), rc_, c64(rt_.cpu_offset))), i64());
      ok = b_.CreateAnd(ok, b_.CreateICmpULT(cpu, c64(map->num_cpus())));
      addr = b_.CreateAdd(addr, b_.CreateMul(cpu, c64(layout.cpu_stride)));
    }
    set(0, b_.CreateSelect(ok, addr, c64(0)));
    b_.CreateBr(block_at(pc + 1));
    b_.SetInsertPoint(other);
  }
}

// The pc of the map lddw that sets r1 for the call at `pc` in the same block
// (clang's `r1 = map ll` ... `call`), or 0 when r1 comes from elsewhere: then
// every map of the program gets its test. Only compile time depends on it.
uint32_t Translator::map_lddw_for_r1(uint32_t pc) const {
  const auto& insns = prog_.decoded().insns;
  for (uint32_t j = pc; j-- > 0;) {
    const Instruction& in = insns[j];
    const OpKind kind = in.info().kind;
    if (in.op != Op::LddwHigh) {
      const bool writes_r1 =
          ((kind == OpKind::kAlu || kind == OpKind::kLoad || kind == OpKind::kLoadImm64) &&
           in.dst == 1) ||
          (kind == OpKind::kAtomic && in.src == 1);
      if (writes_r1)
        return in.op == Op::Lddw &&
                       (in.src == ebpf::kPseudoMapFd || in.src == ebpf::kPseudoMapIdx) && j > 0
                   ? j
                   : 0;
    }
    if (blocks_[j]) return 0;  // the start of the call's block
  }
  return 0;
}

// HashMap's lookup (HashMapFor, maps/hash_map.cpp) for one map: hash_key with
// the map's seed and key size as constants, the bucket, the chain walked with
// acquire loads comparing whole keys; LRU elements marked referenced; the
// value's address (per-CPU maps: this CPU's copy; a CPU beyond the map's:
// NULL, before anything is marked).
void Translator::inline_hash_lookup(const maps::Map& map, const maps::HashLayout& l, uint32_t pc) {
  using namespace maps::hash_detail;
  const uint32_t k = l.key_size;
  const bool percpu = map.percpu();
  BasicBlock* miss = BasicBlock::Create(ctx_, "hash_miss", fn_);
  Value* cpu = nullptr;
  if (percpu) {
    cpu = b_.CreateZExt(b_.CreateLoad(i32(), b_.CreateGEP(i8(), rc_, c64(rt_.cpu_offset))), i64());
    BasicBlock* go = BasicBlock::Create(ctx_, "hash_cpu_ok", fn_);
    b_.CreateCondBr(b_.CreateICmpULT(cpu, c64(map.num_cpus())), go, miss);
    b_.SetInsertPoint(go);
  }
  Value* key = b_.CreateIntToPtr(reg(2), ptr());
  auto load = [&](Value* base, uint32_t off, unsigned bytes) -> Value* {
    Value* v = b_.CreateAlignedLoad(b_.getIntNTy(bytes * 8), b_.CreateConstGEP1_64(i8(), base, off),
                                    llvm::Align(1));
    return bytes == 8 ? v : b_.CreateZExt(v, i64());
  };
  // The program's key, a byte at a time: the program has just written it to
  // its stack, often in pieces of other sizes, and byte loads are what LLVM
  // forwards from those stores (one wide load would wait for them to retire:
  // a store-forwarding stall).
  auto key_bytes = [&](uint32_t off, unsigned bytes) -> Value* {
    Value* v = c64(0);
    for (unsigned i = 0; i < bytes; ++i)
      v = b_.CreateOr(v, b_.CreateShl(load(key, off + i, 1), c64(8 * i)));
    return v;
  };
  // hash_key(key, k, seed)
  const uint64_t s0 = l.seed ^ kP0;
  const uint64_t s1 = (l.seed * kP2) ^ kP1 ^ k;
  Value* a = nullptr;
  Value* bw = c64(0);
  if (k >= 4 && k <= 8) {
    a = b_.CreateOr(b_.CreateShl(key_bytes(0, 4), c64(32)), key_bytes(k - 4, 4));
  } else if (k < 4) {
    a = b_.CreateOr(b_.CreateOr(b_.CreateShl(key_bytes(0, 1), c64(16)),
                                b_.CreateShl(key_bytes(k >> 1, 1), c64(8))),
                    key_bytes(k - 1, 1));
  } else {
    a = key_bytes(0, 8);
    bw = key_bytes(k - 8, 8);
  }
  llvm::Type* i128 = b_.getInt128Ty();
  Value* prod = b_.CreateMul(b_.CreateZExt(b_.CreateXor(a, c64(s0)), i128),
                             b_.CreateZExt(b_.CreateXor(bw, c64(s1)), i128));
  Value* h =
      b_.CreateXor(b_.CreateTrunc(prod, i64()),
                   b_.CreateTrunc(b_.CreateLShr(prod, llvm::ConstantInt::get(i128, 64)), i64()));
  Value* h32 = b_.CreateAnd(b_.CreateXor(h, b_.CreateLShr(h, c64(32))), c64(l.bucket_mask));
  // The key's pieces for the comparisons, read once before the chain's
  // acquire loads (which LLVM does not forward stores across).
  struct Piece {
    uint32_t off, bytes;
    Value* v;
  };
  std::vector<Piece> pieces;
  for (uint32_t off = 0; off < k;) {
    const uint32_t left = k - off;
    const uint32_t w = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
    pieces.push_back({off, w, key_bytes(off, w)});
    off += w;
  }
  Value* bucket = b_.CreateGEP(ptr(), fn_ptr(reinterpret_cast<uint64_t>(l.buckets)), h32);
  llvm::LoadInst* head = b_.CreateAlignedLoad(ptr(), bucket, llvm::Align(8));
  head->setAtomic(llvm::AtomicOrdering::Acquire);
  BasicBlock* before = b_.GetInsertBlock();

  BasicBlock* walk = BasicBlock::Create(ctx_, "hash_walk", fn_);
  BasicBlock* compare = BasicBlock::Create(ctx_, "hash_compare", fn_);
  BasicBlock* next = BasicBlock::Create(ctx_, "hash_next", fn_);
  BasicBlock* found = BasicBlock::Create(ctx_, "hash_found", fn_);
  b_.CreateBr(walk);
  b_.SetInsertPoint(walk);
  llvm::PHINode* e = b_.CreatePHI(ptr(), 2, "elem");
  e->addIncoming(head, before);
  b_.CreateCondBr(b_.CreateIsNull(e), miss, compare);

  // The element's key against the program's, in 8/4/2/1-byte pieces.
  b_.SetInsertPoint(compare);
  Value* diff = c64(0);
  for (const Piece& piece : pieces)
    diff = b_.CreateOr(diff, b_.CreateXor(load(e, l.key_offset + piece.off, piece.bytes), piece.v));
  b_.CreateCondBr(b_.CreateICmpEQ(diff, c64(0)), found, next);
  b_.SetInsertPoint(next);
  llvm::LoadInst* link = b_.CreateAlignedLoad(ptr(), e, llvm::Align(8));
  link->setAtomic(llvm::AtomicOrdering::Acquire);
  e->addIncoming(link, next);
  b_.CreateBr(walk);

  b_.SetInsertPoint(found);
  if (l.ref_offset) {
    Value* ref = b_.CreateConstGEP1_64(i8(), e, l.ref_offset);
    llvm::LoadInst* r = b_.CreateAlignedLoad(i8(), ref, llvm::Align(1));
    r->setAtomic(llvm::AtomicOrdering::Monotonic);
    BasicBlock* mark = BasicBlock::Create(ctx_, "lru_mark", fn_);
    BasicBlock* marked = BasicBlock::Create(ctx_, "lru_marked", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(r, b_.getInt8(0)), mark, marked);
    b_.SetInsertPoint(mark);
    b_.CreateAlignedStore(b_.getInt8(1), ref, llvm::Align(1))
        ->setAtomic(llvm::AtomicOrdering::Monotonic);
    b_.CreateBr(marked);
    b_.SetInsertPoint(marked);
  }
  Value* value = nullptr;
  if (percpu) {
    Value* index = load(e, offsetof(maps::HashElem, index), 4);
    value = b_.CreateAdd(c64(reinterpret_cast<uint64_t>(l.percpu_values)),
                         b_.CreateAdd(b_.CreateMul(cpu, c64(l.percpu_cpu_stride)),
                                      b_.CreateMul(index, c64(l.percpu_stride))));
  } else {
    value = b_.CreateAdd(b_.CreatePtrToInt(e, i64()), c64(l.value_offset));
  }
  set(0, value);
  b_.CreateBr(block_at(pc + 1));

  b_.SetInsertPoint(miss);
  set(0, c64(0));
  b_.CreateBr(block_at(pc + 1));
}

// bpf_redirect (helpers/linux_helpers.cpp): flags must be 0; the target is
// the low 32 bits of r1, in RunContext::redirect.
void Translator::inline_redirect(uint32_t pc) {
  BasicBlock* ok = BasicBlock::Create(ctx_, "redirect", fn_);
  BasicBlock* bad = BasicBlock::Create(ctx_, "redirect_flags", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(reg(2), c64(0)), ok, bad);
  b_.SetInsertPoint(ok);
  Value* r = b_.CreateGEP(i8(), rc_, c64(rt_.redirect_offset));
  b_.CreateAlignedStore(b_.CreateTrunc(reg(1), i32()), r, llvm::Align(4));
  for (uint32_t off : {8u, 16u, 24u})
    b_.CreateAlignedStore(c64(0), b_.CreateConstGEP1_64(i8(), r, off), llvm::Align(8));
  set(0, c64(XDP_REDIRECT));
  b_.CreateBr(block_at(pc + 1));
  b_.SetInsertPoint(bad);
  set(0, c64(XDP_ABORTED));
  b_.CreateBr(block_at(pc + 1));
}

// A helper call: r0 = fn(r1..r5, rc); then, rarely, the helper asked to stop.
void Translator::helper_call(uint32_t pc, Value* callee, std::vector<Value*> args,
                             llvm::FunctionType* ft, bool may_stop) {
  Value* ctx_arg = reg(1);
  llvm::CallInst* call = b_.CreateCall(ft, callee, args);
  call->addFnAttr(llvm::Attribute::NoUnwind);
  set(0, call);
  if (!may_stop) {
    b_.CreateBr(block_at(pc + 1));
    return;
  }
  Value* stop = b_.CreateLoad(i8(), b_.CreateGEP(i8(), rc_, c64(rt_.stop_offset)));
  BasicBlock* here = b_.GetInsertBlock();
  const uint32_t id = static_cast<uint32_t>(stop_continue_.size());
  stop_continue_.push_back(block_at(pc + 1));
  llvm::MDBuilder md(ctx_);
  b_.CreateCondBr(b_.CreateICmpNE(stop, b_.getInt8(0)), stop_, block_at(pc + 1),
                  md.createBranchWeights(1, 1 << 20));
  stop_pc_->addIncoming(c32(pc), here);
  stop_ctx_->addIncoming(ctx_arg, here);
  stop_next_->addIncoming(c32(id), here);
}

// How the interpreter reacts to RunContext::stop after a helper: kUnwind ends
// the program with r0; kFault ends it with 0 and the pc in the message;
// kTailCall replaces the running program (the caller's dispatcher runs the
// target, or, from a local function, a nested run whose r0 the function returns).
void Translator::emit_stop_handler() {
  b_.SetInsertPoint(stop_);
  if (stop_continue_.empty()) {
    b_.CreateUnreachable();
    stop_pc_->eraseFromParent();
    stop_ctx_->eraseFromParent();
    stop_next_->eraseFromParent();
    return;
  }
  Value* stop = b_.CreateLoad(i8(), b_.CreateGEP(i8(), rc_, c64(rt_.stop_offset)));
  BasicBlock* unwind = BasicBlock::Create(ctx_, "stop_unwind", fn_);
  BasicBlock* fault = BasicBlock::Create(ctx_, "stop_fault", fn_);
  BasicBlock* tail = BasicBlock::Create(ctx_, "stop_tail_call", fn_);
  BasicBlock* resume = BasicBlock::Create(ctx_, "stop_resume", fn_);
  llvm::SwitchInst* sw = b_.CreateSwitch(stop, resume, 3);
  sw->addCase(b_.getInt8(static_cast<uint8_t>(RunContext::Stop::kUnwind)), unwind);
  sw->addCase(b_.getInt8(static_cast<uint8_t>(RunContext::Stop::kFault)), fault);
  sw->addCase(b_.getInt8(static_cast<uint8_t>(RunContext::Stop::kTailCall)), tail);

  b_.SetInsertPoint(unwind);
  b_.CreateRet(reg(0));

  b_.SetInsertPoint(fault);
  llvm::FunctionType* pft = llvm::FunctionType::get(b_.getVoidTy(), {ptr(), i32()}, false);
  b_.CreateCall(pft, fn_ptr(rt_.prefix_fault), {rc_, stop_pc_});
  b_.CreateRet(c64(0));

  b_.SetInsertPoint(tail);
  if (!has_local_calls_) {
    b_.CreateRet(stop_ctx_);
  } else {
    BasicBlock* top = BasicBlock::Create(ctx_, "tail_call_top", fn_);
    BasicBlock* nested = BasicBlock::Create(ctx_, "tail_call_nested", fn_);
    b_.CreateCondBr(b_.CreateICmpEQ(b_.CreateLoad(i32(), depth_), c32(0)), top, nested);
    b_.SetInsertPoint(top);
    b_.CreateRet(stop_ctx_);
    b_.SetInsertPoint(nested);
    llvm::FunctionType* nft = llvm::FunctionType::get(i64(), {ptr(), i64()}, false);
    Value* r0 = b_.CreateCall(nft, fn_ptr(rt_.nested_tail_call), {rc_, stop_ctx_});
    set(0, r0);
    BasicBlock* ret = BasicBlock::Create(ctx_, "tail_call_ended", fn_);
    Value* after = b_.CreateLoad(i8(), b_.CreateGEP(i8(), rc_, c64(rt_.stop_offset)));
    b_.CreateCondBr(b_.CreateICmpNE(after, b_.getInt8(0)), ret, local_exit_);
    b_.SetInsertPoint(ret);
    b_.CreateRet(r0);
  }

  // A stop value the interpreter ignores: continue after the call.
  b_.SetInsertPoint(resume);
  llvm::SwitchInst* next = b_.CreateSwitch(stop_next_, stop_continue_[0], stop_continue_.size());
  for (uint32_t i = 1; i < stop_continue_.size(); ++i) next->addCase(c32(i), stop_continue_[i]);
}

// exit from a local function: restore the caller's r6-r9 and frame, continue after its call.
void Translator::emit_local_exit() {
  b_.SetInsertPoint(local_exit_);
  Value* depth = b_.CreateLoad(i32(), depth_);
  BasicBlock* top = BasicBlock::Create(ctx_, "exit_top", fn_);
  BasicBlock* pop = BasicBlock::Create(ctx_, "exit_pop", fn_);
  b_.CreateCondBr(b_.CreateICmpEQ(depth, c32(0)), top, pop);
  b_.SetInsertPoint(top);
  b_.CreateRet(reg(0));
  b_.SetInsertPoint(pop);
  Value* d = b_.CreateSub(depth, c32(1));
  b_.CreateStore(d, depth_);
  Value* d64 = b_.CreateZExt(d, i64());
  for (int i = 0; i < 4; ++i)
    set(6 + i, b_.CreateLoad(i64(), b_.CreateGEP(i64(), saved_,
                                                 b_.CreateAdd(b_.CreateMul(d64, c64(4)), c64(i)))));
  b_.CreateStore(b_.CreateAdd(b_.CreateLoad(i64(), fp_off_), c64(kStackSize)), fp_off_);
  update_r10();
  Value* id = b_.CreateLoad(i32(), b_.CreateGEP(i32(), ret_ids_, d64));
  llvm::SwitchInst* sw = b_.CreateSwitch(id, block_at(return_pcs_[0]), return_pcs_.size());
  for (uint32_t i = 1; i < return_pcs_.size(); ++i) sw->addCase(c32(i), block_at(return_pcs_[i]));
}

}  // namespace

Expected<std::unique_ptr<llvm::Module>> translate(const Program& prog, llvm::LLVMContext& ctx,
                                                  const std::string& name, const Runtime& rt) {
  auto m = std::make_unique<llvm::Module>(name, ctx);
  Translator t(prog, ctx, *m, rt);
  if (auto st = t.run(name); !st) return st.error();
  return m;
}

}  // namespace ebpfaas::vm::jit_detail
