// Assembler for the text syntax of the eBPF conformance suite:
//   mov32 %r0, 1          add %r1, %r2        neg %r3          be16 %r0
//   ldxw %r0, [%r1+4]     stxdw [%r10-8], %r1 stb [%r1+0], 7   lddw %r0, 0x1122334455667788
//   jne %r0, 15, fail     ja +2               ja32 L1          call 1   call local f   call %r2
//   lock fetch add32 [%r10-4], %r1            lock cmpxchg [%r10-8], %r1
//   movsx1632 %r4, %r3    sdiv %r0, 3         bswap64 %r0      exit
// Labels are `name:`; jump and call targets are labels or signed offsets
// (+N/-N). As in the suite, `exit` names the first exit instruction unless a
// label of that name is declared. `#` starts a comment. Extensions for object
// code: lddw pseudo forms `map_fd(N)`, `map_idx(N)`, `map_value(N)+OFF`,
// `map_idx_value(N)+OFF`, `btf_id(N)`, `func(TARGET)`; `call kfunc N`;
// legacy `ldabsw IMM`, `ldindw %rS, IMM`.
#pragma once

#include <string_view>
#include <vector>

#include "ebpf/insn.h"
#include "support/error.h"

namespace ebpfaas::ebpf {

// Errors name the line ("line 7: unknown mnemonic 'mvo'").
Expected<std::vector<Insn>> assemble(std::string_view source);

}  // namespace ebpfaas::ebpf
