#include "control/records.h"

namespace ebpfaas::control {

std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return "invalid argument";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kAlreadyExists:
      return "already exists";
    case ErrorKind::kTooLarge:
      return "too large";
    case ErrorKind::kUnavailable:
      return "unavailable";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "internal error";
}

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kAlreadyExists:
      return 409;
    case ErrorKind::kTooLarge:
      return 413;
    case ErrorKind::kUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

// Not implemented yet (the first commit only declares the interface).
std::string rfc3339(TimePoint) {
  return {};
}
Result<TimePoint> parse_rfc3339(std::string_view) {
  return fail(ErrorKind::kInternal, "not implemented");
}
Outcome validate_function_name(std::string_view) {
  return fail(ErrorKind::kInternal, "not implemented");
}
std::string_view artifact_kind_name(ArtifactKind k) {
  return k == ArtifactKind::kC ? "c" : "elf";
}
nlohmann::ordered_json to_json(const ArtifactInfo&) {
  return {};
}
std::string_view jit_state_name(JitState) {
  return "off";
}
std::string_view execution_status_name(ExecutionStatus) {
  return "failed";
}
Result<ExecutionStatus> parse_execution_status(std::string_view) {
  return fail(ErrorKind::kInternal, "not implemented");
}
nlohmann::ordered_json to_json(const ExecutionRecord&) {
  return {};
}
Result<ExecutionRecord> execution_from_json(const nlohmann::json&) {
  return fail(ErrorKind::kInternal, "not implemented");
}
nlohmann::ordered_json to_json(const MapInfo&) {
  return {};
}
nlohmann::ordered_json to_json(const MapDump&) {
  return {};
}
Result<MapUpdateFlag> parse_map_update_flag(std::string_view) {
  return fail(ErrorKind::kInternal, "not implemented");
}
nlohmann::ordered_json to_json(const LogLine&) {
  return {};
}

}  // namespace ebpfaas::control
