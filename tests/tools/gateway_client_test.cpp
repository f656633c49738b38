// The gateway client against a fake gateway (cpp-httplib) that records each
// request: method, path, query, Authorization and body are asserted for every
// route, and failures carry the status and the gateway's message.
#include "control/client/gateway_client.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "control/client/config.h"
#include "tests/tools/fake_gateway.h"

namespace ebpfaas::client {
namespace {

using test::FakeGateway;

GatewayOptions at(std::string url) {
  GatewayOptions o;
  o.url = std::move(url);
  return o;
}

class GatewayClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fake.start()) << "cannot listen on 127.0.0.1";
    GatewayOptions o;
    o.url = fake.url();
    o.credentials = Credentials{"admin", "s3cret"};
    auto c = GatewayClient::create(o);
    ASSERT_TRUE(c) << c.error().message();
    client.emplace(std::move(*c));
  }
  FakeGateway fake;
  std::optional<GatewayClient> client;
  const std::string kAuth = "Basic YWRtaW46czNjcmV0";  // base64("admin:s3cret")
};

TEST_F(GatewayClientTest, UploadSendsRawBytesAndReadsTheImage) {
  fake.reply(201, R"({"image":"sha256:)" + std::string(64, 'a') + R"(","size":5,"kind":"c"})");
  const std::string src = "int x;";
  auto a =
      client->upload_artifact(std::span(reinterpret_cast<const uint8_t*>(src.data()), src.size()));
  ASSERT_TRUE(a) << a.failure().text();
  EXPECT_EQ(a->image, "sha256:" + std::string(64, 'a'));
  EXPECT_EQ(a->kind, "c");
  EXPECT_EQ(a->size, 5u);
  EXPECT_TRUE(a->created);
  auto r = fake.take();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/system/artifacts");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(r.content_type, "application/octet-stream");
  EXPECT_EQ(r.body, src);
}

TEST_F(GatewayClientTest, DeployUpdateRemoveSendFaasProviderShapes) {
  json d = {{"service", "wire"},
            {"image", "sha256:" + std::string(64, 'b')},
            {"annotations", {{"com.ebpfaas.section", "xdp"}}},
            {"labels", json::object()},
            {"envVars", json::object()}};
  fake.reply(202, "");
  ASSERT_TRUE(client->deploy(d));
  auto r = fake.take();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/system/functions");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(json::parse(r.body), d);

  fake.reply(202, "");
  ASSERT_TRUE(client->update(d));
  r = fake.take();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, "/system/functions");
  EXPECT_EQ(json::parse(r.body), d);

  fake.reply(202, "");
  ASSERT_TRUE(client->remove("wire"));
  r = fake.take();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, "/system/functions");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(json::parse(r.body), json({{"functionName", "wire"}}));

  fake.reply(202, "");
  ASSERT_TRUE(client->scale("wire", 0));
  r = fake.take();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/system/scale-function/wire");
  EXPECT_EQ(json::parse(r.body), json({{"serviceName", "wire"}, {"replicas", 0}}));
}

TEST_F(GatewayClientTest, FailuresCarryStatusAndMessage) {
  fake.reply(409, "function \"wire\" already exists\n");
  auto r = client->deploy(json{{"service", "wire"}, {"image", "sha256:x"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().status, 409);
  EXPECT_EQ(r.failure().message, "function \"wire\" already exists");
  EXPECT_EQ(r.failure().route, "POST /system/functions");
  EXPECT_EQ(r.failure().text(),
            "POST /system/functions: HTTP 409: function \"wire\" already exists");
  fake.take();

  fake.reply(404, "function \"nope\" not found");
  auto d = client->describe("nope");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.failure().status, 404);
  EXPECT_EQ(fake.take().path, "/system/function/nope");

  fake.reply(401, "unauthorized");
  auto l = client->list();
  ASSERT_FALSE(l);
  EXPECT_EQ(l.failure().status, 401);
  EXPECT_NE(l.failure().message.find("ebpfaas login"), std::string::npos);

  fake.reply(200, "not json");
  auto bad = client->list();
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.failure().message.find("not JSON"), std::string::npos);
}

