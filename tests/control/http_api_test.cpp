// The HTTP API against a live in-process service on a loopback port: every
// route's happy path and error codes, auth, compile and verifier errors,
// sync and async invocations with callbacks, updates and deletes while
// executing, maps, logs, metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>
#include <random>

#include "control/http_json.h"
#include "dataplane/memory_port.h"
#include "tests/control/http_test_util.h"

namespace ebpfaas::control {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using testing::as_string;
using testing::frame_from;
using testing::HttpApiTest;
using testing::kCompileError;
using testing::kVerifierReject;
using testing::nf_object;
using testing::nf_source;

// One line, ending in a newline, naming something.
void expect_one_line(const httplib::Result& r, int status, const std::string& needle) {
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, status) << r->body;
  EXPECT_NE(r->body.find(needle), std::string::npos)
      << "expected \"" << needle << "\" in " << r->body;
  EXPECT_EQ(r->get_header_value("Content-Type").rfind("text/plain", 0), 0u);
}

// A loopback connection that sends exact bytes and reads one answer at a
// time (cpp-httplib does not take pipelined requests: each goes after the
// previous answer, as curl sends them).
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Sends `bytes` (then ends the sending side when `close_write`), then
  // reads until one whole answer (headers and Content-Length bytes) came, or
  // `timeout` passed (then what came).
  std::string exchange(const std::string& bytes, std::chrono::milliseconds timeout,
                       bool close_write = false) {
    if (fd_ < 0 ||
        ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size()))
      return {};
    if (close_write) ::shutdown(fd_, SHUT_WR);
    std::string in;
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!complete(in)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }

 private:
  static bool complete(const std::string& in) {
    const size_t head = in.find("\r\n\r\n");
    if (head == std::string::npos) return false;
    size_t length = 0;
    const std::string h = in.substr(0, head);
    if (size_t p = h.find("Content-Length: "); p != std::string::npos)
      length = std::strtoul(h.c_str() + p + 16, nullptr, 10);
    return in.size() >= head + 4 + length;
  }
  int fd_;
};

// The status codes of the HTTP/1.1 answers in `stream`, in order.
std::vector<int> statuses(const std::string& stream) {
  std::vector<int> out;
  for (size_t p = 0; (p = stream.find("HTTP/1.1 ", p)) != std::string::npos; p += 9)
    out.push_back(std::atoi(stream.c_str() + p + 9));
  return out;
}

// ---- validation: needs nothing deployed --------------------------------------

TEST_F(HttpApiTest, BadDeploymentsAreRefusedWithTheField) {
  start(options());
  auto post = [&](const std::string& body) {
    return client_->Post("/system/functions", body, "application/json");
  };
  expect_one_line(post(""), 400, "empty body");
  expect_one_line(post("{\"service\":"), 400, "invalid JSON in FunctionDeployment");
  expect_one_line(post("[1,2]"), 400, "expected a JSON object");
  expect_one_line(post(R"({"image":"sha256:00"})"), 400, "missing field \"service\"");
  expect_one_line(post(R"({"service":7,"image":"x"})"), 400, "\"service\"");
  expect_one_line(post(R"({"service":"a b","image":"x"})"), 400, "invalid function name \"a b\"");
  expect_one_line(post(json{{"service", std::string(64, 'a')}, {"image", "x"}}.dump()), 400,
                  "invalid function name");
  expect_one_line(post(R"({"service":"ok"})"), 400, "missing field \"image\"");
  expect_one_line(post(R"({"service":"ok","image":"x","labels":["a"]})"), 400,
                  "invalid field \"labels\"");
  expect_one_line(post(R"({"service":"ok","image":"x","annotations":{"k":1}})"), 400,
                  "invalid field \"annotations.k\"");
  expect_one_line(post(R"({"service":"ok","image":"x","envVars":"A=1"})"), 400,
                  "invalid field \"envVars\"");
  expect_one_line(post(R"({"service":"ok","image":"x","secrets":"s"})"), 400,
                  "invalid field \"secrets\"");
  expect_one_line(post(R"({"service":"ok","image":"x","readOnlyRootFilesystem":"yes"})"), 400,
                  "readOnlyRootFilesystem");
  expect_one_line(post(R"({"service":"ok","image":"sha256:nothex"})"), 400, "image");
  expect_one_line(post(json{{"service", "ok"}, {"image", "sha256:" + std::string(64, 'a')}}.dump()),
                  400, "unknown image");
  // Oversize JSON: 413.
  std::string huge = R"({"service":"ok","image":")" + std::string(2u << 20, 'x') + "\"}";
  expect_one_line(post(huge), 413, "exceeds the limit");
  // Update / delete / get of unknown functions: 404 naming them.
  expect_one_line(client_->Put("/system/functions", R"({"service":"ghost"})", "application/json"),
                  404, "ghost");
  expect_one_line(
      client_->Delete("/system/functions", R"({"functionName":"ghost"})", "application/json"), 404,
      "ghost");
  expect_one_line(client_->Delete("/system/functions", R"({"functionName":3})", "application/json"),
                  400, "functionName");
  expect_one_line(client_->Get("/system/function/ghost"), 404, "ghost");
  expect_one_line(client_->Get("/system/function/a%20b"), 400, "invalid function name");
  expect_one_line(
      client_->Post("/system/scale-function/ghost", R"({"replicas":1})", "application/json"), 404,
      "ghost");
  expect_one_line(
      client_->Post("/system/scale-function/ghost", R"({"replicas":-1})", "application/json"), 400,
      "replicas");
  // Nothing was stored by any of these.
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->status, 200);
  EXPECT_EQ(json::parse(list->body), json::array());
}

