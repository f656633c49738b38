#include "control/client/gateway_client.h"

#include <httplib.h>

#include <algorithm>
#include <cctype>

#include "control/client/config.h"

namespace ebpfaas::client {
namespace {

constexpr const char* kJson = "application/json";

struct ParsedUrl {
  std::string scheme_host_port;  // "http://host:port"
  std::string prefix;            // "" or "/base" (no trailing '/')
};

Expected<ParsedUrl> parse_url(const std::string& url) {
  const std::string http = "http://";
  if (url.rfind("https://", 0) == 0)
    return errorf(
        "gateway {}: https is not supported by this client; use http:// (e.g. behind a "
        "TLS-terminating proxy on the same host)",
        url);
  if (url.rfind(http, 0) != 0)
    return errorf("gateway \"{}\": expected http://HOST[:PORT][/PATH]", url);
  std::string rest = url.substr(http.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (authority.empty()) return errorf("gateway \"{}\": no host", url);
  if (authority.find('@') != std::string::npos)
    return errorf("gateway \"{}\": credentials in the URL are not used; run `ebpfaas login`", url);
  // A port, when given, is 1..65535 (the host may be [v6]).
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    std::string port = authority.substr(colon + 1);
    bool digits = !port.empty() && port.size() <= 5;
    for (char c : port) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535)
      return errorf("gateway \"{}\": bad port \"{}\"", url, port);
  }
  ParsedUrl p;
  p.scheme_host_port = http + authority;
  if (slash != std::string::npos) {
    p.prefix = rest.substr(slash);
    while (!p.prefix.empty() && p.prefix.back() == '/') p.prefix.pop_back();
  }
  return p;
}

void set_timeout(httplib::Client& c, double seconds, bool connect) {
  auto sec = static_cast<time_t>(seconds);
  auto usec = static_cast<time_t>((seconds - static_cast<double>(sec)) * 1e6);
  if (connect)
    c.set_connection_timeout(sec, usec);
  else
    c.set_read_timeout(sec, usec);
}

std::string trim_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string invoke_query(const InvokeParams& p) {
  std::string q;
  auto add = [&](const std::string& k, const std::string& v) {
    q += (q.empty() ? "?" : "&") + k + "=" + url_encode(v);
  };
  if (p.seconds) add("time", fmt::format("{:g}", *p.seconds));
  if (!p.ports.empty()) {
    std::string ports;
    for (const auto& port : p.ports) ports += (ports.empty() ? "" : ",") + port;
    add("ports", ports);
  }
  return q;
}

}  // namespace