TEST_F(GatewayClientTest, NoAnswerIsStatusZero) {
  const std::string url = fake.url();
  fake.stop();
  GatewayOptions o = at(url);
  o.connect_timeout_seconds = 1;
  auto c = GatewayClient::create(o);
  ASSERT_TRUE(c);
  auto r = c->health();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.failure().status, 0);
  EXPECT_NE(r.failure().message.find(url), std::string::npos);
}

TEST_F(GatewayClientTest, ListDescribeInfoHealth) {
  fake.reply(200, R"([{"name":"wire","invocationCount":3,"replicas":1}])");
  auto l = client->list();
  ASSERT_TRUE(l) << l.failure().text();
  EXPECT_EQ((*l)[0]["name"], "wire");
  auto r = fake.take();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/system/functions");
  EXPECT_EQ(r.auth, kAuth);

  fake.reply(200, R"({"name":"wire"})");
  ASSERT_TRUE(client->describe("wire"));
  EXPECT_EQ(fake.take().path, "/system/function/wire");

  fake.reply(200, R"({"provider":{"provider":"ebpfaas"},"arch":"x86_64"})");
  auto i = client->info();
  ASSERT_TRUE(i);
  EXPECT_EQ((*i)["arch"], "x86_64");
  r = fake.take();
  EXPECT_EQ(r.path, "/system/info");
  EXPECT_EQ(r.auth, kAuth);

  fake.reply(200, "OK");
  ASSERT_TRUE(client->health());
  r = fake.take();
  EXPECT_EQ(r.path, "/healthz");
  EXPECT_EQ(r.auth, "");  // OpenFaaS does not guard /healthz
}

TEST_F(GatewayClientTest, SyncInvokeSendsTimePortsAndCallIdWithoutAuth) {
  fake.reply(200, R"({"callId":"c-1","status":"finished","packets":{"in":10}})",
             {{"X-Call-Id", "c-1"}, {"X-Duration-Seconds", "3.000"}});
  InvokeParams p;
  p.seconds = 3;
  p.ports = {"in", "out"};
  p.call_id = "c-1";
  auto inv = client->invoke("wire", p);
  ASSERT_TRUE(inv) << inv.failure().text();
  EXPECT_EQ(inv->call_id, "c-1");
  EXPECT_EQ(inv->status, 200);
  EXPECT_EQ(inv->result["packets"]["in"], 10);
  auto r = fake.take();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/function/wire");
  EXPECT_EQ(r.params,
            (std::multimap<std::string, std::string>{{"ports", "in,out"}, {"time", "3"}}));
  EXPECT_EQ(r.header("X-Call-Id"), "c-1");
  EXPECT_EQ(r.auth, "");  // invocations are not guarded, as in OpenFaaS
  EXPECT_EQ(r.body, "");

  fake.reply(400, "invalid time 1 in query: must be 3..300 s");
  p.seconds = 1;
  auto bad = client->invoke("wire", p);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.failure().status, 400);
  EXPECT_EQ(bad.failure().route, "POST /function/wire");
}

TEST_F(GatewayClientTest, AsyncInvokeSendsCallbackAndReturnsCallId) {
  fake.reply(202, "", {{"X-Call-Id", "gen-42"}});
  auto id = client->invoke_async("wire", {}, "http://127.0.0.1:9/cb");
  ASSERT_TRUE(id) << id.failure().text();
  EXPECT_EQ(*id, "gen-42");
  auto r = fake.take();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/async-function/wire");
  EXPECT_TRUE(r.params.empty());
  EXPECT_EQ(r.header("X-Callback-Url"), "http://127.0.0.1:9/cb");
  EXPECT_EQ(r.header("X-Call-Id"), "");
}