TEST_F(HttpApiTest, BadInvocationsAndQueries) {
  start(options());
  expect_one_line(anon_->Post("/function/ghost", "", "application/json"), 404, "ghost");
  expect_one_line(anon_->Post("/async-function/ghost", "", "application/json"), 404, "ghost");
  const std::string image = upload(as_string(slurp(nf_object("wire"))));
  auto d = deploy("wire", image);
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 202) << d->body;
  expect_one_line(anon_->Post("/function/wire?time=abc", "", "text/plain"), 400,
                  "invalid time \"abc\"");
  expect_one_line(anon_->Post("/function/wire?time=1000", "", "text/plain"), 400, "1000");
  expect_one_line(anon_->Post("/function/wire", R"({"time":"soon"})", "application/json"), 400,
                  "invalid time \"soon\"");
  expect_one_line(anon_->Post("/function/wire", R"({"time":0.1,"ports":{}})", "application/json"),
                  400, "\"ports\"");
  expect_one_line(anon_->Post("/function/wire", R"({"time":)", "application/json"), 400,
                  "invalid JSON in execution request");
  expect_one_line(anon_->Post("/function/wire?ports=nope&time=0.1", "", "text/plain"), 400, "nope");
  expect_one_line(anon_->Post("/function/wire?ports=,", "", "text/plain"), 400, "empty item");
  expect_one_line(anon_->Post("/async-function/wire?time=0.1",
                              httplib::Headers{{"X-Callback-Url", "ftp://x"}}, "", "text/plain"),
                  400, "X-Callback-Url");
  expect_one_line(client_->Get("/system/executions?limit=-3"), 400, "limit");
  expect_one_line(client_->Get("/system/execution/nope"), 404, "nope");
  expect_one_line(client_->Delete("/system/execution/nope"), 404, "nope");
  expect_one_line(client_->Get("/system/logs"), 400, "name");
  expect_one_line(client_->Get("/system/logs?name=wire&tail=x"), 400, "tail");
  expect_one_line(client_->Get("/system/logs?name=wire&since=yesterday"), 400, "since");
  expect_one_line(client_->Get("/system/logs?name=wire&follow=maybe"), 400, "follow");
  expect_one_line(client_->Get("/system/function/ghost/maps"), 404, "ghost");
  expect_one_line(client_->Get("/system/function/wire/maps/nope"), 404, "nope");
  expect_one_line(
      client_->Put("/system/function/wire/maps/wire_config", R"({"key":1})", "application/json"),
      400, "key");
  expect_one_line(client_->Delete("/system/function/wire/maps/wire_config"), 400, "key");
  expect_one_line(client_->Get("/system/artifacts/sha256:" + std::string(64, 'b')), 404, "");
  expect_one_line(client_->Get("/no/such/route"), 404, "no route GET /no/such/route");
  // None of the refused invocations left a record.
  auto ex = client_->Get("/system/executions?function=wire");
  ASSERT_TRUE(ex);
  EXPECT_EQ(json::parse(ex->body), json::array());
}

TEST_F(HttpApiTest, UploadsBeyondTheLimitAre413) {
  ServiceOptions o = options();
  o.max_upload = 4096;
  start(o);
  expect_one_line(client_->Post("/system/artifacts", std::string(4097, 'x'), "text/plain"), 413,
                  "max-upload");
  expect_one_line(client_->Post("/system/artifacts", "", "text/plain"), 400, "");
  auto ok = client_->Post("/system/artifacts", std::string(4096, ' '), "text/plain");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 201) << ok->body;
}

// ---- auth ---------------------------------------------------------------------

TEST_F(HttpApiTest, BasicAuthOnSystemRoutesOnly) {
  start(options());
  for (const char* path : {"/system/functions", "/system/info", "/system/executions"}) {
    auto r = anon_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << path;
    EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Basic realm=\"ebpfaas\"");
  }
  auto wrong = testing::make_client(api_->port(), creds_.user, creds_.password + "x");
  auto r = wrong->Get("/system/functions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  auto wrong_user = testing::make_client(api_->port(), "root", creds_.password);
  r = wrong_user->Get("/system/functions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  // An unauthenticated upload is refused before anything is stored.
  r = anon_->Post("/system/artifacts", "int x;", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  r = client_->Get("/system/functions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (const char* path : {"/healthz", "/metrics"}) {
    r = anon_->Get(path);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << path;
  }
  r = anon_->Get("/healthz");
  EXPECT_EQ(r->body, "OK");
}

TEST_F(HttpApiTest, CredentialsAreGeneratedPrivateAndReused) {
  auto a = load_or_create_credentials(state());
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->user, "admin");
  EXPECT_EQ(a->password.size(), 32u);
  for (const std::string& f : {a->user_file, a->password_file}) {
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
  auto b = load_or_create_credentials(state());
  ASSERT_TRUE(b);
  EXPECT_EQ(b->password, a->password);
  // Another state directory, another password.
  auto c = load_or_create_credentials(state() + "-other");
  ASSERT_TRUE(c);
  EXPECT_NE(c->password, a->password);
  std::filesystem::remove_all(state() + "-other");
  // The check itself.
  EXPECT_TRUE(basic_auth_matches("Basic " + base64_encode("admin:" + a->password), *a));
  EXPECT_FALSE(basic_auth_matches("Basic " + base64_encode("admin:" + a->password + "!"), *a));
  EXPECT_FALSE(basic_auth_matches("Basic " + base64_encode("admin"), *a));
  EXPECT_FALSE(basic_auth_matches("Bearer x", *a));
  EXPECT_FALSE(basic_auth_matches("Basic %%%", *a));
  EXPECT_FALSE(basic_auth_matches("", *a));
  EXPECT_EQ(base64_encode("ab"), "YWI=");
  EXPECT_EQ(*base64_decode("YWI="), "ab");
  EXPECT_FALSE(base64_decode("YW=I"));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
}

// ---- deploy diagnostics -------------------------------------------------------

TEST_F(HttpApiTest, CompileAndVerifierErrorsAre400WithTheMessage) {
  start(options());
  auto r = deploy("broken", upload(kCompileError));
  expect_one_line(r, 400, "error:");
  EXPECT_NE(r->body.find("broken.c:7:"), std::string::npos) << r->body;
  r = deploy("unsafe", upload(kVerifierReject));
  expect_one_line(r, 400, "pc ");
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body), json::array());
}

