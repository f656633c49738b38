#include "control/service.h"

#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "control/function_log.h"
#include "control/store.h"
#include "dataplane/engine.h"
#include "dataplane/jit_tier.h"
#include "dataplane/memory_port.h"
#include "dataplane/program_slot.h"
#include "loader/compile.h"
#include "loader/load.h"
#include "loader/map_state.h"
#include "support/file.h"
#include "support/hex.h"

namespace ebpfaas::control {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

// The result's drop causes are the data plane's, in its order.
constexpr size_t cause(dataplane::DropCause c) {
  return static_cast<size_t>(c);
}
static_assert(cause(dataplane::DropCause::kCount) == kDropCauseCount);
static_assert(cause(dataplane::DropCause::kProgram) == 0 &&
                  cause(dataplane::DropCause::kAborted) == 1 &&
                  cause(dataplane::DropCause::kInvalidVerdict) == 2 &&
                  cause(dataplane::DropCause::kNoProgram) == 3 &&
                  cause(dataplane::DropCause::kUnknownIfindex) == 4 &&
                  cause(dataplane::DropCause::kEmptyBroadcast) == 5 &&
                  cause(dataplane::DropCause::kPassNoHost) == 6 &&
                  cause(dataplane::DropCause::kTxFailed) == 7 &&
                  cause(dataplane::DropCause::kCloneFailed) == 8,
              "kDropCauseNames (control/records.h) follows dataplane::DropCause");

// ---- small helpers ------------------------------------------------------------

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string item(text.substr(start, end - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::string random_call_id() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}() ^
                             static_cast<uint64_t>(Steady::now().time_since_epoch().count()));
  std::lock_guard lock(mu);
  const uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffull);
}

Outcome validate_call_id(std::string_view id) {
  if (id.empty() || id.size() > 64)
    return fail(ErrorKind::kInvalidArgument, "invalid call id \"{}\": 1 to 64 characters", id);
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
          c == ':'))
      return fail(ErrorKind::kInvalidArgument,
                  "invalid call id \"{}\": must match [-a-zA-Z0-9_.:]+", id);
  return {};
}

Result<double> parse_seconds(std::string_view text, std::string_view where) {
  std::string s(text);
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno != 0 || !(v == v))
    return fail(ErrorKind::kInvalidArgument, "{}: invalid time \"{}\": expected seconds", where,
                text);
  return v;
}

uint64_t count_entries(maps::Map& map) {
  if (map.type() == BPF_MAP_TYPE_PROG_ARRAY) return 0;
  std::vector<uint8_t> key(map.key_size()), next(map.key_size());
  uint64_t n = 0;
  const void* prev = nullptr;
  while (map.next_key(prev, next.data()) == 0) {
    ++n;
    key.swap(next);
    prev = key.data();
    if (n > (1ull << 32)) break;
  }
  return n;
}

// XDP verdicts the idle program can return.
Result<uint32_t> idle_action(std::string_view idle) {
  if (idle == "drop") return uint32_t{XDP_DROP};
  if (idle == "pass") return uint32_t{XDP_PASS};
  if (idle == "tx") return uint32_t{XDP_TX};
  return fail(ErrorKind::kInvalidArgument, "idle \"{}\": expected drop, pass, tx or a function",
              idle);
}

// A built-in program: r0 = action; exit.
Result<std::shared_ptr<const loader::LoadedObject>> builtin_program(uint32_t action,
                                                                    const maps::MapOptions& mo) {
  loader::ObjectFile obj;
  const char* names[] = {"idle_aborted", "idle_drop", "idle_pass", "idle_tx", "idle_redirect"};
  obj.name = action < 5 ? names[action] : "idle";
  obj.license = "GPL";
  loader::ProgramSpec p;
  p.name = obj.name;
  p.section = "xdp";
  p.type = BPF_PROG_TYPE_XDP;
  ebpf::Insn mov;
  mov.opcode = 0xb7;  // BPF_ALU64 | BPF_MOV | BPF_K
  mov.dst = 0;
  mov.imm = static_cast<int32_t>(action);
  ebpf::Insn exit;
  exit.opcode = 0x95;  // BPF_JMP | BPF_EXIT
  p.insns = {mov, exit};
  p.functions = {{p.name, p.section, 0, 2}};
  obj.programs.push_back(std::move(p));
  loader::LoadOptions lo;
  lo.map_options = mo;
  auto loaded = loader::load(obj, lo);
  if (!loaded) return failure_of(loaded);
  return std::shared_ptr<const loader::LoadedObject>(
      std::make_shared<loader::LoadedObject>(std::move(*loaded)));
}

// bpf_trace_printk output reaches the function's log through a trampoline
// around the tier's run function: the engines need not know whose program runs.
struct TracedCode {
  dataplane::PreparedProgram::RunFn fn = nullptr;
  const void* code = nullptr;
  std::shared_ptr<const void> keepalive;
  std::shared_ptr<FunctionLog> log;
};

void trace_sink(void* user, std::string_view line) {
  static_cast<FunctionLog*>(user)->program_line(line);
}

uint32_t run_traced(const void* code, helpers::XdpBuff& buff, helpers::RunContext& rc) {
  const auto* t = static_cast<const TracedCode*>(code);
  rc.trace = trace_sink;
  rc.trace_user = t->log.get();
  return t->fn(t->code, buff, rc);
}

std::unique_ptr<dataplane::PreparedProgram> with_trace(
    std::unique_ptr<dataplane::PreparedProgram> p, std::shared_ptr<FunctionLog> log) {
  auto t = std::make_shared<TracedCode>();
  t->fn = p->run_fn;
  t->code = p->code;
  t->keepalive = p->keepalive;
  t->log = std::move(log);
  p->run_fn = run_traced;
  p->code = t.get();
  p->keepalive = std::move(t);
  return p;
}

std::unique_ptr<dataplane::PreparedProgram> copy_prepared(const dataplane::PreparedProgram& p) {
  auto c = std::make_unique<dataplane::PreparedProgram>(p);
  c->version = 0;
  c->published_tsc = 0;
  return c;
}

// What a snapshot of the data plane's counters holds.
struct Counters {
  dataplane::EngineCounters total;
  std::array<uint64_t, dataplane::LatencyHistogram::kBuckets> latency{};
};

struct Totals {
  uint64_t packets_in = 0, packets_out = 0, dropped = 0, bytes_in = 0, bytes_out = 0;
  std::array<uint64_t, 5> verdicts{};
  std::array<uint64_t, kDropCauseCount> drops{};
  std::array<uint64_t, dataplane::LatencyHistogram::kBuckets> latency{};
  double seconds_sum = 0;
  uint64_t seconds_count = 0;
  std::array<uint64_t, kSecondsBuckets.size()> seconds_buckets{};
  std::map<std::string, uint64_t> invocations;
};

}  // namespace

// ---- the service's state ----------------------------------------------------

namespace service_detail {

// One deployed function: its current version, loaded and prepared.
struct LoadedFunction {
  FunctionRow row;
  VersionRow ver;
  std::shared_ptr<const loader::LoadedObject> object;
  std::unique_ptr<dataplane::PreparedProgram> prepared;  // copied into the slot per publish
  JitState jit = JitState::kOff;
  std::string jit_message;
  double default_time = 5;
  std::vector<size_t> allowed_ports;  // empty: all
  std::shared_ptr<FunctionLog> log;
  std::string broken;  // why it could not be restored (executions refused)
};

struct Job {
  ExecutionRecord rec;
  std::vector<size_t> ports;
  CompletionCallback done;
  bool cancel = false;
  std::string cancel_reason;
  bool finished = false;
  Steady::time_point start_steady;
  Counters start;
  std::array<uint64_t, dataplane::LatencyHistogram::kBuckets> latency{};  // of the run, at its end
};

}  // namespace service_detail

using service_detail::Job;
using service_detail::LoadedFunction;

struct Service::Impl {
  ServiceOptions options;
  std::unique_ptr<Store> store;
  QsbrDomain* qsbr = &QsbrDomain::global();
  std::unique_ptr<dataplane::ProgramSlot> slot;
  std::unique_ptr<dataplane::DataPlane> dp;
  std::vector<std::string> port_names, port_specs;
  std::vector<dataplane::MemoryPort*> memory_ports;
  std::shared_ptr<const loader::LoadedObject> idle_builtin;
  std::unique_ptr<dataplane::PreparedProgram> idle_prepared;

