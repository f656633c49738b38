// Encoding constants of the eBPF instruction set (RFC 9669, Linux uapi names).
#pragma once

#include <cstdint>

namespace ebpfaas::ebpf {

// Instruction classes (low 3 bits of the opcode).
inline constexpr uint8_t kClsLd = 0x00, kClsLdx = 0x01, kClsSt = 0x02, kClsStx = 0x03,
                         kClsAlu = 0x04, kClsJmp = 0x05, kClsJmp32 = 0x06, kClsAlu64 = 0x07;

// Load/store size (bits 3-4) and mode (bits 5-7).
inline constexpr uint8_t kSizeW = 0x00, kSizeH = 0x08, kSizeB = 0x10, kSizeDW = 0x18;
inline constexpr uint8_t kModeImm = 0x00, kModeAbs = 0x20, kModeInd = 0x40, kModeMem = 0x60,
                         kModeMemSx = 0x80, kModeAtomic = 0xc0;

// Source operand (bit 3) for ALU and JMP classes; for END it selects the byte order.
inline constexpr uint8_t kSrcK = 0x00, kSrcX = 0x08;
inline constexpr uint8_t kToLe = 0x00, kToBe = 0x08;

// ALU operations (bits 4-7).
inline constexpr uint8_t kAluAdd = 0x00, kAluSub = 0x10, kAluMul = 0x20, kAluDiv = 0x30,
                         kAluOr = 0x40, kAluAnd = 0x50, kAluLsh = 0x60, kAluRsh = 0x70,
                         kAluNeg = 0x80, kAluMod = 0x90, kAluXor = 0xa0, kAluMov = 0xb0,
                         kAluArsh = 0xc0, kAluEnd = 0xd0;

// JMP operations (bits 4-7).
inline constexpr uint8_t kJmpJa = 0x00, kJmpJeq = 0x10, kJmpJgt = 0x20, kJmpJge = 0x30,
                         kJmpJset = 0x40, kJmpJne = 0x50, kJmpJsgt = 0x60, kJmpJsge = 0x70,
                         kJmpCall = 0x80, kJmpExit = 0x90, kJmpJlt = 0xa0, kJmpJle = 0xb0,
                         kJmpJslt = 0xc0, kJmpJsle = 0xd0;

// Atomic operations (imm field of STX|ATOMIC).
inline constexpr int32_t kAtomicAdd = 0x00, kAtomicOr = 0x40, kAtomicAnd = 0x50, kAtomicXor = 0xa0,
                         kAtomicFetch = 0x01, kAtomicXchg = 0xe0 | 0x01,
                         kAtomicCmpXchg = 0xf0 | 0x01;

// src field of lddw: how the 64-bit immediate is to be read (libbpf/Linux).
inline constexpr uint8_t kPseudoNone = 0, kPseudoMapFd = 1, kPseudoMapValue = 2, kPseudoBtfId = 3,
                         kPseudoFunc = 4, kPseudoMapIdx = 5, kPseudoMapIdxValue = 6;

// src field of call: helper by id, local function (pc-relative), kernel function.
inline constexpr uint8_t kCallHelper = 0, kCallLocal = 1, kCallKfunc = 2;

inline constexpr int kNumRegisters = 11;  // r0..r10
inline constexpr int kFramePointer = 10;
inline constexpr int kStackSize = 512;   // bytes per frame
inline constexpr int kMaxCallDepth = 8;  // frames, as in Linux
inline constexpr size_t kMaxInstructions = 1'000'000;

}  // namespace ebpfaas::ebpf
