#include "helpers/conformance.h"

namespace ebpfaas::helpers {
namespace {

uint64_t unwind(uint64_t r1, uint64_t, uint64_t, uint64_t, uint64_t, RunContext* ctx) {
  if (r1 == 0) ctx->stop = RunContext::Stop::kUnwind;
  return r1;
}

}  // namespace

const HelperTable& conformance_helpers() {
  static const HelperTable table = [] {
    HelperTable t;
    t.set(5, unwind);
    return t;
  }();
  return table;
}

}  // namespace ebpfaas::helpers
