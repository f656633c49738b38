// Verification time and effort per program, beside the Linux kernel's
// verifier on the same program in the same run (BPF_PROG_LOAD wall time and
// its verified_insns). The programs are the verifier test corpus's safe
// programs, after the seed NFs from their object files.
//
//   build/bin/verifier_bench [--rounds N] [--filter SUBSTRING]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <linux/bpf.h>

#include "ebpf/decode.h"
#include "loader/object.h"
#include "tests/verifier/corpus_util.h"
#include "tests/verifier/kernel_loader.h"

using namespace ebpfaas;
using namespace ebpfaas::verifier::testing;

int main(int argc, char** argv) {
  int rounds = 20;
  std::string filter;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
  }
  std::string why;
  const bool kernel = kernel_bpf_available(&why);
  if (!kernel) std::printf("# Linux column SKIPPED: %s\n", why.c_str());
  std::printf("%-40s %6s %10s %7s %10s | %14s %12s\n", "program", "insns", "processed", "states",
              "ebpfaas_ms", "linux_verified", "linux_ms");
  // The seed NFs from their objects first, then the corpus.
  struct Entry {
    std::string name;
    std::vector<ebpf::Insn> insns;
    std::vector<ebpf::MapSpec> maps;
    bool devmap_program = false;
  };
  std::vector<Entry> entries;
  for (const char* nf : {"wire", "l2_learning_switch", "ipv4_router", "ddos_mitigation"}) {
    const std::string path = std::string(EBPFAAS_NFS_DIR) + "/" + nf + ".o";
    auto object = loader::open_object(path);
    if (!object) {
      std::printf("%-40s cannot open: %s\n", nf, object.error().message().c_str());
      continue;
    }
    for (const auto& prog : object->programs)
      entries.push_back({std::string("nfs/") + nf, prog.insns, object->maps,
                         prog.expected_attach_type == BPF_XDP_DEVMAP});
  }
  for (const CorpusProgram& p : safe_corpus())
    entries.push_back({p.name, assemble_or_die(p), p.maps, p.devmap_program});

  double total_ours = 0, total_linux = 0;
  for (const Entry& p : entries) {
    if (!filter.empty() && p.name.find(filter) == std::string::npos) continue;
    const auto& insns = p.insns;
    auto decoded = ebpf::decode(insns);
    if (!decoded) {
      std::printf("%-40s INVALID: %s\n", p.name.c_str(), decoded.error().message().c_str());
      continue;
    }
    verifier::VerifyOptions options;
    options.maps = p.maps;
    options.devmap_program = p.devmap_program;
    std::vector<double> times;
    verifier::VerifyResult last;
    for (int r = 0; r < rounds; ++r) {
      auto result = verifier::verify(*decoded, options);
      if (!result) {
        std::printf("%-40s REJECTED: %s\n", p.name.c_str(), result.error().message().c_str());
        break;
      }
      times.push_back(result->time_ms);
      last = *result;
    }
    if (times.empty()) continue;
    std::sort(times.begin(), times.end());
    const double ours = times[times.size() / 2];
    KernelVerdict k;
    std::vector<double> ktimes;
    if (kernel)
      for (int r = 0; r < std::max(1, rounds / 4); ++r) {
        k = kernel_verify(insns, p.maps, p.devmap_program);
        ktimes.push_back(k.load_ms);
      }
    std::sort(ktimes.begin(), ktimes.end());
    const double linux_ms = ktimes.empty() ? 0 : ktimes[ktimes.size() / 2];
    total_ours += ours;
    total_linux += linux_ms;
    std::printf("%-40s %6zu %10llu %7u %10.3f | %14u %12.3f%s\n", p.name.c_str(), insns.size(),
                static_cast<unsigned long long>(last.insns_processed), last.total_states, ours,
                k.verified_insns, linux_ms, kernel && !k.accepted ? " (Linux: rejected)" : "");
  }
  std::printf(
      "# total: ebpfaas %.3f ms, Linux BPF_PROG_LOAD %.3f ms (median per program, summed)\n",
      total_ours, total_linux);
  return 0;
}
