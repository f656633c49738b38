#include "control/records.h"

#include <cctype>
#include <cstdio>

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

namespace {

using nlohmann::ordered_json;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

int64_t ms_since_epoch(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp + (mp < 10 ? 3 : -9);
  y += m <= 2;
}

const char* const kVerdictNames[5] = {"aborted", "drop", "pass", "tx", "redirect"};

uint64_t get_u64(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<uint64_t>() : 0;
}
double get_double(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0;
}
std::string get_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
TimePoint get_time(const nlohmann::json& j, const char* key) {
  std::string s = get_string(j, key);
  if (s.empty()) return {};
  auto t = parse_rfc3339(s);
  return t ? *t : TimePoint{};
}

}  // namespace

std::string rfc3339(TimePoint t) {
  if (t == TimePoint{}) return {};
  const int64_t ms = ms_since_epoch(t);
  int64_t days = ms >= 0 ? ms / 86400000 : (ms - 86399999) / 86400000;
  int64_t rem = ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, m, d, rem / 3600000,
                     rem / 60000 % 60, rem / 1000 % 60, rem % 1000);
}

Result<TimePoint> parse_rfc3339(std::string_view text) {
  auto bad = [&] {
    return fail(ErrorKind::kInvalidArgument,
                "invalid time \"{}\": expected RFC 3339 (2024-05-01T12:00:00Z)", text);
  };
  int y, mo, d, h, mi, sec;
  int n = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) !=
          6 ||
      n < 19)
    return bad();
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return bad();
  size_t i = static_cast<size_t>(n);
  int64_t frac_ms = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 3) frac_ms = frac_ms * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return bad();
    for (; digits < 3; ++digits) frac_ms *= 10;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om, m2 = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &m2) != 2 || m2 != 5) return bad();
    offset_s = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  const int64_t secs =
      days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
      mi * 60 + sec - offset_s;
  return TimePoint(std::chrono::duration_cast<Clock::duration>(
      std::chrono::milliseconds(secs * 1000 + frac_ms)));
}

Outcome validate_function_name(std::string_view name) {
  if (name.empty()) return fail(ErrorKind::kInvalidArgument, "invalid function name \"\": empty");
  if (name.size() > 63)
    return fail(ErrorKind::kInvalidArgument,
                "invalid function name \"{}\": {} characters, at most 63", name, name.size());
  for (char c : name)
    if (!is_name_char(c))
      return fail(ErrorKind::kInvalidArgument,
                  "invalid function name \"{}\": must match [-a-zA-Z_0-9.]+", name);
  if (name == "." || name == "..")
    return fail(ErrorKind::kInvalidArgument, "invalid function name \"{}\"", name);
  return {};
}

std::string_view artifact_kind_name(ArtifactKind k) {
  return k == ArtifactKind::kC ? "c" : "elf";
}

ordered_json to_json(const ArtifactInfo& a) {
  return {{"image", a.image}, {"size", a.size}, {"kind", artifact_kind_name(a.kind)}};
}

std::string_view jit_state_name(JitState s) {
  switch (s) {
    case JitState::kOff:
      return "off";
    case JitState::kReady:
      return "ready";
    case JitState::kFailed:
      return "failed";
  }
  return "off";
}

