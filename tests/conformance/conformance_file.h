// Reader for the conformance suite's .data files (format in
// ../shared/conformance/README.md): sections opened by "-- NAME".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ebpf/insn.h"
#include "support/error.h"

namespace ebpfaas::conformance {

struct TestCase {
  std::string name;
  std::string asm_text;            // "-- asm"
  std::optional<std::string> raw;  // "-- raw": 64-bit words in hex, one per line
  std::vector<uint8_t> memory;     // "-- mem"
  std::optional<uint64_t> result;  // "-- result"
};

Expected<TestCase> parse_test_file(const std::string& path);

// The program of a test: the raw words when given, else the assembled text.
Expected<std::vector<ebpf::Insn>> test_program(const TestCase& test);

// All *.data files of a directory, sorted by name.
Expected<std::vector<std::string>> list_test_files(const std::string& dir);

}  // namespace ebpfaas::conformance
