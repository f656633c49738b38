#include "vm/program.h"

#include <algorithm>

#include "ebpf/opcode.h"
#include "vm/fusion.h"
#include "vm/xdp_context.h"

namespace ebpfaas::vm {

namespace detail {
const void* const* interpreter_handlers(bool checked);
}

using ebpf::Instruction;
using ebpf::Op;
using ebpf::OpKind;

Expected<std::shared_ptr<const Program>> Program::create(ebpf::DecodedProgram decoded,
                                                         LinkOptions options) {
  static const HelperTable kNoHelpers;
  if (!options.helpers) options.helpers = &kNoHelpers;
  auto prog = std::shared_ptr<Program>(new Program());
  const size_t n = decoded.insns.size();
  prog->lddw_values_.assign(n, 0);

  std::vector<bool> ctx_load(n, false);
  for (uint32_t pc : options.ctx_load_pcs) {
    if (pc >= n || decoded.insns[pc].info().kind != OpKind::kLoad)
      return errorf("pc {}: marked as a context load but is not a load", pc);
    ctx_load[pc] = true;
  }

  for (uint32_t pc = 0; pc < n; ++pc) {
    const Instruction& in = decoded.insns[pc];
    switch (in.op) {
      case Op::Lddw:
        if (in.src == ebpf::kPseudoNone) {
          prog->lddw_values_[pc] = in.imm64;
        } else if (in.src == ebpf::kPseudoFunc) {
          return errorf("pc {}: function pointers (lddw func) are not supported", pc);
        } else if (!options.resolve_lddw) {
          return errorf(
              "pc {}: lddw refers to a map or BTF object (pseudo src {}) but the program "
              "is not linked against any",
              pc, in.src);
        } else {
          auto v = options.resolve_lddw(in);
          if (!v) return v.error().context(fmt::format("pc {}", pc));
          prog->lddw_values_[pc] = *v;
        }
        break;
      case Op::Call:
        if (!options.helpers->get(in.imm))
          return errorf("pc {}: call to unknown helper id {}", pc, in.imm);
        break;
      case Op::CallKfunc:
        return errorf("pc {}: calls to kernel functions (kfunc, BTF id {}) are not supported", pc,
                      in.imm);
      case Op::LdAbsB:
      case Op::LdAbsH:
      case Op::LdAbsW:
      case Op::LdIndB:
      case Op::LdIndH:
      case Op::LdIndW:
        return errorf("pc {}: legacy packet access (LD_ABS/LD_IND) is only for socket filters", pc);
      default:
        break;
    }
  }

  for (bool checked : {false, true}) {
    const void* const* handlers = detail::interpreter_handlers(checked);
    std::vector<Slot>& slots = checked ? prog->checked_ : prog->fast_;
    slots.resize(n);
    for (uint32_t pc = 0; pc < n; ++pc) {
      Instruction in = decoded.insns[pc];
      Slot& slot = slots[pc];
      if (in.op == Op::Lddw) {
        in.imm = static_cast<int32_t>(static_cast<uint32_t>(prog->lddw_values_[pc]));
      } else if (in.op == Op::LddwHigh) {
        in.imm = static_cast<int32_t>(static_cast<uint32_t>(prog->lddw_values_[pc - 1] >> 32));
      } else if (in.op == Op::CallLocal) {
        in.imm = in.target - static_cast<int32_t>(pc) - 1;
      } else if (!checked && ctx_load[pc]) {
        // Linux's convert_ctx_access: an xdp_md field load becomes an XdpBuff load.
        auto field = xdp_ctx_field(static_cast<uint32_t>(in.off), in.info().width);
        if (!field)
          return errorf("pc {}: invalid access to the XDP context at offset {} size {}", pc, in.off,
                        in.info().width);
        in.op = field->size == 8 ? Op::LdxDW : Op::LdxW;
        in.off = static_cast<int16_t>(field->buff_offset);
      }
      slot = Slot{handlers[static_cast<int>(in.op)], in.dst, in.src, in.off, in.imm};
    }
    if (!checked && options.fuse) {
      for (uint32_t pc = 0; pc + 1 < n; ++pc) {
        if (ctx_load[pc] || ctx_load[pc + 1]) continue;  // rewritten loads stay on their own
        int fused = fused_handler(decoded.insns[pc], decoded.insns[pc + 1]);
        if (fused >= 0) slots[pc].handler = handlers[fused];
      }
    }
  }
  prog->decoded_ = std::move(decoded);
  prog->link_ = std::move(options);
  return std::shared_ptr<const Program>(std::move(prog));
}

}  // namespace ebpfaas::vm
