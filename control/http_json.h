// The JSON bodies of the HTTP API (OpenFaaS faas-provider shapes), read with
// type checks: a field of the wrong type is an error naming the field and the
// body ("invalid field \"labels\" in FunctionDeployment: must be an object of
// strings"), unknown fields are ignored as OpenFaaS ignores them.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/records.h"
#include "control/result.h"

namespace ebpfaas::control {

// Parses `body` as a JSON object; `what` names the body in errors
// ("FunctionDeployment"). An empty body is an error too.
Result<nlohmann::json> parse_json_object(std::string_view body, std::string_view what);

// FunctionDeployment: service (required, a valid name), image (required when
// `require_image`), labels/annotations/envVars (objects of strings or null),
// the other OpenFaaS fields checked for their type and ignored.
Result<FunctionSpec> function_spec_from_json(const nlohmann::json& j, bool require_image);

// DeleteFunctionRequest {"functionName"}: the name.
Result<std::string> delete_request_from_json(const nlohmann::json& j);

// ScaleServiceRequest {"serviceName","replicas"}; serviceName may be absent
// (the path names the function) but must match it when given.
Result<uint32_t> scale_request_from_json(const nlohmann::json& j, std::string_view path_name);

// FunctionStatus: name, image, namespace "ebpfaas", envProcess, labels,
// annotations, envVars, invocationCount, replicas, availableReplicas,
// createdAt, and ebpfaas's own fields under "ebpfaas".
nlohmann::ordered_json function_status_json(const FunctionInfo& f);

// Execution parameters of /function and /async-function: the JSON body
// {"time":S,"ports":[...]} (empty: defaults) then the query's time=S and
// ports=a,b (the query wins).
struct InvokeParams {
  std::optional<double> seconds;
  std::vector<std::string> ports;
};
Result<InvokeParams> invoke_params(std::string_view body, std::optional<std::string> query_time,
                                   std::optional<std::string> query_ports);

// Map entry update body {"key":"hex","value":"hex","flags":"any"|"noexist"|"exist"}.
struct MapUpdateBody {
  std::string key, value;
  MapUpdateFlag flag = MapUpdateFlag::kAny;
};
Result<MapUpdateBody> map_update_from_json(const nlohmann::json& j);

// A non-negative integer query parameter `name` (no sign, no spaces), at most `max`.
Result<uint64_t> parse_count(std::string_view name, std::string_view text, uint64_t max);

// "a,b, c" -> {"a","b","c"}; empty items are an error naming `what`.
Result<std::vector<std::string>> split_list(std::string_view text, std::string_view what);

}  // namespace ebpfaas::control