TEST_F(GatewayClientTest, ExecutionsAndCancel) {
  fake.reply(200, "[]");
  ASSERT_TRUE(client->executions("wire", 5));
  auto r = fake.take();
  EXPECT_EQ(r.path, "/system/executions");
  EXPECT_EQ(r.params,
            (std::multimap<std::string, std::string>{{"function", "wire"}, {"limit", "5"}}));
  EXPECT_EQ(r.auth, kAuth);

  fake.reply(200, R"({"callId":"c-1","status":"running","elapsed":1.5,"packets":7})");
  auto e = client->execution("c-1");
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["status"], "running");
  EXPECT_EQ(fake.take().path, "/system/execution/c-1");

  fake.reply(202, "");
  ASSERT_TRUE(client->cancel("c-1"));
  r = fake.take();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, "/system/execution/c-1");
}

TEST_F(GatewayClientTest, MapRoutes) {
  fake.reply(
      200,
      R"([{"name":"stats","type":"array","key_size":4,"value_size":16,"max_entries":4,"entries":4}])");
  auto m = client->maps("hello");
  ASSERT_TRUE(m);
  EXPECT_EQ((*m)[0]["name"], "stats");
  auto r = fake.take();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/system/function/hello/maps");
  EXPECT_EQ(r.auth, kAuth);

  fake.reply(200, R"({"entries":[{"key":"00000000","value":"01"}]})");
  auto d = client->map_dump("hello", "stats");
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)["entries"][0]["key"], "00000000");
  EXPECT_EQ(fake.take().path, "/system/function/hello/maps/stats");

  fake.reply(200, "OK");
  ASSERT_TRUE(client->map_update("hello", "stats", {"00000000", "0100000000000000", "exist"}));
  r = fake.take();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, "/system/function/hello/maps/stats");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(json::parse(r.body),
            json({{"key", "00000000"}, {"value", "0100000000000000"}, {"flags", "exist"}}));

  fake.reply(409, "update of stats: File exists (-17)");
  auto exists = client->map_update("hello", "stats", {"00", "00", "noexist"});
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.failure().status, 409);
  fake.take();

  fake.reply(200, "OK");
  ASSERT_TRUE(client->map_delete("hello", "stats", "00000000"));
  r = fake.take();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, "/system/function/hello/maps/stats");
  EXPECT_EQ(r.params, (std::multimap<std::string, std::string>{{"key", "00000000"}}));
}

TEST_F(GatewayClientTest, LogsAreNdjson) {
  fake.reply(200,
             "{\"name\":\"wire\",\"namespace\":\"ebpfaas\",\"instance\":\"engine-0\","
             "\"timestamp\":\"2026-01-01T00:00:00.000Z\",\"text\":\"deployed v1\"}\n"
             "{\"name\":\"wire\",\"text\":\"second\"}\n");
  LogQuery q;
  q.name = "wire";
  q.tail = 2;
  q.since = "2026-01-01T00:00:00Z";
  auto lines = client->logs(q);
  ASSERT_TRUE(lines) << lines.failure().text();
  ASSERT_EQ(lines->size(), 2u);
  EXPECT_EQ((*lines)[0]["text"], "deployed v1");
  auto r = fake.take();
  EXPECT_EQ(r.path, "/system/logs");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(r.params, (std::multimap<std::string, std::string>{{"follow", "false"},
                                                               {"name", "wire"},
                                                               {"since", "2026-01-01T00:00:00Z"},
                                                               {"tail", "2"}}));
  fake.reply(200, "{\"text\":\"ok\"}\n{broken\n");
  auto bad = client->logs(q);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.failure().message.find("line 2"), std::string::npos);
}