  // Registry (in memory; the store is the durable copy).
  mutable std::mutex mu;
  std::map<std::string, std::shared_ptr<LoadedFunction>, std::less<>> functions;
  std::set<std::string, std::less<>> busy;  // names being deployed, updated or deleted
  std::condition_variable busy_cv;
  std::map<std::string, Totals, std::less<>> totals;
  Logs logs;
  std::mutex saves_mu;

  // Scheduler.
  mutable std::mutex sched_mu;
  std::condition_variable sched_cv;  // the scheduler waits here
  std::condition_variable done_cv;   // waiters of sync executions and of switches
  std::deque<std::shared_ptr<Job>> queue;
  size_t reserved = 0;
  std::shared_ptr<Job> running;
  std::shared_ptr<LoadedFunction> running_fn;
  std::string idle_running;  // function name of the idle program ("" : built-in)
  Counters idle_start;
  uint64_t idle_packets = 0;
  uint64_t swaps = 0;
  uint64_t published = 0;  // the slot version start_next published last
  // Whom the engines' abort lines go to (the running function, else the idle
  // one), under its own lock: an engine must never wait for sched_mu, since
  // the scheduler waits for the engines' quiescent points while holding it.
  mutable std::mutex log_target_mu;
  std::string log_target;
  void retarget_log() {  // sched_mu held (or no engine yet)
    std::lock_guard lock(log_target_mu);
    log_target = running ? running->rec.function : idle_running;
  }
  bool stopping = false;
  std::thread scheduler;
  std::set<std::string> live_call_ids;
  // Jobs taken off the queue or the slot whose final record is being stored:
  // still answered from memory so that no reader sees a stale status.
  std::map<std::string, std::shared_ptr<Job>, std::less<>> ending;

  // Notifier for completion callbacks.
  std::mutex notify_mu;
  std::condition_variable notify_cv;
  std::deque<std::pair<CompletionCallback, ExecutionRecord>> notify_queue;
  bool notify_stop = false;
  std::thread notifier;

  bool shut = false;
  std::atomic<bool> closing{false};
  bool final_ready = false;  // final_metrics holds the counters at shutdown
  MetricsSnapshot final_metrics;

  std::string maps_path(std::string_view name) const {
    return (fs::path(options.state_dir) / "maps" / (std::string(name) + ".json")).string();
  }

  Counters counters() const {
    Counters c;
    c.total = dp->total_counters();
    c.latency = dp->latency();
    return c;
  }
  // At the switch to a version just published: exact packet counts (what
  // every engine did before it took `version`); the latency histogram is
  // read as it is (it is not split by version).
  Counters counters_before(uint64_t version) const {
    Counters c;
    c.total = dp->counters_before(version);
    c.latency = dp->latency();
    return c;
  }

  maps::MapOptions map_options() const {
    maps::MapOptions mo;
    mo.num_cpus = options.engines;
    mo.qsbr = qsbr;
    const size_t nports = port_names.size();
    mo.ifindex_exists = [nports](uint32_t ifindex) { return ifindex >= 1 && ifindex <= nports; };
    return mo;
  }

  Result<size_t> resolve_port(std::string_view p) const {
    for (size_t i = 0; i < port_names.size(); ++i)
      if (port_names[i] == p) return i;
    if (!p.empty() &&
        std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        p.size() < 6) {
      size_t i = std::stoul(std::string(p));
      if (i < port_names.size()) return i;
    }
    std::string names;
    for (size_t i = 0; i < port_names.size(); ++i)
      names += fmt::format("{}{} ({})", i ? ", " : "", i, port_names[i]);
    return fail(ErrorKind::kInvalidArgument, "unknown port \"{}\": the daemon's ports are {}", p,
                names.empty() ? "none" : names);
  }

  // ---- building a function version ------------------------------------------

  struct Built {
    std::shared_ptr<LoadedFunction> fn;
    std::optional<ArtifactInfo> compiled;  // the object made from C
  };

  Result<std::vector<uint8_t>> compile(const FunctionSpec& spec, std::span<const uint8_t> source) {
    loader::CompileOptions co;
    co.clang = options.clang;
    co.timeout_seconds = options.compile_timeout;
    co.include_dirs = options.include_dirs;
    if (auto it = spec.annotations.find(std::string(kAnnotationCflags));
        it != spec.annotations.end()) {
      std::string flags = it->second;
      size_t i = 0;
      while (i < flags.size()) {
        while (i < flags.size() && flags[i] == ' ') ++i;
        size_t j = flags.find(' ', i);
        if (j == std::string::npos) j = flags.size();
        std::string tok = flags.substr(i, j - i);
        i = j;
        if (tok.empty()) continue;
        if (tok.size() < 3 || tok.compare(0, 2, "-D") != 0)
          return fail(ErrorKind::kInvalidArgument,
                      "annotation {}: flag \"{}\" is not allowed (only -DNAME or -DNAME=VALUE)",
                      kAnnotationCflags, tok);
        co.defines.push_back(tok.substr(2));
      }
    }
    const fs::path dir =
        fs::path(options.state_dir) / "build" / fmt::format("{}-{}", spec.name, random_call_id());
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fail(ErrorKind::kInternal, "cannot create {}: {}", dir.string(), ec.message());
    struct Cleanup {
      fs::path d;
      ~Cleanup() {
        std::error_code e;
        fs::remove_all(d, e);
      }
    } cleanup{dir};
    const std::string src = (dir / (spec.name + ".c")).string();
    const std::string obj = (dir / (spec.name + ".o")).string();
    EBPFAAS_CONTROL_TRY(write_file_durable(src, source));
    auto st = loader::compile_c(src, obj, co);
    if (!st) {
      // The user's file is "<name>.c", not our scratch path.
      std::string msg = st.error().message();
      const std::string prefix = dir.string() + "/";
      for (size_t pos; (pos = msg.find(prefix)) != std::string::npos;)
        msg.erase(pos, prefix.size());
      while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
      return fail(ErrorKind::kInvalidArgument, "{}", msg);
    }
    auto bytes = read_file(obj);
    if (!bytes) return failure_of(bytes);
    return std::move(*bytes);
  }

  // Validates the annotations the service reads into fn.
  Outcome read_annotations(const StringMap& annotations, LoadedFunction& fn) {
    fn.default_time = options.default_time;
    if (auto it = annotations.find(std::string(kAnnotationTime)); it != annotations.end()) {
      auto t = parse_seconds(it->second, fmt::format("annotation {}", kAnnotationTime));
      if (!t) return failure_of(t);
      if (*t < options.min_time || *t > options.max_time)
        return fail(ErrorKind::kInvalidArgument,
                    "annotation {}: time {} is out of range: must be between {} and {} seconds",
                    kAnnotationTime, it->second, options.min_time, options.max_time);
      fn.default_time = *t;
    }
    fn.allowed_ports.clear();
    if (auto it = annotations.find(std::string(kAnnotationPorts)); it != annotations.end()) {
      for (const std::string& p : split_list(it->second)) {
        auto i = resolve_port(p);
        if (!i)
          return Failure{i.kind(),
                         i.error().context(fmt::format("annotation {}", kAnnotationPorts))};
        fn.allowed_ports.push_back(*i);
      }
    }
    return {};
  }

