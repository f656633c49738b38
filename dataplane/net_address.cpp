#include "dataplane/net_address.h"

#include <arpa/inet.h>

namespace ebpfaas::dataplane {

std::string MacAddress::to_string() const {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", bytes[0], bytes[1], bytes[2],
                     bytes[3], bytes[4], bytes[5]);
}

std::string Ipv4Address::to_string() const {
  return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
}

std::string Ipv6Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  // inet_ntop writes the RFC 5952 canonical form; it cannot fail for AF_INET6
  // with a buffer of INET6_ADDRSTRLEN.
  ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

Expected<MacAddress> parse_mac(std::string_view text) {
  if (auto v = try_parse_mac(text)) return *v;
  return errorf("invalid MAC address '{}' (expected six hex bytes like 02:00:00:00:00:01)", text);
}

Expected<Ipv4Address> parse_ipv4(std::string_view text) {
  if (auto v = try_parse_ipv4(text)) return *v;
  return errorf("invalid IPv4 address '{}' (expected a dotted quad like 192.0.2.1)", text);
}

Expected<Ipv6Address> parse_ipv6(std::string_view text) {
  if (auto v = try_parse_ipv6(text)) return *v;
  return errorf("invalid IPv6 address '{}' (expected RFC 4291 text like 2001:db8::1)", text);
}

}  // namespace ebpfaas::dataplane