// `curl -X POST URL` sends neither a body nor Content-Length: that is an
// empty body (RFC 9112), the defaults for an invocation, as OpenFaaS takes
// it. The server must answer at once, not wait for more bytes (cpp-httplib
// alone waits 5 s for the connection to close, then answers 400).
TEST_F(HttpApiTest, EmptyBodiesWithoutContentLength) {
  start(options());
  auto d = deploy("wire", upload(as_string(slurp(nf_object("wire")))));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 202) << d->body;
  const std::string auth =
      "Authorization: Basic " + base64_encode(creds_.user + ":" + creds_.password) + "\r\n";
  // One keep-alive connection: no Content-Length, Content-Length: 0, an
  // empty chunked body, then a cancel (DELETE) without a body either, then a
  // sync invocation. Each answer must come at once.
  RawConnection conn(api_->port());
  std::string all;
  std::vector<int> codes;
  for (const std::string& request : {
           std::string("POST /async-function/wire?time=0.05 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "X-Call-Id: empty-none\r\n\r\n"),
           std::string("POST /async-function/wire?time=0.05 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Length: 0\r\nX-Call-Id: empty-zero\r\n\r\n"),
           std::string("POST /async-function/wire/?time=0.05 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Transfer-Encoding: chunked\r\nX-Call-Id: empty-chunked\r\n\r\n0\r\n\r\n"),
           std::string("POST /async-function/wire?time=5 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "X-Call-Id: to-cancel\r\n\r\n"),
           "DELETE /system/execution/to-cancel HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n",
           std::string("POST /function/wire?time=0.05 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "X-Call-Id: empty-sync\r\n\r\n"),
       }) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string answer = conn.exchange(request, 3s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s) << request << answer;
    all += answer;
    for (int c : statuses(answer)) codes.push_back(c);
  }
  EXPECT_EQ(codes, (std::vector<int>{202, 202, 202, 202, 202, 200})) << all;
  EXPECT_NE(all.find("\"callId\":\"empty-sync\""), std::string::npos) << all;
  for (const char* id : {"empty-none", "empty-zero", "empty-chunked", "empty-sync"}) {
    json r = wait_execution(id, "final");
    EXPECT_EQ(r.value("status", ""), "finished") << id << ": " << r.dump();
    EXPECT_DOUBLE_EQ(r.value("seconds", 0.0), 0.05) << id;
  }
  EXPECT_EQ(wait_execution("to-cancel", "final").value("status", ""), "cancelled");

  // An empty body where a body is needed, and a bad one: our 400s, naming it.
  RawConnection conn2(api_->port());
  std::string refused;
  for (const std::string& request : {
           "POST /system/scale-function/wire HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n",
           "PUT /system/functions HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
               "Content-Length: 0\r\n\r\n",
           std::string("POST /function/wire HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 6\r\n"
                       "\r\n{\"time"),
       })
    refused += conn2.exchange(request, 3s);
  EXPECT_EQ(statuses(refused), (std::vector<int>{400, 400, 400})) << refused;
  EXPECT_NE(refused.find("empty body: expected a ScaleServiceRequest"), std::string::npos)
      << refused;
  EXPECT_NE(refused.find("empty body: expected a FunctionDeployment"), std::string::npos)
      << refused;
  EXPECT_NE(refused.find("invalid JSON in execution request"), std::string::npos) << refused;
  // The refused requests changed nothing.
  auto f = client_->Get("/system/function/wire");
  ASSERT_TRUE(f);
  EXPECT_EQ(json::parse(f->body).value("replicas", 0), 1);
  EXPECT_EQ(json::parse(f->body)["ebpfaas"].value("version", 0), 1);
}

// A body cut short (the client went away, a malformed chunk) is refused
// whole: no partial artifact is stored, no partial deployment parsed. (A
// client that closed its side gets no answer: cpp-httplib finds the socket
// gone; the server closing the connection shows the request was handled.)
TEST_F(HttpApiTest, BodiesCutShortStoreNothing) {
  start(options());
  const std::string auth =
      "Authorization: Basic " + base64_encode(creds_.user + ":" + creds_.password) + "\r\n";
  const std::string source = as_string(slurp(nf_source("wire")));
  ASSERT_GT(source.size(), 100u);
  auto cut_short = [&](const std::string& route, const std::string& body, size_t sent) {
    RawConnection conn(api_->port());
    const auto t0 = std::chrono::steady_clock::now();
    std::string a = conn.exchange(route + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                                      "Content-Length: " + std::to_string(body.size()) +
                                      "\r\n\r\n" + body.substr(0, sent),
                                  10s, /*close_write=*/true);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s) << route << ": never handled";
    EXPECT_TRUE(a.empty() || statuses(a) == std::vector<int>{400}) << a;
  };
  cut_short("POST /system/artifacts", source, 100);
  cut_short("POST /system/functions",
            json{{"service", "cut"}, {"image", "sha256:" + std::string(64, 'a')}}.dump(), 20);
  // A malformed chunk on a live connection: our 400.
  RawConnection chunked(api_->port());
  const std::string a =
      chunked.exchange("POST /system/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                           "Transfer-Encoding: chunked\r\n\r\n6\r\nint x;\r\nzz\r\n",
                       3s);
  EXPECT_EQ(statuses(a), std::vector<int>{400}) << a;
  EXPECT_NE(a.find("ended after 6 bytes"), std::string::npos) << a;
  // Nothing stored: no artifact file, no function.
  std::error_code ec;
  size_t artifacts = 0;
  for (auto it = std::filesystem::recursive_directory_iterator(state() + "/artifacts", ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
    artifacts += it->is_regular_file() ? 1 : 0;
  EXPECT_EQ(artifacts, 0u);
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  EXPECT_EQ(json::parse(list->body), json::array());
  // The whole source, sent the same way, is stored.
  RawConnection whole(api_->port());
  const std::string stored =
      whole.exchange("POST /system/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
                         "Content-Length: " + std::to_string(source.size()) + "\r\n\r\n" + source,
                     3s);
  EXPECT_EQ(statuses(stored), std::vector<int>{201}) << stored;
}

// A compile that takes longer than the limit is killed; the deploy is a 400
// naming the limit, and nothing stored changes. The "compiler" here is a
// script whose child sleeps: killing only the script would leave the child
// holding the output pipe.
TEST_F(HttpApiTest, CompileTimeLimit) {
  const std::string slow = (dir_ / "slow-clang").string();
  {
    std::ofstream script(slow);
    script << "#!/bin/sh\nsleep 30\necho never\n";
  }
  ASSERT_EQ(::chmod(slow.c_str(), 0755), 0);
  ServiceOptions o = options();
  o.clang = slow;
  o.compile_timeout = 0.3;
  start(o);
  // An object needs no compiler: the function that must stay as it is.
  auto keep = deploy("keep", upload(as_string(slurp(nf_object("wire")))));
  ASSERT_TRUE(keep);
  ASSERT_EQ(keep->status, 202) << keep->body;
  const std::string source = upload(as_string(slurp(nf_source("wire"))));
  for (const char* method : {"POST", "PUT"}) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r =
        deploy(std::string(method) == "POST" ? "slow" : "keep", source, json::object(), method);
    const auto took = std::chrono::steady_clock::now() - t0;
    expect_one_line(r, 400, "compile time limit of 0.3 s");
    EXPECT_GE(took, 250ms) << method;
    EXPECT_LT(took, 10s) << method;
  }
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  json fs = json::parse(list->body);
  ASSERT_EQ(fs.size(), 1u) << fs.dump();
  EXPECT_EQ(fs[0].value("name", ""), "keep");
  EXPECT_EQ(fs[0]["ebpfaas"].value("version", 0), 1);
  EXPECT_EQ(fs[0].value("image", ""), json::parse(keep->body).value("image", ""));
  // No scratch build directory is left behind.
  std::error_code ec;
  EXPECT_TRUE(!std::filesystem::exists(state() + "/build", ec) ||
              std::filesystem::is_empty(state() + "/build", ec));
}

// XDP_PASS with no host port to pass to: the result counts the verdict as a
// pass and the packet as a drop, with its cause, so that "dropped" is never
// a figure the reader has to explain.
TEST_F(HttpApiTest, ResultSaysWhyPacketsWereDropped) {
  start(options());
  constexpr const char* kPass = R"(
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
)";
  auto d = deploy("pass", upload(kPass));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 202) << d->body;
  auto r = anon_->Post("/function/pass?time=0.2", "", "text/plain");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  json j = json::parse(r->body);
  const uint64_t passed = j["verdicts"].value("pass", uint64_t{0});
  EXPECT_GT(passed, 0u) << j.dump();
  ASSERT_TRUE(j["drops"].is_object()) << j.dump();
  EXPECT_EQ(j["drops"].size(), kDropCauseCount);
  uint64_t sum = 0;
  for (const auto& [cause, n] : j["drops"].items()) sum += n.get<uint64_t>();
  EXPECT_EQ(sum, j["packets"].value("dropped", uint64_t{0})) << j.dump();
  // Packets that arrived before the switch to this function went to the idle
  // program (drop); every one this function saw was passed, to nowhere.
  EXPECT_EQ(j["drops"].value("pass_no_host", uint64_t{0}), passed) << j.dump();
  EXPECT_EQ(j["drops"].value("program", uint64_t{0}), j["verdicts"].value("drop", uint64_t{0}));
  EXPECT_EQ(j["packets"].value("out", uint64_t{1}), 0u);
  // The stored record says the same.
  auto g = client_->Get("/system/execution/" + j.value("callId", ""));
  ASSERT_TRUE(g);
  EXPECT_EQ(json::parse(g->body)["drops"], j["drops"]);
  // And /metrics, by cause, over the function's executions (this one).
  auto m = anon_->Get("/metrics");
  ASSERT_TRUE(m);
  for (const auto& [cause, n] : j["drops"].items()) {
    const std::string series = "ebpfaas_function_dropped_total{function_name=\"pass\",cause=\"" +
                               cause + "\"} " + std::to_string(n.get<uint64_t>()) + "\n";
    EXPECT_NE(m->body.find(series), std::string::npos) << series << m->body;
  }
}