  // Loads `object_bytes` as version `ver` of a function (maps carried over
  // from `reuse`), verified and prepared.
  Outcome load_version(LoadedFunction& fn, std::span<const uint8_t> object_bytes,
                       const loader::MapSet* reuse) {
    auto obj = loader::open_object_bytes(object_bytes, fn.row.name);
    if (!obj) return Failure{ErrorKind::kInvalidArgument, obj.error()};
    std::string want;
    if (auto it = fn.row.annotations.find(std::string(kAnnotationSection));
        it != fn.row.annotations.end()) {
      want = it->second;
      if (!obj->find_program(want))
        return fail(ErrorKind::kInvalidArgument,
                    "{}: annotation {}: no program or section \"{}\" in the object", fn.row.name,
                    kAnnotationSection, want);
    } else {
      for (const auto& p : obj->programs)
        if (p.autoload && (p.type == 0 || p.type == BPF_PROG_TYPE_XDP)) {
          want = p.name;
          break;
        }
      if (want.empty())
        return fail(ErrorKind::kInvalidArgument, "{}: the object has no XDP program", fn.row.name);
    }
    loader::LoadOptions lo;
    lo.map_options = map_options();
    lo.reuse = reuse;
    lo.programs = {want};
    auto loaded = loader::load(*obj, lo);
    if (!loaded) return Failure{ErrorKind::kInvalidArgument, loaded.error()};
    auto object = std::shared_ptr<const loader::LoadedObject>(
        std::make_shared<loader::LoadedObject>(std::move(*loaded)));
    const loader::LoadedProgram* prog = object->find(want);
    if (!prog)
      return fail(ErrorKind::kInvalidArgument, "{}: program \"{}\" did not load", fn.row.name,
                  want);
    if (!prog->verified)
      return fail(ErrorKind::kInvalidArgument, "{}: program \"{}\" is not verified", fn.row.name,
                  want);
    fn.ver.section = prog->section;
    fn.ver.program = prog->name;
    fn.ver.verified_insns = prog->verification.insns_processed;
    std::unique_ptr<dataplane::PreparedProgram> prepared;
    fn.jit = JitState::kOff;
    fn.jit_message.clear();
    if (options.jit) {
      auto j = dataplane::prepare_jit(object, prog->name);
      if (j) {
        prepared = std::move(*j);
        fn.jit = JitState::kReady;
      } else {
        fn.jit = JitState::kFailed;
        fn.jit_message = j.error().message();
      }
    }
    if (!prepared) {
      auto i = dataplane::prepare_interpreted(object, prog->name);
      if (!i) return Failure{ErrorKind::kInvalidArgument, i.error()};
      prepared = std::move(*i);
    }
    fn.object = object;
    fn.prepared = with_trace(std::move(prepared), fn.log);
    return {};
  }

  // Everything but storing: the artifact read (and compiled), loaded, verified
  // and prepared.
  Result<Built> build(const FunctionSpec& spec, uint64_t version, const loader::MapSet* reuse,
                      TimePoint now, TimePoint created) {
    Built b;
    b.fn = std::make_shared<LoadedFunction>();
    LoadedFunction& fn = *b.fn;
    fn.row.name = spec.name;
    fn.row.version = version;
    fn.row.labels = spec.labels;
    fn.row.annotations = spec.annotations;
    fn.row.env_vars = spec.env_vars;
    fn.row.created = created;
    fn.row.updated = now;
    fn.ver.function = spec.name;
    fn.ver.version = version;
    fn.ver.image = spec.image;
    fn.ver.created = now;
    fn.log = logs.get(spec.name);
    EBPFAAS_CONTROL_TRY(read_annotations(spec.annotations, fn));
    auto info = store->artifact(spec.image);
    if (!info) {
      if (info.kind() == ErrorKind::kNotFound)
        return fail(ErrorKind::kInvalidArgument,
                    "unknown image \"{}\": upload it first (POST /system/artifacts)", spec.image);
      return failure_of(info);
    }
    auto bytes = store->read_artifact(spec.image);
    if (!bytes) return failure_of(bytes);
    std::vector<uint8_t> object_bytes;
    if (info->kind == ArtifactKind::kC) {
      auto compiled = compile(spec, *bytes);
      if (!compiled) return failure_of(compiled);
      object_bytes = std::move(*compiled);
      fn.ver.object = image_of(object_bytes);
    } else {
      object_bytes = std::move(*bytes);
      fn.ver.object = spec.image;
    }
    EBPFAAS_CONTROL_TRY(load_version(fn, object_bytes, reuse));
    if (info->kind == ArtifactKind::kC) {
      auto stored = store->put_artifact(object_bytes);
      if (!stored) return failure_of(stored);
      b.compiled = *stored;
    }
    return b;
  }

  // A stored function back in memory (restart).
  std::shared_ptr<LoadedFunction> restore(const FunctionRow& row) {
    auto fn = std::make_shared<LoadedFunction>();
    fn->row = row;
    fn->log = logs.get(row.name);
    auto ver = store->version(row.name, row.version);
    auto why = [&]() -> Outcome {
      if (!ver) return failure_of(ver);
      fn->ver = *ver;
      EBPFAAS_CONTROL_TRY(read_annotations(row.annotations, *fn));
      auto object = store->read_artifact(ver->object);
      std::vector<uint8_t> bytes;
      if (object) {
        bytes = std::move(*object);
      } else {
        // The cached object is gone: compile the source again.
        auto src = store->read_artifact(ver->image);
        if (!src) return failure_of(src);
        FunctionSpec spec{row.name, ver->image, row.labels, row.annotations, row.env_vars};
        auto compiled = compile(spec, *src);
        if (!compiled) return failure_of(compiled);
        bytes = std::move(*compiled);
        (void)store->put_artifact(bytes);
      }
      EBPFAAS_CONTROL_TRY(load_version(*fn, bytes, nullptr));
      auto st = loader::restore_state(*fn->object->maps, maps_path(row.name));
      if (!st) return failure_of(st);
      return {};
    }();
    if (!why) {
      fn->broken = why.error().message();
      fn->log->event(fmt::format("not restored: {}", fn->broken));
    } else {
      fn->log->event(
          fmt::format("restored v{} ({}, {})", row.version, fn->ver.program, fn->prepared->tier));
    }
    return fn;
  }

  Outcome save_maps(const LoadedFunction& fn) {
    if (!fn.object) return {};
    std::error_code ec;
    fs::create_directories(fs::path(options.state_dir) / "maps", ec);
    // One writer at a time: save_state's temporary file is named per process.
    std::lock_guard lock(saves_mu);
    auto st = loader::save_state(*fn.object->maps, maps_path(fn.row.name));
    if (!st) {
      fn.log->event("saving maps failed: " + st.error().message());
      return failure_of(st);
    }
    return {};
  }

  FunctionInfo info_of(const LoadedFunction& fn) const {
    FunctionInfo i;
    i.name = fn.row.name;
    i.image = fn.ver.image;
    i.labels = fn.row.labels;
    i.annotations = fn.row.annotations;
    i.env_vars = fn.row.env_vars;
    i.version = fn.row.version;
    i.section = fn.ver.section;
    i.program = fn.ver.program;
    i.verified_insns = fn.ver.verified_insns;
    i.tier = fn.prepared ? fn.prepared->tier : "";
    i.jit = fn.jit;
    i.jit_message = fn.broken.empty() ? fn.jit_message : fn.broken;
    i.replicas = fn.row.replicas;
    i.default_time = fn.default_time;
    for (size_t p : fn.allowed_ports) i.allowed_ports.push_back(port_names[p]);
    i.created_at = fn.row.created;
    i.updated_at = fn.row.updated;
    if (auto t = totals.find(fn.row.name); t != totals.end())
      for (const auto& [status, n] : t->second.invocations) i.invocation_count += n;
    return i;
  }

  // Adds what the scheduler knows (running, queued) to an info.
  void add_schedule(FunctionInfo& i) const {
    std::lock_guard lock(sched_mu);
    if (running && running->rec.function == i.name) {
      i.running_call_id = running->rec.call_id;
      ++i.invocation_count;
    }
    for (const auto& j : queue)
      if (j->rec.function == i.name) ++i.queued, ++i.invocation_count;
  }

  // Waits until no other operation holds `name`, then holds it.
  void hold(std::unique_lock<std::mutex>& lock, std::string_view name) {
    busy_cv.wait(lock, [&] { return busy.find(name) == busy.end(); });
    busy.emplace(name);
  }
  void release(std::string_view name) {
    std::lock_guard lock(mu);
    busy.erase(busy.find(name));
    busy_cv.notify_all();
  }

  // ---- scheduling -----------------------------------------------------------

  // The idle program to publish (sched_mu held).
  std::unique_ptr<dataplane::PreparedProgram> idle_program(std::string* name) {
    if (options.idle != "drop" && options.idle != "pass" && options.idle != "tx") {
      std::lock_guard lock(mu);
      auto it = functions.find(options.idle);
      if (it != functions.end() && it->second->prepared) {
        *name = options.idle;
        return copy_prepared(*it->second->prepared);
      }
    }
    name->clear();
    return copy_prepared(*idle_prepared);
  }

  void fill_figures(ExecutionRecord& r, const Counters& a, const Counters& b) const {
    const auto& x = a.total;
    const auto& y = b.total;
    r.packets.in = y.rx_packets - x.rx_packets;
    r.packets.out = y.tx_packets - x.tx_packets;
    r.packets.dropped = y.drops_total() - x.drops_total();
    r.bytes.in = y.rx_bytes - x.rx_bytes;
    r.bytes.out = y.tx_bytes - x.tx_bytes;
    for (size_t i = 0; i < 5; ++i) r.verdicts[i] = y.verdicts[i] - x.verdicts[i];
    for (size_t i = 0; i < kDropCauseCount; ++i) r.drops[i] = y.drops[i] - x.drops[i];
    std::array<uint64_t, dataplane::LatencyHistogram::kBuckets> h;
    for (size_t i = 0; i < h.size(); ++i) h[i] = b.latency[i] - a.latency[i];
    r.latency_ns.p50 = dataplane::latency_quantile(h, 0.5);
    r.latency_ns.p99 = dataplane::latency_quantile(h, 0.99);
    r.latency_ns.p999 = dataplane::latency_quantile(h, 0.999);
  }

