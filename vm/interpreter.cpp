#include "vm/interpreter.h"

#include <cstring>

#include "ebpf/opcode.h"
#include "vm/fusion.h"
#include "vm/xdp_context.h"

namespace ebpfaas::vm {

namespace detail {
const void* const* interpreter_handlers(bool checked);
}

namespace {

using ebpf::kMaxCallDepth;
using ebpf::kStackSize;

template <class T>
inline T load(uint64_t addr) {
  T v;
  std::memcpy(&v, reinterpret_cast<const void*>(addr), sizeof v);
  return v;
}

template <class T>
inline void store(uint64_t addr, T v) {
  std::memcpy(reinterpret_cast<void*>(addr), &v, sizeof v);
}

struct Frame {
  const Slot* ret;
  uint64_t saved[4];  // r6..r9
};

// Checked-mode access outcome for a load: a plain memory access, a translated
// context field, or a fault.
enum class Access { kMemory, kContext, kFault };

template <bool kChecked>
uint64_t execute(const Program* prog, uint64_t r1, uint64_t r2, RunContext* rcp,
                 const RunLimits* limits, const void* const** handlers_out) {
  static const void* const kHandlers[] = {
#define X_(n) &&op_##n,
      EBPFAAS_FOR_EACH_OP
#undef X_
  // Superinstructions, in the order of vm/fusion.cpp.
#define FJ_(alu, j) &&fx_##alu##_##j##Imm, &&fx_##alu##_##j##Reg,
#define FJ_ROW_(j) FJ_(Add64Imm, j) FJ_(Mov64Imm, j) FJ_(And64Imm, j) FJ_(Rsh64Imm, j)
              EBPFAAS_FUSED_JUMPS(FJ_ROW_)
#define FL_(ld, j) &&fx_##ld##_##j,
#define FL_ROW_(j) FL_(LdxB, j) FL_(LdxH, j) FL_(LdxW, j) FL_(LdxDW, j)
                  EBPFAAS_FUSED_JUMPS(FL_ROW_)
#define FA_(ld, alu) &&fx_##ld##_##alu,
#define FA_ROW_(alu) FA_(LdxB, alu) FA_(LdxH, alu) FA_(LdxW, alu) FA_(LdxDW, alu)
                      EBPFAAS_FUSED_LOAD_ALUS(FA_ROW_) &&
          fx_LdxH_Be16,
      &&fx_LdxW_Be32,
      &&fx_LdxDW_Be64,
      &&fx_Mov64Reg_Add64Imm,
  };
  static_assert(std::size(kHandlers) == ebpf::kNumOps + kNumFused);
  if (handlers_out) {
    *handlers_out = kHandlers;
    return 0;
  }
  RunContext& rc = *rcp;
  const HelperTable& helpers = prog->helpers();
  const Slot* base = prog->slots(kChecked);
  const Slot* s = base;

  alignas(16) uint8_t stack[kMaxCallDepth * kStackSize];
  Frame frames[kMaxCallDepth];
  int depth = 0;
  uint64_t budget = kChecked ? limits->max_steps : 0;
  uint64_t fault_addr = 0;
  uint32_t fault_size = 0;
  bool fault_write = false;
  const char* fault_what = nullptr;

  uint64_t reg[ebpf::kNumRegisters] = {};
  const uint64_t stack_top = reinterpret_cast<uint64_t>(stack) + sizeof stack;
  if constexpr (kChecked) {
    std::memset(stack, 0, sizeof stack);
    rc.stack = Region{reinterpret_cast<uint64_t>(stack), stack_top, true};
    rc.static_regions = prog->link().static_regions;
  }
  reg[1] = r1;
  reg[2] = r2;
  reg[10] = stack_top;

  const uint64_t xdp_ctx = reinterpret_cast<uint64_t>(rc.xdp);

#define D reg[s->dst]
#define S reg[s->src]
#define IMM64 static_cast<uint64_t>(static_cast<int64_t>(s->imm))
#define IMM32 static_cast<uint32_t>(s->imm)
#define U32(x) static_cast<uint32_t>(x)
#define I32(x) static_cast<int32_t>(static_cast<uint32_t>(x))
#define I64(x) static_cast<int64_t>(x)
#define PC static_cast<uint32_t>(s - base)

#define DISPATCH()                                   \
  do {                                               \
    if constexpr (kChecked) {                        \
      ++rc.steps;                                    \
      if (--budget == 0) goto step_budget_exhausted; \
    }                                                \
    goto * s->handler;                               \
  } while (0)
#define NEXT    \
  do {          \
    ++s;        \
    DISPATCH(); \
  } while (0)

// Checks a data access in checked mode; context reads are routed to ctx_read.
#define CHECK_ACCESS(addr, size, write)             \
  do {                                              \
    if constexpr (kChecked) {                       \
      if (!rc.access_ok((addr), (size), (write))) { \
        fault_addr = (addr);                        \
        fault_size = (size);                        \
        fault_write = (write);                      \
        goto access_fault;                          \
      }                                             \
    }                                               \
  } while (0)

#define LOAD_OP(name, T, extend)                                                   \
  op_##name : {                                                                    \
    const uint64_t a = S + static_cast<uint64_t>(I64(s->off));                     \
    if constexpr (kChecked) {                                                      \
      if (xdp_ctx && a - xdp_ctx < kXdpMdSize) {                                   \
        auto field = xdp_ctx_field(static_cast<uint32_t>(a - xdp_ctx), sizeof(T)); \
        if (!field) {                                                              \
          fault_what = "invalid context access";                                   \
          fault_addr = a;                                                          \
          fault_size = sizeof(T);                                                  \
          goto access_fault;                                                       \
        }                                                                          \
        D = field->size == 8 ? load<uint64_t>(xdp_ctx + field->buff_offset)        \
                             : load<uint32_t>(xdp_ctx + field->buff_offset);       \
        NEXT;                                                                      \
      }                                                                            \
    }                                                                              \
    CHECK_ACCESS(a, sizeof(T), false);                                             \
    D = static_cast<uint64_t>(extend(load<T>(a)));                                 \
    NEXT;                                                                          \
  }
#define ZX(x) (x)
#define SX(x) static_cast<int64_t>(x)

#define STORE_CTX_GUARD(a, size)               \
  if constexpr (kChecked) {                    \
    if (xdp_ctx && (a)-xdp_ctx < kXdpMdSize) { \
      fault_what = "write to the context";     \
      fault_addr = (a);                        \
      fault_size = (size);                     \
      fault_write = true;                      \
      goto access_fault;                       \
    }                                          \
  }

#define STORE_IMM_OP(name, T)                                  \
  op_##name : {                                                \
    const uint64_t a = D + static_cast<uint64_t>(I64(s->off)); \
    STORE_CTX_GUARD(a, sizeof(T));                             \
    CHECK_ACCESS(a, sizeof(T), true);                          \
    store<T>(a, static_cast<T>(I64(s->imm)));                  \
    NEXT;                                                      \
  }
#define STORE_REG_OP(name, T)                                  \
  op_##name : {                                                \
    const uint64_t a = D + static_cast<uint64_t>(I64(s->off)); \
    STORE_CTX_GUARD(a, sizeof(T));                             \
    CHECK_ACCESS(a, sizeof(T), true);                          \
    store<T>(a, static_cast<T>(S));                            \
    NEXT;                                                      \
  }

  DISPATCH();

  // ---- ALU -------------------------------------------------------------------
