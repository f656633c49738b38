// Running corpus programs through the assembler, decoder and verifier.
#pragma once

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "tests/verifier/corpus.h"
#include "verifier/verifier.h"

namespace ebpfaas::verifier::testing {

// The instructions of a corpus program (assembly errors are test bugs).
std::vector<ebpf::Insn> assemble_or_die(const CorpusProgram& p);

// Decode + verify, as every load path does: a decoding error is a rejection.
Expected<VerifyResult> verify_program(const CorpusProgram& p, std::string* log = nullptr,
                                      int log_level = 0);

}  // namespace ebpfaas::verifier::testing