// ---- the happy paths ------------------------------------------------------------

TEST_F(HttpApiTest, EveryRouteHappyPath) {
  start(options());
  // Artifacts: content-addressed, 201 then 200, bytes back.
  const std::string source = as_string(slurp(nf_source("wire")));
  auto a1 = client_->Post("/system/artifacts", source, "text/plain");
  ASSERT_TRUE(a1);
  ASSERT_EQ(a1->status, 201) << a1->body;
  json art = json::parse(a1->body);
  EXPECT_EQ(art["kind"], "c");
  EXPECT_EQ(art["size"], source.size());
  const std::string image = art["image"];
  EXPECT_EQ(image.size(), 7u + 64u);
  auto a2 = client_->Post("/system/artifacts", source, "text/plain");
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->status, 200);
  EXPECT_EQ(json::parse(a2->body)["image"], image);
  auto back = client_->Get("/system/artifacts/" + image);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->status, 200);
  EXPECT_EQ(back->body, source);
  const std::string elf = as_string(slurp(nf_object("l2_learning_switch")));
  auto a3 = client_->Post("/system/artifacts", elf, "application/octet-stream");
  ASSERT_TRUE(a3);
  EXPECT_EQ(json::parse(a3->body)["kind"], "elf");

  // Deploy (C compiled server-side), 409 on the same name.
  auto d = deploy("wire", image, {{"com.ebpfaas.time", "0.2"}});
  ASSERT_TRUE(d);
  ASSERT_EQ(d->status, 202) << d->body;
  EXPECT_EQ(json::parse(d->body)["ebpfaas"]["version"], 1);
  expect_one_line(deploy("wire", image), 409, "wire");
  // List and get: FunctionStatus fields.
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  json l = json::parse(list->body);
  ASSERT_EQ(l.size(), 1u);
  for (const char* field : {"name", "image", "namespace", "labels", "annotations", "envVars",
                            "invocationCount", "replicas", "availableReplicas", "createdAt"})
    EXPECT_TRUE(l[0].contains(field)) << field;
  EXPECT_EQ(l[0]["image"], image);
  EXPECT_EQ(l[0]["annotations"]["com.ebpfaas.time"], "0.2");
  EXPECT_GT(l[0]["ebpfaas"]["verified_insns"].get<int>(), 0);
  auto one = client_->Get("/system/function/wire");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->status, 200);
  EXPECT_EQ(json::parse(one->body)["name"], "wire");

  // Sync invoke on the gen port: packets counted; the function's default time.
  auto inv = anon_->Post("/function/wire", "", "text/plain");
  ASSERT_TRUE(inv);
  ASSERT_EQ(inv->status, 200) << inv->body;
  json res = json::parse(inv->body);
  EXPECT_EQ(res["status"], "finished");
  EXPECT_EQ(res["function"], "wire");
  EXPECT_DOUBLE_EQ(res["seconds"].get<double>(), 0.2);
  EXPECT_GT(res["packets"]["in"].get<uint64_t>(), 0u);
  for (const char* field : {"callId", "version", "queuedAt", "startedAt", "endedAt", "ports",
                            "bytes", "verdicts", "latency_ns", "maps", "message"})
    EXPECT_TRUE(res.contains(field)) << field;
  EXPECT_EQ(inv->get_header_value("X-Call-Id"), res["callId"].get<std::string>());
  EXPECT_GT(std::stod(inv->get_header_value("X-Duration-Seconds")), 0.1);
  // Query parameters and a JSON body; the caller's X-Call-Id.
  auto q = anon_->Post("/function/wire?time=0.1&ports=in",
                       httplib::Headers{{"X-Call-Id", "my-call-1"}}, "", "text/plain");
  ASSERT_TRUE(q);
  ASSERT_EQ(q->status, 200) << q->body;
  EXPECT_EQ(json::parse(q->body)["callId"], "my-call-1");
  EXPECT_EQ(json::parse(q->body)["ports"], json::array({"in"}));
  auto b = anon_->Post("/function/wire", R"({"time":0.1,"ports":[0]})", "application/json");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->status, 200) << b->body;
  EXPECT_DOUBLE_EQ(json::parse(b->body)["seconds"].get<double>(), 0.1);
  // The caller's id used twice: 409.
  expect_one_line(anon_->Post("/function/wire?time=0.1",
                              httplib::Headers{{"X-Call-Id", "my-call-1"}}, "", "text/plain"),
                  409, "my-call-1");

  // Executions: newest first, one by id.
  auto ex = client_->Get("/system/executions?function=wire&limit=2");
  ASSERT_TRUE(ex);
  json e = json::parse(ex->body);
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[1]["callId"], "my-call-1");
  auto rec = client_->Get("/system/execution/my-call-1");
  ASSERT_TRUE(rec);
  EXPECT_EQ(json::parse(rec->body)["status"], "finished");
  one = client_->Get("/system/function/wire");
  EXPECT_EQ(json::parse(one->body)["invocationCount"], 3);

  // Scale to 0: invocations refused with 503; back to 1.
  auto sc = client_->Post("/system/scale-function/wire", R"({"serviceName":"wire","replicas":0})",
                          "application/json");
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->status, 202) << sc->body;
  EXPECT_EQ(json::parse(client_->Get("/system/function/wire")->body)["availableReplicas"], 0);
  expect_one_line(anon_->Post("/function/wire?time=0.1", "", "text/plain"), 503, "wire");
  sc = client_->Post("/system/scale-function/wire", R"({"replicas":1})", "application/json");
  ASSERT_TRUE(sc);
  EXPECT_EQ(sc->status, 202);
  expect_one_line(client_->Post("/system/scale-function/wire",
                                R"({"serviceName":"other","replicas":1})", "application/json"),
                  400, "serviceName");

  // Update: new version, 202.
  auto up = deploy("wire", image, {{"note", "v2"}}, "PUT");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 202) << up->body;
  EXPECT_EQ(json::parse(up->body)["ebpfaas"]["version"], 2);

  // Info, health, metrics, logs.
  auto info = client_->Get("/system/info");
  ASSERT_TRUE(info);
  json i = json::parse(info->body);
  EXPECT_EQ(i["provider"]["provider"], "ebpfaas");
  EXPECT_EQ(i["provider"]["orchestration"], "ebpfaas");
  EXPECT_TRUE(i["version"].contains("release"));
  EXPECT_TRUE(i["version"].contains("sha"));
  EXPECT_EQ(i["arch"], "x86_64");
  auto m = anon_->Get("/metrics");
  ASSERT_TRUE(m);
  for (const char* series :
       {"gateway_function_invocation_total{function_name=\"wire\",code=\"200\"} 3",
        "gateway_function_invocation_total{function_name=\"wire\",code=\"503\"} 1",
        "gateway_functions_seconds_count{function_name=\"wire\"} 3", "gateway_service_count 1",
        "ebpfaas_function_packets_total{function_name=\"wire\",direction=\"in\"}",
        "ebpfaas_function_verdicts_total{function_name=\"wire\",verdict=\"redirect\"}",
        "ebpfaas_function_latency_seconds{function_name=\"wire\",quantile=\"0.99\"}",
        "ebpfaas_port_packets_total{port=\"in\",direction=\"rx\"}",
        "ebpfaas_scheduler_queue_length 0"})
    EXPECT_NE(m->body.find(series), std::string::npos) << series << "\n" << m->body;
  auto lg = client_->Get("/system/logs?name=wire&tail=2");
  ASSERT_TRUE(lg);
  ASSERT_EQ(lg->status, 200) << lg->body;
  EXPECT_EQ(lg->get_header_value("Content-Type"), "application/x-ndjson");
  std::istringstream lines(lg->body);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    json j = json::parse(line);
    EXPECT_EQ(j["name"], "wire");
    for (const char* field : {"namespace", "instance", "timestamp", "text"})
      EXPECT_TRUE(j.contains(field)) << field;
    ++n;
  }
  EXPECT_EQ(n, 2);
  auto since = client_->Get("/system/logs?name=wire&since=2000-01-01T00:00:00Z");
  ASSERT_TRUE(since);
  EXPECT_EQ(since->status, 200);
  EXPECT_GT(std::count(since->body.begin(), since->body.end(), '\n'), 4);

  // Delete: 202, then 404; the records stay.
  auto del = client_->Delete("/system/functions", R"({"functionName":"wire"})", "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 202) << del->body;
  expect_one_line(client_->Get("/system/function/wire"), 404, "wire");
  ex = client_->Get("/system/executions?function=wire");
  ASSERT_TRUE(ex);
  EXPECT_EQ(json::parse(ex->body).size(), 3u);
}

