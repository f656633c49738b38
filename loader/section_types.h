// Program type from the ELF section name, after libbpf's sec_defs table
// (libbpf 1.x): "xdp" and "xdp.frags" exactly, "xdp/devmap", "tc",
// "kprobe/<fn>" ("+" entries accept the bare name or name/extra, "/" entries
// need the extra). ebpfaas also reads "xdp/<anything>" and
// "xdp.frags/<anything>" as XDP, as libbpf before 1.0, iproute2 and xdp-tools
// do, since XDP functions are its whole purpose. Internal to loader/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ebpfaas::loader {

struct SectionType {
  uint32_t prog_type = 0;             // BPF_PROG_TYPE_*
  uint32_t expected_attach_type = 0;  // BPF_* attach type
  bool xdp_frags = false;
};

std::optional<SectionType> section_type(std::string_view section);

}  // namespace ebpfaas::loader
