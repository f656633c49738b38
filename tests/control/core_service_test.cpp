// The service: deploy (C and ELF), update with maps carried over, delete while
// running, the scheduler's back-to-back executions, restart, limits.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "control/service.h"
#include "control/store.h"
#include "dataplane/memory_port.h"
#include "tests/control/core_test_util.h"

namespace ebpfaas::control {
namespace {

using namespace std::chrono_literals;
using testing::frame_from;
using testing::kCompileError;
using testing::kVerifierReject;
using testing::nf_object;
using testing::nf_source;
using testing::StateDirTest;

constexpr const char* kPrintk = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int chatty(struct xdp_md *ctx)
{
	char fmt[] = "packet of %d bytes";
	bpf_trace_printk(fmt, sizeof(fmt), (int)(ctx->data_end - ctx->data));
	return XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
)";

class CoreServiceTest : public StateDirTest {
 protected:
  ServiceOptions options(std::vector<std::string> ports = {"in=gen:size=64,flows=16"}) {
    ServiceOptions o;
    o.state_dir = state();
    o.ports = std::move(ports);
    o.min_time = 0.05;
    o.default_time = 0.3;
    o.jit = false;  // the JIT tier has its own tests; here it only costs time
    return o;
  }
  std::unique_ptr<Service> open(const ServiceOptions& o) {
    auto s = Service::open(o);
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
  std::string upload(Service& s, const std::vector<uint8_t>& data) {
    auto a = s.put_artifact(data);
    EXPECT_TRUE(a) << a.error().message();
    return a ? a->image : "";
  }
  Result<FunctionInfo> deploy_file(Service& s, const std::string& name, const std::string& path,
                                   StringMap annotations = {}) {
    return s.deploy({name, upload(s, slurp(path)), {}, std::move(annotations), {}});
  }
  // Waits until the execution runs.
  static void wait_running(Service& s, const std::string& id) {
    for (int i = 0; i < 500; ++i) {
      auto r = s.execution(id);
      if (r && r->status != ExecutionStatus::kQueued) return;
      std::this_thread::sleep_for(10ms);
    }
    FAIL() << id << " never started";
  }
};

TEST_F(CoreServiceTest, DeployElfAndC) {
  auto s = open(options());
  ASSERT_TRUE(s);
  auto elf = deploy_file(*s, "wire", nf_object("wire"));
  ASSERT_TRUE(elf) << elf.error().message();
  EXPECT_EQ(elf->version, 1u);
  EXPECT_EQ(elf->section, "xdp");
  EXPECT_GT(elf->verified_insns, 0u);
  EXPECT_EQ(elf->tier, "interpreter");
  auto c = deploy_file(*s, "router", nf_source("ipv4_router"));
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_GT(c->verified_insns, 0u);
  auto list = s->list_functions();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].name, "router");
  EXPECT_EQ(list[1].name, "wire");
  // Same name again: 409.
  auto again = deploy_file(*s, "wire", nf_object("wire"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.kind(), ErrorKind::kAlreadyExists);
  // Bad names and images.
  auto bad = s->deploy({"a b", elf->image, {}, {}, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.kind(), ErrorKind::kInvalidArgument);
  auto unknown = s->deploy({"x", "sha256:" + std::string(64, 'a'), {}, {}, {}});
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(unknown.error().message().find("unknown image"), std::string::npos);
}

TEST_F(CoreServiceTest, JitPreparedAtDeploy) {
  ServiceOptions o = options();
  o.jit = true;
  auto s = open(o);
  ASSERT_TRUE(s);
  auto f = deploy_file(*s, "wire", nf_object("wire"));
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->jit, JitState::kReady) << f->jit_message;
  EXPECT_EQ(f->tier, "JIT");
  auto r = s->execute({"wire", 0.2, {}, ""});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->tier, "JIT");
  EXPECT_GT(r->packets.in, 0u);
}

TEST_F(CoreServiceTest, CompileErrorCarriesTheDiagnostic) {
  auto s = open(options());
  ASSERT_TRUE(s);
  auto r = s->deploy({"broken", upload(*s, bytes(kCompileError)), {}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.kind(), ErrorKind::kInvalidArgument);
  const std::string& m = r.error().message();
  EXPECT_NE(m.find("broken.c:7:"), std::string::npos) << m;
  EXPECT_NE(m.find("error:"), std::string::npos) << m;
  EXPECT_EQ(m.find(state()), std::string::npos) << "scratch paths leak: " << m;
  EXPECT_TRUE(s->list_functions().empty());
  // The name is free again.
  EXPECT_TRUE(deploy_file(*s, "broken", nf_object("wire")));
}

TEST_F(CoreServiceTest, VerifierErrorCarriesTheMessage) {
  auto s = open(options());
  ASSERT_TRUE(s);
  auto r = s->deploy({"unsafe", upload(*s, bytes(kVerifierReject)), {}, {}, {}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(r.error().message().find("pc "), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("packet"), std::string::npos) << r.error().message();
  EXPECT_EQ(s->function("unsafe").kind(), ErrorKind::kNotFound);
}

TEST_F(CoreServiceTest, ConcurrentDeploysOfOneNameHaveOneWinner) {
  auto s = open(options());
  ASSERT_TRUE(s);
  const std::string image = upload(*s, slurp(nf_object("l2_learning_switch")));
  std::atomic<int> won{0}, exists{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto r = s->deploy({"switch", image, {}, {}, {}});
      if (r)
        ++won;
      else if (r.kind() == ErrorKind::kAlreadyExists)
        ++exists;
      else
        ++other;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(won, 1);
  EXPECT_EQ(exists, 7);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(s->list_functions().size(), 1u);
  EXPECT_EQ(s->function("switch")->version, 1u);
}

// The learning switch's table survives an update made while it runs, and the
// execution goes on with the new version.
TEST_F(CoreServiceTest, UpdateWhileRunningKeepsTheTable) {
  auto s = open(options({"a=memory", "b=memory"}));
  ASSERT_TRUE(s);
  ASSERT_TRUE(deploy_file(*s, "switch", nf_object("l2_learning_switch")));
  auto id = s->submit({"switch", 1.5, {}, "learn-1"}, {});
  ASSERT_TRUE(id) << id.error().message();
  wait_running(*s, *id);
  dataplane::MemoryPort* a = s->memory_port(0);
  ASSERT_NE(a, nullptr);
  for (uint8_t h = 1; h <= 5; ++h) a->inject(0, frame_from(h));
  auto entries = [&] {
    auto d = s->dump_map("switch", "mac_table");
    return d ? d->entries.size() : size_t{0};
  };
  for (int i = 0; i < 200 && entries() < 5; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(entries(), 5u);
  // v2: same code from C source; the table is carried over.
  auto up = s->update(
      {"switch", upload(*s, slurp(nf_source("l2_learning_switch"))), {}, {{"note", "v2"}}, {}});
  ASSERT_TRUE(up) << up.error().message();
  EXPECT_EQ(up->version, 2u);
  EXPECT_EQ(entries(), 5u);
  for (uint8_t h = 6; h <= 8; ++h) a->inject(0, frame_from(h));
  for (int i = 0; i < 200 && entries() < 8; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(entries(), 8u);
  auto r = s->execution(*id);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ExecutionStatus::kRunning);
  EXPECT_EQ(r->version, 2u);
  // Maps: list, update, delete, errors.
  auto maps = s->maps("switch");
  ASSERT_TRUE(maps);
  ASSERT_EQ(maps->size(), 2u);
  EXPECT_EQ((*maps)[0].name, "mac_table");
  EXPECT_EQ((*maps)[0].entries, 8u);
  const std::string key =
      "020000000009"
      "0000";
  EXPECT_TRUE(
      s->update_map("switch", "mac_table", key, "0200000000000000", MapUpdateFlag::kNoExist));
  auto dup = s->update_map("switch", "mac_table", key, "0200000000000000", MapUpdateFlag::kNoExist);
  EXPECT_EQ(dup.kind(), ErrorKind::kAlreadyExists);
  EXPECT_EQ(s->update_map("switch", "mac_table", "00", "00").kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(s->update_map("switch", "nope", key, "00").kind(), ErrorKind::kNotFound);
  EXPECT_TRUE(s->delete_map_entry("switch", "mac_table", key));
  EXPECT_EQ(s->delete_map_entry("switch", "mac_table", key).kind(), ErrorKind::kNotFound);
  // The execution ends and records the table.
  for (int i = 0; i < 400; ++i) {
    r = s->execution(*id);
    if (r && is_final(r->status)) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(r->status, ExecutionStatus::kFinished);
  EXPECT_EQ(r->packets.in, 8u);
  ASSERT_EQ(r->maps.size(), 2u);
  for (const MapCount& m : r->maps) EXPECT_EQ(m.entries, m.name == "mac_table" ? 8u : 0u);
  // Lifecycle events are in the log.
  // (The end's line follows the record by a moment: poll.)
  std::string all;
  for (int i = 0; i < 200 && all.find("execution learn-1 finished") == std::string::npos; ++i) {
    if (i) std::this_thread::sleep_for(5ms);
    auto logs = s->logs({"switch", 0, {}});
    ASSERT_TRUE(logs);
    all.clear();
    for (const auto& l : *logs) all += l.text + "\n";
  }
  EXPECT_NE(all.find("deployed v1"), std::string::npos) << all;
  EXPECT_NE(all.find("updated to v2"), std::string::npos) << all;
  EXPECT_NE(all.find("execution learn-1 finished"), std::string::npos) << all;
}

TEST_F(CoreServiceTest, DeleteWhileRunning) {
  auto s = open(options());
  ASSERT_TRUE(s);
  ASSERT_TRUE(deploy_file(*s, "wire", nf_object("wire")));
  auto first = s->submit({"wire", 20.0, {}, ""}, {});
  ASSERT_TRUE(first) << first.error().message();
  auto queued = s->submit({"wire", 1.0, {}, ""}, {});
  ASSERT_TRUE(queued);
  wait_running(*s, *first);
  // Running, and packets went through it (on a loaded machine the engine may
  // not have taken a batch yet when the status turns to running).
  for (int i = 0; i < 1000; ++i) {
    auto r = s->execution(*first);
    if (r && r->packets.in > 0) break;
    std::this_thread::sleep_for(10ms);
  }
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(s->remove("wire"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(s->function("wire").kind(), ErrorKind::kNotFound);
  EXPECT_EQ(s->remove("wire").kind(), ErrorKind::kNotFound);
  auto r1 = s->execution(*first);
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->status, ExecutionStatus::kCancelled);
  EXPECT_GT(r1->packets.in, 0u);
  auto r2 = s->execution(*queued);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, ExecutionStatus::kCancelled);
  EXPECT_EQ(s->metrics().running_function, "");
  // Its records stay; the name can be deployed again.
  EXPECT_EQ(s->executions({"wire", 10})->size(), 2u);
  EXPECT_TRUE(deploy_file(*s, "wire", nf_object("wire")));
}

// Two executions back to back on a generator port: the second starts when the
// first ends, and every packet received ran under v1, v2 or the idle program.
TEST_F(CoreServiceTest, BackToBackLosesNoPacket) {
  auto s = open(options());
  ASSERT_TRUE(s);
  ASSERT_TRUE(deploy_file(*s, "wire", nf_object("wire")));
  ASSERT_TRUE(deploy_file(*s, "ddos", nf_object("ddos_mitigation")));
  std::atomic<int> callbacks{0};
  ExecutionRecord async_rec;
  auto a = s->submit({"wire", 0.4, {}, ""}, {});
  ASSERT_TRUE(a);
  auto b = s->submit({"ddos", 0.4, {"in"}, ""}, [&](const ExecutionRecord& r) {
    async_rec = r;
    ++callbacks;
  });
  ASSERT_TRUE(b);
  auto rb = s->execute({"wire", 0.2, {"0"}, ""});  // waits behind both
  ASSERT_TRUE(rb) << rb.error().message();
  auto r1 = s->execution(*a);
  auto r2 = s->execution(*b);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(r1->status, ExecutionStatus::kFinished);
  EXPECT_EQ(r2->status, ExecutionStatus::kFinished);
  EXPECT_EQ(rb->status, ExecutionStatus::kFinished);
  EXPECT_EQ(rfc3339(r2->started_at), rfc3339(r1->ended_at));
  EXPECT_EQ(rfc3339(rb->started_at), rfc3339(r2->ended_at));
  EXPECT_NEAR(r1->elapsed, 0.4, 0.15);
  EXPECT_GT(r1->packets.in, 0u);
  EXPECT_GT(r2->packets.in, 0u);
  EXPECT_EQ(r2->ports, std::vector<std::string>{"in"});
  EXPECT_EQ(rb->ports, std::vector<std::string>{"in"});
  // wire redirects every packet (to ifindex 0 here, which no port has) and
  // ddos_mitigation never does: the split at each switch is exact, so no
  // packet of one is counted with its neighbour.
  EXPECT_EQ(r1->verdicts[4], r1->packets.in);
  EXPECT_EQ(r2->verdicts[4], 0u);
  EXPECT_EQ(r2->verdicts[1] + r2->verdicts[2], r2->packets.in);
  EXPECT_EQ(rb->verdicts[4], rb->packets.in);

  {
    const MetricsSnapshot live = s->metrics();
    ASSERT_EQ(live.functions.size(), 2u);
    const FunctionMetrics& w = live.functions[1];
    EXPECT_EQ(w.name, "wire");
    EXPECT_EQ(w.invocations.at("finished"), 2u);
    EXPECT_EQ(w.packets_in, r1->packets.in + rb->packets.in);
    EXPECT_GT(w.latency_p50_ns, 0u);
    EXPECT_GE(w.latency_p99_ns, w.latency_p50_ns);
    EXPECT_EQ(w.seconds_count, 2u);
  }
  ASSERT_TRUE(s->shutdown());
  EXPECT_EQ(callbacks, 1);
  EXPECT_EQ(async_rec.call_id, *b);
  const MetricsSnapshot m = s->metrics();
  EXPECT_EQ(m.no_program_drops, 0u);
  EXPECT_EQ(m.rx_packets, r1->packets.in + r2->packets.in + rb->packets.in + m.idle_packets);
  // Counters of every packet: received = verdicts.
  uint64_t out = 0;
  for (const auto& p : m.ports) out += p.rx_packets;
  EXPECT_EQ(out, m.rx_packets);
}

TEST_F(CoreServiceTest, QueueFullAndTimeLimits) {
  ServiceOptions o = options();
  o.queue_limit = 1;
  auto s = open(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(deploy_file(*s, "wire", nf_object("wire")));
  auto run = s->submit({"wire", 5.0, {}, ""}, {});
  ASSERT_TRUE(run);
  wait_running(*s, *run);
  auto wait = s->submit({"wire", 1.0, {}, ""}, {});
  ASSERT_TRUE(wait);
  auto full = s->submit({"wire", 1.0, {}, ""}, {});
  ASSERT_FALSE(full);
  EXPECT_EQ(full.kind(), ErrorKind::kUnavailable);
  EXPECT_NE(full.error().message().find("queue full"), std::string::npos);
  EXPECT_EQ(s->metrics().queue_length, 1u);
  // Time out of range, unknown function and ports.
  EXPECT_EQ(s->submit({"wire", 0.01, {}, ""}, {}).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(s->submit({"wire", 301.0, {}, ""}, {}).kind(), ErrorKind::kInvalidArgument);
  EXPECT_EQ(s->submit({"nope", 1.0, {}, ""}, {}).kind(), ErrorKind::kNotFound);
  auto port = s->submit({"wire", 1.0, {"out"}, ""}, {});
  EXPECT_EQ(port.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(port.error().message().find("unknown port \"out\""), std::string::npos);
  // A sync caller who gives up cancels its execution.
  ASSERT_TRUE(s->cancel(*wait));
  EXPECT_EQ(s->execution(*wait)->status, ExecutionStatus::kCancelled);
  WaitOptions w;
  w.timeout = 100ms;
  auto gave_up = s->execute({"wire", 1.0, {}, ""}, w);
  ASSERT_TRUE(gave_up);
  EXPECT_EQ(gave_up->status, ExecutionStatus::kCancelled);
  EXPECT_NE(gave_up->message.find("timed out"), std::string::npos);
  // The daemon's defaults are 3..300 s.
  EXPECT_EQ(ServiceOptions{}.min_time, 3);
  EXPECT_EQ(ServiceOptions{}.max_time, 300);
  // Annotations are checked at deploy.
  auto bad = deploy_file(*s, "slow", nf_object("wire"), {{"com.ebpfaas.time", "1000"}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("com.ebpfaas.time"), std::string::npos);
}

TEST_F(CoreServiceTest, PortsAnnotationRestricts) {
  auto s = open(options({"in=gen:size=64", "other=memory"}));
  ASSERT_TRUE(s);
  ASSERT_TRUE(deploy_file(*s, "wire", nf_object("wire"), {{"com.ebpfaas.ports", "in"}}));
  auto denied = s->submit({"wire", 0.1, {"other"}, ""}, {});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(denied.error().message().find("may not use port"), std::string::npos);
  auto r = s->execute({"wire", 0.1, {}, ""});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ports, std::vector<std::string>{"in"});
  // Paused functions refuse executions.
  ASSERT_TRUE(s->scale("wire", 0));
  EXPECT_EQ(s->submit({"wire", 0.1, {}, ""}, {}).kind(), ErrorKind::kUnavailable);
  ASSERT_TRUE(s->scale("wire", 1));
  EXPECT_TRUE(s->submit({"wire", 0.1, {}, ""}, {}));
}

TEST_F(CoreServiceTest, TracePrintkReachesTheLog) {
  auto s = open(options());
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->deploy({"chatty", upload(*s, bytes(kPrintk)), {}, {}, {}}));
  std::atomic<int> seen{0};
  const uint64_t sub = s->subscribe_logs("chatty", [&](const LogLine& l) {
    if (l.text.find("packet of 64 bytes") != std::string::npos) ++seen;
  });
  auto r = s->execute({"chatty", 0.2, {}, ""});
  ASSERT_TRUE(r);
  s->unsubscribe_logs(sub);
  EXPECT_GT(seen, 0);
  auto tail = s->logs({"chatty", 3, {}});
  ASSERT_TRUE(tail);
  EXPECT_EQ(tail->size(), 3u);
  EXPECT_EQ(s->logs({"nobody", 0, {}}).kind(), ErrorKind::kNotFound);
  const auto file = slurp(state() + "/logs/chatty.log");
  EXPECT_NE(std::string(file.begin(), file.end()).find("packet of 64 bytes"), std::string::npos);
}

TEST_F(CoreServiceTest, RestartRestoresFunctionsRecordsAndMaps) {
  std::string call;
  {
    auto s = open(options({"a=memory"}));
    ASSERT_TRUE(s);
    ASSERT_TRUE(deploy_file(*s, "switch", nf_source("l2_learning_switch")));
    ASSERT_TRUE(s->update({"switch", "", {{"tier", "edge"}}, {}, {}}));
    ASSERT_TRUE(s->update_map("switch", "mac_table", "0200000000070000", "0100000000000000"));
    auto r = s->execute({"switch", 0.1, {}, ""});
    ASSERT_TRUE(r);
    call = r->call_id;
  }
  auto s = open(options({"a=memory"}));
  ASSERT_TRUE(s);
  auto f = s->function("switch");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->version, 2u);
  EXPECT_EQ(f->labels.at("tier"), "edge");
  EXPECT_EQ(f->invocation_count, 1u);
  auto d = s->dump_map("switch", "mac_table");
  ASSERT_TRUE(d);
  ASSERT_EQ(d->entries.size(), 1u);
  // The log remembers the previous run.
  auto logs = s->logs({"switch", 0, {}});
  ASSERT_TRUE(logs);
  ASSERT_GE(logs->size(), 3u);
  EXPECT_NE(logs->front().text.find("deployed v1"), std::string::npos) << logs->front().text;
  EXPECT_NE(logs->back().text.find("restored v2"), std::string::npos) << logs->back().text;
  EXPECT_EQ(d->entries[0].key, "0200000000070000");
  auto r = s->execution(call);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, ExecutionStatus::kFinished);
}

// The compiled object of a C function is a cache: without it a restart
// compiles the source again.
TEST_F(CoreServiceTest, RestartRecompilesWhenTheObjectIsGone) {
  {
    auto s = open(options());
    ASSERT_TRUE(s);
    ASSERT_TRUE(deploy_file(*s, "router", nf_source("ipv4_router")));
  }
  {
    auto store = Store::open(state());
    ASSERT_TRUE(store);
    auto v = (*store)->version("router", 1);
    ASSERT_TRUE(v);
    ASSERT_NE(v->object, v->image);
    auto hex = image_digest(v->object);
    ASSERT_TRUE(std::filesystem::remove((*store)->artifact_path(*hex)));
  }
  auto s = open(options());
  ASSERT_TRUE(s);
  auto f = s->function("router");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->tier, "interpreter") << f->jit_message;
  auto r = s->execute({"router", 0.1, {}, ""});
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_GT(r->packets.in, 0u);
}

// A function whose artifact vanished stays listed, says why, refuses
// executions and can still be deleted; the others come back.
TEST_F(CoreServiceTest, RestartKeepsAFunctionThatNoLongerLoads) {
  std::string image;
  {
    auto s = open(options());
    ASSERT_TRUE(s);
    auto f = deploy_file(*s, "wire", nf_object("wire"));
    ASSERT_TRUE(f);
    image = f->image;
    ASSERT_TRUE(deploy_file(*s, "ddos", nf_object("ddos_mitigation")));
  }
  {
    auto store = Store::open(state());
    ASSERT_TRUE(store);
    ASSERT_TRUE(std::filesystem::remove((*store)->artifact_path(*image_digest(image))));
  }
  auto s = open(options());
  ASSERT_TRUE(s);
  auto f = s->function("wire");
  ASSERT_TRUE(f);
  EXPECT_NE(f->jit_message.find("cannot open"), std::string::npos) << f->jit_message;
  auto r = s->submit({"wire", 0.1, {}, ""}, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.kind(), ErrorKind::kUnavailable);
  EXPECT_TRUE(s->execute({"ddos", 0.1, {}, ""}));
  EXPECT_TRUE(s->remove("wire"));
}

// kill -9 of a process running the service: functions and finished records
// come back exactly; the execution that was running is "interrupted".
TEST_F(CoreServiceTest, RestartAfterKill) {
  const ServiceOptions o = options();
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    auto s = Service::open(o);
    if (!s) _exit(2);
    auto a = (*s)->put_artifact(slurp(nf_object("wire")));
    if (!a || !(*s)->deploy({"wire", a->image, {}, {}, {}})) _exit(3);
    auto done = (*s)->execute({"wire", 0.1, {}, "done-1"});
    if (!done || done->status != ExecutionStatus::kFinished) _exit(4);
    if (!(*s)->submit({"wire", 30.0, {}, "long-1"}, {})) _exit(5);
    if (!(*s)->submit({"wire", 30.0, {}, "queued-1"}, {})) _exit(6);
    while ((*s)->execution("long-1")->status != ExecutionStatus::kRunning)
      std::this_thread::sleep_for(5ms);
    const char ok = 1;
    if (write(pipefd[1], &ok, 1) != 1) _exit(7);
    for (;;) pause();
  }
  close(pipefd[1]);
  char c = 0;
  pollfd pfd{pipefd[0], POLLIN, 0};
  const bool ready = poll(&pfd, 1, 60000) == 1 && read(pipefd[0], &c, 1) == 1;
  close(pipefd[0]);
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(ready) << "the child failed before the kill: status " << WEXITSTATUS(status);
  auto s = open(o);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->function("wire"));
  auto done = s->execution("done-1");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status, ExecutionStatus::kFinished);
  EXPECT_GT(done->packets.in, 0u);
  EXPECT_EQ(s->execution("long-1")->status, ExecutionStatus::kInterrupted);
  EXPECT_EQ(s->execution("queued-1")->status, ExecutionStatus::kInterrupted);
  // The service works on.
  auto again = s->execute({"wire", 0.1, {}, ""});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, ExecutionStatus::kFinished);
}

constexpr const char* kConfigured = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int configured(struct xdp_md *ctx)
{
	return ACTION;
}
char LICENSE[] SEC("license") = "GPL";
)";

TEST_F(CoreServiceTest, CflagsAnnotation) {
  auto s = open(options());
  ASSERT_TRUE(s);
  const std::string image = upload(*s, bytes(kConfigured));
  auto bad = s->deploy({"cfg", image, {}, {{"com.ebpfaas.cflags", "-I/etc"}}, {}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("-I/etc"), std::string::npos);
  auto missing = s->deploy({"cfg", image, {}, {}, {}});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("ACTION"), std::string::npos)
      << missing.error().message();
  ASSERT_TRUE(s->deploy({"cfg", image, {}, {{"com.ebpfaas.cflags", "-DACTION=XDP_TX"}}, {}}));
  auto r = s->execute({"cfg", 0.1, {}, ""});
  ASSERT_TRUE(r);
  EXPECT_GT(r->verdicts[3], 0u);  // tx
  // Drops only from a batch of the idle program in flight at the switch.
  EXPECT_LE(r->verdicts[1], 64u);
}

// The idle program: the built-in drop, or a deployed function once it exists.
TEST_F(CoreServiceTest, IdleFunction) {
  ServiceOptions o = options({"a=memory", "b=memory"});
  o.idle = "wire";
  auto s = open(o);
  ASSERT_TRUE(s);
  dataplane::MemoryPort* a = s->memory_port(0);
  dataplane::MemoryPort* b = s->memory_port(1);
  auto sent_after = [&](std::vector<uint8_t> frame) {
    a->inject(0, std::move(frame));
    for (int i = 0; i < 200 && a->pending(0); ++i) std::this_thread::sleep_for(2ms);
    std::this_thread::sleep_for(20ms);
    return b->take_sent().size();
  };
  EXPECT_EQ(sent_after(frame_from(1)), 0u);  // wire not deployed: drop
  ASSERT_TRUE(deploy_file(*s, "wire", nf_object("wire")));
  // Port 0 (ifindex 1) is wired to port 1 (ifindex 2).
  ASSERT_TRUE(s->update_map("wire", "wire_config", "00000000", "0100000002000000"));
  EXPECT_EQ(sent_after(frame_from(2)), 1u);
  ASSERT_TRUE(s->remove("wire"));
  EXPECT_EQ(sent_after(frame_from(3)), 0u);
  EXPECT_FALSE(Service::open([&] {
    ServiceOptions bad = options();
    bad.state_dir = state() + "2";
    bad.idle = "a b";
    return bad;
  }()));
}

TEST_F(CoreServiceTest, ArtifactLimits) {
  ServiceOptions o = options();
  o.max_upload = 100;
  auto s = open(o);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->put_artifact(std::vector<uint8_t>(101, 'x')).kind(), ErrorKind::kTooLarge);
  EXPECT_EQ(s->put_artifact({}).kind(), ErrorKind::kInvalidArgument);
  auto a = s->put_artifact(bytes("int x;"));
  ASSERT_TRUE(a);
  EXPECT_EQ(*s->get_artifact(a->image), bytes("int x;"));
  EXPECT_EQ(to_json(*a).dump(), "{\"image\":\"" + a->image + "\",\"size\":6,\"kind\":\"c\"}");
}

}  // namespace
}  // namespace ebpfaas::control