// ---- async invocations and callbacks -----------------------------------------------

TEST_F(HttpApiTest, AsyncInvocationPostsTheResultToTheCallback) {
  start(options());
  ASSERT_EQ(deploy("wire", upload(as_string(slurp(nf_object("wire")))))->status, 202);

  std::mutex mu;
  std::condition_variable cv;
  std::vector<httplib::Request> received;
  httplib::Server sink;
  sink.Post("/done", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(mu);
    received.push_back(req);
    cv.notify_all();
    res.status = 200;
  });
  const int port = sink.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread t([&] { sink.listen_after_bind(); });
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/done?k=v";

  auto r = anon_->Post("/async-function/wire?time=0.1",
                       httplib::Headers{{"X-Callback-Url", url}, {"X-Call-Id", "async-1"}}, "",
                       "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 202) << r->body;
  EXPECT_EQ(r->get_header_value("X-Call-Id"), "async-1");
  // A generated id, no callback.
  auto r2 = anon_->Post("/async-function/wire", R"({"time":0.1})", "application/json");
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 202);
  const std::string id2 = r2->get_header_value("X-Call-Id");
  EXPECT_FALSE(id2.empty());
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 20s, [&] { return !received.empty(); }));
  }
  const httplib::Request& cb = received[0];
  EXPECT_EQ(cb.get_header_value("X-Call-Id"), "async-1");
  EXPECT_EQ(cb.get_header_value("X-Function-Name"), "wire");
  EXPECT_EQ(cb.get_header_value("X-Function-Status"), "200");
  EXPECT_GT(std::stod(cb.get_header_value("X-Duration-Seconds")), 0.05);
  EXPECT_EQ(cb.get_param_value("k"), "v");
  json body = json::parse(cb.body);
  EXPECT_EQ(body["callId"], "async-1");
  EXPECT_EQ(body["status"], "finished");
  EXPECT_GT(body["packets"]["in"].get<uint64_t>(), 0u);
  EXPECT_EQ(wait_execution(id2, "final")["status"], "finished");
  // A callback nobody answers is logged, not fatal.
  auto r3 = anon_->Post("/async-function/wire?time=0.1",
                        httplib::Headers{{"X-Callback-Url", "http://127.0.0.1:1/none"}}, "",
                        "text/plain");
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->status, 202);
  EXPECT_EQ(wait_execution(r3->get_header_value("X-Call-Id"), "final")["status"], "finished");
  sink.stop();
  t.join();
}

