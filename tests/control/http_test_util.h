// A live HTTP API for the tests: a service under a scratch state directory, the
// API on an ephemeral loopback port, clients with and without credentials.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "control/http_api.h"
#include "control/service.h"
#include "tests/control/core_test_util.h"

namespace ebpfaas::control::testing {

inline std::string as_string(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

// A client of the API at `port` (loopback), with a read timeout long enough
// for sync invocations.
inline std::unique_ptr<httplib::Client> make_client(int port, const std::string& user = "",
                                                    const std::string& password = "") {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_read_timeout(120, 0);
  c->set_write_timeout(30, 0);
  c->set_connection_timeout(10, 0);
  c->set_tcp_nodelay(true);
  if (!user.empty() || !password.empty()) c->set_basic_auth(user.c_str(), password.c_str());
  return c;
}

class HttpApiTest : public StateDirTest {
 protected:
  ServiceOptions options(std::vector<std::string> ports = {"in=gen:size=64,flows=16"}) {
    ServiceOptions o;
    o.state_dir = state();
    o.ports = std::move(ports);
    o.min_time = 0.05;
    o.default_time = 0.2;
    o.jit = false;  // the JIT has its own tests; here it only costs time
    return o;
  }
  void start(const ServiceOptions& o) {
    auto s = Service::open(o);
    ASSERT_TRUE(s) << s.error().message();
    service_ = std::move(*s);
    auto creds = load_or_create_credentials(o.state_dir);
    ASSERT_TRUE(creds) << creds.error().message();
    creds_ = *creds;
    HttpApiOptions a;
    a.port = 0;
    a.credentials = creds_;
    a.threads = 32;
    auto api = HttpApi::start(*service_, a);
    ASSERT_TRUE(api) << api.error().message();
    api_ = std::move(*api);
    client_ = make_client(api_->port(), creds_.user, creds_.password);
    anon_ = make_client(api_->port());
  }
  void TearDown() override {
    client_.reset();
    anon_.reset();
    if (api_) api_->stop_listening();
    if (service_) (void)service_->shutdown();
    api_.reset();
    service_.reset();
    StateDirTest::TearDown();
  }

  // Uploads bytes, returns the image.
  std::string upload(const std::string& bytes) {
    auto r = client_->Post("/system/artifacts", bytes, "application/octet-stream");
    EXPECT_TRUE(r) << httplib::to_string(r.error());
    if (!r) return "";
    EXPECT_TRUE(r->status == 201 || r->status == 200) << r->status << " " << r->body;
    return nlohmann::json::parse(r->body).value("image", "");
  }
  httplib::Result deploy(const std::string& name, const std::string& image,
                         nlohmann::json annotations = nlohmann::json::object(),
                         const char* method = "POST") {
    nlohmann::json j = {{"service", name}, {"image", image}, {"annotations", annotations}};
    if (std::string(method) == "PUT")
      return client_->Put("/system/functions", j.dump(), "application/json");
    return client_->Post("/system/functions", j.dump(), "application/json");
  }
  // Waits until the execution `id` has the status (or a final one when "final").
  nlohmann::json wait_execution(const std::string& id, const std::string& status,
                                int timeout_ms = 20000) {
    nlohmann::json last;
    for (int waited = 0; waited < timeout_ms; waited += 10) {
      auto r = client_->Get("/system/execution/" + id);
      if (r && r->status == 200) {
        last = nlohmann::json::parse(r->body);
        const std::string s = last.value("status", "");
        if (s == status || (status == "final" && s != "queued" && s != "running")) return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "execution " << id << " never became " << status << ": " << last.dump();
    return last;
  }

  std::unique_ptr<Service> service_;
  std::unique_ptr<HttpApi> api_;
  BasicAuthCredentials creds_;
  std::unique_ptr<httplib::Client> client_, anon_;
};

}  // namespace ebpfaas::control::testing
