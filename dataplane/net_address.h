// MAC, IPv4 and IPv6 addresses as values in network byte order, their text
// forms, and compile-time literals for tests and crafted traces:
//
//   using namespace ebpfaas::dataplane;
//   constexpr MacAddress gw = mac("02:00:00:00:00:fe");
//   constexpr Ipv4Address host = ip4("192.0.2.10");
//   constexpr Ipv6Address v6 = ip6("2001:db8::1");
//
// mac()/ip4()/ip6() are consteval: a malformed literal is a compile error, never
// a run-time abort. Text from users goes through parse_mac/parse_ipv4/parse_ipv6,
// which return an Error naming the text. The text grammar is that of
// inet_pton(3) (dotted quad without leading zeros; RFC 4291 section 2.2 for
// IPv6, including "::" and a trailing dotted quad) and of ether_aton(3) for MACs
// (six groups of one or two hex digits separated by ':' or '-').
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "support/error.h"

namespace ebpfaas::dataplane {

struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  // The address as a 48-bit number (first byte most significant): MAC ranges
  // are ranges of these numbers.
  constexpr uint64_t value() const {
    uint64_t v = 0;
    for (uint8_t b : bytes) v = v << 8 | b;
    return v;
  }
  static constexpr MacAddress from_value(uint64_t v) {
    MacAddress m;
    for (int i = 5; i >= 0; --i, v >>= 8) m.bytes[static_cast<size_t>(i)] = v & 0xff;
    return m;
  }
  constexpr bool is_broadcast() const { return value() == 0xffffffffffffULL; }
  constexpr bool is_multicast() const { return (bytes[0] & 1) != 0; }
  std::string to_string() const;  // "02:00:00:00:00:01"
  friend constexpr auto operator<=>(const MacAddress&, const MacAddress&) = default;
};

struct Ipv4Address {
  std::array<uint8_t, 4> bytes{};

  // Host-order number (10.0.0.1 -> 0x0a000001): CIDR arithmetic works on these.
  constexpr uint32_t value() const {
    return uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 | uint32_t{bytes[2]} << 8 | bytes[3];
  }
  static constexpr Ipv4Address from_value(uint32_t v) {
    return Ipv4Address{{static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
                        static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)}};
  }
  std::string to_string() const;  // "10.0.0.1"
  friend constexpr auto operator<=>(const Ipv4Address&, const Ipv4Address&) = default;
};

struct Ipv6Address {
  std::array<uint8_t, 16> bytes{};
  std::string to_string() const;  // RFC 5952 form, as inet_ntop writes it
  friend constexpr auto operator<=>(const Ipv6Address&, const Ipv6Address&) = default;
};

inline constexpr MacAddress kBroadcastMac{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

namespace detail {

constexpr int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a dotted quad occupying all of `s` into out[0..3].
constexpr bool parse_dotted_quad(std::string_view s, uint8_t* out) {
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
    size_t start = i;
    unsigned v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9' && i - start < 3) {
      v = v * 10 + static_cast<unsigned>(s[i] - '0');
      ++i;
    }
    const size_t digits = i - start;
    if (digits == 0 || v > 255 || (digits > 1 && s[start] == '0')) return false;
    out[part] = static_cast<uint8_t>(v);
  }
  return i == s.size();
}

}  // namespace detail

constexpr std::optional<MacAddress> try_parse_mac(std::string_view s) {
  MacAddress m;
  size_t i = 0;
  for (size_t part = 0; part < 6; ++part) {
    if (part > 0) {
      if (i >= s.size() || (s[i] != ':' && s[i] != '-')) return std::nullopt;
      ++i;
    }
    int v = 0, digits = 0;
    while (i < s.size() && detail::hex_digit(s[i]) >= 0 && digits < 2) {
      v = v * 16 + detail::hex_digit(s[i]);
      ++i, ++digits;
    }
    if (digits == 0) return std::nullopt;
    m.bytes[part] = static_cast<uint8_t>(v);
  }
  if (i != s.size()) return std::nullopt;
  return m;
}

