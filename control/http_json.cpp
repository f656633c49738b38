#include "control/http_json.h"

#include <charconv>
#include <cmath>

namespace ebpfaas::control {
namespace {

using nlohmann::json;

std::string_view type_name(const json& v) {
  return v.type_name();
}

Result<StringMap> string_map(const json& j, const char* field, std::string_view what) {
  StringMap out;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_object())
    return fail(ErrorKind::kInvalidArgument,
                "invalid field \"{}\" in {}: must be an object of strings, not {}", field, what,
                type_name(*it));
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string())
      return fail(ErrorKind::kInvalidArgument,
                  "invalid field \"{}.{}\" in {}: must be a string, not {}", field, k, what,
                  type_name(v));
    out[k] = v.get<std::string>();
  }
  return out;
}

// Optional fields of a given JSON type (null counts as absent).
Outcome check_type(const json& j, const char* field, json::value_t type, std::string_view type_word,
                   std::string_view what) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return {};
  if (it->type() != type)
    return fail(ErrorKind::kInvalidArgument, "invalid field \"{}\" in {}: must be {}, not {}",
                field, what, type_word, type_name(*it));
  return {};
}

Outcome check_string_array(const json& j, const char* field, std::string_view what) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return {};
  bool ok = it->is_array();
  if (ok)
    for (const auto& v : *it) ok = ok && v.is_string();
  if (!ok)
    return fail(ErrorKind::kInvalidArgument,
                "invalid field \"{}\" in {}: must be an array of strings", field, what);
  return {};
}

Result<std::string> required_string(const json& j, const char* field, std::string_view what) {
  auto it = j.find(field);
  if (it == j.end() || it->is_null())
    return fail(ErrorKind::kInvalidArgument, "missing field \"{}\" in {}", field, what);
  if (!it->is_string())
    return fail(ErrorKind::kInvalidArgument, "invalid field \"{}\" in {}: must be a string, not {}",
                field, what, type_name(*it));
  return it->get<std::string>();
}

Result<double> parse_seconds(std::string_view text, std::string_view where) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v))
    return fail(ErrorKind::kInvalidArgument,
                "invalid time \"{}\" in {}: must be a number of seconds", text, where);
  return v;
}

}  // namespace

Result<nlohmann::json> parse_json_object(std::string_view body, std::string_view what) {
  if (body.empty())
    return fail(ErrorKind::kInvalidArgument, "empty body: expected a {} JSON object", what);
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Parse again for the position of the error.
    try {
      (void)json::parse(body.begin(), body.end());
    } catch (const json::parse_error& e) {
      return fail(ErrorKind::kInvalidArgument, "invalid JSON in {} at byte {}: {}", what, e.byte,
                  std::string(e.what()).substr(std::string(e.what()).find(':') + 2));
    } catch (const std::exception& e) {
      return fail(ErrorKind::kInvalidArgument, "invalid JSON in {}: {}", what, e.what());
    }
    return fail(ErrorKind::kInvalidArgument, "invalid JSON in {}", what);
  }
  if (!j.is_object())
    return fail(ErrorKind::kInvalidArgument, "invalid {}: expected a JSON object, not {}", what,
                type_name(j));
  return j;
}

Result<FunctionSpec> function_spec_from_json(const nlohmann::json& j, bool require_image) {
  constexpr std::string_view what = "FunctionDeployment";
  FunctionSpec spec;
  auto name = required_string(j, "service", what);
  if (!name) return failure_of(name);
  EBPFAAS_CONTROL_TRY(validate_function_name(*name));
  spec.name = std::move(*name);
  if (require_image || (j.contains("image") && !j["image"].is_null())) {
    auto image = required_string(j, "image", what);
    if (!image) return failure_of(image);
    if (image->empty() && require_image)
      return fail(ErrorKind::kInvalidArgument, "missing field \"image\" in {}", what);
    spec.image = std::move(*image);
  }
  auto labels = string_map(j, "labels", what);
  if (!labels) return failure_of(labels);
  auto annotations = string_map(j, "annotations", what);
  if (!annotations) return failure_of(annotations);
  auto env = string_map(j, "envVars", what);
  if (!env) return failure_of(env);
  spec.labels = std::move(*labels);
  spec.annotations = std::move(*annotations);
  spec.env_vars = std::move(*env);
  // OpenFaaS fields ebpfaas has no use for: accepted when of the right type.
  for (const char* f : {"namespace", "envProcess", "network", "registryAuth"})
    EBPFAAS_CONTROL_TRY(check_type(j, f, json::value_t::string, "a string", what));
  for (const char* f : {"constraints", "secrets"})
    EBPFAAS_CONTROL_TRY(check_string_array(j, f, what));
  for (const char* f : {"limits", "requests"}) {
    EBPFAAS_CONTROL_TRY(check_type(j, f, json::value_t::object, "an object", what));
    if (j.contains(f) && j[f].is_object()) {
      auto m = string_map(j, f, what);
      if (!m) return failure_of(m);
    }
  }
  EBPFAAS_CONTROL_TRY(
      check_type(j, "readOnlyRootFilesystem", json::value_t::boolean, "a boolean", what));
  return spec;
}

Result<std::string> delete_request_from_json(const nlohmann::json& j) {
  auto name = required_string(j, "functionName", "DeleteFunctionRequest");
  if (!name) return failure_of(name);
  EBPFAAS_CONTROL_TRY(validate_function_name(*name));
  EBPFAAS_CONTROL_TRY(
      check_type(j, "namespace", json::value_t::string, "a string", "DeleteFunctionRequest"));
  return name;
}