  // Starts the first queued job (sched_mu held). Returns false when none.
  bool start_next(const Counters& now_counters, TimePoint now,
                  std::vector<std::shared_ptr<Job>>& started) {
    while (!queue.empty()) {
      std::shared_ptr<Job> job = queue.front();
      queue.pop_front();
      std::shared_ptr<LoadedFunction> fn;
      {
        std::lock_guard lock(mu);
        auto it = functions.find(job->rec.function);
        if (it != functions.end()) fn = it->second;
      }
      if (!fn || !fn->prepared) {
        job->rec.status = ExecutionStatus::kFailed;
        job->rec.message = fn ? "function could not be restored: " + fn->broken
                              : "function was deleted before it ran";
        job->rec.ended_at = now;
        ending[job->rec.call_id] = job;
        started.push_back(job);  // reported as ended by the caller
        continue;
      }
      published = slot->publish(copy_prepared(*fn->prepared));
      ++swaps;
      job->start = now_counters;
      job->start_steady = Steady::now();
      job->rec.status = ExecutionStatus::kRunning;
      job->rec.started_at = now;
      job->rec.version = fn->row.version;
      job->rec.tier = fn->prepared->tier;
      running = job;
      running_fn = fn;
      retarget_log();
      started.push_back(job);
      return true;
    }
    return false;
  }

  void scheduler_loop() {
    std::unique_lock lock(sched_mu);
    for (;;) {
      if (running) {
        const auto deadline =
            running->start_steady + std::chrono::duration_cast<Steady::duration>(
                                        std::chrono::duration<double>(running->rec.seconds));
        sched_cv.wait_until(lock, deadline, [&] {
          return stopping || running->cancel || Steady::now() >= deadline;
        });
      } else {
        sched_cv.wait(lock, [&] { return stopping || !queue.empty(); });
      }
      if (stopping && !running) break;
      // The switch: the next program (or the idle one) is published before
      // the counters are read, so the ended execution's figures stop where
      // the next one's start.
      std::shared_ptr<Job> ended = running;
      std::shared_ptr<LoadedFunction> ended_fn = running_fn;
      running.reset();
      running_fn.reset();
      std::vector<std::shared_ptr<Job>> started;
      bool busy_now = false;
      Counters snap;
      const bool was_idle = !ended;
      const TimePoint switch_time = Clock::now();  // one end is the other's start
      if (!stopping) {
        snap = counters();
        busy_now = start_next(snap, switch_time, started);
        if (busy_now) {
          snap = counters_before(published);
          running->start = snap;
        }
      }
      if (!busy_now) {
        std::string idle_name;
        const uint64_t idle_version = slot->publish(idle_program(&idle_name));
        ++swaps;
        idle_running = idle_name;
        retarget_log();
        snap = counters_before(idle_version);
      }
      if (was_idle) idle_packets += snap.total.rx_packets - idle_start.total.rx_packets;
      if (!busy_now) idle_start = snap;
      if (ended) {
        ending[ended->rec.call_id] = ended;
        ended->rec.ended_at = switch_time;
        ended->rec.elapsed =
            std::chrono::duration<double>(Steady::now() - ended->start_steady).count();
        fill_figures(ended->rec, ended->start, snap);
        for (size_t i = 0; i < ended->latency.size(); ++i)
          ended->latency[i] = snap.latency[i] - ended->start.latency[i];
        if (ended_fn && ended_fn->object)
          for (const auto& m : ended_fn->object->maps->all())
            if (m->type() != BPF_MAP_TYPE_PROG_ARRAY)
              ended->rec.maps.push_back(
                  {m->name(), maps::map_type_name(m->type()), count_entries(*m)});
        if (ended->cancel) {
          ended->rec.status = ended->cancel_reason == "service shutting down"
                                  ? ExecutionStatus::kFinished
                                  : ExecutionStatus::kCancelled;
          ended->rec.message = ended->cancel_reason;
        } else {
          ended->rec.status = ExecutionStatus::kFinished;
        }
      }
      std::vector<ExecutionRecord> started_recs;  // copies: update() may edit the live one
      std::vector<std::shared_ptr<Job>> failed;
      for (auto& j : started)
        (is_final(j->rec.status) ? failed.push_back(j) : started_recs.push_back(j->rec));
      lock.unlock();
      if (ended) finish(ended, ended_fn);
      for (auto& j : failed) finish(j, nullptr);
      for (const ExecutionRecord& r : started_recs) {
        (void)store->put_execution(r);
        log_event(r.function, fmt::format("execution {} started (v{}, {} s, {})", r.call_id,
                                          r.version, r.seconds, r.tier));
      }
      lock.lock();
      if (stopping && !running) break;
    }
  }

  void log_event(const std::string& function, std::string text) {
    logs.get(function)->event(std::move(text));
  }

  // An ended job: maps saved, record stored, metrics, waiters and callback.
  void finish(const std::shared_ptr<Job>& job, const std::shared_ptr<LoadedFunction>& fn) {
    ExecutionRecord r;
    {
      std::lock_guard lock(sched_mu);  // readers copy job->rec under it
      r = job->rec;
    }
    if (fn && fn->object) (void)save_maps(*fn);
    if (auto st = store->put_execution(r); !st)
      log_event(r.function,
                "storing the record of " + r.call_id + " failed: " + st.error().message());
    {
      std::lock_guard lock(mu);
      Totals& t = totals[r.function];
      t.invocations[std::string(execution_status_name(r.status))]++;
      t.packets_in += r.packets.in;
      t.packets_out += r.packets.out;
      t.dropped += r.packets.dropped;
      t.bytes_in += r.bytes.in;
      t.bytes_out += r.bytes.out;
      for (size_t i = 0; i < 5; ++i) t.verdicts[i] += r.verdicts[i];
      for (size_t i = 0; i < kDropCauseCount; ++i) t.drops[i] += r.drops[i];
      for (size_t i = 0; i < t.latency.size(); ++i) t.latency[i] += job->latency[i];
      if (r.started_at != TimePoint{}) {
        t.seconds_sum += r.elapsed;
        ++t.seconds_count;
        for (size_t i = 0; i < kSecondsBuckets.size(); ++i)
          if (r.elapsed <= kSecondsBuckets[i]) ++t.seconds_buckets[i];
      }
    }
    log_event(
        r.function,
        fmt::format("execution {} {}: {:.3f} s, {} packets in, {} out, {} dropped{}{}", r.call_id,
                    execution_status_name(r.status), r.elapsed, r.packets.in, r.packets.out,
                    r.packets.dropped, r.message.empty() ? "" : ": ", r.message));
    CompletionCallback done;
    {
      std::lock_guard lock(sched_mu);
      job->rec = r;
      job->finished = true;
      live_call_ids.erase(r.call_id);
      ending.erase(r.call_id);
      done = std::move(job->done);
    }
    done_cv.notify_all();
    if (done) {
      std::lock_guard lock(notify_mu);
      notify_queue.emplace_back(std::move(done), r);
      notify_cv.notify_one();
    }
  }

  void notifier_loop() {
    std::unique_lock lock(notify_mu);
    for (;;) {
      notify_cv.wait(lock, [&] { return notify_stop || !notify_queue.empty(); });
      if (notify_queue.empty() && notify_stop) return;
      auto [fn, rec] = std::move(notify_queue.front());
      notify_queue.pop_front();
      lock.unlock();
      try {
        fn(rec);
      } catch (...) {
      }
      lock.lock();
    }
  }

  // The live record of a queued or running job (sched_mu held).
  ExecutionRecord progress(const Job& j) const {
    ExecutionRecord r = j.rec;
    if (running.get() == &j) {
      r.elapsed = std::chrono::duration<double>(Steady::now() - j.start_steady).count();
      fill_figures(r, j.start, counters());
    }
    return r;
  }