// ---- while executing -------------------------------------------------------------

TEST_F(HttpApiTest, UpdateWhileExecutingKeepsRunningAndKeepsMaps) {
  start(options({"a=memory", "b=memory"}));
  ASSERT_EQ(deploy("switch", upload(as_string(slurp(nf_object("l2_learning_switch")))))->status,
            202);
  auto r = anon_->Post("/async-function/switch?time=2", httplib::Headers{{"X-Call-Id", "learn"}},
                       "", "text/plain");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 202) << r->body;
  wait_execution("learn", "running");
  dataplane::MemoryPort* a = service_->memory_port(0);
  ASSERT_NE(a, nullptr);
  for (uint8_t h = 1; h <= 5; ++h) a->inject(0, frame_from(h));
  auto entries = [&] {
    auto d = client_->Get("/system/function/switch/maps/mac_table");
    if (!d || d->status != 200) return size_t{0};
    return json::parse(d->body)["entries"].size();
  };
  for (int i = 0; i < 400 && entries() < 5; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(entries(), 5u);
  // v2 from the C source, published into the running execution.
  auto up = deploy("switch", upload(as_string(slurp(nf_source("l2_learning_switch")))),
                   {{"note", "v2"}}, "PUT");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 202) << up->body;
  EXPECT_EQ(entries(), 5u);
  for (uint8_t h = 6; h <= 8; ++h) a->inject(0, frame_from(h));
  for (int i = 0; i < 400 && entries() < 8; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(entries(), 8u);
  auto rec = client_->Get("/system/execution/learn");
  ASSERT_TRUE(rec);
  json j = json::parse(rec->body);
  EXPECT_EQ(j["status"], "running");
  EXPECT_EQ(j["version"], 2);
  // Map routes: list, update (noexist twice: 409), wrong size 400, delete, delete again 404.
  auto maps = client_->Get("/system/function/switch/maps");
  ASSERT_TRUE(maps);
  json ml = json::parse(maps->body);
  ASSERT_FALSE(ml.empty());
  EXPECT_EQ(ml[0]["name"], "mac_table");
  EXPECT_EQ(ml[0]["entries"], 8);
  for (const char* field : {"type", "key_size", "value_size", "max_entries"})
    EXPECT_TRUE(ml[0].contains(field)) << field;
  const std::string key = "0200000000090000";
  json put = {{"key", key}, {"value", "0200000000000000"}, {"flags", "noexist"}};
  auto p1 = client_->Put("/system/function/switch/maps/mac_table", put.dump(), "application/json");
  ASSERT_TRUE(p1);
  EXPECT_EQ(p1->status, 200) << p1->body;
  expect_one_line(
      client_->Put("/system/function/switch/maps/mac_table", put.dump(), "application/json"), 409,
      "");
  expect_one_line(client_->Put("/system/function/switch/maps/mac_table",
                               R"({"key":"00","value":"00"})", "application/json"),
                  400, "");
  expect_one_line(
      client_->Put("/system/function/switch/maps/mac_table",
                   json{{"key", key}, {"value", "0200000000000000"}, {"flags", "sometimes"}}.dump(),
                   "application/json"),
      400, "");
  auto dl = client_->Delete("/system/function/switch/maps/mac_table?key=" + key);
  ASSERT_TRUE(dl);
  EXPECT_EQ(dl->status, 200) << dl->body;
  expect_one_line(client_->Delete("/system/function/switch/maps/mac_table?key=" + key), 404, "");
  // The execution finishes with the table it built.
  j = wait_execution("learn", "final");
  EXPECT_EQ(j["status"], "finished");
  EXPECT_EQ(j["maps"]["mac_table"]["entries"], 8);
  EXPECT_EQ(entries(), 8u);
}

