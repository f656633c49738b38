// The ebpfaas binary's gateway commands against a fake gateway: login stores
// faas-cli-shaped credentials (mode 0600) and later calls send them; deploy
// uploads then POSTs (PUT when the name exists); invoke, list, map, remove;
// new then build gives an object the verifier accepts.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "control/client/config.h"
#include "control/client/stack_file.h"
#include "loader/load.h"
#include "support/file.h"
#include "tests/tools/fake_gateway.h"

namespace ebpfaas {
namespace {

namespace fs = std::filesystem;
using client::json;

struct Run {
  int status = -1;
  std::string out;  // stdout and stderr
};

Run run(const std::string& args, const std::string& stdin_text = {}) {
  std::string cmd = std::string(EBPFAAS_CLI) + " " + args + " 2>&1";
  if (!stdin_text.empty()) cmd = "printf '%s\\n' '" + stdin_text + "' | " + cmd;
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// run() in directory `cwd` with extra environment assignments ("A=1 B=2").
Run run_in(const std::string& cwd, const std::string& env, const std::string& args) {
  std::string cmd = "cd '" + cwd + "' && " + (env.empty() ? "" : "env " + env + " ") +
                    std::string(EBPFAAS_CLI) + " " + args + " 2>&1";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class ClientCli : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ebpfaas-cli-test-XXXXXX";
    dir = mkdtemp(tmpl);
    ::setenv("EBPFAAS_CONFIG", (dir + "/config").c_str(), 1);
    ::setenv("EBPFAAS_TEMPLATES", EBPFAAS_TEMPLATES_SRC, 1);
    ASSERT_TRUE(fake.start());
    ::setenv("OPENFAAS_URL", fake.url().c_str(), 1);
  }
  void TearDown() override {
    fake.stop();
    fs::remove_all(dir);
    ::unsetenv("OPENFAAS_URL");
  }
  void login() {
    fake.reply(200, "[]");
    auto r = run("login -u admin --password-stdin", "pw");
    ASSERT_EQ(r.status, 0) << r.out;
    fake.clear();
  }
  std::string dir;
  test::FakeGateway fake;
  const std::string kAuth = "Basic " + client::base64_encode("admin:pw");
};

TEST_F(ClientCli, LoginChecksThenStoresCredentialsMode0600) {
  fake.reply(200, "[]");
  auto r = run("login -u admin --password-stdin", "pw");
  ASSERT_EQ(r.status, 0) << r.out;
  auto req = fake.take();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.path, "/system/functions");
  EXPECT_EQ(req.auth, kAuth);
  const std::string cfg = dir + "/config/config.yml";
  struct stat st {};
  ASSERT_EQ(::stat(cfg.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto text = read_text_file(cfg);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("gateway: " + fake.url()), std::string::npos) << *text;
  EXPECT_NE(text->find("token: " + client::base64_encode("admin:pw")), std::string::npos);

  fake.reply(200, "[]");
  r = run("list");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(fake.take().auth, kAuth);

  r = run("logout");
  ASSERT_EQ(r.status, 0) << r.out;
  fake.reply(200, "[]");
  r = run("list");
  EXPECT_EQ(fake.take().auth, "");
}

TEST_F(ClientCli, RefusedLoginStoresNothing) {
  fake.reply(401, "invalid credentials");
  auto r = run("login --password-stdin", "wrong");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("refused the credentials"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir + "/config/config.yml"));
}

TEST_F(ClientCli, DeployUploadsThenPostsAndUpdatesAnExistingName) {
  login();
  const std::string src = dir + "/fn.c";
  ASSERT_TRUE(write_file_atomic(src, std::string_view("int x;\n")));
  const std::string image = "sha256:" + std::string(64, 'c');
  fake.reply(201, R"({"image":")" + image + R"(","size":7,"kind":"c"})");
  fake.reply(409, "function \"fn\" already exists");
  fake.reply(202, "");
  auto r = run("deploy --name fn --handler " + src +
               " --section xdp --annotation com.ebpfaas.time=4 -l team=net -e MODE=x");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Updated. 202 Accepted."), std::string::npos) << r.out;
  auto up = fake.take();
  EXPECT_EQ(up.method + " " + up.path, "POST /system/artifacts");
  EXPECT_EQ(up.body, "int x;\n");
  EXPECT_EQ(up.auth, kAuth);
  const json expected = {
      {"service", "fn"},
      {"image", image},
      {"annotations", {{"com.ebpfaas.section", "xdp"}, {"com.ebpfaas.time", "4"}}},
      {"labels", {{"team", "net"}}},
      {"envVars", {{"MODE", "x"}}}};
  auto post = fake.take();
  EXPECT_EQ(post.method + " " + post.path, "POST /system/functions");
  EXPECT_EQ(json::parse(post.body), expected);
  auto put = fake.take();
  EXPECT_EQ(put.method + " " + put.path, "PUT /system/functions");
  EXPECT_EQ(json::parse(put.body), expected);

  // --update=false keeps faas-cli's meaning: an existing name is an error.
  fake.clear();
  fake.reply(200, R"({"image":")" + image + R"(","size":7,"kind":"c"})");
  fake.reply(409, "function \"fn\" already exists");
  r = run("deploy --name fn --handler " + src + " --update=false");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("HTTP 409: function \"fn\" already exists"), std::string::npos) << r.out;
}

