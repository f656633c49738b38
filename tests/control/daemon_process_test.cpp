// The real ebpfaasd binary as a subprocess: it prints where it listens and
// where the credentials are, serves the API, survives kill -9 (a restart
// restores every function and every finished execution record exactly, and
// marks the one that was running as interrupted) and shuts down cleanly on
// SIGTERM.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "tests/control/http_test_util.h"

namespace ebpfaas::control {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::as_string;
using testing::nf_object;
using testing::nf_source;
using testing::StateDirTest;

// A running ebpfaasd; killed (SIGKILL) by the destructor if still alive.
class Daemon {
 public:
  Daemon(const std::string& state, std::vector<std::string> extra = {}) {
    int out[2];
    if (::pipe(out) != 0) return;
    std::vector<std::string> args = {EBPFAAS_DAEMON,
                                     "--listen",
                                     "127.0.0.1:0",
                                     "--state",
                                     state,
                                     "--port",
                                     "in=gen:size=64,flows=16",
                                     "--no-jit",
                                     "--min-time",
                                     "0.05",
                                     "--log-level",
                                     "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a test that crashed
      ::dup2(out[1], 1);
      ::close(out[0]);
      ::close(out[1]);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    stdout_ = ::fdopen(out[0], "r");
    // "ebpfaasd listening on http://127.0.0.1:PORT", then the credentials line.
    char line[512];
    while (stdout_ && std::fgets(line, sizeof(line), stdout_)) {
      std::string l(line);
      banner_ += l;
      if (auto p = l.find("listening on http://127.0.0.1:"); p != std::string::npos)
        port_ = std::stoi(l.substr(p + std::strlen("listening on http://127.0.0.1:")));
      if (l.rfind("credentials:", 0) == 0) break;
    }
  }
  ~Daemon() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (stdout_) std::fclose(stdout_);
  }
  int port() const { return port_; }
  const std::string& banner() const { return banner_; }
  void kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  // SIGTERM; the exit status (-1 if it did not exit within the timeout).
  int terminate(std::chrono::seconds timeout = 30s) {
    ::kill(pid_, SIGTERM);
    for (auto end = std::chrono::steady_clock::now() + timeout;
         std::chrono::steady_clock::now() < end;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(20ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  FILE* stdout_ = nullptr;
  int port_ = 0;
  std::string banner_;
};

class DaemonProcessTest : public StateDirTest {
 protected:
  static std::string read_secret(const std::string& path) {
    std::ifstream in(path);
    std::string v;
    std::getline(in, v);
    return v;
  }
  std::unique_ptr<httplib::Client> admin(const Daemon& d) {
    return testing::make_client(d.port(), read_secret(state() + "/secrets/basic-auth-user"),
                                read_secret(state() + "/secrets/basic-auth-password"));
  }
  static std::string upload(httplib::Client& c, const std::string& bytes) {
    auto r = c.Post("/system/artifacts", bytes, "application/octet-stream");
    EXPECT_TRUE(r && (r->status == 201 || r->status == 200));
    return r ? json::parse(r->body).value("image", "") : "";
  }
  static json wait_final(httplib::Client& c, const std::string& id) {
    json last;
    for (int i = 0; i < 2000; ++i) {
      auto r = c.Get("/system/execution/" + id);
      if (r && r->status == 200) {
        last = json::parse(r->body);
        if (last["status"] != "queued" && last["status"] != "running") return last;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << id << " never ended: " << last.dump();
    return last;
  }
  static json wait_running(httplib::Client& c, const std::string& id) {
    json last;
    for (int i = 0; i < 2000; ++i) {
      auto r = c.Get("/system/execution/" + id);
      if (r && r->status == 200 && (last = json::parse(r->body))["status"] == "running")
        return last;
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << id << " never ran: " << last.dump();
    return last;
  }
};

TEST_F(DaemonProcessTest, RestartAfterKill9RestoresFunctionsAndRecords) {
  std::map<std::string, json> finished;
  json functions_before;
  std::string password;
  {
    Daemon d(state());
    ASSERT_GT(d.port(), 0) << "no listening line in: " << d.banner();
    EXPECT_NE(d.banner().find(state() + "/secrets/basic-auth-password"), std::string::npos)
        << d.banner();
    // Credentials generated, private.
    for (const char* f : {"/secrets/basic-auth-user", "/secrets/basic-auth-password"}) {
      struct stat st {};
      ASSERT_EQ(::stat((state() + f).c_str(), &st), 0) << f;
      EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    password = read_secret(state() + "/secrets/basic-auth-password");
    EXPECT_EQ(password.size(), 32u);
    auto anon = testing::make_client(d.port());
    auto r = anon->Get("/system/functions");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    auto c = admin(d);
    // Two functions (ELF and C), one updated; maps written through the API.
    for (const auto& [name, bytes] : std::vector<std::pair<std::string, std::string>>{
             {"wire", as_string(slurp(nf_object("wire")))},
             {"switch", as_string(slurp(nf_source("l2_learning_switch")))}}) {
      json j = {{"service", name}, {"image", upload(*c, bytes)}, {"labels", {{"app", name}}}};
      r = c->Post("/system/functions", j.dump(), "application/json");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 202) << r->body;
    }
    json up = {{"service", "wire"},
               {"image", upload(*c, as_string(slurp(nf_source("wire"))))},
               {"annotations", {{"com.ebpfaas.time", "0.1"}}}};
    r = c->Put("/system/functions", up.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202) << r->body;
    json entry = {{"key", "0200000000090000"}, {"value", "0200000000000000"}};
    r = c->Put("/system/function/switch/maps/mac_table", entry.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    // Finished executions: sync and async.
    for (const char* fn : {"wire", "switch", "wire"}) {
      r = anon->Post(std::string("/function/") + fn + "?time=0.1", "", "text/plain");
      ASSERT_TRUE(r);
      ASSERT_EQ(r->status, 200) << r->body;
      json rec = json::parse(r->body);
      EXPECT_GT(rec["packets"]["in"].get<uint64_t>(), 0u);
      finished[rec["callId"]] = rec;
    }
    r = anon->Post("/async-function/switch?time=0.1", "", "text/plain");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202);
    json rec = wait_final(*c, r->get_header_value("X-Call-Id"));
    ASSERT_EQ(rec["status"], "finished");
    finished[rec["callId"]] = rec;
    // One running when the daemon dies.
    r = anon->Post("/async-function/wire?time=30", httplib::Headers{{"X-Call-Id", "cut-short"}}, "",
                   "text/plain");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 202);
    wait_running(*c, "cut-short");
    functions_before = json::parse(c->Get("/system/functions")->body);
    d.kill9();
  }
  Daemon d(state());
  ASSERT_GT(d.port(), 0) << d.banner();
  EXPECT_EQ(read_secret(state() + "/secrets/basic-auth-password"), password);
  auto c = admin(d);
  auto r = c->Get("/system/functions");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  json after = json::parse(r->body);
  ASSERT_EQ(after.size(), functions_before.size()) << after.dump();
  for (size_t i = 0; i < after.size(); ++i) {
    for (const char* field : {"name", "image", "labels", "annotations", "createdAt"})
      EXPECT_EQ(after[i][field], functions_before[i][field]) << field;
    EXPECT_EQ(after[i]["ebpfaas"]["version"], functions_before[i]["ebpfaas"]["version"]);
  }
  // Every finished record exactly as it was.
  for (const auto& [id, rec] : finished) {
    r = c->Get("/system/execution/" + id);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << id;
    EXPECT_EQ(json::parse(r->body), rec) << id;
  }
  r = c->Get("/system/execution/cut-short");
  ASSERT_TRUE(r);
  EXPECT_EQ(json::parse(r->body)["status"], "interrupted") << r->body;
  // The map entry written through the API came back.
  r = c->Get("/system/function/switch/maps/mac_table");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  bool found = false;
  const json dump = json::parse(r->body);
  for (const json& e : dump["entries"]) found |= e["key"] == "0200000000090000";
  EXPECT_TRUE(found) << r->body;
  // And the functions run again.
  r = testing::make_client(d.port())->Post("/function/wire?time=0.1", "", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
}

TEST_F(DaemonProcessTest, SigtermEndsTheRunningExecutionAndExitsCleanly) {
  Daemon d(state());
  ASSERT_GT(d.port(), 0) << d.banner();
  auto c = admin(d);
  json j = {{"service", "wire"}, {"image", upload(*c, as_string(slurp(nf_object("wire"))))}};
  auto r = c->Post("/system/functions", j.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  // A sync caller waits on a long execution; SIGTERM ends it now and the
  // caller still gets its record.
  json got;
  std::thread caller([&] {
    auto anon = testing::make_client(d.port());
    auto res = anon->Post("/function/wire?time=60", httplib::Headers{{"X-Call-Id", "long"}}, "",
                          "text/plain");
    if (res && res->status == 200) got = json::parse(res->body);
  });
  wait_running(*c, "long");
  // Until packets flow through it.
  for (int i = 0; i < 1000; ++i) {
    auto p = c->Get("/system/execution/long");
    if (p && p->status == 200 && json::parse(p->body)["packets"]["in"].get<uint64_t>() > 0) break;
    std::this_thread::sleep_for(10ms);
  }
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(d.terminate(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s);
  caller.join();
  EXPECT_EQ(got.value("status", ""), "finished") << got.dump();
  EXPECT_GT(got["packets"]["in"].get<uint64_t>(), 0u);
  // After a restart the record says the same.
  Daemon again(state());
  ASSERT_GT(again.port(), 0);
  r = admin(again)->Get("/system/execution/long");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(json::parse(r->body)["status"], "finished");
}

TEST_F(DaemonProcessTest, OneDaemonPerStateDirectory) {
  Daemon d(state());
  ASSERT_GT(d.port(), 0) << d.banner();
  const std::string err = (dir_ / "second.err").string();
  const std::string cmd = std::string(EBPFAAS_DAEMON) + " --listen 127.0.0.1:0 --no-jit --state " +
                          state() + " >/dev/null 2>" + err;
  int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0);
  std::ifstream in(err);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("is in use by process"), std::string::npos) << text;
  // The first one still answers.
  auto r = testing::make_client(d.port())->Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

// --compile-timeout reaches clang: a source whose macros expand to 2^24
// terms takes clang far longer than the limit; it is stopped and the deploy
// is a 400 naming the limit, while a function that needs no compile deploys.
TEST_F(DaemonProcessTest, CompileTimeoutStopsClang) {
  Daemon d(state(), {"--compile-timeout", "0.5"});
  ASSERT_GT(d.port(), 0) << d.banner();
  auto c = admin(d);
  std::string src = "#define A0 x +\n";
  for (int i = 1; i <= 24; ++i)
    src += "#define A" + std::to_string(i) + " A" + std::to_string(i - 1) + " A" +
           std::to_string(i - 1) + "\n";
  src +=
      "#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n"
      "SEC(\"xdp\") int slow(struct xdp_md *ctx) { int x = ctx->ingress_ifindex; "
      "return (A24 0) & 1 ? XDP_DROP : XDP_PASS; }\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n";
  const std::string image = upload(*c, src);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c->Post("/system/functions", json{{"service", "slow"}, {"image", image}}.dump(),
                   "application/json");
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  EXPECT_NE(r->body.find("compile time limit of 0.5 s"), std::string::npos) << r->body;
  EXPECT_LT(took, 20s);
  auto ok = c->Post(
      "/system/functions",
      json{{"service", "wire"}, {"image", upload(*c, as_string(slurp(nf_object("wire"))))}}.dump(),
      "application/json");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 202) << ok->body;
  auto list = c->Get("/system/functions");
  ASSERT_TRUE(list);
  json fs = json::parse(list->body);
  ASSERT_EQ(fs.size(), 1u) << fs.dump();
  EXPECT_EQ(fs[0]["name"], "wire");
}

TEST_F(DaemonProcessTest, BadArgumentsAreRefused) {
  for (std::vector<std::string> extra : {std::vector<std::string>{"--listen", "127.0.0.1:99999"},
                                         std::vector<std::string>{"--engines", "0"},
                                         std::vector<std::string>{"--compile-timeout", "0"},
                                         std::vector<std::string>{"--compile-timeout", "soon"},
                                         std::vector<std::string>{"--port", "bogus:x"}}) {
    std::string cmd = std::string(EBPFAAS_DAEMON) + " --state " + state() + " --no-jit";
    for (const auto& e : extra) cmd += " '" + e + "'";
    cmd += " >/dev/null 2>&1";
    int status = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(status)) << cmd;
    EXPECT_NE(WEXITSTATUS(status), 0) << cmd;
  }
}

}  // namespace
}  // namespace ebpfaas::control
