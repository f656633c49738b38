// libbpf reports why it rejected something (bad BTF, an unsupported kind) only
// through its print callback. LibbpfLogCapture collects those messages on the
// current thread while it lives, so that errors can carry libbpf's reason;
// outside a capture, messages go to the callback that was installed before.
// Internal to loader/.
#pragma once

#include <string>

namespace ebpfaas::loader {

class LibbpfLogCapture {
 public:
  LibbpfLogCapture();
  ~LibbpfLogCapture();
  LibbpfLogCapture(const LibbpfLogCapture&) = delete;
  LibbpfLogCapture& operator=(const LibbpfLogCapture&) = delete;

  // Warnings captured so far, one line each, without libbpf's "libbpf: " prefix;
  // "" when libbpf said nothing.
  std::string text() const;

 private:
  std::string* previous_;
  std::string buffer_;
};

}  // namespace ebpfaas::loader