TEST_F(ClientCli, DeployFromStackFileWithFilter) {
  login();
  ASSERT_TRUE(fs::create_directories(dir + "/a"));
  ASSERT_TRUE(write_file_atomic(dir + "/a/handler.c", std::string_view("// a\n")));
  ASSERT_TRUE(write_file_atomic(dir + "/stack.yml",
                                std::string_view("version: 1.0\nprovider: {name: openfaas}\n"
                                                 "functions:\n"
                                                 "  a: {lang: c-ebpf, handler: ./a, annotations: "
                                                 "{com.ebpfaas.time: '7'}}\n"
                                                 "  b: {lang: c-ebpf, handler: ./missing}\n")));
  fake.reply(201, R"({"image":"sha256:1","size":5,"kind":"c"})");
  fake.reply(202, "");
  auto r = run("deploy -f " + dir + "/stack.yml --filter a");
  ASSERT_EQ(r.status, 0) << r.out;
  auto up = fake.take();
  EXPECT_EQ(up.body, "// a\n");
  auto post = fake.take();
  EXPECT_EQ(json::parse(post.body)["annotations"], json({{"com.ebpfaas.time", "7"}}));
  EXPECT_EQ(json::parse(post.body)["service"], "a");
  // A missing handler is named before anything is sent.
  fake.clear();
  r = run("deploy -f " + dir + "/stack.yml --filter b");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(dir + "/missing"), std::string::npos) << r.out;
  EXPECT_TRUE(fake.all().empty());
}