std::string Failure::text() const {
  if (status == 0) return fmt::format("{}: {}", route, message);
  return fmt::format("{}: HTTP {}: {}", route, status, message.empty() ? "(no message)" : message);
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

std::string GatewayClient::Answer::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < k.size() && same; ++i)
      same = std::tolower(static_cast<unsigned char>(k[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return v;
  }
  return {};
}

Expected<GatewayClient> GatewayClient::create(GatewayOptions options) {
  while (!options.url.empty() && options.url.back() == '/') options.url.pop_back();
  auto parsed = parse_url(options.url);
  if (!parsed) return parsed.error();
  return GatewayClient(std::move(options));
}

Reply<GatewayClient::Answer> GatewayClient::call(
    const std::string& method, const std::string& path, const std::string& body,
    const std::string& content_type, std::vector<std::pair<std::string, std::string>> headers,
    std::initializer_list<int> expected, double read_timeout,
    const std::function<bool(const char*, size_t)>& stream) const {
  const std::string route = method + " " + path.substr(0, path.find('?'));
  auto url = parse_url(options_.url);
  if (!url) return Failure{0, route, url.error().message()};
  httplib::Client http(url->scheme_host_port);
  set_timeout(http, options_.connect_timeout_seconds, true);
  set_timeout(http, read_timeout, false);
  // Headers and body go out in two writes: without it the body waits for a
  // delayed ACK (about 40 ms a request).
  http.set_tcp_nodelay(true);
  httplib::Request req;
  req.method = method;
  req.path = url->prefix + path;
  for (auto& [k, v] : headers) req.headers.emplace(k, v);
  // OpenFaaS guards /system/* with basic auth, not the invocation routes.
  if (options_.credentials && path.rfind("/system/", 0) == 0)
    req.headers.emplace("Authorization", "Basic " + base64_encode(options_.credentials->user + ":" +
                                                                  options_.credentials->password));
  if (!body.empty() || method == "POST" || method == "PUT") {
    req.body = body;
    req.headers.emplace("Content-Type", content_type.empty() ? kJson : content_type);
  }
  // Streamed: a 200's body goes to `stream` as it arrives; another status's
  // is kept for the message.
  int streamed_status = 0;
  std::string error_body;
  if (stream) {
    req.response_handler = [&](const httplib::Response& r) {
      streamed_status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (streamed_status == 200) return stream(data, n);
      error_body.append(data, n);
      return true;
    };
  }
  auto res = http.send(req);
  if (!res && stream && res.error() == httplib::Error::Canceled && streamed_status == 200) {
    Answer a;  // the caller's receiver ended the stream
    a.status = 200;
    return a;
  }
  if (!res) {
    std::string why;
    switch (res.error()) {
      case httplib::Error::Connection:
        why = "cannot connect (is ebpfaasd running there?)";
        break;
      case httplib::Error::Read:
        why = "the connection ended or timed out before the answer";
        break;
      case httplib::Error::Write:
        why = "the connection ended while sending the request";
        break;
      default:
        why = httplib::to_string(res.error());
    }
    return Failure{0, route, fmt::format("no answer from {}: {}", options_.url, why)};
  }
  Answer a;
  a.status = res->status;
  a.body = stream ? error_body : res->body;
  for (const auto& [k, v] : res->headers) a.headers.emplace_back(k, v);
  for (int ok : expected)
    if (a.status == ok) return a;
  std::string message = trim_line(a.body);
  if (a.status == 401 && options_.credentials)
    message += " (the stored credentials were refused; run `ebpfaas login`)";
  else if (a.status == 401)
    message += " (no credentials for " + options_.url + "; run `ebpfaas login`)";
  return Failure{a.status, route, message};
}

Reply<json> GatewayClient::call_json(const std::string& method, const std::string& path,
                                     const std::string& body) const {
  auto a = call(method, path, body, kJson, {}, {200}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  json j = json::parse(a->body, nullptr, false);
  if (j.is_discarded())
    return Failure{a->status, method + " " + path.substr(0, path.find('?')),
                   "the gateway's answer is not JSON: " + a->body.substr(0, 200)};
  return j;
}

Reply<Artifact> GatewayClient::upload_artifact(std::span<const uint8_t> bytes) const {
  const std::string route = "POST /system/artifacts";
  auto a = call("POST", "/system/artifacts", std::string(bytes.begin(), bytes.end()),
                "application/octet-stream", {}, {200, 201}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  json j = json::parse(a->body, nullptr, false);
  if (!j.is_object() || !j.contains("image") || !j["image"].is_string())
    return Failure{a->status, route, "the gateway's answer has no \"image\": " + a->body};
  Artifact art;
  art.image = j["image"];
  art.size = j.value("size", uint64_t{0});
  art.kind = j.value("kind", std::string());
  art.created = a->status == 201;
  return art;
}

Reply<std::string> GatewayClient::artifact(const std::string& image) const {
  auto a = call("GET", "/system/artifacts/" + url_encode(image), {}, {}, {}, {200},
                options_.read_timeout_seconds);
  if (!a) return a.failure();
  return a->body;
}

Reply<void> GatewayClient::deploy(const json& deployment) const {
  auto a = call("POST", "/system/functions", deployment.dump(), kJson, {}, {200, 201, 202},
                options_.read_timeout_seconds + 60);  // compiles and JIT-compiles
  if (!a) return a.failure();
  return {};
}

Reply<void> GatewayClient::update(const json& deployment) const {
  auto a = call("PUT", "/system/functions", deployment.dump(), kJson, {}, {200, 201, 202},
                options_.read_timeout_seconds + 60);
  if (!a) return a.failure();
  return {};
}

Reply<void> GatewayClient::remove(const std::string& name) const {
  auto a = call("DELETE", "/system/functions", json{{"functionName", name}}.dump(), kJson, {},
                {200, 202, 204}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

Reply<json> GatewayClient::list() const {
  return call_json("GET", "/system/functions");
}

Reply<json> GatewayClient::describe(const std::string& name) const {
  return call_json("GET", "/system/function/" + url_encode(name));
}

Reply<void> GatewayClient::scale(const std::string& name, unsigned replicas) const {
  json body = {{"serviceName", name}, {"replicas", replicas}};
  auto a = call("POST", "/system/scale-function/" + url_encode(name), body.dump(), kJson, {},
                {200, 202}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

Reply<Invocation> GatewayClient::invoke(const std::string& name, const InvokeParams& params) const {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!params.call_id.empty()) headers.emplace_back("X-Call-Id", params.call_id);
  // The execution may wait in the queue behind others (each up to 300 s),
  // then runs its time: the read waits up to an hour.
  const double wait =
      std::max(3600.0, options_.read_timeout_seconds + params.seconds.value_or(300));
  auto a = call("POST", "/function/" + url_encode(name) + invoke_query(params), {}, kJson,
                std::move(headers), {200}, wait);
  if (!a) return a.failure();
  Invocation inv;
  inv.status = a->status;
  inv.call_id = a->header("X-Call-Id");
  inv.result = json::parse(a->body, nullptr, false);
  if (inv.result.is_discarded())
    return Failure{a->status, "POST /function/" + name,
                   "the gateway's answer is not JSON: " + a->body.substr(0, 200)};
  return inv;
}

Reply<std::string> GatewayClient::invoke_async(const std::string& name, const InvokeParams& params,
                                               const std::string& callback_url) const {
  std::vector<std::pair<std::string, std::string>> headers;
  if (!params.call_id.empty()) headers.emplace_back("X-Call-Id", params.call_id);
  if (!callback_url.empty()) headers.emplace_back("X-Callback-Url", callback_url);
  auto a = call("POST", "/async-function/" + url_encode(name) + invoke_query(params), {}, kJson,
                std::move(headers), {202}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return a->header("X-Call-Id");
}

Reply<json> GatewayClient::executions(const std::string& function, unsigned limit) const {
  std::string q;
  if (!function.empty()) q += "?function=" + url_encode(function);
  if (limit > 0) q += (q.empty() ? "?" : "&") + fmt::format("limit={}", limit);
  return call_json("GET", "/system/executions" + q);
}

Reply<json> GatewayClient::execution(const std::string& call_id) const {
  return call_json("GET", "/system/execution/" + url_encode(call_id));
}

Reply<void> GatewayClient::cancel(const std::string& call_id) const {
  auto a = call("DELETE", "/system/execution/" + url_encode(call_id), {}, {}, {}, {200, 202},
                options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

Reply<json> GatewayClient::maps(const std::string& function) const {
  return call_json("GET", "/system/function/" + url_encode(function) + "/maps");
}

Reply<json> GatewayClient::map_dump(const std::string& function, const std::string& map) const {
  return call_json("GET", "/system/function/" + url_encode(function) + "/maps/" + url_encode(map));
}

Reply<void> GatewayClient::map_update(const std::string& function, const std::string& map,
                                      const MapUpdate& u) const {
  json body = {{"key", u.key}, {"value", u.value}, {"flags", u.flags}};
  auto a = call("PUT", "/system/function/" + url_encode(function) + "/maps/" + url_encode(map),
                body.dump(), kJson, {}, {200, 201, 202, 204}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

Reply<void> GatewayClient::map_delete(const std::string& function, const std::string& map,
                                      const std::string& key_hex) const {
  auto a = call("DELETE",
                "/system/function/" + url_encode(function) + "/maps/" + url_encode(map) +
                    "?key=" + url_encode(key_hex),
                {}, {}, {}, {200, 202, 204}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

Reply<std::vector<json>> GatewayClient::logs(const LogQuery& q) const {
  std::string path = "/system/logs?name=" + url_encode(q.name);
  if (q.tail) path += fmt::format("&tail={}", *q.tail);
  if (!q.since.empty()) path += "&since=" + url_encode(q.since);
  path += "&follow=false";
  auto a = call("GET", path, {}, {}, {}, {200}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  std::vector<json> lines;
  size_t start = 0;
  while (start < a->body.size()) {
    size_t end = a->body.find('\n', start);
    if (end == std::string::npos) end = a->body.size();
    std::string line = a->body.substr(start, end - start);
    start = end + 1;
    if (trim_line(line).empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded())
      return Failure{a->status, "GET /system/logs",
                     "line " + std::to_string(lines.size() + 1) +
                         " of the answer is not JSON: " + line.substr(0, 200)};
    lines.push_back(std::move(j));
  }
  return lines;
}

Reply<void> GatewayClient::follow_logs(const LogQuery& q,
                                       const std::function<bool(const json&)>& on_line) const {
  std::string path = "/system/logs?name=" + url_encode(q.name);
  if (q.tail) path += fmt::format("&tail={}", *q.tail);
  if (!q.since.empty()) path += "&since=" + url_encode(q.since);
  path += "&follow=true";
  std::string pending;  // a line not ended yet
  std::optional<Failure> bad;
  size_t count = 0;
  auto receive = [&](const char* data, size_t n) {
    pending.append(data, n);
    size_t start = 0;
    for (size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
      std::string line = pending.substr(start, end - start);
      if (trim_line(line).empty()) continue;  // the stream's heartbeat
      json j = json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        bad = Failure{200, "GET /system/logs",
                      "line " + std::to_string(count + 1) +
                          " of the answer is not JSON: " + line.substr(0, 200)};
        return false;
      }
      ++count;
      if (!on_line(j)) {
        pending.clear();
        return false;
      }
    }
    pending.erase(0, start);
    return true;
  };
  // Quiet streams carry a blank line every 2 s: the read timeout only ends a dead one.
  auto a = call("GET", path, {}, {}, {}, {200}, options_.read_timeout_seconds, receive);
  if (bad) return *bad;
  if (!a) return a.failure();
  return {};
}

Reply<json> GatewayClient::info() const {
  return call_json("GET", "/system/info");
}

Reply<void> GatewayClient::health() const {
  auto a = call("GET", "/healthz", {}, {}, {}, {200}, options_.read_timeout_seconds);
  if (!a) return a.failure();
  return {};
}

}  // namespace ebpfaas::client
