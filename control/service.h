// The ebpfaas service: a function registry and artifact store (SQLite and
// content-addressed files under a state directory), and an agent that owns one
// data plane (ports, engines, a program slot) with a scheduler that
// time-shares it among execution requests. Front ends (the HTTP API, tests)
// call it from any number of threads at once.
//
// State directory:
//   STATE/ebpfaas.db                SQLite (WAL): artifacts, functions, versions, executions
//   STATE/artifacts/sha256/<hex>    uploaded sources/objects (and compiled objects of C
//                                   sources), written to a temporary file, fsync'd, renamed
//   STATE/maps/<function>.json      the function's maps (loader/map_state.h), saved after
//                                   every execution, on update and on shutdown
//   STATE/logs/<function>.log       the function's log lines, appended
//
//   ServiceOptions o;
//   o.state_dir = "/var/lib/ebpfaas";
//   o.ports = {"in=gen:size=64", "out=pcap:out=/tmp/out.pcap"};
//   auto svc = Service::open(o);
//   auto art = (*svc)->put_artifact(bytes);                    // C source or ELF
//   (*svc)->deploy({.name = "fw", .image = art->image});
//   auto rec = (*svc)->execute({.function = "fw", .seconds = 5});  // blocks 5 s
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/records.h"
#include "control/result.h"

namespace ebpfaas::dataplane {
class MemoryPort;
}

namespace ebpfaas::control {

struct ServiceOptions {
  std::string state_dir;  // created if missing
  // Daemon ports, "[NAME=]SPEC": SPEC as dataplane::open_port takes it
  // (gen:..., pcap:..., iface:..., dpdk:...) or "memory" (an in-memory port
  // fed through memory_port()). Without NAME= a port is called "port<i>".
  // Executions name them by name or by index.
  std::vector<std::string> ports;
  uint32_t engines = 1;
  bool pin_engines = false;  // pin engine threads to CPUs
  bool jit = true;           // prepare the JIT tier at deploy; false: interpreter only
  // What runs while no execution does: "drop" (default), "pass", "tx", or the
  // name of a deployed function (the drop program when it is not deployed).
  std::string idle = "drop";
  size_t queue_limit = 64;                // waiting executions; beyond: kUnavailable
  uint64_t max_upload = 16u << 20;        // artifact bytes; beyond: kTooLarge
  double default_time = 5;                // seconds, when neither request nor annotation says
  double min_time = 3, max_time = 300;    // tests lower min_time; the daemon keeps 3..300
  size_t log_lines = 1000;                // kept in memory per function
  std::string clang = "clang-16";         // compiles C artifacts
  std::vector<std::string> include_dirs;  // extra -I for C artifacts
  // Seconds one compile may take; beyond, clang is killed and the deploy (or
  // update) fails naming the limit (kInvalidArgument). 0: no limit.
  double compile_timeout = 60;
};

// Called once when an asynchronous execution ends (finished, cancelled,
// failed), on the service's notifier thread (callbacks run one after another:
// a slow one delays the next, never the scheduler).
using CompletionCallback = std::function<void(const ExecutionRecord&)>;

// Sync executions: how long the caller waits and how it gives up. When the
// wait ends early the execution is cancelled (its record says so).
struct WaitOptions {
  std::chrono::milliseconds timeout{0};  // 0: until the execution ends
  std::function<bool()> cancelled;       // polled ~20 times a second (client gone?)
};

class Service {
 public:
  // Opens (or creates) the state directory, restores every function (reload
  // its artifact, compile C again unless its object is cached, load, verify,
  // prepare, refill maps from STATE/maps), marks executions that were queued
  // or running when the previous service died as "interrupted", opens the
  // ports and starts the data plane with the idle program and the scheduler.
  // A function that no longer loads is kept in the registry and logged; the
  // others come back.
  static Result<std::unique_ptr<Service>> open(ServiceOptions options);
  // shutdown()
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Stops taking requests (kUnavailable), cancels queued executions, ends the
  // running one now (status "finished" with the time it ran, message
  // "service shutting down"), saves every function's maps, stops the data
  // plane and closes the ports. Idempotent.
  Outcome shutdown();

  const ServiceOptions& options() const;