TEST_F(ClientCli, InvokeShowsProgressThenTheResult) {
  login();
  std::string call_id;
  fake.set_default([&](const test::RecordedRequest& req) -> test::FakeGateway::Reply {
    if (req.path.rfind("/system/execution/", 0) == 0)
      return {200, R"({"status":"running","elapsed":1.0,"packets":1234})", {}};
    if (req.path == "/function/fn") {
      std::this_thread::sleep_for(std::chrono::milliseconds(2500));
      json r = {{"callId", req.header("X-Call-Id")},
                {"function", "fn"},
                {"version", 1},
                {"status", "finished"},
                {"seconds", 2.0},
                {"packets", {{"in", 2000000}, {"out", 0}, {"dropped", 2000000}}},
                {"verdicts", {{"pass", 2000000}}},
                {"drops", {{"program", 0}, {"pass_no_host", 2000000}}},
                {"latency_ns", {{"p50", 40}, {"p99", 90}, {"p999", 200}}}};
      return {200, r.dump(), {{"X-Call-Id", req.header("X-Call-Id")}}};
    }
    return {404, "unexpected " + req.path, {}};
  });
  auto r = run("invoke fn --time 3 --port in --port out");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("running 1.0 s, 1234 packets"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("finished in 2.000 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dropped 2000000 (pass_no_host 2000000)  (1.000 Mpps in)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("p99 90 ns"), std::string::npos) << r.out;
  bool invoked = false, polled = false;
  std::string id;
  for (const auto& req : fake.all()) {
    if (req.path == "/function/fn") {
      invoked = true;
      id = req.header("X-Call-Id");
      EXPECT_EQ(req.params.find("time")->second, "3");
      EXPECT_EQ(req.params.find("ports")->second, "in,out");
      EXPECT_EQ(req.auth, "");
    }
  }
  for (const auto& req : fake.all())
    if (req.path == "/system/execution/" + id) {
      polled = true;
      EXPECT_EQ(req.auth, kAuth);
    }
  EXPECT_TRUE(invoked);
  EXPECT_FALSE(id.empty());
  EXPECT_TRUE(polled);

  r = run("invoke fn --time 3 --json -q");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["status"], "finished");
}

// As faas-cli: ./stack.yml without -f, ${VAR:-default} substituted unless
// --envsubst false; remove without names removes the stack's functions.
TEST_F(ClientCli, StackFileByDefaultWithEnvironmentSubstitution) {
  login();
  ASSERT_TRUE(fs::create_directories(dir + "/proj/a"));
  ASSERT_TRUE(write_file_atomic(dir + "/proj/a/handler.c", std::string_view("// a\n")));
  ASSERT_TRUE(write_file_atomic(
      dir + "/proj/stack.yml",
      // OPENFAAS_URL (the fake) wins over the stack file's gateway, as in faas-cli.
      std::string_view("version: 1.0\nprovider: {name: openfaas, gateway: "
                       "'http://127.0.0.1:1'}\nfunctions:\n"
                       "  a: {lang: c-ebpf, handler: ./a, annotations: "
                       "{com.ebpfaas.time: '${FN_TIME:-9}'}, labels: {team: '${FN_TEAM}'}}\n")));
  auto deploy_time = [&](const std::string& env, const std::string& flags) {
    fake.clear();
    fake.reply(201, R"({"image":"sha256:1","size":5,"kind":"c"})");
    fake.reply(202, "");
    auto r = run_in(dir + "/proj", env, "deploy" + flags);
    EXPECT_EQ(r.status, 0) << r.out;
    (void)fake.take();  // the upload
    auto post = fake.take();
    json d = json::parse(post.body, nullptr, false);
    EXPECT_EQ(d.value("service", ""), "a") << post.body;
    return d.is_discarded() ? json() : d;
  };
  json d = deploy_time("", "");
  EXPECT_EQ(d["annotations"]["com.ebpfaas.time"], "9");
  EXPECT_EQ(d["labels"]["team"], "");
  d = deploy_time("FN_TIME=4 FN_TEAM=net", "");
  EXPECT_EQ(d["annotations"]["com.ebpfaas.time"], "4");
  EXPECT_EQ(d["labels"]["team"], "net");
  d = deploy_time("FN_TIME=4", " --envsubst false");
  EXPECT_EQ(d["annotations"]["com.ebpfaas.time"], "${FN_TIME:-9}");
  // remove without names: the stack file's functions.
  fake.clear();
  fake.reply(202, "");
  auto r = run_in(dir + "/proj", "", "remove");
  ASSERT_EQ(r.status, 0) << r.out;
  auto del = fake.take();
  EXPECT_EQ(del.method, "DELETE");
  EXPECT_EQ(json::parse(del.body, nullptr, false), json({{"functionName", "a"}})) << del.body;
  // No stack file here and no --name: the message says what to give.
  r = run_in(dir, "", "deploy");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("no ./stack.yml here"), std::string::npos) << r.out;
}