// --follow: each line reaches the caller when the gateway writes it, not at
// the end; blank heartbeat lines and lines split across chunks are handled.
TEST_F(GatewayClientTest, FollowedLogsArriveAsTheyAreWritten) {
  fake.stream_next("/system/logs");
  std::mutex mu;
  std::condition_variable cv;
  std::vector<json> got;
  LogQuery q;
  q.name = "wire";
  q.tail = 3;
  std::optional<Reply<void>> result;
  std::thread follower([&] {
    auto r = client->follow_logs(q, [&](const json& line) {
      std::lock_guard lock(mu);
      got.push_back(line);
      cv.notify_all();
      return true;
    });
    std::lock_guard lock(mu);
    result.emplace(std::move(r));
    cv.notify_all();
  });
  auto wait_for = [&](size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(5), [&] { return got.size() >= n; });
  };
  fake.push_stream("{\"name\":\"wire\",\"text\":\"one\"}\n");
  ASSERT_TRUE(wait_for(1));
  {
    std::lock_guard lock(mu);
    EXPECT_FALSE(result.has_value());  // still streaming
    EXPECT_EQ(got[0]["text"], "one");
  }
  fake.push_stream("\n");  // a heartbeat
  fake.push_stream("{\"name\":\"wire\",");
  fake.push_stream("\"text\":\"two\"}\n");
  ASSERT_TRUE(wait_for(2));
  fake.end_stream();
  follower.join();
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(*result) << result->failure().text();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1]["text"], "two");
  auto r = fake.take();
  EXPECT_EQ(r.path, "/system/logs");
  EXPECT_EQ(r.auth, kAuth);
  EXPECT_EQ(r.params, (std::multimap<std::string, std::string>{
                          {"follow", "true"}, {"name", "wire"}, {"tail", "3"}}));

  // The caller may stop reading: a success without the stream's end.
  fake.stream_next("/system/logs");
  fake.push_stream("{\"text\":\"a\"}\n{\"text\":\"b\"}\n");
  size_t seen = 0;
  auto stopped = client->follow_logs(q, [&](const json&) { return ++seen < 1; });
  EXPECT_TRUE(stopped) << stopped.failure().text();
  EXPECT_EQ(seen, 1u);
  fake.end_stream();

  // An error answer is a failure with the gateway's message.
  fake.reply(404, "function \"ghost\" not found");
  q.name = "ghost";
  auto missing = client->follow_logs(q, [](const json&) { return true; });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.failure().status, 404);
  EXPECT_NE(missing.failure().message.find("ghost"), std::string::npos);
}

TEST_F(GatewayClientTest, ArtifactDownload) {
  fake.reply(200, "int x;");
  auto a = client->artifact("sha256:abc");
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, "int x;");
  auto r = fake.take();
  EXPECT_EQ(r.path, "/system/artifacts/sha256:abc");  // sent as sha256%3Aabc
}

TEST(GatewayClientUrl, BadUrlsAreRefusedWithTheReason) {
  auto https = GatewayClient::create(at("https://gw.example:8080"));
  ASSERT_FALSE(https);
  EXPECT_NE(https.error().message().find("https is not supported"), std::string::npos);
  auto scheme = GatewayClient::create(at("gw.example:8080"));
  ASSERT_FALSE(scheme);
  EXPECT_NE(scheme.error().message().find("expected http://"), std::string::npos);
  auto port = GatewayClient::create(at("http://gw:99999"));
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().message().find("bad port"), std::string::npos);
  auto ok = GatewayClient::create(at("http://127.0.0.1:8080/"));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->url(), "http://127.0.0.1:8080");
}

TEST(GatewayClientUrl, PrefixPathIsKept) {
  FakeGateway fake;
  ASSERT_TRUE(fake.start());
  auto c = GatewayClient::create(at(fake.url() + "/base/"));
  ASSERT_TRUE(c);
  fake.reply(200, "[]");
  ASSERT_TRUE(c->list());
  auto r = fake.take();
  EXPECT_EQ(r.path, "/base/system/functions");
  EXPECT_EQ(r.auth, "");  // no credentials given
}

}  // namespace
}  // namespace ebpfaas::client