Result<uint32_t> scale_request_from_json(const nlohmann::json& j, std::string_view path_name) {
  constexpr std::string_view what = "ScaleServiceRequest";
  if (auto it = j.find("serviceName"); it != j.end() && !it->is_null()) {
    if (!it->is_string())
      return fail(ErrorKind::kInvalidArgument,
                  "invalid field \"serviceName\" in {}: must be a string, not {}", what,
                  type_name(*it));
    if (!it->get<std::string>().empty() && it->get<std::string>() != path_name)
      return fail(ErrorKind::kInvalidArgument,
                  "invalid field \"serviceName\" in {}: \"{}\" differs from \"{}\" in the path",
                  what, it->get<std::string>(), path_name);
  }
  auto it = j.find("replicas");
  if (it == j.end() || it->is_null())
    return fail(ErrorKind::kInvalidArgument, "missing field \"replicas\" in {}", what);
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 1000000)
    return fail(ErrorKind::kInvalidArgument,
                "invalid field \"replicas\" in {}: must be an integer 0..1000000", what);
  return static_cast<uint32_t>(it->get<int64_t>());
}

nlohmann::ordered_json function_status_json(const FunctionInfo& f) {
  nlohmann::ordered_json j;
  j["name"] = f.name;
  j["image"] = f.image;
  j["namespace"] = "ebpfaas";
  j["envProcess"] = "";
  j["labels"] = f.labels;
  j["annotations"] = f.annotations;
  j["envVars"] = f.env_vars;
  j["invocationCount"] = f.invocation_count;
  j["replicas"] = f.replicas;
  // A function that could not be restored (no tier) is listed but not available.
  j["availableReplicas"] = (f.replicas > 0 && !f.tier.empty()) ? f.replicas : 0;
  j["createdAt"] = rfc3339(f.created_at);
  nlohmann::ordered_json e;
  e["version"] = f.version;
  e["section"] = f.section;
  e["program"] = f.program;
  e["verified_insns"] = f.verified_insns;
  e["tier"] = f.tier;
  e["jit"] = jit_state_name(f.jit);
  e["jit_message"] = f.jit_message;
  e["default_time"] = f.default_time;
  e["ports"] = f.allowed_ports;
  e["updatedAt"] = rfc3339(f.updated_at);
  e["running"] = f.running_call_id;
  e["queued"] = f.queued;
  j["ebpfaas"] = std::move(e);
  return j;
}

Result<InvokeParams> invoke_params(std::string_view body, std::optional<std::string> query_time,
                                   std::optional<std::string> query_ports) {
  InvokeParams p;
  std::string_view trimmed = body;
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
    trimmed.remove_prefix(1);
  if (!trimmed.empty()) {
    auto j = parse_json_object(trimmed, "execution request");
    if (!j) return failure_of(j);
    if (auto it = j->find("time"); it != j->end() && !it->is_null()) {
      if (it->is_number()) {
        p.seconds = it->get<double>();
      } else if (it->is_string()) {
        auto s = parse_seconds(it->get<std::string>(), "the body's \"time\"");
        if (!s) return failure_of(s);
        p.seconds = *s;
      } else {
        return fail(
            ErrorKind::kInvalidArgument,
            "invalid field \"time\" in execution request: must be a number of seconds, not {}",
            type_name(*it));
      }
    }
    if (auto it = j->find("ports"); it != j->end() && !it->is_null()) {
      if (it->is_string()) {
        auto l = split_list(it->get<std::string>(), "the body's \"ports\"");
        if (!l) return failure_of(l);
        p.ports = std::move(*l);
      } else if (it->is_array()) {
        for (const auto& v : *it) {
          if (v.is_string() && !v.get<std::string>().empty())
            p.ports.push_back(v.get<std::string>());
          else if (v.is_number_unsigned())
            p.ports.push_back(std::to_string(v.get<uint64_t>()));
          else
            return fail(ErrorKind::kInvalidArgument,
                        "invalid field \"ports\" in execution request: items must be port names "
                        "or indices, not {}",
                        v.dump());
        }
      } else {
        return fail(ErrorKind::kInvalidArgument,
                    "invalid field \"ports\" in execution request: must be an array, not {}",
                    type_name(*it));
      }
    }
  }
  if (query_time) {
    auto s = parse_seconds(*query_time, "query");
    if (!s) return failure_of(s);
    p.seconds = *s;
  }
  if (query_ports) {
    auto l = split_list(*query_ports, "query \"ports\"");
    if (!l) return failure_of(l);
    p.ports = std::move(*l);
  }
  return p;
}

Result<MapUpdateBody> map_update_from_json(const nlohmann::json& j) {
  constexpr std::string_view what = "map update";
  MapUpdateBody b;
  auto key = required_string(j, "key", what);
  if (!key) return failure_of(key);
  auto value = required_string(j, "value", what);
  if (!value) return failure_of(value);
  b.key = std::move(*key);
  b.value = std::move(*value);
  if (auto it = j.find("flags"); it != j.end() && !it->is_null()) {
    if (!it->is_string())
      return fail(ErrorKind::kInvalidArgument,
                  "invalid field \"flags\" in {}: must be \"any\", \"noexist\" or \"exist\"", what);
    auto f = parse_map_update_flag(it->get<std::string>());
    if (!f) return failure_of(f);
    b.flag = *f;
  }
  return b;
}

Result<uint64_t> parse_count(std::string_view name, std::string_view text, uint64_t max) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v > max)
    return fail(ErrorKind::kInvalidArgument, "invalid {} \"{}\" in query: must be an integer 0..{}",
                name, text, max);
  return v;
}

Result<std::vector<std::string>> split_list(std::string_view text, std::string_view what) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty())
      return fail(ErrorKind::kInvalidArgument, "invalid {} \"{}\": empty item", what, text);
    out.emplace_back(item);
    start = end + 1;
  }
  return out;
}

}  // namespace ebpfaas::control
