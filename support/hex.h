// Base16 text <-> bytes, as used by the conformance protocol and pcap dumps.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "support/error.h"

namespace ebpfaas {

// Accepts contiguous hex digits or bytes separated by whitespace; an optional
// "0x" prefix per token. An odd number of digits in a token is an error.
Expected<std::vector<uint8_t>> parse_hex(std::string_view text);

// Lower-case hex, no separators.
std::string to_hex(std::span<const uint8_t> bytes);

// Parses an integer in decimal, or hex with 0x, optionally signed ("-0x10").
// Values must fit in 64 bits (signed or unsigned reading).
Expected<int64_t> parse_int(std::string_view text);

}  // namespace ebpfaas
