// Whole-file I/O with errors that name the path; writes are atomic
// (temporary file, fsync, rename) so a crash or a full disk never leaves a
// half-written file in place of a good one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "support/error.h"

namespace ebpfaas {

Expected<std::vector<uint8_t>> read_file(const std::string& path);
Expected<std::string> read_text_file(const std::string& path);
Status write_file_atomic(const std::string& path, std::span<const uint8_t> data);
Status write_file_atomic(const std::string& path, std::string_view text);

}  // namespace ebpfaas
