// A program prepared for execution: decoded, linked against helpers and maps,
// and translated into the interpreter's threaded form (decoded once, then run
// many times). Tiers above it (the JIT) start from the same Program.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "ebpf/decode.h"
#include "helpers/run_context.h"
#include "support/error.h"

namespace ebpfaas::vm {

using helpers::HelperFn;
using helpers::HelperTable;
using helpers::Region;
using helpers::RunContext;

struct LinkOptions {
  const HelperTable* helpers = nullptr;
  // Resolves lddw pseudo forms (map by fd/index, map value) to the 64-bit value
  // the instruction loads: a map handle or the address of a map value.
  std::function<Expected<uint64_t>(const ebpf::Instruction&)> resolve_lddw;
  // Memory the program may address without a helper (global data), for checked mode.
  std::vector<Region> static_regions;
  // pcs of loads whose base register is the XDP context, as proved by the
  // verifier; they are rewritten to XdpBuff loads (Linux's convert_ctx_access).
  // Unverified programs leave this empty and run in checked mode, which
  // translates context loads at run time.
  std::vector<uint32_t> ctx_load_pcs;
  // Fast mode runs adjacent producer/consumer pairs as superinstructions
  // (vm/fusion.h); off only to measure or test the difference.
  bool fuse = true;
};

// One instruction of the threaded form: the handler's address and the operands.
struct Slot {
  const void* handler;
  uint8_t dst;
  uint8_t src;
  int16_t off;
  int32_t imm;
};
static_assert(sizeof(Slot) == 16);

class Program {
 public:
  static Expected<std::shared_ptr<const Program>> create(ebpf::DecodedProgram decoded,
                                                         LinkOptions options);

  const ebpf::DecodedProgram& decoded() const { return decoded_; }
  const LinkOptions& link() const { return link_; }
  const HelperTable& helpers() const { return *link_.helpers; }
  // The 64-bit value each lddw loads after linking (indexed by pc; 0 elsewhere).
  uint64_t lddw_value(uint32_t pc) const { return lddw_values_[pc]; }
  const Slot* slots(bool checked) const { return checked ? checked_.data() : fast_.data(); }
  size_t size() const { return decoded_.insns.size(); }

 private:
  Program() = default;
  ebpf::DecodedProgram decoded_;
  LinkOptions link_;
  std::vector<uint64_t> lddw_values_;
  std::vector<Slot> fast_, checked_;
};

}  // namespace ebpfaas::vm