TEST_F(HttpApiTest, DeleteWhileRunning) {
  start(options());
  ASSERT_EQ(deploy("wire", upload(as_string(slurp(nf_object("wire")))))->status, 202);
  // A sync caller waiting for it gets the cancelled record.
  std::thread caller([&] {
    auto c = testing::make_client(api_->port());
    auto r = c->Post("/function/wire?time=5", httplib::Headers{{"X-Call-Id", "doomed"}}, "",
                     "text/plain");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["status"], "cancelled");
  });
  wait_execution("doomed", "running");
  auto queued = anon_->Post("/async-function/wire?time=1", "", "text/plain");
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->status, 202);
  auto del = client_->Delete("/system/functions", R"({"functionName":"wire"})", "application/json");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 202) << del->body;
  caller.join();
  json j = wait_execution("doomed", "final");
  EXPECT_EQ(j["status"], "cancelled");
  EXPECT_GT(j["packets"]["in"].get<uint64_t>(), 0u);
  EXPECT_EQ(wait_execution(queued->get_header_value("X-Call-Id"), "final")["status"], "cancelled");
  expect_one_line(client_->Get("/system/function/wire"), 404, "wire");
  expect_one_line(anon_->Post("/function/wire?time=0.1", "", "text/plain"), 404, "wire");
  // The name can be used again.
  EXPECT_EQ(deploy("wire", upload(as_string(slurp(nf_object("wire")))))->status, 202);
}