  MetricsSnapshot snapshot_metrics() const {
    MetricsSnapshot m;
    {
      std::lock_guard lock(mu);
      for (const auto& [name, fn] : functions) {
        FunctionMetrics f;
        f.name = name;
        if (auto it = totals.find(name); it != totals.end()) {
          const Totals& t = it->second;
          f.invocations = t.invocations;
          f.packets_in = t.packets_in;
          f.packets_out = t.packets_out;
          f.dropped = t.dropped;
          f.bytes_in = t.bytes_in;
          f.bytes_out = t.bytes_out;
          f.verdicts = t.verdicts;
          f.drops = t.drops;
          f.seconds_sum = t.seconds_sum;
          f.seconds_count = t.seconds_count;
          f.seconds_buckets = t.seconds_buckets;
          f.latency_p50_ns = dataplane::latency_quantile(t.latency, 0.5);
          f.latency_p99_ns = dataplane::latency_quantile(t.latency, 0.99);
          f.latency_p999_ns = dataplane::latency_quantile(t.latency, 0.999);
        }
        m.functions.push_back(std::move(f));
      }
      m.service_count = functions.size();
    }
    m.ports = port_metrics();
    std::lock_guard lock(sched_mu);
    m.queue_length = queue.size();
    if (running) {
      m.running_function = running->rec.function;
      m.running_call_id = running->rec.call_id;
    }
    m.program_swaps = swaps;
    const Counters c = counters();
    m.idle_packets =
        idle_packets + (running ? 0 : c.total.rx_packets - idle_start.total.rx_packets);
    m.rx_packets = c.total.rx_packets;
    m.no_program_drops = c.total.drops[static_cast<size_t>(dataplane::DropCause::kNoProgram)];
    return m;
  }

  std::vector<PortMetrics> port_metrics() const {
    std::vector<PortMetrics> out;
    for (size_t i = 0; i < dp->port_count(); ++i) {
      const dataplane::Port& p = dp->port(i);
      const dataplane::PortStats s = p.stats();
      PortMetrics pm;
      pm.index = i;
      pm.name = port_names[i];
      pm.spec = port_specs[i];
      pm.device = p.device();
      pm.rx_packets = s.rx_packets;
      pm.rx_bytes = s.rx_bytes;
      pm.tx_packets = s.tx_packets;
      pm.tx_bytes = s.tx_bytes;
      pm.rx_dropped = s.rx_dropped;
      pm.tx_dropped = s.tx_dropped;
      out.push_back(std::move(pm));
    }
    return out;
  }

  Result<std::shared_ptr<LoadedFunction>> find(std::string_view name) const {
    std::lock_guard lock(mu);
    auto it = functions.find(name);
    if (it == functions.end()) return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
    return it->second;
  }

  Result<std::shared_ptr<maps::Map>> find_map(std::string_view function,
                                              std::string_view map) const {
    auto fn = find(function);
    if (!fn) return failure_of(fn);
    if (!(*fn)->object)
      return fail(ErrorKind::kUnavailable, "function \"{}\" is not loaded: {}", function,
                  (*fn)->broken);
    auto m = (*fn)->object->maps->find(map);
    if (!m) return fail(ErrorKind::kNotFound, "function \"{}\" has no map \"{}\"", function, map);
    return m;
  }
};

// ---- Service ------------------------------------------------------------------

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Service::~Service() {
  (void)shutdown();
}

const ServiceOptions& Service::options() const {
  return impl_->options;
}

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
  if (options.state_dir.empty())
    return fail(ErrorKind::kInvalidArgument, "no state directory given");
  if (options.engines == 0) options.engines = 1;
  if (options.min_time <= 0 || options.min_time > options.max_time)
    return fail(ErrorKind::kInvalidArgument, "time range {}..{} s is invalid", options.min_time,
                options.max_time);
  if (options.default_time < options.min_time || options.default_time > options.max_time)
    return fail(ErrorKind::kInvalidArgument,
                "default time {} s is out of range: must be between {} and {} seconds",
                options.default_time, options.min_time, options.max_time);
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.options = options;
  auto store = Store::open(options.state_dir);
  if (!store) return failure_of(store);
  s.store = std::move(*store);
  std::error_code ec;
  fs::create_directories(fs::path(options.state_dir) / "maps", ec);
  fs::create_directories(fs::path(options.state_dir) / "logs", ec);
  fs::remove_all(fs::path(options.state_dir) / "build", ec);
  s.logs.open((fs::path(options.state_dir) / "logs").string(), options.log_lines);
  auto interrupted = s.store->mark_interrupted(Clock::now());
  if (!interrupted) return failure_of(interrupted);

  // Ports.
  std::vector<std::unique_ptr<dataplane::Port>> ports;
  for (size_t i = 0; i < options.ports.size(); ++i) {
    std::string text = options.ports[i];
    std::string name = fmt::format("port{}", i);
    const size_t colon = text.find(':');
    const size_t eq = text.find('=');
    if (eq != std::string::npos && (colon == std::string::npos || eq < colon)) {
      name = text.substr(0, eq);
      text = text.substr(eq + 1);
      if (name.empty() ||
          std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(ErrorKind::kInvalidArgument,
                    "port {} \"{}\": a port name must not be empty or a number", i,
                    options.ports[i]);
    }
    for (const auto& n : s.port_names)
      if (n == name)
        return fail(ErrorKind::kInvalidArgument, "port {} \"{}\": name \"{}\" used twice", i,
                    options.ports[i], name);
    if (text == "memory") {
      auto mp =
          std::make_unique<dataplane::MemoryPort>(name, static_cast<uint16_t>(options.engines));
      s.memory_ports.push_back(mp.get());
      ports.push_back(std::move(mp));
    } else {
      auto p = dataplane::open_port(text, {.queues = static_cast<uint16_t>(options.engines)});
      if (!p)
        return Failure{ErrorKind::kInvalidArgument, p.error().context(fmt::format("port {}", i))};
      s.memory_ports.push_back(nullptr);
      ports.push_back(std::move(*p));
    }
    s.port_names.push_back(name);
    s.port_specs.push_back(text);
  }

  // The idle program.
  const bool builtin_idle =
      options.idle == "drop" || options.idle == "pass" || options.idle == "tx";
  if (!builtin_idle) {
    if (auto v = validate_function_name(options.idle); !v)
      return fail(ErrorKind::kInvalidArgument,
                  "idle \"{}\": expected drop, pass, tx or a function name", options.idle);
  }
  auto idle = builtin_program(builtin_idle ? *idle_action(options.idle) : uint32_t{XDP_DROP},
                              s.map_options());
  if (!idle) return failure_of(idle);
  s.idle_builtin = *idle;
  auto idle_prep = dataplane::prepare_interpreted(s.idle_builtin);
  if (!idle_prep) return failure_of(idle_prep);
  s.idle_prepared = std::move(*idle_prep);

  // Functions and metrics from the store.
  auto rows = s.store->functions();
  if (!rows) return failure_of(rows);
  for (const FunctionRow& row : *rows) s.functions[row.name] = s.restore(row);
  if (auto counts = s.store->execution_counts())
    for (const auto& [fn, by_status] : *counts)
      for (const auto& [status, n] : by_status) s.totals[fn].invocations[status] = n;

  // The data plane, with the idle program before any packet arrives.
  s.slot = std::make_unique<dataplane::ProgramSlot>(*s.qsbr);
  std::string idle_name;
  s.slot->publish(s.idle_program(&idle_name));
  s.idle_running = idle_name;
  s.retarget_log();
  dataplane::DataPlaneOptions dpo;
  dpo.engines = options.engines;
  dpo.pin = options.pin_engines;
  // Aborts reach the running function's log (rate-limited there); the engines stop
  // formatting them after this many, so an aborting program cannot slow them for long.
  dpo.max_logged_aborts = 100000;
  Impl* self = &s;
  dpo.log = [self](std::string_view line) {
    std::string fn;
    {
      std::lock_guard lock(self->log_target_mu);
      fn = self->log_target;
    }
    self->logs.get(fn)->program_line(line);
  };
  s.dp = std::make_unique<dataplane::DataPlane>(std::move(ports), *s.slot, std::move(dpo));
  s.idle_start = s.counters();  // zero: the idle program runs from the first packet on
  if (auto st = s.dp->start(); !st) return failure_of(st);
  s.scheduler = std::thread([self] { self->scheduler_loop(); });
  s.notifier = std::thread([self] { self->notifier_loop(); });
  if (*interrupted)
    s.logs.get("")->event(fmt::format("{} executions marked interrupted", *interrupted));
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

Outcome Service::shutdown() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.sched_mu);
    if (s.shut) return {};
    s.shut = true;
    s.closing = true;
  }
  std::vector<std::shared_ptr<Job>> cancelled;
  {
    std::lock_guard lock(s.sched_mu);
    s.stopping = true;
    for (auto& j : s.queue) {
      j->rec.status = ExecutionStatus::kCancelled;
      j->rec.message = "service shutting down";
      j->rec.ended_at = Clock::now();
      cancelled.push_back(j);
      s.ending[j->rec.call_id] = j;
    }
    s.queue.clear();
    if (s.running) {
      s.running->cancel = true;
      s.running->cancel_reason = "service shutting down";
    }
    s.sched_cv.notify_all();
  }
  for (auto& j : cancelled) s.finish(j, nullptr);
  if (s.scheduler.joinable()) s.scheduler.join();
  {
    std::lock_guard lock(s.notify_mu);
    s.notify_stop = true;
    s.notify_cv.notify_all();
  }
  if (s.notifier.joinable()) s.notifier.join();
  Outcome result;
  {
    std::vector<std::shared_ptr<LoadedFunction>> fns;
    {
      std::lock_guard lock(s.mu);
      for (auto& [n, f] : s.functions) fns.push_back(f);
    }
    for (auto& f : fns)
      if (auto st = s.save_maps(*f); !st && result) result = st;
  }
  {
    MetricsSnapshot m = s.snapshot_metrics();
    s.dp->stop();
    const Counters c = s.counters();  // engines stopped: every packet counted
    m.rx_packets = c.total.rx_packets;
    m.idle_packets = s.idle_packets + c.total.rx_packets - s.idle_start.total.rx_packets;
    m.no_program_drops = c.total.drops[static_cast<size_t>(dataplane::DropCause::kNoProgram)];
    m.ports = s.port_metrics();
    std::lock_guard lock(s.sched_mu);
    s.final_metrics = std::move(m);
    s.final_ready = true;
  }
  if (auto st = s.dp->close_ports(); !st && result) result = failure_of(st);
  s.logs.event("", "service stopped");
  return result;
}