#define SIMPLE_ALU(name, OP)                    \
  op_##name##32Imm : D = U32(U32(D) OP IMM32);  \
  NEXT;                                         \
  op_##name##32Reg : D = U32(U32(D) OP U32(S)); \
  NEXT;                                         \
  op_##name##64Imm : D = D OP IMM64;            \
  NEXT;                                         \
  op_##name##64Reg : D = D OP S;                \
  NEXT;
  SIMPLE_ALU(Add, +)
  SIMPLE_ALU(Sub, -)
  SIMPLE_ALU(Mul, *)
  SIMPLE_ALU(Or, |)
  SIMPLE_ALU(And, &)
  SIMPLE_ALU(Xor, ^)
#undef SIMPLE_ALU

op_Mov32Imm:
  D = IMM32;
  NEXT;
op_Mov32Reg:
  D = U32(S);
  NEXT;
op_Mov64Imm:
  D = IMM64;
  NEXT;
op_Mov64Reg:
  D = S;
  NEXT;

#define SHIFT_ALU(name, EXPR32, EXPR64) \
  op_##name##32Imm : {                  \
    const uint32_t n = IMM32 & 31;      \
    D = U32(EXPR32);                    \
    NEXT;                               \
  }                                     \
  op_##name##32Reg : {                  \
    const uint32_t n = U32(S) & 31;     \
    D = U32(EXPR32);                    \
    NEXT;                               \
  }                                     \
  op_##name##64Imm : {                  \
    const uint32_t n = IMM32 & 63;      \
    D = static_cast<uint64_t>(EXPR64);  \
    NEXT;                               \
  }                                     \
  op_##name##64Reg : {                  \
    const uint32_t n = U32(S) & 63;     \
    D = static_cast<uint64_t>(EXPR64);  \
    NEXT;                               \
  }
  SHIFT_ALU(Lsh, U32(D) << n, D << n)
  SHIFT_ALU(Rsh, U32(D) >> n, D >> n)
  SHIFT_ALU(Arsh, I32(D) >> n, I64(D) >> n)
