// Prometheus text exposition (format 0.0.4) of the service's metrics: the
// OpenFaaS gateway's series (gateway_function_invocation_total,
// gateway_functions_seconds, gateway_service_count) and ebpfaas's own
// (packets, verdicts and latency per function, packets per daemon port,
// scheduler queue). docs/api.md lists every series.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "control/records.h"

namespace ebpfaas::control {

// Invocations answered by the HTTP API: (function, HTTP status) -> count.
using InvocationCodes = std::map<std::pair<std::string, int>, uint64_t>;

std::string prometheus_text(const MetricsSnapshot& m, const InvocationCodes& codes);

// A label value escaped as the text format wants it (\\, \", \n).
std::string prometheus_label(std::string_view value);

}  // namespace ebpfaas::control
