#include "dataplane/traffic_spec.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace ebpfaas::dataplane {
namespace {

template <class T>
Expected<T> parse_unsigned(std::string_view text, std::string_view what, T max) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    return errorf("invalid {} '{}' (expected a non-negative integer)", what, text);
  if (v > max) return errorf("{} {} is above {}", what, v, max);
  return static_cast<T>(v);
}

Expected<double> parse_number(std::string_view text, std::string_view what) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v))
    return errorf("invalid {} '{}' (expected a number)", what, text);
  return v;
}

bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || separators.find(text[i]) != std::string_view::npos) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

// The shortest text that reads back as the same double.
std::string format_number(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : fmt::format("{}", v);
}

// 10e9 -> "10G", 14880000 -> "14.88M" when that reads back exactly.
std::string format_rate(double v) {
  for (auto [scale, suffix] : {std::pair{1e9, "G"}, std::pair{1e6, "M"}, std::pair{1e3, "k"}}) {
    const double scaled = v / scale;
    if (scaled >= 1 && scaled * scale == v) {
      std::string text = format_number(scaled);
      if (text.find('e') == std::string::npos) return text + suffix;
    }
  }
  return format_number(v);
}

template <class T>
std::string format_range(const T& first, const T& last) {
  return first == last ? fmt::format("{}", first) : fmt::format("{}-{}", first, last);
}

}  // namespace

Expected<SizeSpec> parse_size_spec(std::string_view text) {
  if (iequals(text, "imix")) return SizeSpec::imix();
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    auto lo = parse_unsigned<uint32_t>(text.substr(0, dash), "size", UINT32_MAX);
    if (!lo) return lo.error();
    auto hi = parse_unsigned<uint32_t>(text.substr(dash + 1), "size", UINT32_MAX);
    if (!hi) return hi.error();
    if (*lo > *hi) return errorf("size range '{}' is empty (minimum above maximum)", text);
    return SizeSpec::range(*lo, *hi);
  }
  auto n = parse_unsigned<uint32_t>(text, "size", UINT32_MAX);
  if (!n) return errorf("invalid size '{}' (expected N, MIN-MAX or imix)", text);
  return SizeSpec::fixed(*n);
}

Expected<FlowDistribution> parse_flow_distribution(std::string_view text) {
  if (iequals(text, "uniform")) return FlowDistribution::uniform();
  if (text.size() > 5 && iequals(text.substr(0, 5), "zipf:")) {
    auto s = parse_number(text.substr(5), "Zipf exponent");
    if (!s) return s.error();
    if (*s < 0) return errorf("Zipf exponent {} must be >= 0", *s);
    return FlowDistribution::zipf(*s);
  }
  return errorf("invalid flow distribution '{}' (expected uniform or zipf:S, e.g. zipf:1.1)", text);
}

Expected<ProtocolMix> parse_protocol_mix(std::string_view text) {
  if (iequals(text, "mix")) return ProtocolMix{1, 1, 1};
  ProtocolMix mix{0, 0, 0};
  bool seen[3] = {false, false, false};
  for (std::string_view item : split(text, ",+")) {
    std::string_view name = item, weight_text;
    if (size_t colon = item.find(':'); colon != std::string_view::npos) {
      name = item.substr(0, colon);
      weight_text = item.substr(colon + 1);
    }
    uint32_t weight = 1;
    if (!weight_text.empty() || item.find(':') != std::string_view::npos) {
      auto w = parse_unsigned<uint32_t>(weight_text, "protocol weight", UINT32_MAX);
      if (!w) return w.error();
      weight = *w;
    }
    int k = iequals(name, "udp") ? 0 : iequals(name, "tcp") ? 1 : iequals(name, "icmp") ? 2 : -1;
    if (k < 0)
      return errorf("invalid protocol '{}' in '{}' (expected udp, tcp, icmp or mix)", name, text);
    if (seen[k]) return errorf("protocol '{}' appears twice in '{}'", name, text);
    seen[k] = true;
    (k == 0 ? mix.udp : k == 1 ? mix.tcp : mix.icmp) = weight;
  }
  if (uint64_t{mix.udp} + mix.tcp + mix.icmp == 0)
    return errorf("protocol mix '{}' has no positive weight", text);
  return mix;
}