// ---- artifacts -------------------------------------------------------------------

Result<ArtifactInfo> Service::put_artifact(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return fail(ErrorKind::kInvalidArgument, "artifact: empty body");
  if (bytes.size() > impl_->options.max_upload)
    return fail(ErrorKind::kTooLarge, "artifact: {} bytes is more than the limit of {} bytes",
                bytes.size(), impl_->options.max_upload);
  return impl_->store->put_artifact(bytes);
}

Result<ArtifactInfo> Service::artifact_info(std::string_view image) const {
  return impl_->store->artifact(image);
}

Result<std::vector<uint8_t>> Service::get_artifact(std::string_view image) const {
  return impl_->store->read_artifact(image);
}

// ---- functions ---------------------------------------------------------------------

Result<FunctionInfo> Service::deploy(const FunctionSpec& spec) {
  Impl& s = *impl_;
  EBPFAAS_CONTROL_TRY(validate_function_name(spec.name));
  if (spec.image.empty())
    return fail(ErrorKind::kInvalidArgument, "function \"{}\": no image given", spec.name);
  if (auto d = image_digest(spec.image); !d) return failure_of(d);
  {
    std::unique_lock lock(s.mu);
    if (s.closing.load()) return fail(ErrorKind::kUnavailable, "the service is shutting down");
    if (s.functions.count(spec.name) || s.busy.count(spec.name))
      return fail(ErrorKind::kAlreadyExists, "function \"{}\" already exists", spec.name);
    s.busy.insert(spec.name);
  }
  struct Release {
    Impl& s;
    const std::string& n;
    ~Release() { s.release(n); }
  } release{s, spec.name};
  const TimePoint now = Clock::now();
  auto built = s.build(spec, 1, nullptr, now, now);
  if (!built) return failure_of(built);
  std::shared_ptr<LoadedFunction> fn = built->fn;
  EBPFAAS_CONTROL_TRY(s.store->insert_function(fn->row, fn->ver));
  // A function deployed again under an old name starts with fresh maps.
  std::error_code ec;
  fs::remove(s.maps_path(spec.name), ec);
  (void)s.save_maps(*fn);
  FunctionInfo info;
  {
    std::lock_guard lock(s.mu);
    s.functions[spec.name] = fn;
    info = s.info_of(*fn);
  }
  fn->log->event(
      fmt::format("deployed v1: {} program {} (section {}), {} insns verified, {}{}", spec.image,
                  fn->ver.program, fn->ver.section, fn->ver.verified_insns, fn->prepared->tier,
                  fn->jit == JitState::kFailed ? "; JIT failed: " + fn->jit_message : ""));
  // The idle function, deployed now, takes over an idle data plane.
  if (s.options.idle == spec.name) {
    std::lock_guard lock(s.sched_mu);
    if (!s.running && !s.stopping) {
      s.slot->publish(copy_prepared(*fn->prepared));
      ++s.swaps;
      s.idle_running = spec.name;
      s.retarget_log();
    }
  }
  return info;
}

Result<FunctionInfo> Service::update(const FunctionSpec& spec) {
  Impl& s = *impl_;
  EBPFAAS_CONTROL_TRY(validate_function_name(spec.name));
  std::shared_ptr<LoadedFunction> cur;
  {
    std::unique_lock lock(s.mu);
    if (!s.functions.count(spec.name))
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", spec.name);
    s.hold(lock, spec.name);
    auto it = s.functions.find(spec.name);
    if (it == s.functions.end()) {
      s.busy.erase(spec.name);
      s.busy_cv.notify_all();
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", spec.name);
    }
    cur = it->second;
  }
  struct Release {
    Impl& s;
    const std::string& n;
    ~Release() { s.release(n); }
  } release{s, spec.name};
  FunctionSpec next = spec;
  if (next.image.empty()) next.image = cur->ver.image;
  if (auto d = image_digest(next.image); !d) return failure_of(d);
  const TimePoint now = Clock::now();
  auto built = s.build(next, cur->row.version + 1, cur->object ? cur->object->maps.get() : nullptr,
                       now, cur->row.created);
  if (!built) return failure_of(built);
  std::shared_ptr<LoadedFunction> fn = built->fn;
  fn->row.replicas = cur->row.replicas;
  EBPFAAS_CONTROL_TRY(s.store->add_version(fn->row, fn->ver));
  FunctionInfo info;
  {
    std::lock_guard lock(s.mu);
    s.functions[spec.name] = fn;
    info = s.info_of(*fn);
  }
  // Running now: the new version takes over at once (zero downtime).
  bool live = false;
  {
    std::lock_guard lock(s.sched_mu);
    if (s.running && s.running->rec.function == spec.name) {
      s.slot->publish(copy_prepared(*fn->prepared));
      ++s.swaps;
      s.running_fn = fn;
      s.running->rec.message = fmt::format("updated from v{} to v{} while running",
                                           s.running->rec.version, fn->row.version);
      s.running->rec.version = fn->row.version;
      s.running->rec.tier = fn->prepared->tier;
      live = true;
    } else if (!s.running && !s.stopping && s.idle_running == spec.name) {
      s.slot->publish(copy_prepared(*fn->prepared));
      ++s.swaps;
      live = true;
    }
  }
  (void)s.save_maps(*fn);
  fn->log->event(fmt::format("updated to v{}: {} program {}, {} insns verified, {}{}",
                             fn->row.version, next.image, fn->ver.program, fn->ver.verified_insns,
                             fn->prepared->tier, live ? " (published while running)" : ""));
  return info;
}