std::string_view execution_status_name(ExecutionStatus s) {
  switch (s) {
    case ExecutionStatus::kQueued:
      return "queued";
    case ExecutionStatus::kRunning:
      return "running";
    case ExecutionStatus::kFinished:
      return "finished";
    case ExecutionStatus::kCancelled:
      return "cancelled";
    case ExecutionStatus::kFailed:
      return "failed";
    case ExecutionStatus::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

Result<ExecutionStatus> parse_execution_status(std::string_view s) {
  for (auto st :
       {ExecutionStatus::kQueued, ExecutionStatus::kRunning, ExecutionStatus::kFinished,
        ExecutionStatus::kCancelled, ExecutionStatus::kFailed, ExecutionStatus::kInterrupted})
    if (execution_status_name(st) == s) return st;
  return fail(ErrorKind::kInvalidArgument, "unknown execution status \"{}\"", s);
}

ordered_json to_json(const ExecutionRecord& r) {
  ordered_json j;
  j["callId"] = r.call_id;
  j["function"] = r.function;
  j["version"] = r.version;
  j["status"] = execution_status_name(r.status);
  j["queuedAt"] = rfc3339(r.queued_at);
  j["startedAt"] = rfc3339(r.started_at);
  j["endedAt"] = rfc3339(r.ended_at);
  j["seconds"] = r.seconds;
  j["elapsed"] = r.elapsed;
  j["ports"] = r.ports;
  j["tier"] = r.tier;
  j["packets"] = {{"in", r.packets.in}, {"out", r.packets.out}, {"dropped", r.packets.dropped}};
  j["bytes"] = {{"in", r.bytes.in}, {"out", r.bytes.out}};
  ordered_json v = ordered_json::object();
  for (size_t i = 0; i < 5; ++i) v[kVerdictNames[i]] = r.verdicts[i];
  j["verdicts"] = v;
  ordered_json d = ordered_json::object();
  for (size_t i = 0; i < kDropCauseCount; ++i) d[kDropCauseNames[i]] = r.drops[i];
  j["drops"] = d;
  j["latency_ns"] = {
      {"p50", r.latency_ns.p50}, {"p99", r.latency_ns.p99}, {"p999", r.latency_ns.p999}};
  ordered_json m = ordered_json::object();
  for (const MapCount& c : r.maps) m[c.name] = {{"type", c.type}, {"entries", c.entries}};
  j["maps"] = m;
  j["message"] = r.message;
  return j;
}

Result<ExecutionRecord> execution_from_json(const nlohmann::json& j) {
  if (!j.is_object())
    return fail(ErrorKind::kInvalidArgument, "execution record: expected a JSON object");
  ExecutionRecord r;
  r.call_id = get_string(j, "callId");
  if (r.call_id.empty())
    return fail(ErrorKind::kInvalidArgument, "execution record: missing \"callId\"");
  r.function = get_string(j, "function");
  r.version = get_u64(j, "version");
  auto st = parse_execution_status(get_string(j, "status"));
  if (!st) return Failure{st.kind(), st.error().context("execution record " + r.call_id)};
  r.status = *st;
  r.queued_at = get_time(j, "queuedAt");
  r.started_at = get_time(j, "startedAt");
  r.ended_at = get_time(j, "endedAt");
  r.seconds = get_double(j, "seconds");
  r.elapsed = get_double(j, "elapsed");
  if (auto it = j.find("ports"); it != j.end() && it->is_array())
    for (const auto& p : *it)
      if (p.is_string()) r.ports.push_back(p.get<std::string>());
  r.tier = get_string(j, "tier");
  if (auto it = j.find("packets"); it != j.end() && it->is_object()) {
    r.packets.in = get_u64(*it, "in");
    r.packets.out = get_u64(*it, "out");
    r.packets.dropped = get_u64(*it, "dropped");
  }
  if (auto it = j.find("bytes"); it != j.end() && it->is_object()) {
    r.bytes.in = get_u64(*it, "in");
    r.bytes.out = get_u64(*it, "out");
  }
  if (auto it = j.find("verdicts"); it != j.end() && it->is_object())
    for (size_t i = 0; i < 5; ++i) r.verdicts[i] = get_u64(*it, kVerdictNames[i]);
  // Records stored before drops were kept read as zeros.
  if (auto it = j.find("drops"); it != j.end() && it->is_object())
    for (size_t i = 0; i < kDropCauseCount; ++i) r.drops[i] = get_u64(*it, kDropCauseNames[i]);
  if (auto it = j.find("latency_ns"); it != j.end() && it->is_object()) {
    r.latency_ns.p50 = get_u64(*it, "p50");
    r.latency_ns.p99 = get_u64(*it, "p99");
    r.latency_ns.p999 = get_u64(*it, "p999");
  }
  if (auto it = j.find("maps"); it != j.end() && it->is_object())
    for (const auto& [name, m] : it->items())
      if (m.is_object()) r.maps.push_back({name, get_string(m, "type"), get_u64(m, "entries")});
  r.message = get_string(j, "message");
  return r;
}

ordered_json to_json(const MapInfo& m) {
  return {{"name", m.name},
          {"type", m.type},
          {"key_size", m.key_size},
          {"value_size", m.value_size},
          {"max_entries", m.max_entries},
          {"entries", m.entries}};
}

ordered_json to_json(const MapDump& d) {
  ordered_json entries = ordered_json::array();
  for (const MapEntry& e : d.entries) {
    if (d.info.percpu)
      entries.push_back({{"key", e.key}, {"values", e.values}});
    else
      entries.push_back({{"key", e.key}, {"value", e.value}});
  }
  return {{"name", d.info.name}, {"type", d.info.type}, {"entries", entries}};
}

Result<MapUpdateFlag> parse_map_update_flag(std::string_view text) {
  if (text.empty() || text == "any") return MapUpdateFlag::kAny;
  if (text == "noexist") return MapUpdateFlag::kNoExist;
  if (text == "exist") return MapUpdateFlag::kExist;
  return fail(ErrorKind::kInvalidArgument,
              "invalid map update flag \"{}\": expected any, noexist or exist", text);
}

ordered_json to_json(const LogLine& l) {
  return {{"name", l.function},
          {"namespace", "ebpfaas"},
          {"instance", l.instance},
          {"timestamp", rfc3339(l.timestamp)},
          {"text", l.text}};
}

}  // namespace ebpfaas::control