// logs --follow prints each line when the gateway sends it and ends when
// the gateway ends the stream; --lines is --tail, --since a duration.
TEST_F(ClientCli, LogsFollowStreamsLinesAsTheyCome) {
  login();
  fake.stream_next("/system/logs");
  const std::string cmd =
      std::string(EBPFAAS_CLI) + " logs hello --follow --lines 4 --since 10m 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  // Reads what the CLI printed until `needle` shows up (or 10 s pass).
  auto read_until = [&](const std::string& needle) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.find(needle) == std::string::npos && std::chrono::steady_clock::now() < end) {
      pollfd fd{::fileno(p), POLLIN, 0};
      if (::poll(&fd, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(::fileno(p), buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    return out.find(needle) != std::string::npos;
  };
  fake.push_stream(
      "{\"name\":\"hello\",\"instance\":\"ebpfaasd\",\"timestamp\":\"2026-01-01T00:00:00.000Z\","
      "\"text\":\"deployed v1\"}\n");
  EXPECT_TRUE(read_until("deployed v1")) << out;
  // The first line came while the stream is still open.
  EXPECT_EQ(out, "2026-01-01T00:00:00.000Z hello (ebpfaasd) deployed v1\n");
  fake.push_stream("\n{\"name\":\"hello\",\"instance\":\"engine\",\"text\":\"later\"}\n");
  EXPECT_TRUE(read_until("later")) << out;
  fake.end_stream();
  read_until("\x01");  // the rest, up to the end of the output
  const int st = ::pclose(p);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  EXPECT_NE(out.find(" hello (engine) later\n"), std::string::npos) << out;
  auto req = fake.take();
  EXPECT_EQ(req.path, "/system/logs");
  EXPECT_EQ(req.auth, kAuth);
  auto param = [&](const char* k) {
    auto it = req.params.find(k);
    return it == req.params.end() ? std::string("<none>") : it->second;
  };
  EXPECT_EQ(param("follow"), "true");
  EXPECT_EQ(param("tail"), "4");
  EXPECT_EQ(param("name"), "hello");
  // --since 10m is sent as the RFC 3339 time ten minutes ago.
  EXPECT_EQ(param("since").size(), std::string("2026-01-01T00:00:00Z").size()) << param("since");
  // Without --follow: one answer, follow=false.
  fake.reply(200, "{\"name\":\"hello\",\"text\":\"kept\"}\n");
  auto r = run("logs hello --tail 1");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("kept"), std::string::npos) << r.out;
  EXPECT_EQ(fake.take().params.find("follow")->second, "false");
}

TEST_F(ClientCli, AsyncInvokeListDescribeStatsRemove) {
  login();
  fake.reply(202, "", {{"X-Call-Id", "abc"}});
  auto r = run("invoke fn --async --callback-url http://127.0.0.1:9/cb");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("call id abc"), std::string::npos);
  auto req = fake.take();
  EXPECT_EQ(req.path, "/async-function/fn");
  EXPECT_EQ(req.header("X-Callback-Url"), "http://127.0.0.1:9/cb");

  fake.reply(200, R"([{"name":"fn","image":"sha256:1","invocationCount":7,"replicas":1,
                       "ebpfaas":{"version":2,"jit":"ready"}}])");
  r = run("ls");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Function"), std::string::npos);
  EXPECT_NE(r.out.find("Invocations"), std::string::npos);
  EXPECT_NE(r.out.find("Replicas"), std::string::npos);
  EXPECT_NE(r.out.find("fn"), std::string::npos);
  EXPECT_NE(r.out.find(" 7 "), std::string::npos) << r.out;
  fake.take();

  fake.reply(200, R"({"name":"fn","replicas":1,"availableReplicas":1,"invocationCount":7,
                      "image":"sha256:1","annotations":{"com.ebpfaas.time":"5"},
                      "ebpfaas":{"version":2,"section":"xdp","program":"handle"}})");
  r = run("describe fn");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("Status:             Ready"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("com.ebpfaas.time: 5"), std::string::npos) << r.out;
  EXPECT_EQ(fake.take().path, "/system/function/fn");

  fake.reply(200, R"({"name":"fn"})");
  fake.reply(200, R"([{"callId":"c1","status":"finished","seconds":3.0,"startedAt":"t",
                       "packets":{"in":3000000},"verdicts":{"drop":3000000},
                       "latency_ns":{"p99":77}}])");
  r = run("stats fn -n 3");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("c1"), std::string::npos);
  EXPECT_NE(r.out.find("1.000"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" 77"), std::string::npos) << r.out;
  fake.take();
  req = fake.take();
  EXPECT_EQ(req.path, "/system/executions");
  EXPECT_EQ(req.params.find("limit")->second, "3");

  fake.reply(202, "");
  r = run("scale fn --replicas 0");
  ASSERT_EQ(r.status, 0) << r.out;
  req = fake.take();
  EXPECT_EQ(req.method + " " + req.path, "POST /system/scale-function/fn");
  EXPECT_EQ(req.auth, kAuth);
  EXPECT_EQ(json::parse(req.body), json({{"serviceName", "fn"}, {"replicas", 0}}));

  fake.reply(202, "");
  fake.reply(404, "function \"nope\" not found");
  r = run("rm fn nope");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("HTTP 404: function \"nope\" not found"), std::string::npos) << r.out;
  req = fake.take();
  EXPECT_EQ(req.method, "DELETE");
  EXPECT_EQ(json::parse(req.body), json({{"functionName", "fn"}}));
}