#undef SHIFT_ALU

  // Division by zero gives 0; modulo by zero leaves dst (32-bit: zero-extended).
op_Div32Imm : {
  const uint32_t b = IMM32;
  D = b ? U32(D) / b : 0;
  NEXT;
}
op_Div32Reg : {
  const uint32_t b = U32(S);
  D = b ? U32(D) / b : 0;
  NEXT;
}
op_Div64Imm : {
  const uint64_t b = IMM64;
  D = b ? D / b : 0;
  NEXT;
}
op_Div64Reg : {
  const uint64_t b = S;
  D = b ? D / b : 0;
  NEXT;
}
op_Mod32Imm : {
  const uint32_t b = IMM32;
  D = b ? U32(D) % b : U32(D);
  NEXT;
}
op_Mod32Reg : {
  const uint32_t b = U32(S);
  D = b ? U32(D) % b : U32(D);
  NEXT;
}
op_Mod64Imm : {
  const uint64_t b = IMM64;
  D = b ? D % b : D;
  NEXT;
}
op_Mod64Reg : {
  const uint64_t b = S;
  D = b ? D % b : D;
  NEXT;
}

// Signed division: INT_MIN / -1 == INT_MIN and INT_MIN % -1 == 0, as in Linux.
#define SDIV32(bexpr)                                         \
  {                                                           \
    const int32_t a = I32(D), b = bexpr;                      \
    D = b == 0 ? 0 : b == -1 ? U32(0u - U32(a)) : U32(a / b); \
    NEXT;                                                     \
  }
#define SDIV64(bexpr)                                                                       \
  {                                                                                         \
    const int64_t a = I64(D), b = bexpr;                                                    \
    D = b == 0 ? 0 : b == -1 ? 0 - static_cast<uint64_t>(a) : static_cast<uint64_t>(a / b); \
    NEXT;                                                                                   \
  }
#define SMOD32(bexpr)                               \
  {                                                 \
    const int32_t a = I32(D), b = bexpr;            \
    D = b == 0 ? U32(a) : b == -1 ? 0 : U32(a % b); \
    NEXT;                                           \
  }
#define SMOD64(bexpr)                                            \
  {                                                              \
    const int64_t a = I64(D), b = bexpr;                         \
    D = b == 0 ? D : b == -1 ? 0 : static_cast<uint64_t>(a % b); \
    NEXT;                                                        \
  }
op_Sdiv32Imm:
  SDIV32(s->imm)
op_Sdiv32Reg:
  SDIV32(I32(S))
op_Sdiv64Imm:
  SDIV64(I64(s->imm))
op_Sdiv64Reg:
  SDIV64(I64(S))
op_Smod32Imm:
  SMOD32(s->imm)
op_Smod32Reg:
  SMOD32(I32(S))
op_Smod64Imm:
  SMOD64(I64(s->imm))
op_Smod64Reg:
  SMOD64(I64(S))

op_Neg32:
  D = U32(0u - U32(D));
  NEXT;
op_Neg64:
  D = 0 - D;
  NEXT;
op_MovSx8To32:
  D = U32(static_cast<int32_t>(static_cast<int8_t>(S)));
  NEXT;