Expected<IpPrefix> parse_ip_prefix(std::string_view text) {
  std::string_view addr = text, len_text;
  if (size_t slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    len_text = text.substr(slash + 1);
  }
  IpPrefix p;
  if (auto v4 = try_parse_ipv4(addr)) {
    p = IpPrefix::v4(*v4, 32);
  } else if (auto v6 = try_parse_ipv6(addr)) {
    p = IpPrefix::v6(*v6, 128);
  } else {
    return errorf("invalid address prefix '{}' (expected CIDR like 10.0.0.0/8 or 2001:db8::/64)",
                  text);
  }
  if (text.find('/') != std::string_view::npos) {
    const uint8_t max = p.version == IpVersion::kIpv4 ? 32 : 128;
    auto len = parse_unsigned<uint8_t>(len_text, "prefix length", max);
    if (!len) return len.error().context(text);
    p.length = *len;
  }
  // Keep only the network bits, so the prefix prints as the range it is.
  for (size_t k = 0; k < p.base.size(); ++k) {
    const int into = static_cast<int>(p.length) - static_cast<int>(8 * k);
    p.base[k] &= into >= 8 ? 0xff : into <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - into));
  }
  return p;
}

Expected<PortRange> parse_port_range(std::string_view text) {
  std::string_view a = text, b = text;
  if (size_t dash = text.find('-'); dash != std::string_view::npos) {
    a = text.substr(0, dash);
    b = text.substr(dash + 1);
  }
  auto first = parse_unsigned<uint16_t>(a, "port", 65535);
  if (!first) return first.error();
  auto last = parse_unsigned<uint16_t>(b, "port", 65535);
  if (!last) return last.error();
  if (*first > *last) return errorf("port range '{}' is empty (first above last)", text);
  return PortRange{*first, *last};
}

Expected<MacRange> parse_mac_range(std::string_view text) {
  if (auto m = try_parse_mac(text)) return MacRange{*m, *m};
  // '-' may also separate the bytes of a MAC: try each split point.
  for (size_t i = text.find('-'); i != std::string_view::npos; i = text.find('-', i + 1)) {
    auto a = try_parse_mac(text.substr(0, i));
    auto b = try_parse_mac(text.substr(i + 1));
    if (a && b) {
      if (*a > *b) return errorf("MAC range '{}' is empty (first above last)", text);
      return MacRange{*a, *b};
    }
  }
  return errorf("invalid MAC range '{}' (expected MAC or MAC-MAC)", text);
}

Expected<Timing> parse_rate(std::string_view text) {
  std::string_view t = text;
  Timing timing;
  timing.kind = Timing::Kind::kPacketsPerSecond;
  if (t.size() > 3 && iequals(t.substr(t.size() - 3), "pps")) {
    t.remove_suffix(3);
  } else if (t.size() > 3 && iequals(t.substr(t.size() - 3), "bps")) {
    t.remove_suffix(3);
    timing.kind = Timing::Kind::kBitsPerSecond;
  }
  double scale = 1;
  if (!t.empty()) {
    switch (t.back()) {
      case 'k':
      case 'K':
        scale = 1e3;
        break;
      case 'm':
      case 'M':
        scale = 1e6;
        break;
      case 'g':
      case 'G':
        scale = 1e9;
        break;
      default:
        break;
    }
    if (scale != 1) t.remove_suffix(1);
  }
  auto v = parse_number(t, "rate");
  if (!v || !(*v > 0))
    return errorf(
        "invalid rate '{}' (expected a positive number of packets/s, e.g. 1M, 1.5Mpps, "
        "or bits/s, e.g. 10Gbps)",
        text);
  timing.rate = *v * scale;
  return timing;
}

