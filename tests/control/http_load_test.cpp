// The load test: 8 concurrent HTTP clients, 1,000 mixed deploy / update /
// invoke / list calls against a live API on loopback; afterwards every
// function and record agrees with what the clients believe, every accepted
// invocation has a record, and no call got a 5xx.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "tests/control/http_test_util.h"

namespace ebpfaas::control {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::as_string;
using testing::HttpApiTest;
using testing::nf_object;

class HttpLoadTest : public HttpApiTest {};

TEST_F(HttpLoadTest, EightClientsThousandCalls) {
  ServiceOptions o = options({"in=gen:size=64,flows=64"});
  o.min_time = 0.01;
  o.default_time = 0.02;
  o.queue_limit = 16;
  start(o);
  const std::string images[2] = {upload(as_string(slurp(nf_object("wire")))),
                                 upload(as_string(slurp(nf_object("l2_learning_switch"))))};
  ASSERT_FALSE(images[0].empty() || images[1].empty());

  constexpr int kClients = 8, kCalls = 125;
  struct Client {
    std::map<std::string, uint64_t> versions;  // functions it believes exist, with their version
    std::set<std::string> calls;               // invocations accepted (sync 200, async 202)
    std::map<int, int> statuses;
    std::vector<std::string> errors;
  };
  std::vector<Client> clients(kClients);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c)
    threads.emplace_back([&, c] {
      Client& me = clients[c];
      auto http = testing::make_client(api_->port(), creds_.user, creds_.password);
      std::mt19937 rng(static_cast<unsigned>(c) * 7919u + 3);
      auto bad = [&](const std::string& what, const httplib::Result& r) {
        me.errors.push_back(
            what + ": " +
            (r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error())));
      };
      for (int i = 0; i < kCalls; ++i) {
        const int op = static_cast<int>(rng() % 100);
        const std::string name = fmt::format("c{}-f{}", c, rng() % 4);
        httplib::Result r{nullptr, httplib::Error::Unknown};
        if (op < 20) {  // deploy
          json j = {{"service", name},
                    {"image", images[rng() % 2]},
                    {"labels", {{"client", std::to_string(c)}}}};
          r = http->Post("/system/functions", j.dump(), "application/json");
          if (r && r->status == 202)
            me.versions[name] = json::parse(r->body)["ebpfaas"]["version"].get<uint64_t>();
          else if (!r || r->status != 409 || !me.versions.count(name))
            bad("deploy " + name, r);
        } else if (op < 40) {  // update
          json j = {{"service", name},
                    {"image", images[rng() % 2]},
                    {"annotations", {{"i", std::to_string(i)}}}};
          r = http->Put("/system/functions", j.dump(), "application/json");
          if (r && r->status == 202) {
            if (!me.versions.count(name)) bad("update of absent " + name, r);
            me.versions[name] = json::parse(r->body)["ebpfaas"]["version"].get<uint64_t>();
          } else if (!r || r->status != 404 || me.versions.count(name)) {
            bad("update " + name, r);
          }
        } else if (op < 70) {  // sync invoke
          r = http->Post("/function/" + name, "", "text/plain");
          if (r && r->status == 200) {
            json rec = json::parse(r->body);
            if (rec["status"] != "finished") bad("invoke " + name + " ended " + rec.dump(), r);
            me.calls.insert(rec["callId"].get<std::string>());
          } else if (!r || (r->status == 404) != !me.versions.count(name) ||
                     (r->status != 404 && r->status != 503)) {
            bad("invoke " + name, r);
          }
        } else if (op < 80) {  // async invoke
          r = http->Post("/async-function/" + name, "", "text/plain");
          if (r && r->status == 202)
            me.calls.insert(r->get_header_value("X-Call-Id"));
          else if (!r || (r->status == 404) != !me.versions.count(name) ||
                   (r->status != 404 && r->status != 503))
            bad("async invoke " + name, r);
        } else {  // list: every function this client believes in is there
          r = http->Get("/system/functions");
          if (!r || r->status != 200) {
            bad("list", r);
          } else {
            std::set<std::string> listed;
            for (const json& f : json::parse(r->body)) listed.insert(f["name"].get<std::string>());
            for (const auto& [n, v] : me.versions)
              if (!listed.count(n)) bad("list lacks " + n, r);
          }
        }
        if (r) ++me.statuses[r->status];
      }
    });
  for (auto& t : threads) t.join();

  std::map<int, int> statuses;
  size_t calls = 0;
  for (int c = 0; c < kClients; ++c) {
    for (const std::string& e : clients[c].errors) ADD_FAILURE() << "client " << c << ": " << e;
    for (const auto& [s, n] : clients[c].statuses) statuses[s] += n;
    calls += clients[c].calls.size();
  }
  int total = 0;
  for (const auto& [s, n] : statuses) {
    total += n;
    EXPECT_LT(s, 500) << n << " calls answered " << s;
  }
  EXPECT_EQ(total, kClients * kCalls);
  EXPECT_GT(calls, 100u);

  // The registry is what the clients believe, version for version.
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  std::map<std::string, uint64_t> listed;
  for (const json& f : json::parse(list->body))
    listed[f["name"]] = f["ebpfaas"]["version"].get<uint64_t>();
  std::map<std::string, uint64_t> believed;
  for (const Client& c : clients) believed.insert(c.versions.begin(), c.versions.end());
  EXPECT_EQ(listed, believed);

  // Every accepted invocation has a record, and all of them end.
  for (const Client& c : clients)
    for (const std::string& id : c.calls) {
      json rec = wait_execution(id, "final", 60000);
      EXPECT_EQ(rec.value("status", ""), "finished") << id << " " << rec.dump();
    }
  auto all = client_->Get("/system/executions?limit=100000");
  ASSERT_TRUE(all);
  std::set<std::string> recorded;
  for (const json& r : json::parse(all->body)) recorded.insert(r["callId"].get<std::string>());
  EXPECT_EQ(recorded.size(), calls);
  // invocationCount agrees with the records of each function.
  std::map<std::string, uint64_t> per_function;
  for (const json& r : json::parse(all->body)) ++per_function[r["function"].get<std::string>()];
  list = client_->Get("/system/functions");
  for (const json& f : json::parse(list->body))
    EXPECT_EQ(f["invocationCount"].get<uint64_t>(), per_function[f["name"].get<std::string>()])
        << f["name"];
  std::string summary;
  for (const auto& [s, n] : statuses) summary += fmt::format(" {}x{}", n, s);
  std::printf("HTTP statuses:%s; %zu invocations recorded\n", summary.c_str(), calls);
}

}  // namespace
}  // namespace ebpfaas::control
