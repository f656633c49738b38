#include "loader/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>

namespace ebpfaas::loader {
namespace {

thread_local std::string* active = nullptr;
libbpf_print_fn_t previous_printer = nullptr;

int capture_or_forward(enum libbpf_print_level level, const char* format, va_list args) {
  if (active) {
    (void)level;  // libbpf reports some rejections (an unknown BTF kind) at debug level
    char line[512];
    int n = std::vsnprintf(line, sizeof line, format, args);
    if (n > 0) active->append(line);
    return n;
  }
  return previous_printer ? previous_printer(level, format, args) : 0;
}

}  // namespace

LibbpfLogCapture::LibbpfLogCapture() : previous_(active) {
  static std::once_flag once;
  std::call_once(once, [] { previous_printer = libbpf_set_print(capture_or_forward); });
  active = &buffer_;
}

LibbpfLogCapture::~LibbpfLogCapture() {
  active = previous_;
}

std::string LibbpfLogCapture::text() const {
  std::string out;
  size_t pos = 0;
  while (pos < buffer_.size()) {
    size_t end = buffer_.find('\n', pos);
    if (end == std::string::npos) end = buffer_.size();
    std::string_view line(buffer_.data() + pos, end - pos);
    if (line.substr(0, 8) == "libbpf: ") line.remove_prefix(8);
    if (!line.empty()) {
      if (!out.empty()) out += "; ";
      out += line;
    }
    pos = end + 1;
  }
  return out;
}

}  // namespace ebpfaas::loader
