#include "vm/jit/jit.h"

#include <linux/bpf.h>
#include <llvm/Analysis/ValueTracking.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <list>
#include <mutex>
#include <unordered_map>

#include "ebpf/opcode.h"
#include "maps/array_map.h"
#include "maps/hash_map.h"
#include "vm/interpreter.h"
#include "vm/jit/translate.h"

namespace ebpfaas::vm {

using Stop = RunContext::Stop;

// Native code of one compiled program; removing its resource tracker frees it.
class JitCode {
 public:
  JitCode(JitProgram::Entry entry, llvm::orc::ResourceTrackerSP tracker, double compile_ms)
      : entry(entry), compile_ms(compile_ms), tracker_(std::move(tracker)) {}
  ~JitCode() {
    if (auto err = tracker_->remove()) llvm::consumeError(std::move(err));
  }
  JitCode(const JitCode&) = delete;
  JitCode& operator=(const JitCode&) = delete;

  const JitProgram::Entry entry;
  const double compile_ms;

 private:
  llvm::orc::ResourceTrackerSP tracker_;
};

namespace {

std::string llvm_message(llvm::Error err) {
  return llvm::toString(std::move(err));
}

// One LLJIT for the process (it is thread-safe; compiles are serialized here so
// that the TargetMachine used by the optimizer is not shared between threads).
// Never destroyed: JitCode may outlive static destructors.
struct Engine {
  std::mutex mu;
  std::unique_ptr<llvm::orc::LLJIT> jit;
  std::unique_ptr<llvm::TargetMachine> tm;
  std::string error;  // why the engine could not start
  uint64_t next_id = 0;
};

Engine& engine() {
  static Engine* e = [] {
    auto* e = new Engine;
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
      e->error = llvm_message(jtmb.takeError());
      return e;
    }
    jtmb->setCodeGenOptLevel(llvm::CodeGenOpt::Aggressive);
    auto tm = jtmb->createTargetMachine();
    if (!tm) {
      e->error = llvm_message(tm.takeError());
      return e;
    }
    e->tm = std::move(*tm);
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(std::move(*jtmb)).create();
    if (!jit) {
      e->error = llvm_message(jit.takeError());
      return e;
    }
    e->jit = std::move(*jit);
    // Intrinsics the code generator may lower to libc calls (memcpy, memset).
    auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        e->jit->getDataLayout().getGlobalPrefix());
    if (!gen) {
      e->error = llvm_message(gen.takeError());
      e->jit.reset();
      return e;
    }
    e->jit->getMainJITDylib().addGenerator(std::move(*gen));
    return e;
  }();
  return *e;
}

// eBPF registers are integers, so the translation turns r10-derived addresses
// into integers (ptrtoint) and back (inttoptr), which hides from LLVM that a
// key or value the program builds on its stack is that stack: it cannot keep
// it in registers or forward the stores to an inlined lookup's loads (it pays
// a store-forwarding stall instead). After each InstCombine this pass turns
// `inttoptr(ptrtoint(stack + a) + b)` back into `gep(stack + a, b)`. Only
// stack-derived addresses: a verified program's accesses through them stay in
// the stack; integers the program stores or passes to helpers keep their
// ptrtoint, so the stack still escapes where it does.
struct StackProvenancePass : llvm::PassInfoMixin<StackProvenancePass> {
  llvm::PreservedAnalyses run(llvm::Function& f, llvm::FunctionAnalysisManager&) {
    bool changed = false;
    for (llvm::BasicBlock& bb : f)
      for (auto it = bb.begin(); it != bb.end();) {
        auto* itp = llvm::dyn_cast<llvm::IntToPtrInst>(&*it++);
        if (!itp) continue;
        llvm::Value* v = itp->getOperand(0);
        llvm::PtrToIntInst* base = llvm::dyn_cast<llvm::PtrToIntInst>(v);
        llvm::Value* off = nullptr;
        if (auto* add = llvm::dyn_cast<llvm::BinaryOperator>(v);
            add && add->getOpcode() == llvm::Instruction::Add) {
          if ((base = llvm::dyn_cast<llvm::PtrToIntInst>(add->getOperand(0)))) {
            off = add->getOperand(1);
          } else if ((base = llvm::dyn_cast<llvm::PtrToIntInst>(add->getOperand(1)))) {
            off = add->getOperand(0);
          }
        }
        if (!base) continue;
        llvm::Value* p = base->getPointerOperand();
        if (p->getType() != itp->getType() ||
            !llvm::isa<llvm::AllocaInst>(llvm::getUnderlyingObject(p)))
          continue;
        llvm::IRBuilder<> b(itp);
        llvm::Value* r = off ? b.CreateGEP(b.getInt8Ty(), p, off) : p;
        itp->replaceAllUsesWith(r);
        itp->eraseFromParent();
        changed = true;
      }
    return changed ? llvm::PreservedAnalyses::none() : llvm::PreservedAnalyses::all();
  }
};

