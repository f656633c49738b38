#include "tests/verifier/kernel_loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "ebpf/opcode.h"

namespace ebpfaas::verifier::testing {
namespace {

struct Fds {
  std::vector<int> fds;
  ~Fds() {
    for (int fd : fds)
      if (fd >= 0) close(fd);
  }
};

}  // namespace

bool kernel_bpf_available(std::string* why) {
  const ebpf::Insn prog[] = {{0xb7, 0, 0, 0, 2}, {0x95, 0, 0, 0, 0}};  // r0 = 2; exit
  const int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "probe", "GPL",
                               reinterpret_cast<const bpf_insn*>(prog), 2, nullptr);
  if (fd < 0) {
    if (why) *why = std::string("BPF_PROG_LOAD failed: ") + std::strerror(errno);
    return false;
  }
  close(fd);
  return true;
}

KernelVerdict kernel_verify(std::span<const ebpf::Insn> insns, std::span<const ebpf::MapSpec> maps,
                            bool devmap_program) {
  KernelVerdict v;
  if (!kernel_bpf_available(&v.why)) return v;
  v.available = true;
  Fds fds;
  for (const ebpf::MapSpec& m : maps) {
    LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = m.flags);
    const int fd = bpf_map_create(static_cast<bpf_map_type>(m.type), nullptr, m.key_size,
                                  m.value_size, m.max_entries, &opts);
    if (fd < 0) {
      v.available = false;
      v.why = "bpf_map_create(" + m.name + "): " + std::strerror(errno);
      return v;
    }
    fds.fds.push_back(fd);
    if (m.global_data) {
      std::vector<uint8_t> value(m.value_size, 0);
      std::copy_n(m.initial_value.begin(), std::min(value.size(), m.initial_value.size()),
                  value.begin());
      uint32_t key = 0;
      bpf_map_update_elem(fd, &key, value.data(), BPF_ANY);
      if (m.flags & BPF_F_RDONLY_PROG) bpf_map_freeze(fd);
    }
  }
  std::vector<ebpf::Insn> patched(insns.begin(), insns.end());
  for (size_t pc = 0; pc + 1 < patched.size(); ++pc) {
    ebpf::Insn& in = patched[pc];
    if (in.opcode != (ebpf::kClsLd | ebpf::kModeImm | ebpf::kSizeDW)) continue;
    const int32_t index = in.imm;
    const bool valid = index >= 0 && static_cast<size_t>(index) < fds.fds.size();
    switch (in.src) {
      case ebpf::kPseudoMapIdx:
      case ebpf::kPseudoMapFd:
        in.src = BPF_PSEUDO_MAP_FD;
        in.imm = valid ? fds.fds[static_cast<size_t>(index)] : -1;
        break;
      case ebpf::kPseudoMapIdxValue:
      case ebpf::kPseudoMapValue:
        in.src = BPF_PSEUDO_MAP_VALUE;
        in.imm = valid ? fds.fds[static_cast<size_t>(index)] : -1;
        break;
      default:
        break;
    }
    ++pc;
  }
  std::vector<char> log(1 << 20);
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_level = 1, .log_size = static_cast<__u32>(log.size()),
              .log_buf = log.data());
  if (devmap_program) opts.expected_attach_type = BPF_XDP_DEVMAP;
  const auto start = std::chrono::steady_clock::now();
  int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "corpus", "GPL",
                         reinterpret_cast<const bpf_insn*>(patched.data()), patched.size(), &opts);
  v.load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (fd < 0) {
    v.accepted = false;
    v.log = log.data();
    if (v.log.empty()) v.log = std::string("errno ") + std::strerror(errno);
    return v;
  }
  v.accepted = true;
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) v.verified_insns = info.verified_insns;
  close(fd);
  return v;
}

}  // namespace ebpfaas::verifier::testing
