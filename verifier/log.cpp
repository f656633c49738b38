// Printing states the way Linux's verifier log does: " R1=ctx() R10=fp0 fp-8=mmmmmmmm".
#include <fmt/format.h>

#include "verifier/env.h"

namespace ebpfaas::verifier {

std::string Env::state_str(const VerifierState& st) const {
  std::string out;
  for (size_t f = 0; f < st.frames.size(); ++f) {
    const FuncState& frame = st.frames[f];
    if (f) out += fmt::format(" frame{}:", f);
    for (int i = 0; i < kNumRegs; ++i) {
      const RegState& r = frame.regs[i];
      if (r.type == RegType::kNotInit) continue;
      out += fmt::format(" R{}={}", i, r.str());
    }
    for (size_t spi = 0; spi < frame.stack.size(); ++spi) {
      const StackSlot& s = frame.stack[spi];
      if (s.all_invalid()) continue;
      const int off = -static_cast<int>(spi + 1) * kRegSize;
      if (s.is_spilled()) {
        out += fmt::format(" fp{}={}", off, s.spilled.str());
        continue;
      }
      std::string bytes;
      // Linux prints the highest address first.
      for (int b = kRegSize - 1; b >= 0; --b) {
        switch (s.bytes[static_cast<size_t>(b)]) {
          case SlotType::kInvalid:
            bytes += '?';
            break;
          case SlotType::kSpill:
            bytes += 'r';
            break;
          case SlotType::kMisc:
            bytes += 'm';
            break;
          case SlotType::kZero:
            bytes += '0';
            break;
        }
      }
      out += fmt::format(" fp{}={}", off, bytes);
    }
  }
  return out;
}

void Env::log_state(const VerifierState& st) {
  emit(state_str(st) + "\n");
}

void Env::emit(const std::string& text) {
  if (log_.size() >= options_.max_log_bytes) return;
  log_ += text;
  if (log_.size() >= options_.max_log_bytes) log_ += "\n... log truncated\n";
}

}  // namespace ebpfaas::verifier
