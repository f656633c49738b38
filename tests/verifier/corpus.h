// The verifier's test corpus: small XDP programs in assembly, each with the
// verdict ebpfaas must reach and, for rejected ones, the reason. Shared by
// the acceptance/rejection tests and the differential test against the
// Linux kernel's verifier.
#pragma once

#include <string>
#include <vector>

#include "ebpf/map_spec.h"

namespace ebpfaas::verifier::testing {

// What root-loaded Linux says about a program.
enum class Linux {
  kAgrees,     // the same verdict as ebpfaas
  kAccepts,    // ebpfaas is deliberately stricter (the unprivileged rules, XDP
               // return values): Linux with CAP_SYS_ADMIN accepts it
  kNoVerdict,  // not loadable as such (the decoder rejects it before any verifier)
};

struct CorpusProgram {
  std::string name;
  std::string source;  // assembler syntax (ebpf/assembler.h)
  std::vector<ebpf::MapSpec> maps;
  bool safe = false;
  std::string reason;  // unsafe: a substring of the rejection message
  Linux linux = Linux::kAgrees;
  std::string why_stricter;  // kAccepts: the rule ebpfaas keeps
  bool devmap_program = false;
};

const std::vector<CorpusProgram>& unsafe_corpus();
const std::vector<CorpusProgram>& safe_corpus();

// Map definitions for the corpus (Linux's numbers).
ebpf::MapSpec hash_map(uint32_t key, uint32_t value, uint32_t max = 64);
ebpf::MapSpec array_map(uint32_t value, uint32_t max = 16, uint32_t flags = 0);
ebpf::MapSpec map_of_type(uint32_t type, uint32_t key, uint32_t value, uint32_t max,
                          uint32_t flags = 0);

}  // namespace ebpfaas::verifier::testing