op_MovSx16To32:
  D = U32(static_cast<int32_t>(static_cast<int16_t>(S)));
  NEXT;
op_MovSx8To64:
  D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int8_t>(S)));
  NEXT;
op_MovSx16To64:
  D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int16_t>(S)));
  NEXT;
op_MovSx32To64:
  D = static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(S)));
  NEXT;
  // The host is little-endian: "to little-endian" only truncates.
op_Le16:
  D = static_cast<uint16_t>(D);
  NEXT;
op_Le32:
  D = U32(D);
  NEXT;
op_Le64:
  NEXT;
op_Be16:
op_Bswap16:
  D = __builtin_bswap16(static_cast<uint16_t>(D));
  NEXT;
op_Be32:
op_Bswap32:
  D = __builtin_bswap32(U32(D));
  NEXT;
op_Be64:
op_Bswap64:
  D = __builtin_bswap64(D);
  NEXT;

  // ---- jumps -----------------------------------------------------------------
op_Ja:
  s += s->off + 1;
  DISPATCH();
op_Ja32:
  s += s->imm + 1;
  DISPATCH();

// Taken and not-taken paths dispatch from separate sites: a branch (not a
// conditional move) keeps the next instruction's fetch off the data's critical
// path, and each site gets its own indirect-branch history.
#define JUMP_IF(cond)  \
  do {                 \
    if (cond) {        \
      s += s->off + 1; \
      DISPATCH();      \
    }                  \
    NEXT;              \
  } while (0)
#define COND_JUMP(name, OP, T64, T32, CAST64, CAST32)                     \
  op_##name##64Imm : JUMP_IF(CAST64(D) OP static_cast<T64>(I64(s->imm))); \
  op_##name##64Reg : JUMP_IF(CAST64(D) OP CAST64(S));                     \
  op_##name##32Imm : JUMP_IF(CAST32(D) OP static_cast<T32>(s->imm));      \
  op_##name##32Reg : JUMP_IF(CAST32(D) OP CAST32(S));
#define UC64(x) static_cast<uint64_t>(x)
#define SC64(x) static_cast<int64_t>(x)
#define UC32(x) static_cast<uint32_t>(x)
#define SC32(x) static_cast<int32_t>(static_cast<uint32_t>(x))
  COND_JUMP(Jeq, ==, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jne, !=, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jgt, >, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jge, >=, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jlt, <, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jle, <=, uint64_t, uint32_t, UC64, UC32)
  COND_JUMP(Jsgt, >, int64_t, int32_t, SC64, SC32)
  COND_JUMP(Jsge, >=, int64_t, int32_t, SC64, SC32)
  COND_JUMP(Jslt, <, int64_t, int32_t, SC64, SC32)
  COND_JUMP(Jsle, <=, int64_t, int32_t, SC64, SC32)
#undef COND_JUMP
op_Jset64Imm:
  JUMP_IF(D & IMM64);
op_Jset64Reg:
  JUMP_IF(D & S);
op_Jset32Imm:
  JUMP_IF(U32(D) & IMM32);
op_Jset32Reg:
  JUMP_IF(U32(D) & U32(S));

  // ---- superinstructions (fast mode only; see vm/fusion.h) ----------------------
  // s[0] is the first instruction, s[1] the second; v is the value passed on.