Expected<uint64_t> parse_start_time_ns(std::string_view text) {
  std::string_view whole = text, frac;
  if (size_t dot = text.find('.'); dot != std::string_view::npos) {
    whole = text.substr(0, dot);
    frac = text.substr(dot + 1);
  }
  auto s = parse_unsigned<uint64_t>(whole, "start time", UINT64_MAX / 1'000'000'000 - 1);
  if (!s) return s.error();
  if (frac.size() > 9 ||
      !std::all_of(frac.begin(), frac.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return errorf("invalid start time '{}' (expected seconds with at most 9 decimals)", text);
  uint64_t ns = 0;
  for (size_t i = 0; i < 9; ++i) ns = ns * 10 + (i < frac.size() ? uint64_t(frac[i] - '0') : 0);
  return *s * 1'000'000'000 + ns;
}

Expected<TrafficOptions> parse_traffic_spec(std::string_view spec, const TrafficOptions& base) {
  TrafficOptions o = base;
  // Regroup items: one without '=' belongs to the value before it.
  std::vector<std::pair<std::string_view, std::string>> items;
  for (std::string_view item : split(spec, ",")) {
    if (item.empty()) continue;
    if (size_t eq = item.find('='); eq != std::string_view::npos) {
      items.emplace_back(item.substr(0, eq), std::string(item.substr(eq + 1)));
    } else if (!items.empty()) {
      items.back().second += ',';
      items.back().second += item;
    } else {
      return errorf("traffic spec '{}': '{}' is not key=value", spec, item);
    }
  }
  for (const auto& [key, value] : items) {
    auto fail = [&](const Error& e) { return e.context(fmt::format("traffic spec {}=", key)); };
    if (key == "size") {
      auto v = parse_size_spec(value);
      if (!v) return fail(v.error());
      o.size = *v;
    } else if (key == "flows") {
      auto v = parse_unsigned<uint32_t>(value, "flow count", kMaxFlows);
      if (!v) return fail(v.error());
      o.flows = *v;
    } else if (key == "dist") {
      auto v = parse_flow_distribution(value);
      if (!v) return fail(v.error());
      o.distribution = *v;
    } else if (key == "proto") {
      auto v = parse_protocol_mix(value);
      if (!v) return fail(v.error());
      o.protocols = *v;
    } else if (key == "ip") {
      if (value == "4") {
        o.ip_version = IpVersion::kIpv4;
      } else if (value == "6") {
        o.ip_version = IpVersion::kIpv6;
      } else {
        return fail(errorf("invalid IP version '{}' (expected 4 or 6)", value));
      }
    } else if (key == "src" || key == "dst") {
      auto v = parse_ip_prefix(value);
      if (!v) return fail(v.error());
      (key == "src" ? o.src : o.dst) = *v;
    } else if (key == "sport" || key == "dport") {
      auto v = parse_port_range(value);
      if (!v) return fail(v.error());
      (key == "sport" ? o.src_ports : o.dst_ports) = *v;
    } else if (key == "smac" || key == "dmac") {
      auto v = parse_mac_range(value);
      if (!v) return fail(v.error());
      (key == "smac" ? o.src_mac : o.dst_mac) = *v;
    } else if (key == "vlan") {
      auto v = parse_unsigned<uint16_t>(value, "VLAN id", 4095);
      if (!v) return fail(v.error());
      o.vlan = *v;
    } else if (key == "rate") {
      auto v = parse_rate(value);
      if (!v) return fail(v.error());
      o.timing.kind = v->kind;
      o.timing.rate = v->rate;
    } else if (key == "start") {
      auto v = parse_start_time_ns(value);
      if (!v) return fail(v.error());
      o.timing.start_ns = *v;
    } else if (key == "seed") {
      auto v = parse_unsigned<uint64_t>(value, "seed", UINT64_MAX);
      if (!v) return fail(v.error());
      o.seed = *v;
    } else {
      return errorf(
          "traffic spec '{}': unknown key '{}' (known: size, flows, dist, proto, ip, src, dst, "
          "sport, dport, smac, dmac, vlan, rate, start, seed)",
          spec, key);
    }
  }
  return o;
}

std::string to_spec(const TrafficOptions& o) {
  std::string s;
  switch (o.size.kind) {
    case SizeSpec::Kind::kFixed:
      s += fmt::format("size={}", o.size.min);
      break;
    case SizeSpec::Kind::kRange:
      s += fmt::format("size={}-{}", o.size.min, o.size.max);
      break;
    case SizeSpec::Kind::kImix:
      s += "size=imix";
      break;
  }
  s += fmt::format(",flows={}", o.flows);
  s += o.distribution.kind == FlowDistribution::Kind::kZipf
           ? ",dist=zipf:" + format_number(o.distribution.s)
           : std::string(",dist=uniform");
  std::string proto;
  for (auto [name, weight] : {std::pair{"udp", o.protocols.udp}, std::pair{"tcp", o.protocols.tcp},
                              std::pair{"icmp", o.protocols.icmp}}) {
    if (weight == 0) continue;
    proto += proto.empty() ? "" : ",";
    proto += weight == 1 ? std::string(name) : fmt::format("{}:{}", name, weight);
  }
  s += ",proto=" + proto;
  if (o.ip_version) s += fmt::format(",ip={}", static_cast<int>(*o.ip_version));
  if (o.src) s += ",src=" + o.src->to_string();
  if (o.dst) s += ",dst=" + o.dst->to_string();
  s += ",sport=" + format_range(o.src_ports.first, o.src_ports.last);
  s += ",dport=" + format_range(o.dst_ports.first, o.dst_ports.last);
  s += ",smac=" + format_range(o.src_mac.first.to_string(), o.src_mac.last.to_string());
  s += ",dmac=" + format_range(o.dst_mac.first.to_string(), o.dst_mac.last.to_string());
  if (o.vlan) s += fmt::format(",vlan={}", *o.vlan);
  s += ",rate=" + format_rate(o.timing.rate) +
       (o.timing.kind == Timing::Kind::kBitsPerSecond ? "bps" : "pps");
  s += fmt::format(",start={}.{:09},seed={}", o.timing.start_ns / 1'000'000'000,
                   o.timing.start_ns % 1'000'000'000, o.seed);
  return s;
}

}  // namespace ebpfaas::dataplane