TEST_F(ClientCli, MapFunctionFormAndStateFormBothWork) {
  login();
  fake.reply(200, "OK");
  auto r = run("map update fn stats '00 00 00 00' 0100000000000000 --flags exist");
  ASSERT_EQ(r.status, 0) << r.out;
  auto req = fake.take();
  EXPECT_EQ(req.method + " " + req.path, "PUT /system/function/fn/maps/stats");
  EXPECT_EQ(json::parse(req.body),
            json({{"key", "00000000"}, {"value", "0100000000000000"}, {"flags", "exist"}}));
  EXPECT_EQ(req.auth, kAuth);

  fake.reply(200, R"({"entries":[{"key":"00000000","value":"0100000000000000"}]})");
  r = run("map lookup fn stats 00000000");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "0100000000000000\n");
  fake.take();

  fake.reply(200, "OK");
  r = run("map delete fn stats 00000000");
  ASSERT_EQ(r.status, 0) << r.out;
  req = fake.take();
  EXPECT_EQ(req.params.find("key")->second, "00000000");

  fake.reply(200, R"([{"name":"stats","type":"array","key_size":4,"value_size":16,
                       "max_entries":4,"entries":4}])");
  fake.reply(200, R"({"entries":[]})");
  r = run("map dump fn");
  ASSERT_EQ(r.status, 0) << r.out;
  auto j = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << r.out;
  EXPECT_EQ(j[0]["name"], "stats");

  r = run("map update fn stats zz 00");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("key:"), std::string::npos) << r.out;
  r = run("map update fn stats");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("usage: ebpfaas map update FUNCTION MAP KEY VALUE"), std::string::npos);

  // The state-file form is unchanged: no gateway involved.
  fake.clear();
  const std::string state = dir + "/x.state";
  r = run("map dump --state " + state);
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out, "[]\n");
  EXPECT_TRUE(fake.all().empty());
}

TEST_F(ClientCli, NewThenBuildGivesAVerifiedObject) {
  const std::string stack = dir + "/stack.yml";
  auto r = run("new hello -f " + stack + " --prefix registry.example/me");
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_TRUE(fs::exists(dir + "/hello/handler.c"));
  auto src = read_text_file(dir + "/hello/handler.c");
  EXPECT_NE(src->find("hello: an ebpfaas network function"), std::string::npos);
  EXPECT_EQ(src->find("{{name}}"), std::string::npos);
  r = run("new second -f " + stack);
  ASSERT_EQ(r.status, 0) << r.out;
  auto s = client::read_stack(stack);
  ASSERT_TRUE(s) << s.error().message();
  ASSERT_EQ(s->functions.size(), 2u);
  EXPECT_EQ(s->functions[0].image, "registry.example/me/hello:latest");
  EXPECT_EQ(s->functions[0].lang, "c-ebpf");
  EXPECT_EQ(s->handler_path(s->functions[0]), dir + "/hello");

  r = run("build -f " + stack + " --filter hello");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("verifier ACCEPTED"), std::string::npos) << r.out;
  const std::string obj = dir + "/build/hello/handler.o";
  auto loaded = loader::load_file(obj);
  ASSERT_TRUE(loaded) << loaded.error().message();
  ASSERT_EQ(loaded->programs.size(), 1u);
  EXPECT_TRUE(loaded->programs[0].verified);
  EXPECT_TRUE(loaded->maps->find("stats"));

  r = run("new hello -f " + stack);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("exists already"), std::string::npos);
  r = run("new other --lang python3 -f " + stack);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("unknown lang \"python3\""), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir + "/other"));
}

TEST_F(ClientCli, BuildReportsCompilerAndVerifierErrors) {
  ASSERT_TRUE(fs::create_directories(dir + "/bad"));
  ASSERT_TRUE(write_file_atomic(
      dir + "/bad/handler.c", std::string_view("#include <linux/bpf.h>\n"
                                               "#include <bpf/bpf_helpers.h>\n"
                                               "SEC(\"xdp\") int f(struct xdp_md *ctx) {\n"
                                               "  return *(int *)(long)ctx->data;\n"
                                               "}\nchar LICENSE[] SEC(\"license\") = \"GPL\";\n")));
  auto r = run("build --handler " + dir + "/bad -o " + dir + "/bad.o");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("REJECTED"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pc "), std::string::npos) << r.out;
  ASSERT_TRUE(write_file_atomic(dir + "/bad/handler.c", std::string_view("int f( {\n")));
  r = run("build --handler " + dir + "/bad -o " + dir + "/bad.o");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("handler.c:1:"), std::string::npos) << r.out;
  r = run("build -f " + dir + "/nostack.yml");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find(dir + "/nostack.yml"), std::string::npos) << r.out;
}

TEST_F(ClientCli, VersionShowsClientAndGateway) {
  fake.reply(200, R"({"provider":{"provider":"ebpfaas","orchestration":"ebpfaas",
                      "version":{"release":"0.1.0","sha":"abc"}},
                      "version":{"release":"0.1.0","sha":"abc"},"arch":"x86_64"})");
  auto r = run("version");
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("ebpfaas client"), std::string::npos);
  EXPECT_NE(r.out.find("orchestration: ebpfaas"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arch:          x86_64"), std::string::npos) << r.out;
  fake.stop();
  r = run("version");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.out.find("cannot connect"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace ebpfaas