Outcome Service::remove(std::string_view name) {
  Impl& s = *impl_;
  std::shared_ptr<LoadedFunction> cur;
  {
    std::unique_lock lock(s.mu);
    if (!s.functions.count(name))
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
    s.hold(lock, name);
    auto it = s.functions.find(name);
    if (it == s.functions.end()) {
      s.busy.erase(s.busy.find(name));
      s.busy_cv.notify_all();
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
    }
    cur = it->second;
  }
  const std::string n(name);
  struct Release {
    Impl& s;
    const std::string& n;
    ~Release() { s.release(n); }
  } release{s, n};
  // Stop it: queued executions cancelled, the running one ended.
  std::vector<std::shared_ptr<Job>> cancelled;
  {
    std::unique_lock lock(s.sched_mu);
    for (auto it = s.queue.begin(); it != s.queue.end();) {
      if ((*it)->rec.function == name) {
        (*it)->rec.status = ExecutionStatus::kCancelled;
        (*it)->rec.message = "function deleted";
        (*it)->rec.ended_at = Clock::now();
        cancelled.push_back(*it);
        s.ending[(*it)->rec.call_id] = *it;
        it = s.queue.erase(it);
      } else {
        ++it;
      }
    }
    std::shared_ptr<Job> run = s.running;
    if (run && run->rec.function == name) {
      run->cancel = true;
      run->cancel_reason = "function deleted";
      s.sched_cv.notify_all();
      s.done_cv.wait(lock, [&] { return run->finished; });
    }
  }
  for (auto& j : cancelled) s.finish(j, nullptr);
  EBPFAAS_CONTROL_TRY(s.store->delete_function(name));
  {
    std::lock_guard lock(s.mu);
    s.functions.erase(s.functions.find(name));
  }
  {
    // The idle program was this function: back to the built-in one.
    std::lock_guard lock(s.sched_mu);
    if (!s.running && !s.stopping && s.idle_running == name) {
      std::string idle_name;
      s.slot->publish(s.idle_program(&idle_name));
      ++s.swaps;
      s.idle_running = idle_name;
      s.retarget_log();
    }
  }
  std::error_code ec;
  fs::remove(s.maps_path(name), ec);
  cur->log->event("deleted");
  return {};
}

std::vector<FunctionInfo> Service::list_functions() const {
  std::vector<FunctionInfo> out;
  {
    std::lock_guard lock(impl_->mu);
    for (const auto& [name, fn] : impl_->functions) out.push_back(impl_->info_of(*fn));
  }
  for (auto& i : out) impl_->add_schedule(i);
  return out;
}

Result<FunctionInfo> Service::function(std::string_view name) const {
  FunctionInfo info;
  {
    std::lock_guard lock(impl_->mu);
    auto it = impl_->functions.find(name);
    if (it == impl_->functions.end())
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
    info = impl_->info_of(*it->second);
  }
  impl_->add_schedule(info);
  return info;
}

Result<FunctionInfo> Service::scale(std::string_view name, uint32_t replicas) {
  Impl& s = *impl_;
  const std::string n(name);
  std::shared_ptr<LoadedFunction> fn;
  {
    std::unique_lock lock(s.mu);
    if (!s.functions.count(name))
      return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
    s.hold(lock, name);
    auto it = s.functions.find(name);
    if (it != s.functions.end()) fn = it->second;
  }
  struct Release {
    Impl& s;
    const std::string& n;
    ~Release() { s.release(n); }
  } release{s, n};
  if (!fn) return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
  // The registry lock is not held across the commit; holding the name keeps
  // updates and deletes of it out.
  const TimePoint now = Clock::now();
  EBPFAAS_CONTROL_TRY(s.store->set_replicas(name, replicas, now));
  FunctionInfo info;
  {
    std::lock_guard lock(s.mu);
    fn->row.replicas = replicas;
    fn->row.updated = now;
    info = s.info_of(*fn);
  }
  fn->log->event(fmt::format("scaled to {} replicas", replicas));
  return info;
}

// ---- executions --------------------------------------------------------------------

Result<std::string> Service::submit(const ExecutionRequest& request, CompletionCallback done) {
  Impl& s = *impl_;
  auto fnr = s.find(request.function);
  if (!fnr) return failure_of(fnr);
  std::shared_ptr<LoadedFunction> fn = *fnr;
  if (!fn->broken.empty())
    return fail(ErrorKind::kUnavailable, "function \"{}\" is not loaded: {}", request.function,
                fn->broken);
  uint32_t replicas;
  {
    std::lock_guard lock(s.mu);  // scale() writes it
    replicas = fn->row.replicas;
  }
  if (replicas == 0)
    return fail(ErrorKind::kUnavailable, "function \"{}\" is scaled to 0 replicas",
                request.function);
  const double seconds = request.seconds ? *request.seconds : fn->default_time;
  if (!(seconds >= s.options.min_time && seconds <= s.options.max_time))
    return fail(ErrorKind::kInvalidArgument, "invalid time {}: must be between {} and {} seconds",
                seconds, s.options.min_time, s.options.max_time);
  auto job = std::make_shared<Job>();
  if (request.ports.empty()) {
    if (fn->allowed_ports.empty())
      for (size_t i = 0; i < s.port_names.size(); ++i) job->ports.push_back(i);
    else
      job->ports = fn->allowed_ports;
  } else {
    for (const std::string& p : request.ports) {
      auto i = s.resolve_port(p);
      if (!i) return failure_of(i);
      if (!fn->allowed_ports.empty() &&
          std::find(fn->allowed_ports.begin(), fn->allowed_ports.end(), *i) ==
              fn->allowed_ports.end()) {
        std::string allowed;
        for (size_t a : fn->allowed_ports)
          allowed += (allowed.empty() ? "" : ",") + s.port_names[a];
        return fail(ErrorKind::kInvalidArgument, "function \"{}\" may not use port \"{}\" ({}: {})",
                    request.function, p, kAnnotationPorts, allowed);
      }
      if (std::find(job->ports.begin(), job->ports.end(), *i) == job->ports.end())
        job->ports.push_back(*i);
    }
  }
  ExecutionRecord& r = job->rec;
  r.call_id = request.call_id.empty() ? random_call_id() : request.call_id;
  EBPFAAS_CONTROL_TRY(validate_call_id(r.call_id));
  r.function = request.function;
  r.version = fn->row.version;
  r.status = ExecutionStatus::kQueued;
  r.queued_at = Clock::now();
  r.seconds = seconds;
  r.tier = fn->prepared ? fn->prepared->tier : "";
  for (size_t p : job->ports) r.ports.push_back(s.port_names[p]);
  job->done = std::move(done);
  {
    std::lock_guard lock(s.sched_mu);
    if (s.stopping) return fail(ErrorKind::kUnavailable, "the service is shutting down");
    if (s.queue.size() + s.reserved >= s.options.queue_limit)
      return fail(ErrorKind::kUnavailable, "queue full: {} executions waiting (limit {})",
                  s.queue.size() + s.reserved, s.options.queue_limit);
    if (!s.live_call_ids.insert(r.call_id).second)
      return fail(ErrorKind::kAlreadyExists, "call id \"{}\" is already used", r.call_id);
    ++s.reserved;
  }
  auto st = s.store->insert_execution(r);
  std::lock_guard lock(s.sched_mu);
  --s.reserved;
  if (!st) {
    s.live_call_ids.erase(r.call_id);
    return failure_of(st);
  }
  if (s.stopping) {
    // Stored as queued: the next start marks it interrupted.
    s.live_call_ids.erase(r.call_id);
    return fail(ErrorKind::kUnavailable, "the service is shutting down");
  }
  s.queue.push_back(job);
  s.sched_cv.notify_all();
  return r.call_id;
}

Result<ExecutionRecord> Service::execute(const ExecutionRequest& request, const WaitOptions& wait) {
  Impl& s = *impl_;
  auto id = submit(request, {});
  if (!id) return failure_of(id);
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(s.sched_mu);
    if (s.running && s.running->rec.call_id == *id) job = s.running;
    for (auto& j : s.queue)
      if (j->rec.call_id == *id) job = j;
  }
  if (!job) return execution(*id);  // already ended
  const auto begin = Steady::now();
  bool gave_up = false;
  std::unique_lock lock(s.sched_mu);
  while (!job->finished) {
    s.done_cv.wait_for(lock, std::chrono::milliseconds(50));
    if (job->finished || gave_up) continue;
    const bool timed_out = wait.timeout.count() > 0 && Steady::now() - begin >= wait.timeout;
    lock.unlock();
    const bool cancelled = wait.cancelled && wait.cancelled();
    lock.lock();
    if (timed_out || cancelled) {
      gave_up = true;
      const std::string why = timed_out ? "the caller's wait timed out" : "the caller went away";
      auto it = std::find(s.queue.begin(), s.queue.end(), job);
      if (it != s.queue.end()) {
        s.queue.erase(it);
        job->rec.status = ExecutionStatus::kCancelled;
        job->rec.message = why;
        job->rec.ended_at = Clock::now();
        s.ending[job->rec.call_id] = job;
        lock.unlock();
        s.finish(job, nullptr);
        lock.lock();
      } else if (s.running == job) {
        job->cancel = true;
        job->cancel_reason = why;
        s.sched_cv.notify_all();
      }
    }
  }
  return job->rec;
}

