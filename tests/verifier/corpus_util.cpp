#include "tests/verifier/corpus_util.h"

#include <cstdio>
#include <cstdlib>

namespace ebpfaas::verifier::testing {

std::vector<ebpf::Insn> assemble_or_die(const CorpusProgram& p) {
  auto insns = ebpf::assemble(p.source);
  if (!insns) {
    std::fprintf(stderr, "corpus program %s does not assemble: %s\n", p.name.c_str(),
                 insns.error().message().c_str());
    std::abort();
  }
  return *insns;
}

Expected<VerifyResult> verify_program(const CorpusProgram& p, std::string* log, int log_level) {
  const auto insns = assemble_or_die(p);
  auto decoded = ebpf::decode(insns);
  if (!decoded) return decoded.error();
  VerifyOptions options;
  options.maps = p.maps;
  options.devmap_program = p.devmap_program;
  options.log_level = log_level;
  options.rejection_log = log;
  auto r = verify(*decoded, options);
  if (r && log) *log = r->log;
  return r;
}

}  // namespace ebpfaas::verifier::testing
