// The ebpfaas HTTP API: an OpenFaaS-compatible gateway over a Service
// (routes, bodies and status codes in docs/api.md). One server thread accepts
// connections; a pool of worker threads answers them (a sync invocation or a
// followed log holds one for its whole length). Every /system/* route wants
// HTTP basic auth; /function/*, /async-function/*, /healthz and /metrics do
// not, as in OpenFaaS. Asynchronous results are POSTed to the caller's
// X-Callback-Url by a worker thread of their own.
//
//   auto creds = load_or_create_credentials(state_dir);
//   HttpApiOptions o;
//   o.host = "127.0.0.1";
//   o.port = 0;  // any free port
//   o.credentials = *creds;
//   auto api = HttpApi::start(service, o);
//   fmt::print("listening on {}\n", (*api)->address());
//   ...
//   (*api)->stop();
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "control/http_auth.h"
#include "control/result.h"

namespace ebpfaas::control {

class Service;

struct HttpApiOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpApi::port())
  BasicAuthCredentials credentials;
  size_t threads = 64;  // workers answering requests
  // Bodies of the JSON routes; artifacts take the service's max_upload.
  size_t max_json_body = 1u << 20;
  size_t callback_queue_limit = 1024;  // pending callbacks; beyond: dropped and logged
  int callback_timeout_seconds = 10;   // connect/read/write of one callback POST
};

class HttpApi {
 public:
  // Binds and starts answering. The service must outlive the HttpApi.
  static Result<std::unique_ptr<HttpApi>> start(Service& service, HttpApiOptions options);
  // stop()
  ~HttpApi();
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  int port() const;
  std::string address() const;  // "http://127.0.0.1:8080"

  // Stops accepting connections and ends followed log streams; requests in
  // progress finish. Callbacks still pending are delivered by stop().
  void stop_listening();
  // stop_listening(), then delivers the callbacks queued so far (each with its
  // timeout) and joins every thread. Idempotent. Callbacks of executions that
  // end after stop() are logged and dropped.
  void stop();

  struct Impl;

 private:
  explicit HttpApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ebpfaas::control