void optimize(llvm::Module& m, llvm::TargetMachine* tm, int level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb(tm);
  pb.registerPeepholeEPCallback([](llvm::FunctionPassManager& fpm, llvm::OptimizationLevel) {
    fpm.addPass(StackProvenancePass());
  });
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager mpm;
  if (level <= 0) {
    mpm = pb.buildO0DefaultPipeline(llvm::OptimizationLevel::O0);
  } else {
    const llvm::OptimizationLevel ol = level == 1   ? llvm::OptimizationLevel::O1
                                       : level == 2 ? llvm::OptimizationLevel::O2
                                                    : llvm::OptimizationLevel::O3;
    mpm = pb.buildPerModuleDefaultPipeline(ol);
  }
  mpm.run(m, mam);
}

// ---- run-time support called by the generated code ---------------------------

uint64_t finish_tail_calls(uint64_t ctx, RunContext& rc);

void rt_fault_at(RunContext* rc, uint32_t pc, const char* what) {
  rc->stop = Stop::kFault;
  rc->fault_message = fmt::format("pc {}: {}", pc, what);
}

void rt_prefix_fault(RunContext* rc, uint32_t pc) {
  rc->fault_message = fmt::format("pc {}: {}", pc, rc->fault_message);
}

uint64_t rt_nested_tail_call(RunContext* rc, uint64_t ctx) {
  return finish_tail_calls(ctx, *rc);
}

uint64_t rt_callx(const HelperTable* table, uint64_t id, uint64_t r1, uint64_t r2, uint64_t r3,
                  uint64_t r4, uint64_t r5, RunContext* rc) {
  HelperFn fn = table->get(static_cast<int64_t>(id));
  if (!fn) {
    // The stop handler adds the pc, as the interpreter's message has it.
    rc->stop = Stop::kFault;
    rc->fault_message = id ? fmt::format("callx to an unknown helper ({:#x})", id)
                           : std::string("callx to an unknown helper");
    return 0;
  }
  return fn(r1, r2, r3, r4, r5, rc);
}

// Offsets of RunContext fields the generated code reads (the class is not
// standard-layout, so offsetof does not apply).
uint32_t stop_offset() {
  static_assert(sizeof(Stop) == 1);
  static const uint32_t off = [] {
    RunContext rc;
    return static_cast<uint32_t>(reinterpret_cast<const char*>(&rc.stop) -
                                 reinterpret_cast<const char*>(&rc));
  }();
  return off;
}

uint32_t cpu_offset() {
  static_assert(sizeof(RunContext::cpu) == 4);
  static const uint32_t off = [] {
    RunContext rc;
    return static_cast<uint32_t>(reinterpret_cast<const char*>(&rc.cpu) -
                                 reinterpret_cast<const char*>(&rc));
  }();
  return off;
}

uint32_t redirect_offset() {
  using Redirect = RunContext::Redirect;
  static_assert(offsetof(Redirect, ifindex) == 0 && sizeof(Redirect::ifindex) == 4 &&
                offsetof(Redirect, map) == 8 && offsetof(Redirect, key) == 16 &&
                offsetof(Redirect, flags) == 24 && sizeof(Redirect) == 32);
  static const uint32_t off = [] {
    RunContext rc;
    return static_cast<uint32_t>(reinterpret_cast<const char*>(&rc.redirect) -
                                 reinterpret_cast<const char*>(&rc));
  }();
  return off;
}

const jit_detail::Runtime& runtime() {
  static const jit_detail::Runtime rt{reinterpret_cast<uint64_t>(&rt_fault_at),
                                      reinterpret_cast<uint64_t>(&rt_prefix_fault),
                                      reinterpret_cast<uint64_t>(&rt_nested_tail_call),
                                      reinterpret_cast<uint64_t>(&rt_callx),
                                      stop_offset(),
                                      cpu_offset(),
                                      redirect_offset()};
  return rt;
}

