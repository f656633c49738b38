// What the control plane stores and reports: artifacts, functions, execution
// records, maps, log lines, metrics. Plain values, copied out of the service;
// the JSON forms are the ones the HTTP API sends (docs/api.md).
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/result.h"

namespace ebpfaas::control {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// RFC 3339 in UTC with milliseconds: "2024-05-01T12:00:00.123Z"; "" for a
// default-constructed (unset) time.
std::string rfc3339(TimePoint t);
// Accepts RFC 3339 with or without fractional seconds, "Z" or "+hh:mm".
Result<TimePoint> parse_rfc3339(std::string_view text);

// Function names as OpenFaaS allows them: ^[-a-zA-Z_0-9.]+$, at most 63 chars.
// The error reads: invalid function name "a b": must match [-a-zA-Z_0-9.]+
Outcome validate_function_name(std::string_view name);

// ---- artifacts --------------------------------------------------------------

enum class ArtifactKind { kC, kElf };
std::string_view artifact_kind_name(ArtifactKind kind);  // "c", "elf"

struct ArtifactInfo {
  std::string image;  // "sha256:<64 lowercase hex>"
  ArtifactKind kind = ArtifactKind::kC;
  uint64_t size = 0;
  TimePoint created;
  bool created_now = false;  // false: these bytes were stored already (HTTP 200, not 201)
};
// {"image","size","kind"}
nlohmann::ordered_json to_json(const ArtifactInfo& a);

// ---- functions --------------------------------------------------------------

// Annotations the service reads (all optional).
inline constexpr std::string_view kAnnotationSection =
    "com.ebpfaas.section";                                                   // program name/section
inline constexpr std::string_view kAnnotationTime = "com.ebpfaas.time";      // default seconds
inline constexpr std::string_view kAnnotationPorts = "com.ebpfaas.ports";    // "a,b" or "0,1"
inline constexpr std::string_view kAnnotationCflags = "com.ebpfaas.cflags";  // -DX=1 -DY only

using StringMap = std::map<std::string, std::string>;

// A deployment (OpenFaaS FunctionDeployment) or an update of one.
struct FunctionSpec {
  std::string name;
  // "sha256:<hex>" of an uploaded artifact. Deploy: required. Update: empty
  // keeps the current code (an update of annotations/labels only).
  std::string image;
  StringMap labels, annotations, env_vars;
};

// How a function currently runs when executed.
enum class JitState {
  kOff,     // the service runs the interpreter only
  kReady,   // JIT code prepared at deploy time: executions publish it
  kFailed,  // the JIT refused the program: the interpreter runs; jit_message says why
};
std::string_view jit_state_name(JitState s);  // "off", "ready", "failed"

struct FunctionInfo {
  std::string name;
  std::string image;  // of the current version
  StringMap labels, annotations, env_vars;
  uint64_t version = 0;         // 1 at deploy, +1 per update
  std::string section;          // the program's section in the object ("xdp")
  std::string program;          // the program's (function symbol) name
  uint64_t verified_insns = 0;  // the verifier's "processed N insns"
  std::string tier;             // what executions run: "JIT" or "interpreter"
  JitState jit = JitState::kOff;
  // Why the JIT failed (kFailed); or, with an empty tier, why the function could
  // not be restored at start (it is listed but refuses executions until updated).
  std::string jit_message;
  uint32_t replicas = 1;                   // 0: paused, executions are refused (kUnavailable)
  uint64_t invocation_count = 0;           // execution records of this function (all statuses)
  double default_time = 5;                 // seconds, from com.ebpfaas.time
  std::vector<std::string> allowed_ports;  // com.ebpfaas.ports, by port name; empty: all
  TimePoint created_at, updated_at;
  // Running now (its execution's call id), or queued executions waiting.
  std::string running_call_id;
  size_t queued = 0;
};

// ---- executions -------------------------------------------------------------

enum class ExecutionStatus { kQueued, kRunning, kFinished, kCancelled, kFailed, kInterrupted };
// "queued", "running", "finished", "cancelled", "failed", "interrupted"
std::string_view execution_status_name(ExecutionStatus s);
Result<ExecutionStatus> parse_execution_status(std::string_view s);
inline bool is_final(ExecutionStatus s) {
  return s != ExecutionStatus::kQueued && s != ExecutionStatus::kRunning;
}

struct ExecutionRequest {
  std::string function;
  // Seconds the function runs; unset: its com.ebpfaas.time, else the service's
  // default_time. Must lie in [min_time, max_time] (3..300 by default).
  std::optional<double> seconds;
  // Daemon ports by name or index ("0", "in"); empty: the ports the function
  // may use (all unless com.ebpfaas.ports restricts it).
  std::vector<std::string> ports;
  // The caller's X-Call-Id; empty: generated. Must be 1..64 chars of
  // [-a-zA-Z0-9_.:]; one already used is kAlreadyExists.
  std::string call_id;
};

// Why the data plane dropped packets, in the order of dataplane::DropCause
// (control/service.cpp checks it): XDP_DROP, XDP_ABORTED, a return value that
// is no action, nothing published, a redirect to no port, a broadcast
// without targets, XDP_PASS without a host port, a port that refused the
// packet, no buffer for a broadcast copy.
inline constexpr size_t kDropCauseCount = 9;
inline constexpr std::array<const char*, kDropCauseCount> kDropCauseNames = {
    "program",         "aborted",      "invalid_verdict", "no_program",  "unknown_ifindex",
    "empty_broadcast", "pass_no_host", "tx_failed",       "clone_failed"};

struct MapCount {
  std::string name;
  std::string type;  // "hash", "array", ...
  uint64_t entries = 0;
};

// The result JSON of an execution, and its record while queued or running.
// Figures are the difference of the data plane's counters between the
// execution's publication and the next one (a batch in flight on an engine at
// the switch is counted with the program that ran it, up to 32 packets per engine).
struct ExecutionRecord {
  std::string call_id;
  std::string function;
  // Of the function when submitted, then when it started; an update while it
  // runs moves it on to the new version (message says so).
  uint64_t version = 0;
  ExecutionStatus status = ExecutionStatus::kQueued;
  TimePoint queued_at, started_at, ended_at;  // unset until they happen
  double seconds = 0;                         // requested run time
  double elapsed = 0;  // running: so far; ended: started_at..ended_at (X-Duration-Seconds)
  std::vector<std::string> ports;  // port names used
  std::string tier;                // "JIT" or "interpreter"
  struct {
    uint64_t in = 0, out = 0, dropped = 0;
  } packets;
  struct {
    uint64_t in = 0, out = 0;
  } bytes;
  std::array<uint64_t, 5> verdicts{};  // aborted, drop, pass, tx, redirect
  // packets.dropped by cause (kDropCauseNames); they add up to it. A pass
  // verdict without a host port is a drop (pass_no_host), not an output.
  std::array<uint64_t, kDropCauseCount> drops{};
  struct {
    uint64_t p50 = 0, p99 = 0, p999 = 0;
  } latency_ns;
  std::vector<MapCount> maps;  // entries at the end
  std::string message;         // why it failed / was cancelled; notes (JIT fallback)
};

// {"callId","function","version","status","queuedAt","startedAt","endedAt",
//  "seconds","elapsed","ports","tier","packets":{"in","out","dropped"},
//  "bytes":{"in","out"},"verdicts":{"aborted","drop","pass","tx","redirect"},
//  "drops":{"program","aborted",...,"pass_no_host",...} (kDropCauseNames),
//  "latency_ns":{"p50","p99","p999"},"maps":{"<name>":{"type","entries"}},"message"}
// Queued/running records carry "elapsed" and "packets" so far.
nlohmann::ordered_json to_json(const ExecutionRecord& r);
Result<ExecutionRecord> execution_from_json(const nlohmann::json& j);

struct ExecutionQuery {
  std::string function;  // empty: every function
  size_t limit = 100;    // newest first
};

// ---- maps ------------------------------------------------------------------

struct MapInfo {
  std::string name;
  std::string type;  // Linux's name: "hash", "lpm_trie", "percpu_array", ...
  uint32_t key_size = 0, value_size = 0, max_entries = 0;
  uint64_t entries = 0;
  bool percpu = false;
};
// {"name","type","key_size","value_size","max_entries","entries"}
nlohmann::ordered_json to_json(const MapInfo& m);

struct MapEntry {
  std::string key;                  // lowercase hex
  std::string value;                // lowercase hex (not per-CPU)
  std::vector<std::string> values;  // per-CPU maps: one per CPU
};
struct MapDump {
  MapInfo info;
  std::vector<MapEntry> entries;  // sorted by key bytes
};
// {"name","type","entries":[{"key","value"}|{"key","values":[...]}]}
nlohmann::ordered_json to_json(const MapDump& d);

// BPF_ANY, BPF_NOEXIST, BPF_EXIST.
enum class MapUpdateFlag { kAny, kNoExist, kExist };
// "any" | "noexist" | "exist" (also "" = any).
Result<MapUpdateFlag> parse_map_update_flag(std::string_view text);

// ---- logs ------------------------------------------------------------------

struct LogLine {
  uint64_t seq = 0;      // increasing over the service's lifetime
  std::string function;  // "" for the service's own lines
  std::string instance;  // "ebpfaasd" for lifecycle events, "engine" for program output
  TimePoint timestamp;
  std::string text;
};
// {"name","namespace":"ebpfaas","instance","timestamp","text"} (OpenFaaS logs)
nlohmann::ordered_json to_json(const LogLine& l);

struct LogQuery {
  std::string function;  // required: a deployed function, or one with lines left
  size_t tail = 0;       // the last N lines; 0: all kept
  std::optional<TimePoint> since;
};

// ---- metrics ---------------------------------------------------------------

// Upper bounds (seconds) of gateway_functions_seconds' histogram buckets.
inline constexpr std::array<double, 8> kSecondsBuckets = {1, 3, 5, 10, 30, 60, 120, 300};

struct FunctionMetrics {
  std::string name;
  // Ended executions by final status ("finished", "cancelled", "failed",
  // "interrupted"), over the function's lifetime (survives restarts).
  std::map<std::string, uint64_t> invocations;
  // Since the service started, over every execution of the function:
  uint64_t packets_in = 0, packets_out = 0, dropped = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  std::array<uint64_t, 5> verdicts{};             // aborted, drop, pass, tx, redirect
  std::array<uint64_t, kDropCauseCount> drops{};  // dropped by cause (kDropCauseNames)
  uint64_t latency_p50_ns = 0, latency_p99_ns = 0, latency_p999_ns = 0;
  double seconds_sum = 0;  // run time of ended executions
  uint64_t seconds_count = 0;
  std::array<uint64_t, kSecondsBuckets.size()> seconds_buckets{};  // cumulative (le)
};

struct PortMetrics {
  size_t index = 0;
  std::string name;  // what executions and com.ebpfaas.ports call it
  std::string spec;  // as opened ("gen:size=64")
  std::string device;
  uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
  uint64_t rx_dropped = 0, tx_dropped = 0;
};

struct MetricsSnapshot {
  std::vector<FunctionMetrics> functions;  // every deployed function, by name
  std::vector<PortMetrics> ports;          // live counters
  size_t queue_length = 0;                 // executions waiting (not the running one)
  std::string running_function;            // "" when the idle program runs
  std::string running_call_id;
  uint64_t service_count = 0;  // deployed functions
  uint64_t program_swaps = 0;  // publications into the slot
  // Conservation of packets across program swaps: every packet the engines
  // received ran under an execution or under the idle program, none under no
  // program at all.
  uint64_t rx_packets = 0;        // received by the engines since the service started
  uint64_t idle_packets = 0;      // received while the idle program ran
  uint64_t no_program_drops = 0;  // dropped because nothing was published (always 0)
};

}  // namespace ebpfaas::control
