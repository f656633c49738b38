#include "vm/fusion.h"

namespace ebpfaas::vm {

using ebpf::Op;

namespace {

int index_in(Op op, std::initializer_list<Op> list) {
  int i = 0;
  for (Op o : list) {
    if (o == op) return i;
    ++i;
  }
  return -1;
}

#define EBPFAAS_AS_OP_(n) Op::n,
const std::initializer_list<Op> kAlus = {EBPFAAS_FUSED_ALUS(EBPFAAS_AS_OP_)};
const std::initializer_list<Op> kLoads = {EBPFAAS_FUSED_LOADS(EBPFAAS_AS_OP_)};
const std::initializer_list<Op> kLoadAlus = {EBPFAAS_FUSED_LOAD_ALUS(EBPFAAS_AS_OP_)};
#define EBPFAAS_AS_JUMP_IMM_(n) Op::n##64Imm,
#define EBPFAAS_AS_JUMP_REG_(n) Op::n##64Reg,
const std::initializer_list<Op> kJumpsImm = {EBPFAAS_FUSED_JUMPS(EBPFAAS_AS_JUMP_IMM_)};
const std::initializer_list<Op> kJumpsReg = {EBPFAAS_FUSED_JUMPS(EBPFAAS_AS_JUMP_REG_)};
#undef EBPFAAS_AS_OP_
#undef EBPFAAS_AS_JUMP_IMM_
#undef EBPFAAS_AS_JUMP_REG_

}  // namespace

// The order of indices must match the handler table in interpreter.cpp:
// alu×jump (imm, reg), load×jump-imm, load×alu, then ldx+be16/32/64, mov+add.
int fused_handler(const ebpf::Instruction& a, const ebpf::Instruction& b) {
  int base = ebpf::kNumOps;
  if (int ai = index_in(a.op, kAlus); ai >= 0 && b.dst == a.dst) {
    if (int j = index_in(b.op, kJumpsImm); j >= 0) return base + (j * 4 + ai) * 2;
    if (int j = index_in(b.op, kJumpsReg); j >= 0) return base + (j * 4 + ai) * 2 + 1;
  }
  base += kNumFusedAluJumps;
  const int li = index_in(a.op, kLoads);
  if (li >= 0 && b.dst == a.dst) {
    if (int j = index_in(b.op, kJumpsImm); j >= 0) return base + j * 4 + li;
  }
  base += kNumFusedLoadJumps;
  if (li >= 0 && b.src == a.dst) {
    if (int k = index_in(b.op, kLoadAlus); k >= 0) return base + k * 4 + li;
  }
  base += kNumFusedLoadAlus;
  if (a.dst == b.dst) {
    if (a.op == Op::LdxH && b.op == Op::Be16) return base;
    if (a.op == Op::LdxW && b.op == Op::Be32) return base + 1;
    if (a.op == Op::LdxDW && b.op == Op::Be64) return base + 2;
    if (a.op == Op::Mov64Reg && b.op == Op::Add64Imm) return base + 3;
  }
  return -1;
}

}  // namespace ebpfaas::vm
