// A client of the ebpfaasd gateway (the OpenFaaS-compatible HTTP API in
// docs/api.md), one call per route, as faas-cli's proxy package is for an
// OpenFaaS gateway. Every /system/* call carries the basic-auth credentials
// when they are set. A failed call returns the HTTP status and the daemon's
// one-line message (or status 0 and why no answer came).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/error.h"

namespace ebpfaas::client {

using nlohmann::json;

struct Failure {
  int status = 0;       // HTTP status; 0 when no answer came (connection, timeout)
  std::string route;    // "POST /system/functions"
  std::string message;  // the daemon's body, or why there was no answer
  // "POST /system/functions: 409: function "x" already exists"
  std::string text() const;
};

template <class T>
class [[nodiscard]] Reply {
 public:
  Reply(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Reply(Failure failure) : v_(std::move(failure)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Failure& failure() const { return std::get<1>(v_); }

 private:
  std::variant<T, Failure> v_;
};

template <>
class [[nodiscard]] Reply<void> {
 public:
  Reply() = default;
  Reply(Failure failure) : failure_(std::move(failure)) {}  // NOLINT
  bool ok() const { return !failure_; }
  explicit operator bool() const { return ok(); }
  const Failure& failure() const { return *failure_; }

 private:
  std::optional<Failure> failure_;
};

struct Credentials {
  std::string user;
  std::string password;
};

struct Artifact {
  std::string image;  // "sha256:<64 hex>"
  uint64_t size = 0;
  std::string kind;      // "c" or "elf"
  bool created = false;  // 201; false: the same bytes were stored already (200)
};

struct InvokeParams {
  std::optional<double> seconds;   // default: the function's com.ebpfaas.time
  std::vector<std::string> ports;  // daemon port names or indices; empty: the default
  std::string call_id;             // X-Call-Id; empty: the daemon makes one
};

struct Invocation {
  std::string call_id;  // X-Call-Id
  int status = 0;       // HTTP status of the answer (200)
  json result;          // the execution's result JSON
};

struct MapUpdate {
  std::string key;            // lowercase hex of the raw key bytes
  std::string value;          // lowercase hex of the raw value bytes
  std::string flags = "any";  // any, noexist, exist
};

struct LogQuery {
  std::string name;
  std::optional<unsigned> tail;
  std::string since;  // RFC 3339; empty: everything kept
};

struct GatewayOptions {
  std::string url = "http://127.0.0.1:8080";
  std::optional<Credentials> credentials;
  double connect_timeout_seconds = 5;
  // Reads of sync invocations wait for the execution (up to 300 s) on top.
  double read_timeout_seconds = 30;
};

class GatewayClient {
 public:
  // The URL must be http://HOST[:PORT][/PREFIX]; https is refused with a
  // message (the client is built without TLS).
  static Expected<GatewayClient> create(GatewayOptions options);

  const std::string& url() const { return options_.url; }

  // POST /system/artifacts: raw C source or ELF object.
  Reply<Artifact> upload_artifact(std::span<const uint8_t> bytes) const;
  // GET /system/artifacts/{image}
  Reply<std::string> artifact(const std::string& image) const;

  // POST / PUT /system/functions with a FunctionDeployment.
  Reply<void> deploy(const json& deployment) const;
  Reply<void> update(const json& deployment) const;
  // DELETE /system/functions {"functionName": name}
  Reply<void> remove(const std::string& name) const;
  // GET /system/functions, GET /system/function/{name}
  Reply<json> list() const;
  Reply<json> describe(const std::string& name) const;
  // POST /system/scale-function/{name}
  Reply<void> scale(const std::string& name, unsigned replicas) const;

  // POST /function/{name}: waits for the execution's end.
  Reply<Invocation> invoke(const std::string& name, const InvokeParams& params) const;
  // POST /async-function/{name}: returns the call id at once; the result goes
  // to callback_url (X-Callback-Url) when it is given.
  Reply<std::string> invoke_async(const std::string& name, const InvokeParams& params,
                                  const std::string& callback_url = {}) const;
  // GET /system/executions?function=&limit=, GET /system/execution/{id}
  Reply<json> executions(const std::string& function = {}, unsigned limit = 0) const;
  Reply<json> execution(const std::string& call_id) const;
  // DELETE /system/execution/{id}: cancels a queued or running execution.
  Reply<void> cancel(const std::string& call_id) const;

  // Maps of a function.
  Reply<json> maps(const std::string& function) const;
  Reply<json> map_dump(const std::string& function, const std::string& map) const;
  Reply<void> map_update(const std::string& function, const std::string& map,
                         const MapUpdate& update) const;
  Reply<void> map_delete(const std::string& function, const std::string& map,
                         const std::string& key_hex) const;

  // GET /system/logs: one JSON object per NDJSON line.
  Reply<std::vector<json>> logs(const LogQuery& query) const;
  // GET /system/logs?follow=true: calls on_line with each line as it arrives
  // (the kept ones first), until the gateway ends the stream, on_line returns
  // false (then a success), or the connection fails.
  Reply<void> follow_logs(const LogQuery& query,
                          const std::function<bool(const json&)>& on_line) const;
  // GET /system/info, GET /healthz
  Reply<json> info() const;
  Reply<void> health() const;

 private:
  explicit GatewayClient(GatewayOptions options) : options_(std::move(options)) {}

  struct Answer {
    int status = 0;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string header(const std::string& name) const;
  };
  // One request; a status outside `expected` becomes a Failure.
  Reply<Answer> call(const std::string& method, const std::string& path, const std::string& body,
                     const std::string& content_type,
                     std::vector<std::pair<std::string, std::string>> headers,
                     std::initializer_list<int> expected, double read_timeout,
                     const std::function<bool(const char*, size_t)>& stream = {}) const;
  Reply<json> call_json(const std::string& method, const std::string& path,
                        const std::string& body = {}) const;

  GatewayOptions options_;
};

// RFC 3986 percent-encoding of a path segment or query value.
std::string url_encode(std::string_view text);

}  // namespace ebpfaas::client