Outcome Service::cancel(std::string_view call_id) {
  Impl& s = *impl_;
  std::shared_ptr<Job> queued;
  {
    std::lock_guard lock(s.sched_mu);
    if (s.running && s.running->rec.call_id == call_id) {
      s.running->cancel = true;
      s.running->cancel_reason = "cancelled";
      s.sched_cv.notify_all();
      return {};
    }
    for (auto it = s.queue.begin(); it != s.queue.end(); ++it)
      if ((*it)->rec.call_id == call_id) {
        queued = *it;
        s.queue.erase(it);
        queued->rec.status = ExecutionStatus::kCancelled;
        queued->rec.message = "cancelled";
        queued->rec.ended_at = Clock::now();
        s.ending[queued->rec.call_id] = queued;
        break;
      }
  }
  if (!queued)
    return fail(ErrorKind::kNotFound, "execution \"{}\" is not queued or running", call_id);
  s.finish(queued, nullptr);
  return {};
}

Result<ExecutionRecord> Service::execution(std::string_view call_id) const {
  {
    std::lock_guard lock(impl_->sched_mu);
    if (impl_->running && impl_->running->rec.call_id == call_id)
      return impl_->progress(*impl_->running);
    for (const auto& j : impl_->queue)
      if (j->rec.call_id == call_id) return impl_->progress(*j);
    if (auto it = impl_->ending.find(call_id); it != impl_->ending.end()) return it->second->rec;
  }
  return impl_->store->execution(call_id);
}

Result<std::vector<ExecutionRecord>> Service::executions(const ExecutionQuery& query) const {
  std::vector<ExecutionRecord> live;
  std::set<std::string> live_ids;
  {
    std::lock_guard lock(impl_->sched_mu);
    auto add = [&](const Job& j) {
      if (!query.function.empty() && j.rec.function != query.function) return;
      live.push_back(impl_->progress(j));
      live_ids.insert(j.rec.call_id);
    };
    for (auto it = impl_->queue.rbegin(); it != impl_->queue.rend(); ++it) add(**it);
    if (impl_->running) add(*impl_->running);
    for (const auto& [id, j] : impl_->ending) add(*j);
  }
  auto stored = impl_->store->executions(query.function, query.limit + live.size());
  if (!stored) return failure_of(stored);
  std::vector<ExecutionRecord> out = std::move(live);
  for (auto& r : *stored)
    if (!live_ids.count(r.call_id)) out.push_back(std::move(r));
  if (out.size() > query.limit) out.resize(query.limit);
  return out;
}

// ---- maps ----------------------------------------------------------------------

Result<std::vector<MapInfo>> Service::maps(std::string_view function) const {
  auto fn = impl_->find(function);
  if (!fn) return failure_of(fn);
  if (!(*fn)->object)
    return fail(ErrorKind::kUnavailable, "function \"{}\" is not loaded: {}", function,
                (*fn)->broken);
  std::vector<MapInfo> out;
  for (const auto& m : (*fn)->object->maps->all()) {
    MapInfo i;
    i.name = m->name();
    i.type = maps::map_type_name(m->type());
    i.key_size = m->key_size();
    i.value_size = m->value_size();
    i.max_entries = m->max_entries();
    i.entries = count_entries(*m);
    i.percpu = m->percpu();
    out.push_back(std::move(i));
  }
  return out;
}

Result<MapDump> Service::dump_map(std::string_view function, std::string_view map) const {
  auto m = impl_->find_map(function, map);
  if (!m) return failure_of(m);
  maps::Map& mp = **m;
  MapDump d;
  d.info.name = mp.name();
  d.info.type = maps::map_type_name(mp.type());
  d.info.key_size = mp.key_size();
  d.info.value_size = mp.value_size();
  d.info.max_entries = mp.max_entries();
  d.info.percpu = mp.percpu();
  const nlohmann::ordered_json j = loader::dump_map(mp);
  if (auto it = j.find("entries"); it != j.end() && it->is_array())
    for (const auto& e : *it) {
      MapEntry me;
      me.key = e.value("key", "");
      if (e.contains("values"))
        for (const auto& v : e["values"]) me.values.push_back(v.get<std::string>());
      else
        me.value = e.value("value", "");
      d.entries.push_back(std::move(me));
    }
  d.info.entries = d.entries.size();
  return d;
}

namespace {

Result<std::vector<uint8_t>> parse_sized_hex(std::string_view text, uint32_t size,
                                             std::string_view what, const maps::Map& m) {
  auto bytes = parse_hex(text);
  if (!bytes)
    return fail(ErrorKind::kInvalidArgument, "map {}: {}: {}", m.name(), what,
                bytes.error().message());
  if (bytes->size() != size)
    return fail(ErrorKind::kInvalidArgument, "map {}: {} is {} bytes, the map's is {} bytes",
                m.name(), what, bytes->size(), size);
  return std::move(*bytes);
}

Failure map_errno(long rc, const maps::Map& m, std::string_view key_hex) {
  switch (-rc) {
    case ENOENT:
      return fail(ErrorKind::kNotFound, "map {}: no entry with key {}", m.name(), key_hex);
    case EEXIST:
      return fail(ErrorKind::kAlreadyExists, "map {}: key {} already exists", m.name(), key_hex);
    case E2BIG:
      return fail(ErrorKind::kInvalidArgument, "map {}: map full ({} entries) or key out of range",
                  m.name(), m.max_entries());
    case EPERM:
      return fail(ErrorKind::kInvalidArgument, "map {}: frozen, the control plane may not write",
                  m.name());
    default:
      return fail(ErrorKind::kInvalidArgument, "map {}: {} (error {})", m.name(),
                  std::strerror(static_cast<int>(-rc)), rc);
  }
}

}  // namespace

Outcome Service::update_map(std::string_view function, std::string_view map,
                            std::string_view key_hex, std::string_view value_hex,
                            MapUpdateFlag flag) {
  auto m = impl_->find_map(function, map);
  if (!m) return failure_of(m);
  maps::Map& mp = **m;
  if (mp.type() == BPF_MAP_TYPE_PROG_ARRAY)
    return fail(ErrorKind::kInvalidArgument, "map {}: prog arrays hold programs, not data",
                mp.name());
  auto key = parse_sized_hex(key_hex, mp.key_size(), "key", mp);
  if (!key) return failure_of(key);
  auto value = parse_sized_hex(value_hex, mp.user_value_size(), "value", mp);
  if (!value) return failure_of(value);
  const uint64_t flags = flag == MapUpdateFlag::kAny       ? BPF_ANY
                         : flag == MapUpdateFlag::kNoExist ? BPF_NOEXIST
                                                           : BPF_EXIST;
  const long rc = mp.user_update(key->data(), value->data(), flags);
  if (rc != 0) return map_errno(rc, mp, key_hex);
  if (auto fn = impl_->find(function)) (void)impl_->save_maps(**fn);
  return {};
}

Outcome Service::delete_map_entry(std::string_view function, std::string_view map,
                                  std::string_view key_hex) {
  auto m = impl_->find_map(function, map);
  if (!m) return failure_of(m);
  maps::Map& mp = **m;
  auto key = parse_sized_hex(key_hex, mp.key_size(), "key", mp);
  if (!key) return failure_of(key);
  const long rc = mp.user_delete(key->data());
  if (rc != 0) return map_errno(rc, mp, key_hex);
  if (auto fn = impl_->find(function)) (void)impl_->save_maps(**fn);
  return {};
}

// ---- logs, metrics -------------------------------------------------------------

Result<std::vector<LogLine>> Service::logs(const LogQuery& query) const {
  bool known;
  {
    std::lock_guard lock(impl_->mu);
    known = impl_->functions.count(query.function) > 0;
  }
  auto lines = impl_->logs.lines(query.function, query.tail, query.since);
  if (!known && !impl_->logs.has(query.function))
    return fail(ErrorKind::kNotFound, "function \"{}\" not found", query.function);
  return lines;
}

uint64_t Service::subscribe_logs(std::string function, std::function<void(const LogLine&)> sink) {
  return impl_->logs.subscribe(std::move(function), std::move(sink));
}

void Service::unsubscribe_logs(uint64_t id) {
  impl_->logs.unsubscribe(id);
}

MetricsSnapshot Service::metrics() const {
  {
    std::lock_guard lock(impl_->sched_mu);
    if (impl_->final_ready) return impl_->final_metrics;
  }
  return impl_->snapshot_metrics();
}

std::vector<PortMetrics> Service::ports() const {
  return impl_->port_metrics();
}

dataplane::MemoryPort* Service::memory_port(size_t index) {
  return index < impl_->memory_ports.size() ? impl_->memory_ports[index] : nullptr;
}

}  // namespace ebpfaas::control
