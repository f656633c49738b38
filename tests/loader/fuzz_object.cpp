// libFuzzer target: open_object_bytes() must return a value or an error for
// any input, never crash, leak or read out of bounds. Seed it with real
// objects; a longer run:
//   build-test/tests/loader/loader_fuzz_object -max_total_time=300 -max_len=65536 \
//     CORPUS_DIR build-test/tests/loader/progs
#include <bpf/libbpf.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "loader/object.h"

namespace {

int quiet(enum libbpf_print_level, const char*, va_list) {
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool init = [] {
    libbpf_set_print(quiet);
    return true;
  }();
  (void)init;
  auto obj = ebpfaas::loader::open_object_bytes(std::span<const uint8_t>(data, size), "fuzz.o");
  if (obj) {
    // Touch what callers touch.
    for (const auto& p : obj->programs) {
      for (size_t pc = 0; pc < p.insns.size(); ++pc) (void)p.line_at(static_cast<uint32_t>(pc));
      (void)obj->find_program(p.name);
    }
  }
  return 0;
}