#define ALU_Add64Imm(d, imm) ((d) + static_cast<uint64_t>(I64(imm)))
#define ALU_Mov64Imm(d, imm) static_cast<uint64_t>(I64(imm))
#define ALU_And64Imm(d, imm) ((d) & static_cast<uint64_t>(I64(imm)))
#define ALU_Rsh64Imm(d, imm) ((d) >> ((imm)&63))
#define CMP_Jeq(a, b) ((a) == (b))
#define CMP_Jne(a, b) ((a) != (b))
#define CMP_Jgt(a, b) ((a) > (b))
#define CMP_Jge(a, b) ((a) >= (b))
#define CMP_Jlt(a, b) ((a) < (b))
#define CMP_Jle(a, b) ((a) <= (b))
#define CMP_Jsgt(a, b) (I64(a) > I64(b))
#define CMP_Jsge(a, b) (I64(a) >= I64(b))
#define CMP_Jslt(a, b) (I64(a) < I64(b))
#define CMP_Jsle(a, b) (I64(a) <= I64(b))
#define CMP_Jset(a, b) (((a) & (b)) != 0)
#define FJ_BODY_(alu, j)                                     \
  fx_##alu##_##j##Imm : {                                    \
    const uint64_t v = ALU_##alu(reg[s->dst], s->imm);       \
    reg[s->dst] = v;                                         \
    ++s;                                                     \
    JUMP_IF(CMP_##j(v, static_cast<uint64_t>(I64(s->imm)))); \
  }                                                          \
  fx_##alu##_##j##Reg : {                                    \
    const uint64_t v = ALU_##alu(reg[s->dst], s->imm);       \
    reg[s->dst] = v;                                         \
    ++s;                                                     \
    JUMP_IF(CMP_##j(v, S));                                  \
  }
#define FJ_BODY_ROW_(j) \
  FJ_BODY_(Add64Imm, j) FJ_BODY_(Mov64Imm, j) FJ_BODY_(And64Imm, j) FJ_BODY_(Rsh64Imm, j)
  EBPFAAS_FUSED_JUMPS(FJ_BODY_ROW_)
#define LD_LdxB(a) load<uint8_t>(a)
#define LD_LdxH(a) load<uint16_t>(a)
#define LD_LdxW(a) load<uint32_t>(a)
#define LD_LdxDW(a) load<uint64_t>(a)
#define FL_BODY_(ld, j)                                                 \
  fx_##ld##_##j : {                                                     \
    const uint64_t v = LD_##ld(S + static_cast<uint64_t>(I64(s->off))); \
    reg[s->dst] = v;                                                    \
    ++s;                                                                \
    JUMP_IF(CMP_##j(v, static_cast<uint64_t>(I64(s->imm))));            \
  }
#define FL_BODY_ROW_(j) FL_BODY_(LdxB, j) FL_BODY_(LdxH, j) FL_BODY_(LdxW, j) FL_BODY_(LdxDW, j)
  EBPFAAS_FUSED_JUMPS(FL_BODY_ROW_)
#define OP_Add64Reg +
#define OP_Xor64Reg ^
#define OP_Or64Reg |
#define OP_And64Reg &
#define FA_BODY_(ld, alu)                                               \
  fx_##ld##_##alu : {                                                   \
    const uint64_t v = LD_##ld(S + static_cast<uint64_t>(I64(s->off))); \
    reg[s->dst] = v;                                                    \
    ++s;                                                                \
    D = D OP_##alu v;                                                   \
    NEXT;                                                               \
  }
#define FA_BODY_ROW_(alu) \
  FA_BODY_(LdxB, alu) FA_BODY_(LdxH, alu) FA_BODY_(LdxW, alu) FA_BODY_(LdxDW, alu)
  EBPFAAS_FUSED_LOAD_ALUS(FA_BODY_ROW_)
fx_LdxH_Be16:
  D = __builtin_bswap16(load<uint16_t>(S + static_cast<uint64_t>(I64(s->off))));
  s += 2;
  DISPATCH();
fx_LdxW_Be32:
  D = __builtin_bswap32(load<uint32_t>(S + static_cast<uint64_t>(I64(s->off))));
  s += 2;
  DISPATCH();
fx_LdxDW_Be64:
  D = __builtin_bswap64(load<uint64_t>(S + static_cast<uint64_t>(I64(s->off))));
  s += 2;
  DISPATCH();