// ---- which Programs have JIT code (tail-call targets) -------------------------

struct Registry {
  std::mutex mu;
  std::unordered_map<const Program*, std::weak_ptr<const JitProgram>> by_program;
};

Registry& registry() {
  static Registry* r = new Registry;
  return *r;
}

std::shared_ptr<const JitProgram> registered(const Program* p) {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.by_program.find(p);
  return it == r.by_program.end() ? nullptr : it->second.lock();
}

// The interpreter's kTailCall: the target replaces the running program (the
// context argument is passed on); its exit ends the invocation.
uint64_t finish_tail_calls(uint64_t ctx, RunContext& rc) {
  for (;;) {
    rc.stop = Stop::kNone;
    const auto* target = static_cast<const Program*>(rc.tail_call_target);
    auto jp = registered(target);
    if (!jp) return interpret(*target, ctx, 0, rc);
    const uint64_t v = jp->entry()(ctx, 0, &rc);
    if (rc.stop != Stop::kTailCall) return v;
    ctx = v;
  }
}

// ---- the code cache ------------------------------------------------------------

struct Cache {
  static constexpr size_t kCapacity = 256;
  std::mutex mu;
  // Most recently used first.
  std::list<std::pair<std::string, std::shared_ptr<const JitCode>>> lru;
  std::unordered_map<std::string, decltype(lru)::iterator> index;
  std::atomic<uint64_t> compiled{0}, hits{0};
};

Cache& cache() {
  static Cache* c = new Cache;
  return *c;
}