constexpr std::optional<Ipv4Address> try_parse_ipv4(std::string_view s) {
  Ipv4Address a;
  if (!detail::parse_dotted_quad(s, a.bytes.data())) return std::nullopt;
  return a;
}

constexpr std::optional<Ipv6Address> try_parse_ipv6(std::string_view s) {
  // Collect 16-bit groups before and after "::", then place them.
  uint16_t head[8]{}, tail[8]{};
  int nhead = 0, ntail = 0;
  bool gap = false;
  size_t i = 0;
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    gap = true;
    i = 2;
  } else if (!s.empty() && s[0] == ':') {
    return std::nullopt;
  }
  while (i < s.size()) {
    // A trailing dotted quad supplies the last two groups.
    size_t j = i;
    while (j < s.size() && s[j] != ':' && s[j] != '.') ++j;
    if (j < s.size() && s[j] == '.') {
      uint8_t q[4]{};
      if (!detail::parse_dotted_quad(s.substr(i), q)) return std::nullopt;
      uint16_t* groups = gap ? tail : head;
      int& n = gap ? ntail : nhead;
      if (nhead + ntail + 2 > 8) return std::nullopt;
      groups[n++] = static_cast<uint16_t>(q[0] << 8 | q[1]);
      groups[n++] = static_cast<uint16_t>(q[2] << 8 | q[3]);
      i = s.size();
      break;
    }
    if (j == i || j - i > 4) return std::nullopt;
    unsigned v = 0;
    for (size_t k = i; k < j; ++k) {
      int d = detail::hex_digit(s[k]);
      if (d < 0) return std::nullopt;
      v = v * 16 + static_cast<unsigned>(d);
    }
    if (nhead + ntail >= 8) return std::nullopt;
    if (gap) {
      tail[ntail++] = static_cast<uint16_t>(v);
    } else {
      head[nhead++] = static_cast<uint16_t>(v);
    }
    i = j;
    if (i == s.size()) break;
    // s[i] == ':'
    if (i + 1 < s.size() && s[i + 1] == ':') {
      if (gap) return std::nullopt;  // a second "::"
      gap = true;
      i += 2;
    } else {
      ++i;
      if (i == s.size()) return std::nullopt;  // trailing single ':'
    }
  }
  if (gap ? nhead + ntail > 7 : nhead != 8) return std::nullopt;
  Ipv6Address a;
  for (int k = 0; k < nhead; ++k) {
    a.bytes[static_cast<size_t>(2 * k)] = static_cast<uint8_t>(head[k] >> 8);
    a.bytes[static_cast<size_t>(2 * k + 1)] = static_cast<uint8_t>(head[k]);
  }
  for (int k = 0; k < ntail; ++k) {
    const int pos = 8 - ntail + k;
    a.bytes[static_cast<size_t>(2 * pos)] = static_cast<uint8_t>(tail[k] >> 8);
    a.bytes[static_cast<size_t>(2 * pos + 1)] = static_cast<uint8_t>(tail[k]);
  }
  return a;
}

// Compile-time literals. The throw only ever runs during constant evaluation,
// where it turns a malformed literal into a compile error.
consteval MacAddress mac(const char* text) {
  auto v = try_parse_mac(text);
  if (!v) throw "malformed MAC address literal";
  return *v;
}
consteval Ipv4Address ip4(const char* text) {
  auto v = try_parse_ipv4(text);
  if (!v) throw "malformed IPv4 address literal";
  return *v;
}
consteval Ipv6Address ip6(const char* text) {
  auto v = try_parse_ipv6(text);
  if (!v) throw "malformed IPv6 address literal";
  return *v;
}

Expected<MacAddress> parse_mac(std::string_view text);
Expected<Ipv4Address> parse_ipv4(std::string_view text);
Expected<Ipv6Address> parse_ipv6(std::string_view text);

}  // namespace ebpfaas::dataplane
