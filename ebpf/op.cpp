#include "ebpf/op.h"

#include <array>

namespace ebpfaas::ebpf {
namespace {

constexpr std::string_view kNames[] = {
#define X_(n) #n,
    EBPFAAS_FOR_EACH_OP
#undef X_
};
static_assert(std::size(kNames) == kNumOps);

std::array<OpInfo, kNumOps> build_table() {
  std::array<OpInfo, kNumOps> t{};
  for (int i = 0; i < kNumOps; ++i) t[i] = OpInfo{kNames[i], OpKind::kAlu, 64, false, false};
  auto set = [&t](Op op, OpKind kind, uint8_t width, bool reg, bool is_signed) {
    t[static_cast<int>(op)] = OpInfo{kNames[static_cast<int>(op)], kind, width, reg, is_signed};
  };
  auto signed_name = [](std::string_view n) { return n == "Sdiv" || n == "Smod" || n == "Arsh"; };
#define B_(n)                                                  \
  set(Op::n##32Imm, OpKind::kAlu, 32, false, signed_name(#n)); \
  set(Op::n##32Reg, OpKind::kAlu, 32, true, signed_name(#n));  \
  set(Op::n##64Imm, OpKind::kAlu, 64, false, signed_name(#n)); \
  set(Op::n##64Reg, OpKind::kAlu, 64, true, signed_name(#n));
  EBPFAAS_ALU_BINOPS(B_)
#undef B_
  set(Op::Neg32, OpKind::kAlu, 32, false, false);
  set(Op::Neg64, OpKind::kAlu, 64, false, false);
  set(Op::MovSx8To32, OpKind::kAlu, 32, true, true);
  set(Op::MovSx16To32, OpKind::kAlu, 32, true, true);
  set(Op::MovSx8To64, OpKind::kAlu, 64, true, true);
  set(Op::MovSx16To64, OpKind::kAlu, 64, true, true);
  set(Op::MovSx32To64, OpKind::kAlu, 64, true, true);
  for (Op op : {Op::Le16, Op::Be16, Op::Bswap16}) set(op, OpKind::kAlu, 16, false, false);
  for (Op op : {Op::Le32, Op::Be32, Op::Bswap32}) set(op, OpKind::kAlu, 32, false, false);
  for (Op op : {Op::Le64, Op::Be64, Op::Bswap64}) set(op, OpKind::kAlu, 64, false, false);
  set(Op::Ja, OpKind::kJump, 64, false, false);
  set(Op::Ja32, OpKind::kJump, 32, false, false);
  auto signed_jump = [](std::string_view n) {
    return n == "Jsgt" || n == "Jsge" || n == "Jslt" || n == "Jsle";
  };
#define J_(n)                                                   \
  set(Op::n##64Imm, OpKind::kJump, 64, false, signed_jump(#n)); \
  set(Op::n##64Reg, OpKind::kJump, 64, true, signed_jump(#n));  \
  set(Op::n##32Imm, OpKind::kJump, 32, false, signed_jump(#n)); \
  set(Op::n##32Reg, OpKind::kJump, 32, true, signed_jump(#n));
  EBPFAAS_JMP_CONDS(J_)
#undef J_
  for (Op op : {Op::Call, Op::CallLocal, Op::CallKfunc}) set(op, OpKind::kCall, 64, false, false);
  set(Op::Callx, OpKind::kCall, 64, true, false);
  set(Op::Exit, OpKind::kExit, 64, false, false);
  set(Op::Lddw, OpKind::kLoadImm64, 64, false, false);
  set(Op::LddwHigh, OpKind::kFiller, 64, false, false);
  set(Op::LdAbsB, OpKind::kLoadLegacy, 1, false, false);
  set(Op::LdAbsH, OpKind::kLoadLegacy, 2, false, false);
  set(Op::LdAbsW, OpKind::kLoadLegacy, 4, false, false);
  set(Op::LdIndB, OpKind::kLoadLegacy, 1, true, false);
  set(Op::LdIndH, OpKind::kLoadLegacy, 2, true, false);
  set(Op::LdIndW, OpKind::kLoadLegacy, 4, true, false);
  set(Op::LdxB, OpKind::kLoad, 1, true, false);
  set(Op::LdxH, OpKind::kLoad, 2, true, false);
  set(Op::LdxW, OpKind::kLoad, 4, true, false);
  set(Op::LdxDW, OpKind::kLoad, 8, true, false);
  set(Op::LdxSB, OpKind::kLoad, 1, true, true);
  set(Op::LdxSH, OpKind::kLoad, 2, true, true);
  set(Op::LdxSW, OpKind::kLoad, 4, true, true);
  set(Op::StB, OpKind::kStoreImm, 1, false, false);
  set(Op::StH, OpKind::kStoreImm, 2, false, false);
  set(Op::StW, OpKind::kStoreImm, 4, false, false);
  set(Op::StDW, OpKind::kStoreImm, 8, false, false);
  set(Op::StxB, OpKind::kStoreReg, 1, true, false);
  set(Op::StxH, OpKind::kStoreReg, 2, true, false);
  set(Op::StxW, OpKind::kStoreReg, 4, true, false);
  set(Op::StxDW, OpKind::kStoreReg, 8, true, false);
#define M_(n)                                       \
  set(Op::n##32, OpKind::kAtomic, 32, true, false); \
  set(Op::n##64, OpKind::kAtomic, 64, true, false);
  EBPFAAS_ATOMIC_OPS(M_)
#undef M_
  return t;
}

const std::array<OpInfo, kNumOps> kTable = build_table();

}  // namespace

const OpInfo& op_info(Op op) {
  return kTable[static_cast<int>(op)];
}

}  // namespace ebpfaas::ebpf
