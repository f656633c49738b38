// The abstract machine state the verifier explores: registers and stack of
// every active frame. Internal to verifier/.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "verifier/reg_state.h"

namespace ebpfaas::verifier {

inline constexpr int kMaxStack = 512;
inline constexpr int kRegSize = 8;
inline constexpr int kNumRegs = 11;
inline constexpr int kMaxFrames = 8;

// What one byte of a stack slot holds.
enum class SlotType : uint8_t {
  kInvalid,  // never written: reading it is rejected
  kSpill,    // part of a spilled register (StackSlot::spilled)
  kMisc,     // some initialized data
  kZero,     // known zero
};

// 8 bytes of stack: [fp - 8 * (index + 1), fp - 8 * index). bytes[0] is the
// lowest address; a spill of N bytes at the slot's start covers bytes[0, N).
struct StackSlot {
  RegState spilled;
  std::array<SlotType, kRegSize> bytes{};

  bool is_spilled() const { return bytes[0] == SlotType::kSpill; }
  bool is_spilled_scalar() const { return is_spilled() && spilled.is_scalar(); }
  bool is_spilled_scalar64() const {
    for (SlotType b : bytes)
      if (b != SlotType::kSpill) return false;
    return spilled.is_scalar();
  }
  bool all_misc() const {
    for (SlotType b : bytes)
      if (b != SlotType::kMisc) return false;
    return true;
  }
  bool all_invalid() const {
    for (SlotType b : bytes)
      if (b != SlotType::kInvalid) return false;
    return true;
  }
};

// Slot and byte of stack offset `off` (-512 <= off < 0).
inline int slot_index(int off) {
  return (-off - 1) / kRegSize;
}
inline int slot_byte(int off) {
  return off + kRegSize * (slot_index(off) + 1);
}

struct FuncState {
  std::array<RegState, kNumRegs> regs;
  std::vector<StackSlot> stack;  // grows with the deepest access
  int32_t callsite = -1;         // pc of the call that entered this frame; -1: main
  uint32_t subprog = 0;
  uint8_t frameno = 0;

  void grow_stack(int min_off) {
    const size_t need = static_cast<size_t>((-min_off + kRegSize - 1) / kRegSize);
    if (stack.size() < need) stack.resize(need);
  }
  int allocated_bytes() const { return static_cast<int>(stack.size()) * kRegSize; }
};

struct StateNode;

struct VerifierState {
  std::vector<FuncState> frames;
  StateNode* parent = nullptr;  // nearest stored state on this path

  FuncState& cur() { return frames.back(); }
  const FuncState& cur() const { return frames.back(); }
  int curframe() const { return static_cast<int>(frames.size()) - 1; }
};

// A state stored at a pruning point. `branches` counts the paths from it that
// are still being explored; only finished states (branches == 0) may prune.
struct StateNode {
  VerifierState state;
  uint32_t pc = 0;
  uint32_t branches = 0;
  uint32_t hits = 0, misses = 0;
  bool evicted = false;
};

}  // namespace ebpfaas::verifier
