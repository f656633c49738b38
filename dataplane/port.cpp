#include "dataplane/port.h"

#include "dataplane/dpdk_port.h"
#include "dataplane/gen_port.h"
#include "dataplane/pcap_port.h"

namespace ebpfaas::dataplane {

std::vector<SpecItem> split_spec(std::string_view text) {
  std::vector<SpecItem> items;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = text.substr(pos, comma - pos);
    pos = comma + 1;
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      items.push_back({std::string(item), "", true});
    else
      items.push_back({std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)), false});
  }
  return items;
}

Expected<std::unique_ptr<Port>> open_port(std::string_view spec, const PortOptions& options) {
  const size_t colon = spec.find(':');
  if (colon == std::string_view::npos)
    return errorf("port '{}': expected KIND:ARGS (kinds: gen, pcap, dpdk, iface)", spec);
  const std::string_view kind = spec.substr(0, colon), args = spec.substr(colon + 1);
  const std::string name(spec);
  if (kind == "gen") {
    auto o = parse_gen_spec(args);
    if (!o) return o.error().context(fmt::format("port '{}'", spec));
    auto p = GenPort::create(name, *o, options);
    if (!p) return p.error();
    return std::unique_ptr<Port>(std::move(*p));
  }
  if (kind == "pcap") {
    auto o = parse_pcap_spec(args);
    if (!o) return o.error();
    auto p = PcapPort::create(name, *o, options);
    if (!p) return p.error().context(fmt::format("port '{}'", spec));
    return std::unique_ptr<Port>(std::move(*p));
  }
  if (kind == "dpdk") return open_dpdk_port(name, std::string(args), options);
  if (kind == "iface") return open_iface_port(name, std::string(args), options);
  return errorf("port '{}': unknown kind '{}' (kinds: gen, pcap, dpdk, iface)", spec, kind);
}

}  // namespace ebpfaas::dataplane
