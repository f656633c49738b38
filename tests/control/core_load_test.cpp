// Many threads at once against one service, as the HTTP server calls it: 8
// clients, 1,000 mixed deploy / update / invoke / list / delete calls; after
// them every function and every record agrees with what the clients saw.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "control/service.h"
#include "tests/control/core_test_util.h"

namespace ebpfaas::control {
namespace {

using namespace std::chrono_literals;
using testing::StateDirTest;

class CoreLoadTest : public StateDirTest {};

TEST_F(CoreLoadTest, EightClientsThousandCalls) {
  ServiceOptions o;
  o.state_dir = state();
  o.ports = {"in=gen:size=64,flows=64"};
  o.min_time = 0.01;
  o.default_time = 0.02;
  o.queue_limit = 16;
  o.jit = false;
  auto svc = Service::open(o);
  ASSERT_TRUE(svc) << svc.error().message();
  Service& s = **svc;
  auto wire = s.put_artifact(slurp(std::string(EBPFAAS_NFS_DIR) + "/wire.o"));
  auto sw = s.put_artifact(slurp(std::string(EBPFAAS_NFS_DIR) + "/l2_learning_switch.o"));
  ASSERT_TRUE(wire && sw);
  const std::string images[2] = {wire->image, sw->image};

  constexpr int kClients = 8, kCalls = 125;
  struct Client {
    std::map<std::string, uint64_t> versions;  // what it believes exists
    std::set<std::string> calls;               // accepted executions
    std::atomic<int> errors{0};
    std::string first_error;
  };
  std::vector<Client> clients(kClients);
  std::atomic<int> shared_wins{0};
  std::atomic<int> unavailable{0};
  std::atomic<int> async_done{0}, async_accepted{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c)
    threads.emplace_back([&, c] {
      Client& me = clients[c];
      std::mt19937 rng(static_cast<unsigned>(c) * 7919u + 1);
      auto bad = [&](const std::string& what, const Error& e) {
        if (me.errors++ == 0) me.first_error = what + ": " + e.message();
      };
      for (int i = 0; i < kCalls; ++i) {
        const int op = static_cast<int>(rng() % 100);
        const std::string mine = fmt::format("c{}-f{}", c, rng() % 4);
        if (op < 20) {  // deploy (one of the client's names, or the shared one)
          const bool shared = op < 3;
          const std::string name = shared ? "shared" : mine;
          auto r = s.deploy({name, images[rng() % 2], {{"client", std::to_string(c)}}, {}, {}});
          if (r) {
            if (shared)
              ++shared_wins;
            else
              me.versions[name] = r->version;
          } else if (r.kind() != ErrorKind::kAlreadyExists) {
            bad("deploy " + name, r.error());
          } else if (!shared && !me.versions.count(name)) {
            bad("deploy " + name + " (client believes it absent)", r.error());
          }
        } else if (op < 40) {  // update
          auto r = s.update({mine, images[rng() % 2], {}, {{"i", std::to_string(i)}}, {}});
          if (r) {
            if (!me.versions.count(mine)) bad("update of absent " + mine, Error("succeeded"));
            me.versions[mine] = r->version;
          } else if (r.kind() != ErrorKind::kNotFound || me.versions.count(mine)) {
            bad("update " + mine, r.error());
          }
        } else if (op < 65) {  // invoke, sync or async
          const bool sync = op < 52;
          if (sync) {
            auto r = s.execute({mine, 0.01, {}, ""});
            if (r) {
              me.calls.insert(r->call_id);
              if (r->status != ExecutionStatus::kFinished &&
                  r->status != ExecutionStatus::kCancelled)
                bad("execute " + mine, Error(std::string(execution_status_name(r->status))));
            } else if (r.kind() == ErrorKind::kUnavailable) {
              ++unavailable;
            } else if (r.kind() != ErrorKind::kNotFound || me.versions.count(mine)) {
              bad("execute " + mine, r.error());
            }
          } else {
            auto id = s.submit({mine, 0.01, {}, ""}, [&](const ExecutionRecord&) { ++async_done; });
            if (id)
              me.calls.insert(*id), ++async_accepted;
            else if (id.kind() == ErrorKind::kUnavailable)
              ++unavailable;
            else if (id.kind() != ErrorKind::kNotFound || me.versions.count(mine))
              bad("submit " + mine, id.error());
          }
        } else if (op < 85) {  // list / get
          auto all = s.list_functions();
          for (const auto& [name, v] : me.versions) {
            auto it = std::find_if(all.begin(), all.end(),
                                   [&](const FunctionInfo& f) { return f.name == name; });
            if (it == all.end() || it->version != v)
              bad("list " + name, Error("missing or wrong version"));
          }
          auto one = s.function(mine);
          if (one.ok() != (me.versions.count(mine) > 0)) bad("get " + mine, Error("mismatch"));
        } else if (op < 92) {  // records
          auto recs = s.executions({mine, 5});
          if (!recs) bad("executions", recs.error());
        } else {  // delete
          auto r = s.remove(mine);
          if (r) {
            if (!me.versions.erase(mine)) bad("delete of absent " + mine, Error("succeeded"));
          } else if (r.kind() != ErrorKind::kNotFound || me.versions.count(mine)) {
            bad("delete " + mine, r.error());
          }
        }
      }
    });
  for (auto& t : threads) t.join();
  for (int c = 0; c < kClients; ++c)
    EXPECT_EQ(clients[c].errors, 0) << "client " << c << ": " << clients[c].first_error;
  EXPECT_EQ(shared_wins, 1);

  // Let the queue drain.
  for (int i = 0; i < 1000 && (s.metrics().queue_length || !s.metrics().running_function.empty());
       ++i)
    std::this_thread::sleep_for(10ms);
  // The registry is what the clients believe.
  std::map<std::string, uint64_t> expected;
  for (auto& c : clients) expected.insert(c.versions.begin(), c.versions.end());
  std::map<std::string, uint64_t> listed;
  for (const auto& f : s.list_functions())
    if (f.name != "shared") listed[f.name] = f.version;
  EXPECT_EQ(listed, expected);
  // Every accepted execution has a final record.
  size_t calls = 0;
  for (auto& c : clients)
    for (const auto& id : c.calls) {
      ++calls;
      auto r = s.execution(id);
      ASSERT_TRUE(r) << id << ": " << r.error().message();
      EXPECT_TRUE(is_final(r->status)) << id << " " << execution_status_name(r->status);
    }
  EXPECT_GT(calls, 50u);
  ASSERT_TRUE(s.shutdown());
  EXPECT_EQ(async_done, async_accepted);
  std::cout << "calls accepted " << calls << ", refused (queue full) " << unavailable
            << ", async completions " << async_done << "\n";

  // And the same after a restart.
  svc->reset();
  auto again = Service::open(o);
  ASSERT_TRUE(again) << again.error().message();
  listed.clear();
  for (const auto& f : (*again)->list_functions())
    if (f.name != "shared") listed[f.name] = f.version;
  EXPECT_EQ(listed, expected);
  for (auto& c : clients)
    for (const auto& id : c.calls) EXPECT_TRUE((*again)->execution(id)) << id;
}

}  // namespace
}  // namespace ebpfaas::control