fx_Mov64Reg_Add64Imm:
  D = S + static_cast<uint64_t>(I64(s[1].imm));
  s += 2;
  DISPATCH();

  // ---- calls -----------------------------------------------------------------
  {
    HelperFn fn;
  op_Call:
    fn = helpers.get(s->imm);
    goto call_helper;
  op_Callx:
    fn = helpers.get(static_cast<int64_t>(D));
    if (!fn) {
      fault_what = "callx to an unknown helper";
      fault_addr = D;
      goto other_fault;
    }
  call_helper : {
    const uint64_t ctx_arg = reg[1];
    reg[0] = fn(reg[1], reg[2], reg[3], reg[4], reg[5], &rc);
    if constexpr (kChecked) {
      // r1-r5 are clobbered by calls; make stale values visible as garbage.
      reg[1] = reg[2] = reg[3] = reg[4] = reg[5] = 0xdeadbeefdeadbeefull;
    }
    if (__builtin_expect(rc.stop != RunContext::Stop::kNone, 0)) {
      switch (rc.stop) {
        case RunContext::Stop::kUnwind:
          return reg[0];
        case RunContext::Stop::kFault: {
          rc.fault_message = fmt::format("pc {}: {}", PC, rc.fault_message);
          return 0;
        }
        case RunContext::Stop::kTailCall: {
          // The target replaces the running function; its exit returns to our caller.
          rc.stop = RunContext::Stop::kNone;
          prog = static_cast<const Program*>(rc.tail_call_target);
          base = prog->slots(kChecked);
          if constexpr (kChecked) rc.static_regions = prog->link().static_regions;
          s = base;
          reg[1] = ctx_arg;
          DISPATCH();
        }
        default:
          break;
      }
    }
    NEXT;
  }
  }
op_CallLocal : {
  if (depth + 1 >= kMaxCallDepth) {
    fault_what = "call stack too deep (8 frames)";
    goto other_fault;
  }
  Frame& f = frames[depth++];
  f.ret = s + 1;
  f.saved[0] = reg[6];
  f.saved[1] = reg[7];
  f.saved[2] = reg[8];
  f.saved[3] = reg[9];
  reg[10] -= kStackSize;
  s += s->imm + 1;
  DISPATCH();
}
op_Exit:
  if (depth == 0) return reg[0];
  {
    const Frame& f = frames[--depth];
    reg[6] = f.saved[0];
    reg[7] = f.saved[1];
    reg[8] = f.saved[2];
    reg[9] = f.saved[3];
    reg[10] += kStackSize;
    s = f.ret;
  }
  DISPATCH();

  // ---- memory ----------------------------------------------------------------
op_Lddw:
  D = static_cast<uint64_t>(U32(s->imm)) | static_cast<uint64_t>(U32(s[1].imm)) << 32;
  s += 2;
  DISPATCH();

  LOAD_OP(LdxB, uint8_t, ZX)
  LOAD_OP(LdxH, uint16_t, ZX)
  LOAD_OP(LdxW, uint32_t, ZX)
  LOAD_OP(LdxDW, uint64_t, ZX)
  LOAD_OP(LdxSB, int8_t, SX)
  LOAD_OP(LdxSH, int16_t, SX)
  LOAD_OP(LdxSW, int32_t, SX)
  STORE_IMM_OP(StB, uint8_t)
  STORE_IMM_OP(StH, uint16_t)
  STORE_IMM_OP(StW, uint32_t)
  STORE_IMM_OP(StDW, uint64_t)
  STORE_REG_OP(StxB, uint8_t)
  STORE_REG_OP(StxH, uint16_t)
  STORE_REG_OP(StxW, uint32_t)
  STORE_REG_OP(StxDW, uint64_t)

  // Atomics are real atomics: maps are shared between engines.
#define ATOMIC_ADDR(T)                                       \
  const uint64_t a = D + static_cast<uint64_t>(I64(s->off)); \
  if constexpr (kChecked) {                                  \
    if (a % sizeof(T) != 0) {                                \
      fault_what = "misaligned atomic access";               \
      fault_addr = a;                                        \
      fault_size = sizeof(T);                                \
      goto other_fault;                                      \
    }                                                        \
  }                                                          \
  STORE_CTX_GUARD(a, sizeof(T));                             \
  CHECK_ACCESS(a, sizeof(T), true);                          \
  T* p = reinterpret_cast<T*>(a);

