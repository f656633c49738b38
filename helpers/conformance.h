// The helper set of the eBPF conformance suite: id 5 "unwind" ends the
// program, returning its first argument, when that argument is 0.
#pragma once

#include "helpers/run_context.h"

namespace ebpfaas::helpers {

const HelperTable& conformance_helpers();

}  // namespace ebpfaas::helpers