  // ---- artifacts --------------------------------------------------------------
  // Stores bytes (C source, or an ELF object: detected by its magic) under
  // their SHA-256. Empty or larger than max_upload: kInvalidArgument /
  // kTooLarge; disk full: kInternal naming the path.
  Result<ArtifactInfo> put_artifact(std::span<const uint8_t> bytes);
  Result<ArtifactInfo> artifact_info(std::string_view image) const;
  Result<std::vector<uint8_t>> get_artifact(std::string_view image) const;

  // ---- functions --------------------------------------------------------------
  // Deploys version 1: compile (kind c; errors carry clang's diagnostics with
  // the function's name as the file name), load, verify (errors carry the
  // verifier's message: pc, instruction, registers), prepare the interpreter
  // and the JIT (a JIT failure falls back to the interpreter, recorded in
  // FunctionInfo::jit_message), store. Name taken (also by a concurrent
  // deploy): kAlreadyExists; unknown image: kInvalidArgument ("unknown image").
  Result<FunctionInfo> deploy(const FunctionSpec& spec);
  // A new version: new image and/or labels/annotations/envVars (replaced as a
  // whole). Maps whose name and definition match are carried over with their
  // contents. When the function is executing, the new version is published at
  // once and the execution continues with it. Unknown: kNotFound.
  Result<FunctionInfo> update(const FunctionSpec& spec);
  // Cancels its queued executions, ends the running one (status "cancelled"),
  // frees its programs and maps, deletes its registry rows and map state;
  // finished execution records stay. Unknown: kNotFound.
  Outcome remove(std::string_view name);
  std::vector<FunctionInfo> list_functions() const;  // by name
  Result<FunctionInfo> function(std::string_view name) const;
  // replicas 0 pauses the function (executions refused with kUnavailable;
  // queued ones still run), >= 1 makes it available again.
  Result<FunctionInfo> scale(std::string_view name, uint32_t replicas);

  // ---- executions -------------------------------------------------------------
  // Queues the request and blocks until the execution ends; the record says
  // how it ended. Unknown function: kNotFound; bad time or ports:
  // kInvalidArgument; queue full, paused, shutting down: kUnavailable.
  Result<ExecutionRecord> execute(const ExecutionRequest& request, const WaitOptions& wait = {});
  // Queues the request and returns its call id at once; `done` (optional) is
  // called when it ends. Same errors as execute().
  Result<std::string> submit(const ExecutionRequest& request, CompletionCallback done = {});
  // Cancels a queued or running execution; kNotFound if unknown or already ended.
  Outcome cancel(std::string_view call_id);
  // One record: queued/running ones with progress (elapsed, packets so far).
  Result<ExecutionRecord> execution(std::string_view call_id) const;
  // Newest first (queued and running ones first of all).
  Result<std::vector<ExecutionRecord>> executions(const ExecutionQuery& query) const;

  // ---- maps of a function (the live ones, also while it runs) -----------------
  Result<std::vector<MapInfo>> maps(std::string_view function) const;
  Result<MapDump> dump_map(std::string_view function, std::string_view map) const;
  // Key and value in hex. Wrong size: kInvalidArgument; -EEXIST: kAlreadyExists;
  // -ENOENT: kNotFound; -E2BIG (map full): kInvalidArgument ("map full").
  Outcome update_map(std::string_view function, std::string_view map, std::string_view key_hex,
                     std::string_view value_hex, MapUpdateFlag flag = MapUpdateFlag::kAny);
  Outcome delete_map_entry(std::string_view function, std::string_view map,
                           std::string_view key_hex);

  // ---- logs -------------------------------------------------------------------
  // The function's kept lines (bpf_trace_printk output, aborts, lifecycle
  // events), oldest first. Unknown function with no lines: kNotFound.
  Result<std::vector<LogLine>> logs(const LogQuery& query) const;
  // Calls `sink` with every new line of `function` ("" : every function), from
  // the thread that produced it (an engine, the scheduler): keep it short.
  // Returns an id for unsubscribe_logs; after unsubscribe returns the sink is
  // no longer called.
  uint64_t subscribe_logs(std::string function, std::function<void(const LogLine&)> sink);
  void unsubscribe_logs(uint64_t id);

  // ---- metrics and ports ------------------------------------------------------
  MetricsSnapshot metrics() const;
  std::vector<PortMetrics> ports() const;
  // The in-memory port at `index` (a "memory" port spec), or null.
  dataplane::MemoryPort* memory_port(size_t index);

 private:
  struct Impl;
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ebpfaas::control
