#include "support/hex.h"

#include <cctype>
#include <charconv>

namespace ebpfaas {
namespace {

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Expected<std::vector<uint8_t>> parse_hex(std::string_view text) {
  std::vector<uint8_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view token = text.substr(start, i - start);
    if (token.size() >= 2 && token[0] == '0' && (token[1] == 'x' || token[1] == 'X'))
      token.remove_prefix(2);
    if (token.size() % 2 != 0)
      return errorf("hex: odd number of digits in '{}' at offset {}", token, start);
    for (size_t j = 0; j < token.size(); j += 2) {
      int hi = nibble(token[j]), lo = nibble(token[j + 1]);
      if (hi < 0 || lo < 0)
        return errorf("hex: invalid character in '{}' at offset {}", token, start + j);
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
  }
  return out;
}

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

Expected<int64_t> parse_int(std::string_view text) {
  std::string_view t = text;
  bool negative = false;
  if (!t.empty() && (t[0] == '-' || t[0] == '+')) {
    negative = t[0] == '-';
    t.remove_prefix(1);
  }
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  }
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), magnitude, base);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size())
    return errorf("'{}' is not a number", text);
  if (negative) {
    if (magnitude > (uint64_t{1} << 63)) return errorf("'{}' does not fit in 64 bits", text);
    return static_cast<int64_t>(0 - magnitude);
  }
  return static_cast<int64_t>(magnitude);
}

}  // namespace ebpfaas