#define ATOMIC_RMW(name, T, builtin, fetch)                  \
  op_##name : {                                              \
    ATOMIC_ADDR(T)                                           \
    T old = builtin(p, static_cast<T>(S), __ATOMIC_SEQ_CST); \
    if (fetch) S = old;                                      \
    NEXT;                                                    \
  }
  ATOMIC_RMW(AtomicAdd32, uint32_t, __atomic_fetch_add, false)
  ATOMIC_RMW(AtomicAdd64, uint64_t, __atomic_fetch_add, false)
  ATOMIC_RMW(AtomicOr32, uint32_t, __atomic_fetch_or, false)
  ATOMIC_RMW(AtomicOr64, uint64_t, __atomic_fetch_or, false)
  ATOMIC_RMW(AtomicAnd32, uint32_t, __atomic_fetch_and, false)
  ATOMIC_RMW(AtomicAnd64, uint64_t, __atomic_fetch_and, false)
  ATOMIC_RMW(AtomicXor32, uint32_t, __atomic_fetch_xor, false)
  ATOMIC_RMW(AtomicXor64, uint64_t, __atomic_fetch_xor, false)
  ATOMIC_RMW(AtomicFetchAdd32, uint32_t, __atomic_fetch_add, true)
  ATOMIC_RMW(AtomicFetchAdd64, uint64_t, __atomic_fetch_add, true)
  ATOMIC_RMW(AtomicFetchOr32, uint32_t, __atomic_fetch_or, true)
  ATOMIC_RMW(AtomicFetchOr64, uint64_t, __atomic_fetch_or, true)
  ATOMIC_RMW(AtomicFetchAnd32, uint32_t, __atomic_fetch_and, true)
  ATOMIC_RMW(AtomicFetchAnd64, uint64_t, __atomic_fetch_and, true)
  ATOMIC_RMW(AtomicFetchXor32, uint32_t, __atomic_fetch_xor, true)
  ATOMIC_RMW(AtomicFetchXor64, uint64_t, __atomic_fetch_xor, true)
  ATOMIC_RMW(AtomicXchg32, uint32_t, __atomic_exchange_n, true)
  ATOMIC_RMW(AtomicXchg64, uint64_t, __atomic_exchange_n, true)
#undef ATOMIC_RMW
op_AtomicCmpXchg32 : {
  ATOMIC_ADDR(uint32_t)
  uint32_t expected = U32(reg[0]);
  __atomic_compare_exchange_n(p, &expected, U32(S), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  reg[0] = expected;
  NEXT;
}
op_AtomicCmpXchg64 : {
  ATOMIC_ADDR(uint64_t)
  uint64_t expected = reg[0];
  __atomic_compare_exchange_n(p, &expected, S, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  reg[0] = expected;
  NEXT;
}
#undef ATOMIC_ADDR

  // Never reached: rejected when the program is prepared.
op_LddwHigh:
op_CallKfunc:
op_LdAbsB:
op_LdAbsH:
op_LdAbsW:
op_LdIndB:
op_LdIndH:
op_LdIndW:
  fault_what = "instruction not executable here";
  goto other_fault;

step_budget_exhausted:
  rc.stop = RunContext::Stop::kFault;
  rc.fault_message = fmt::format("pc {}: step budget of {} instructions exhausted (endless loop?)",
                                 PC, limits->max_steps);
  return 0;

access_fault:
  rc.stop = RunContext::Stop::kFault;
  rc.fault_message = fmt::format(
      "pc {}: {} {} of {} bytes at {:#x}{}", PC, fault_what ? fault_what : "out-of-bounds",
      fault_write ? "write" : "read", fault_size, fault_addr,
      fault_what ? "" : " (outside stack, packet, input and map values)");
  return 0;

other_fault:
  rc.stop = RunContext::Stop::kFault;
  rc.fault_message = fault_addr ? fmt::format("pc {}: {} ({:#x})", PC, fault_what, fault_addr)
                                : fmt::format("pc {}: {}", PC, fault_what);
  return 0;

#undef D
#undef S
}

}  // namespace

namespace detail {
const void* const* interpreter_handlers(bool checked) {
  const void* const* handlers = nullptr;
  if (checked)
    execute<true>(nullptr, 0, 0, nullptr, nullptr, &handlers);
  else
    execute<false>(nullptr, 0, 0, nullptr, nullptr, &handlers);
  return handlers;
}
}  // namespace detail

uint64_t interpret(const Program& prog, uint64_t r1, uint64_t r2, RunContext& rc,
                   const RunLimits& limits) {
  if (rc.checked) return execute<true>(&prog, r1, r2, &rc, &limits, nullptr);
  return execute<false>(&prog, r1, r2, &rc, &limits, nullptr);
}

}  // namespace ebpfaas::vm