TEST_F(HttpApiTest, FollowedLogsStreamNewLines) {
  start(options());
  ASSERT_EQ(deploy("wire", upload(as_string(slurp(nf_object("wire")))))->status, 202);
  std::mutex mu;
  std::string streamed;
  std::atomic<bool> enough{false};
  std::thread reader([&] {
    auto c = testing::make_client(api_->port(), creds_.user, creds_.password);
    c->Get("/system/logs?name=wire&follow=true", [&](const char* data, size_t n) {
      std::lock_guard lock(mu);
      streamed.append(data, n);
      return !enough.load();
    });
  });
  auto inv = anon_->Post("/function/wire?time=0.1", "", "text/plain");
  ASSERT_TRUE(inv);
  ASSERT_EQ(inv->status, 200);
  const std::string id = json::parse(inv->body)["callId"];
  bool seen = false;
  for (int i = 0; i < 500 && !seen; ++i) {
    {
      std::lock_guard lock(mu);
      seen = streamed.find("execution " + id + " finished") != std::string::npos;
    }
    if (!seen) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(seen) << streamed;
  {
    std::lock_guard lock(mu);
    EXPECT_NE(streamed.find("deployed v1"), std::string::npos) << streamed;
  }
  enough = true;
  // One more line wakes the stream so that the reader sees it is done.
  (void)anon_->Post("/function/wire?time=0.05", "", "text/plain");
  reader.join();
}

}  // namespace
}  // namespace ebpfaas::control

namespace ebpfaas::control {
namespace {

// Random bodies, queries and headers on every route: always an answer below
// 500 (the inputs are the client's fault), never a crash, nothing stored.
TEST_F(HttpApiTest, GarbageNeverCrashes) {
  start(options());
  ASSERT_EQ(deploy("wire", upload(as_string(slurp(nf_object("wire")))))->status, 202);
  std::mt19937 rng(42);
  auto garbage = [&](size_t max) {
    std::string s(rng() % max, '\0');
    const std::string_view alphabet = "{}[]\":,0123456789.-eE truefalsnul\\\x01\xff\xc3";
    for (char& c : s)
      c = rng() % 4 == 0 ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    return s;
  };
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/system/functions"},
      {"PUT", "/system/functions"},
      {"DELETE", "/system/functions"},
      {"POST", "/system/scale-function/wire"},
      {"PUT", "/system/function/wire/maps/wire_config"},
      {"POST", "/function/wire"},
      {"POST", "/async-function/wire"}};
  const std::vector<std::string> queries = {"",           "?time=",   "?time=1e999", "?time=nan",
                                            "?ports=%00", "?time=-1", "?ports=99",   "?time=0x10"};
  int answered = 0;
  for (int i = 0; i < 400; ++i) {
    const auto& [method, path] = routes[rng() % routes.size()];
    const std::string target = path + queries[rng() % queries.size()];
    const std::string body = garbage(200);
    httplib::Result r = method == "POST"  ? client_->Post(target, body, "application/json")
                        : method == "PUT" ? client_->Put(target, body, "application/json")
                                          : client_->Delete(target, body, "application/json");
    ASSERT_TRUE(r) << method << " " << target << ": " << httplib::to_string(r.error());
    EXPECT_LT(r->status, 500) << method << " " << target << " " << json(body).dump() << ": "
                              << r->body;
    if (r->status >= 400) EXPECT_FALSE(r->body.empty());
    ++answered;
  }
  // JSON of the right shape with values of every wrong type.
  const std::vector<json> values = {nullptr,
                                    true,
                                    1,
                                    -1,
                                    1.5,
                                    "s",
                                    json::array(),
                                    json::object(),
                                    json::array({1, "a"}),
                                    json{{"k", json::array()}}};
  for (const char* field : {"service", "image", "labels", "annotations", "envVars", "secrets",
                            "constraints", "limits", "namespace", "readOnlyRootFilesystem"})
    for (const json& v : values) {
      json j = {{"service", "typed"}, {"image", "sha256:" + std::string(64, 'c')}};
      j[field] = v;
      auto r = client_->Post("/system/functions", j.dump(), "application/json");
      ASSERT_TRUE(r);
      EXPECT_GE(r->status, 400) << j.dump();
      EXPECT_LT(r->status, 500) << j.dump() << ": " << r->body;
    }
  for (const json& v : values) {
    auto r = anon_->Post("/function/wire", json{{"time", v}}.dump(), "application/json");
    ASSERT_TRUE(r);
    EXPECT_LT(r->status, 500) << v.dump() << ": " << r->body;
    r = anon_->Post("/function/wire", json{{"ports", v}, {"time", 0.05}}.dump(),
                    "application/json");
    ASSERT_TRUE(r);
    EXPECT_LT(r->status, 500) << v.dump() << ": " << r->body;
  }
  EXPECT_EQ(answered, 400);
  auto h = anon_->Get("/healthz");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto list = client_->Get("/system/functions");
  ASSERT_TRUE(list);
  json l = json::parse(list->body);
  ASSERT_EQ(l.size(), 1u) << l.dump();
  EXPECT_EQ(l[0]["name"], "wire");
}

}  // namespace
}  // namespace ebpfaas::control