template <class T>
void append(std::string& key, const T& v) {
  key.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Inlined map lookups compile a map's layout in: a map freed and another
// created at the same address must not find the first one's code.
void append_layout(std::string& key, uint32_t pc, const Program& prog) {
  const auto* map = reinterpret_cast<const maps::Map*>(prog.lddw_value(pc));
  if (!map) return;
  append(key, map->type());
  append(key, map->num_cpus());
  if (const auto* a = dynamic_cast<const maps::ArrayMap*>(map)) {
    const maps::ArrayLayout& l = a->layout();
    append(key, l.values);
    append(key, l.cpu_stride);
    append(key, l.stride);
    append(key, l.max_entries);
  } else if (const auto* h = dynamic_cast<const maps::HashMap*>(map)) {
    const maps::HashLayout& l = h->layout();
    append(key, l.buckets);
    append(key, l.bucket_mask);
    append(key, l.key_size);
    append(key, l.seed);
    append(key, l.key_offset);
    append(key, l.value_offset);
    append(key, l.ref_offset);
    append(key, l.percpu_stride);
    append(key, l.percpu_cpu_stride);
    append(key, l.percpu_values);
  }
}

// Everything the generated code depends on.
std::string cache_key(const Program& prog, int opt_level) {
  const auto& insns = prog.decoded().insns;
  std::string key;
  key.reserve(insns.size() * 24 + 16);
  append(key, opt_level);
  append(key, insns.size());
  bool callx = false;
  for (uint32_t pc = 0; pc < insns.size(); ++pc) {
    const ebpf::Instruction& in = insns[pc];
    append(key, in.op);
    append(key, in.dst);
    append(key, in.src);
    append(key, in.off);
    append(key, in.imm);
    append(key, in.target);
    if (in.op == ebpf::Op::Lddw) {
      append(key, prog.lddw_value(pc));
      if (in.src == ebpf::kPseudoMapFd || in.src == ebpf::kPseudoMapIdx)
        append_layout(key, pc, prog);
    }
    if (in.op == ebpf::Op::Call) append(key, prog.helpers().get(in.imm));
    if (in.op == ebpf::Op::Callx) callx = true;
  }
  // callx looks its helper up in the table at run time.
  if (callx) append(key, &prog.helpers());
  append(key, prog.link().ctx_load_pcs.size());
  for (uint32_t pc : prog.link().ctx_load_pcs) append(key, pc);
  return key;
}

Expected<std::shared_ptr<const JitCode>> compile(const Program& prog, int opt_level) {
  Engine& e = engine();
  std::lock_guard lock(e.mu);
  if (!e.jit) return errorf("the LLVM JIT cannot start: {}", e.error);
  // Symbol names of code freed since the last compile (ORC keeps them until
  // asked): about 100 bytes per program otherwise, for the process's life.
  e.jit->getExecutionSession().getSymbolStringPool()->clearDeadEntries();
  const auto start = std::chrono::steady_clock::now();
  const std::string name = fmt::format("ebpfaas_jit_{}", e.next_id++);

  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto mod = jit_detail::translate(prog, *ctx, name, runtime());
  if (!mod) return mod.error();
  (*mod)->setDataLayout(e.jit->getDataLayout());
  (*mod)->setTargetTriple(e.tm->getTargetTriple().str());
  std::string problems;
  llvm::raw_string_ostream os(problems);
  if (llvm::verifyModule(**mod, &os)) return errorf("JIT internal error: invalid IR: {}", os.str());
  optimize(**mod, e.tm.get(), opt_level);

  auto tracker = e.jit->getMainJITDylib().createResourceTracker();
  if (auto err =
          e.jit->addIRModule(tracker, llvm::orc::ThreadSafeModule(std::move(*mod), std::move(ctx))))
    return errorf("LLVM: {}", llvm_message(std::move(err)));
  auto sym = e.jit->lookup(name);
  if (!sym) {
    if (auto err = tracker->remove()) llvm::consumeError(std::move(err));
    return errorf("LLVM: {}", llvm_message(sym.takeError()));
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  cache().compiled.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<const JitCode>(sym->toPtr<JitProgram::Entry>(), std::move(tracker), ms);
}

}  // namespace

JitProgram::JitProgram(std::shared_ptr<const Program> program, std::shared_ptr<const JitCode> code)
    : entry_(code->entry), program_(std::move(program)), code_(std::move(code)) {}

JitProgram::~JitProgram() {
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.by_program.find(program_.get());
  if (it != r.by_program.end() && it->second.expired()) r.by_program.erase(it);
}

double JitProgram::compile_ms() const {
  return code_->compile_ms;
}

uint64_t JitProgram::tail_calls(uint64_t ctx, RunContext& rc) {
  return finish_tail_calls(ctx, rc);
}

uint32_t JitProgram::xdp_after_stop(uint64_t r0, RunContext& rc) {
  if (rc.stop == Stop::kTailCall) r0 = finish_tail_calls(r0, rc);
  if (rc.stop == Stop::kFault) return XDP_ABORTED;
  return static_cast<uint32_t>(r0);
}

Expected<std::shared_ptr<const JitProgram>> jit_compile(std::shared_ptr<const Program> program,
                                                        const JitOptions& options) {
  if (!program) return errorf("jit_compile: no program");
  if (options.use_cache)
    if (auto jp = registered(program.get()); jp && jp->opt_level_ == options.opt_level) {
      cache().hits.fetch_add(1, std::memory_order_relaxed);
      return jp;
    }

  std::shared_ptr<const JitCode> code;
  bool hit = false;
  std::string key;
  if (options.use_cache) {
    key = cache_key(*program, options.opt_level);
    Cache& c = cache();
    std::lock_guard lock(c.mu);
    if (auto it = c.index.find(key); it != c.index.end()) {
      c.lru.splice(c.lru.begin(), c.lru, it->second);
      code = it->second->second;
      hit = true;
      c.hits.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!code) {
    auto compiled = compile(*program, options.opt_level);
    if (!compiled) return compiled.error();
    code = std::move(*compiled);
    if (options.use_cache) {
      Cache& c = cache();
      std::lock_guard lock(c.mu);
      if (!c.index.count(key)) {
        c.lru.emplace_front(key, code);
        c.index[key] = c.lru.begin();
        if (c.lru.size() > Cache::kCapacity) {
          c.index.erase(c.lru.back().first);
          c.lru.pop_back();
        }
      }
    }
  }

  auto jp = std::make_shared<JitProgram>(program, std::move(code));
  jp->from_cache_ = hit;
  jp->opt_level_ = options.opt_level;
  Registry& r = registry();
  std::lock_guard lock(r.mu);
  r.by_program[program.get()] = jp;
  return std::shared_ptr<const JitProgram>(std::move(jp));
}

JitStats jit_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  return JitStats{c.compiled.load(), c.hits.load(), c.lru.size()};
}

void jit_clear_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  for (auto it = c.lru.begin(); it != c.lru.end();) {
    if (it->second.use_count() == 1) {
      c.index.erase(it->first);
      it = c.lru.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace ebpfaas::vm
