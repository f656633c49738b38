#include "control/http_api.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>

#include "control/http_json.h"
#include "control/metrics_text.h"
#include "control/service.h"

#ifndef EBPFAAS_VERSION
#define EBPFAAS_VERSION "0.0.0"
#endif
#ifndef EBPFAAS_GIT_SHA
#define EBPFAAS_GIT_SHA "unknown"
#endif

namespace ebpfaas::control {
namespace {

using nlohmann::ordered_json;

constexpr const char* kJson = "application/json";
constexpr const char* kText = "text/plain; charset=utf-8";

void reply_text(httplib::Response& res, int status, std::string_view text) {
  res.status = status;
  std::string body(text);
  // One line: newlines inside a message (a compiler's) stay, the end gets one.
  if (body.empty() || body.back() != '\n') body += '\n';
  res.set_content(body, kText);
}

void reply_failure(httplib::Response& res, const Failure& f) {
  reply_text(res, http_status(f.kind), f.error.message());
}

template <class T>
void reply_failure(httplib::Response& res, const Result<T>& r) {
  reply_failure(res, failure_of(r));
}

void reply_json(httplib::Response& res, int status, const ordered_json& j) {
  res.status = status;
  res.set_content(j.dump(), kJson);
}

std::optional<std::string> query(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  return req.get_param_value(name);
}

// Where an HTTP client error comes from, for messages.
std::string route_of(const httplib::Request& req) {
  return req.method + " " + req.path;
}

// A request's body, read by its route. Without Content-Length and without
// Transfer-Encoding a request has no body (RFC 9112 6.3), as `curl -X POST`
// sends it; cpp-httplib would wait for the connection to close and answer
// 400, so such a request never asks the server to read. Otherwise everything
// the client sends is read (so that it sees the answer), keeping no more than
// `limit` bytes.
struct Body {
  std::string bytes;
  uint64_t seen = 0;     // bytes that came
  bool complete = true;  // false: the connection ended early, or a malformed chunk
};

Body read_body(const httplib::Request& req, const httplib::ContentReader& reader, uint64_t limit) {
  Body b;
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return b;
  b.complete = reader([&](const char* data, size_t n) {
    b.seen += n;
    if (b.seen <= limit) b.bytes.append(data, n);
    return true;
  });
  return b;
}

// Answers a body over `limit` (413) or one that did not arrive whole (400:
// nothing is done with part of a body). True when it answered.
bool refuse_body(const httplib::Request& req, httplib::Response& res, const Body& b,
                 std::string_view what, uint64_t limit, std::string_view limit_name) {
  if (b.seen > limit || (!b.complete && res.status == 413)) {
    reply_text(res, 413,
               fmt::format(
                   "{} of {} bytes in {} exceeds {} of {} bytes", what,
                   b.seen > limit ? std::to_string(b.seen) : req.get_header_value("Content-Length"),
                   route_of(req), limit_name, limit));
    return true;
  }
  if (!b.complete) {
    reply_text(
        res, 400,
        fmt::format("request body in {} ended after {} bytes, before its end (Content-Length "
                    "or chunked encoding): nothing was done",
                    route_of(req), b.seen));
    return true;
  }
  return false;
}

// ---- asynchronous callbacks ---------------------------------------------------

struct CallbackUrl {
  std::string scheme_host_port;  // "http://host:port"
  std::string path;              // "/path?query"
};

Result<CallbackUrl> parse_callback_url(std::string_view url) {
  size_t scheme_end = std::string_view::npos;
  if (url.starts_with("http://"))
    scheme_end = 7;
  else if (url.starts_with("https://"))
    scheme_end = 8;
  if (scheme_end == std::string_view::npos)
    return fail(ErrorKind::kInvalidArgument,
                "invalid X-Callback-Url \"{}\": must be an http:// or https:// URL", url);
  const size_t slash = url.find('/', scheme_end);
  CallbackUrl u;
  u.scheme_host_port = std::string(url.substr(0, slash));
  u.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  if (u.scheme_host_port.size() == scheme_end)
    return fail(ErrorKind::kInvalidArgument, "invalid X-Callback-Url \"{}\": no host", url);
  for (char c : url)
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return fail(ErrorKind::kInvalidArgument,
                  "invalid X-Callback-Url \"{}\": contains spaces or control characters", url);
  return u;
}

// The status an invocation answers with (sync) or reports (X-Function-Status).
int invocation_status(const ExecutionRecord& r) {
  return r.status == ExecutionStatus::kFinished || r.status == ExecutionStatus::kCancelled ? 200
                                                                                           : 500;
}

std::string duration_seconds(const ExecutionRecord& r) {
  return fmt::format("{:.6f}", r.elapsed);
}

// Posts results to callback URLs, one after another, from its own thread; a
// failure is logged, never retried (as the OpenFaaS queue-worker without retries).
class CallbackSender {
 public:
  CallbackSender(size_t limit, int timeout_seconds) : limit_(limit), timeout_(timeout_seconds) {
    thread_ = std::thread([this] { run(); });
  }
  ~CallbackSender() { stop(); }

  void post(CallbackUrl url, httplib::Headers headers, std::string body) {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= limit_) {
      spdlog::warn("callback to {}{} dropped: {}", url.scheme_host_port, url.path,
                   stopping_ ? "the API is stopping" : "too many callbacks pending");
      return;
    }
    queue_.push_back({std::move(url), std::move(headers), std::move(body)});
    cv_.notify_one();
  }

  // Delivers what is queued, then ends the thread.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      cv_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Job {
    CallbackUrl url;
    httplib::Headers headers;
    std::string body;
  };

  void run() {
    for (;;) {
      Job job;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      deliver(job);
    }
  }

  void deliver(const Job& job) {
    try {
      httplib::Client client(job.url.scheme_host_port);
      client.set_connection_timeout(timeout_, 0);
      client.set_read_timeout(timeout_, 0);
      client.set_write_timeout(timeout_, 0);
      client.set_tcp_nodelay(true);
      auto res = client.Post(job.url.path, job.headers, job.body, kJson);
      if (!res)
        spdlog::warn("callback to {}{} failed: {}", job.url.scheme_host_port, job.url.path,
                     httplib::to_string(res.error()));
      else if (res->status >= 300)
        spdlog::warn("callback to {}{} answered {}", job.url.scheme_host_port, job.url.path,
                     res->status);
    } catch (const std::exception& e) {
      spdlog::warn("callback to {}{} failed: {}", job.url.scheme_host_port, job.url.path, e.what());
    }
  }

  const size_t limit_;
  const int timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// ---- followed logs ------------------------------------------------------------

struct LogFollow {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<LogLine> pending;
  uint64_t dropped = 0;
  uint64_t last_seq = 0;
  std::vector<LogLine> history;
  bool history_sent = false;
  uint64_t subscription = 0;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();
};

constexpr size_t kFollowBuffer = 10000;
constexpr auto kFollowHeartbeat = std::chrono::seconds(2);

std::string ndjson(const LogLine& l) {
  return to_json(l).dump() + "\n";
}

}  // namespace

struct HttpApi::Impl {
  Service& service;
  HttpApiOptions options;
  httplib::Server server;
  std::thread listener;
  int port = 0;
  std::shared_ptr<std::atomic<bool>> stopping = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<CallbackSender> callbacks;
  bool stopped = false;
  std::mutex stop_mu;

  std::mutex codes_mu;
  InvocationCodes codes;

  Impl(Service& s, HttpApiOptions o) : service(s), options(std::move(o)) {
    callbacks = std::make_shared<CallbackSender>(options.callback_queue_limit,
                                                 options.callback_timeout_seconds);
  }

  bool auth_enabled() const {
    return !options.credentials.user.empty() || !options.credentials.password.empty();
  }

  void count(const std::string& function, int code) {
    std::lock_guard lock(codes_mu);
    ++codes[{function, code}];
  }

  // Every route runs inside this: nothing a request does escapes as an exception.
  httplib::Server::Handler guard(
      std::function<void(const httplib::Request&, httplib::Response&)> h) {
    return [h = std::move(h)](const httplib::Request& req, httplib::Response& res) {
      try {
        h(req, res);
      } catch (const std::exception& e) {
        spdlog::error("{}: {}", route_of(req), e.what());
        reply_text(res, 500, fmt::format("internal error in {}: {}", route_of(req), e.what()));
      } catch (...) {
        spdlog::error("{}: unknown exception", route_of(req));
        reply_text(res, 500, fmt::format("internal error in {}", route_of(req)));
      }
    };
  }

  // A route that reads its own body (see read_body): `h` gets the body, or is
  // not called when the body is over the limit (413).
  httplib::Server::HandlerWithContentReader with_body(
      std::function<void(const httplib::Request&, const std::string&, httplib::Response&)> h) {
    return [this, h = std::move(h)](const httplib::Request& req, httplib::Response& res,
                                    const httplib::ContentReader& reader) {
      guard([&](const httplib::Request& r, httplib::Response& o) {
        const Body body = read_body(r, reader, options.max_json_body);
        if (refuse_body(r, o, body, "request body", options.max_json_body, "the limit")) return;
        h(r, body.bytes, o);
      })(req, res);
    };
  }

  Outcome check_name(const std::string& name) { return validate_function_name(name); }

  void install_routes();
  void deploy(const std::string& body, httplib::Response& res, bool update);
  void invoke(const httplib::Request& req, const std::string& body, httplib::Response& res,
              bool async);
  void logs(const httplib::Request& req, httplib::Response& res);
  void upload(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader& reader);
};

void HttpApi::Impl::deploy(const std::string& body, httplib::Response& res, bool update) {
  auto j = parse_json_object(body, "FunctionDeployment");
  if (!j) return reply_failure(res, j);
  auto spec = function_spec_from_json(*j, !update);
  if (!spec) return reply_failure(res, spec);
  auto r = update ? service.update(*spec) : service.deploy(*spec);
  if (!r) return reply_failure(res, r);
  reply_json(res, 202, function_status_json(*r));
}

void HttpApi::Impl::invoke(const httplib::Request& req, const std::string& body,
                           httplib::Response& res, bool async) {
  const std::string name = req.matches[1];
  if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
  auto params = invoke_params(body, query(req, "time"), query(req, "ports"));
  if (!params) {
    count(name, 400);
    return reply_failure(res, params);
  }
  ExecutionRequest request;
  request.function = name;
  request.seconds = params->seconds;
  request.ports = std::move(params->ports);
  request.call_id = req.get_header_value("X-Call-Id");
  auto counted = [&](int code) {
    // Unknown names are not counted: a label per typo would grow without end.
    if (code != 404) count(name, code);
  };
  if (!async) {
    auto r = service.execute(request);
    if (!r) {
      counted(http_status(r.kind()));
      return reply_failure(res, r);
    }
    const int status = invocation_status(*r);
    counted(status);
    res.set_header("X-Call-Id", r->call_id);
    res.set_header("X-Duration-Seconds", duration_seconds(*r));
    res.set_header("X-Function-Status", std::to_string(status));
    return reply_json(res, status, to_json(*r));
  }
  CompletionCallback done;
  if (req.has_header("X-Callback-Url")) {
    auto url = parse_callback_url(req.get_header_value("X-Callback-Url"));
    if (!url) {
      counted(400);
      return reply_failure(res, url);
    }
    std::weak_ptr<CallbackSender> sender = callbacks;
    done = [sender, url = *url](const ExecutionRecord& r) {
      auto s = sender.lock();
      if (!s) {
        spdlog::warn("callback of {} to {}{} dropped: the API has stopped", r.call_id,
                     url.scheme_host_port, url.path);
        return;
      }
      httplib::Headers headers = {
          {"X-Call-Id", r.call_id},
          {"X-Function-Name", r.function},
          {"X-Function-Status", std::to_string(invocation_status(r))},
          {"X-Duration-Seconds", duration_seconds(r)},
      };
      s->post(url, std::move(headers), to_json(r).dump());
    };
  }
  auto id = service.submit(request, std::move(done));
  if (!id) {
    counted(http_status(id.kind()));
    return reply_failure(res, id);
  }
  counted(202);
  res.status = 202;
  res.set_header("X-Call-Id", *id);
}

void HttpApi::Impl::logs(const httplib::Request& req, httplib::Response& res) {
  LogQuery q;
  auto name = query(req, "name");
  if (!name || name->empty())
    return reply_text(res, 400, "missing query parameter \"name\" in GET /system/logs");
  if (auto ok = check_name(*name); !ok) return reply_failure(res, ok);
  q.function = *name;
  if (auto tail = query(req, "tail"); tail && !tail->empty()) {
    auto n = parse_count("tail", *tail, 1u << 30);
    if (!n) return reply_failure(res, n);
    q.tail = *n;
  }
  if (auto since = query(req, "since"); since && !since->empty()) {
    auto t = parse_rfc3339(*since);
    if (!t)
      return reply_text(
          res, 400, fmt::format("invalid since \"{}\" in query: {}", *since, t.error().message()));
    q.since = *t;
  }
  bool follow = false;
  if (auto f = query(req, "follow"); f && !f->empty()) {
    if (*f == "true" || *f == "1")
      follow = true;
    else if (*f != "false" && *f != "0")
      return reply_text(res, 400,
                        fmt::format("invalid follow \"{}\" in query: must be true or false", *f));
  }
  if (!follow) {
    auto lines = service.logs(q);
    if (!lines) return reply_failure(res, lines);
    std::string body;
    for (const LogLine& l : *lines) body += ndjson(l);
    res.status = 200;
    res.set_content(body, "application/x-ndjson");
    return;
  }
  // Subscribe first, then read what is kept: nothing falls in between (lines
  // seen twice are told apart by their sequence number).
  auto state = std::make_shared<LogFollow>();
  std::weak_ptr<LogFollow> weak = state;
  state->subscription = service.subscribe_logs(q.function, [weak](const LogLine& l) {
    auto s = weak.lock();
    if (!s) return;
    std::lock_guard lock(s->mu);
    if (s->pending.size() >= kFollowBuffer) {
      ++s->dropped;
      return;
    }
    s->pending.push_back(l);
    s->cv.notify_one();
  });
  auto lines = service.logs(q);
  if (!lines) {
    service.unsubscribe_logs(state->subscription);
    return reply_failure(res, lines);
  }
  state->history = std::move(*lines);
  Service* svc = &service;
  auto stop = stopping;
  res.status = 200;
  res.set_chunked_content_provider(
      "application/x-ndjson",
      [state, stop](size_t, httplib::DataSink& sink) {
        std::string out;
        if (!state->history_sent) {
          for (const LogLine& l : state->history) {
            out += ndjson(l);
            state->last_seq = std::max(state->last_seq, l.seq);
          }
          state->history.clear();
          state->history_sent = true;
        } else {
          std::unique_lock lock(state->mu);
          state->cv.wait_for(lock, std::chrono::milliseconds(200),
                             [&] { return !state->pending.empty() || stop->load(); });
          while (!state->pending.empty()) {
            LogLine l = std::move(state->pending.front());
            state->pending.pop_front();
            if (l.seq <= state->last_seq) continue;
            state->last_seq = l.seq;
            out += ndjson(l);
          }
          if (state->dropped > 0) {
            LogLine note;
            note.function = "";
            note.instance = "ebpfaasd";
            note.timestamp = Clock::now();
            note.text = fmt::format("{} log lines dropped: the reader is too slow", state->dropped);
            state->dropped = 0;
            out += ndjson(note);
          }
        }
        // A quiet stream still writes a newline now and then (NDJSON readers
        // skip blank lines): only a write finds out that the client is gone.
        const auto now = std::chrono::steady_clock::now();
        if (out.empty() && now - state->last_write > kFollowHeartbeat) out = "\n";
        if (!out.empty()) {
          if (!sink.write(out.data(), out.size())) return false;
          state->last_write = now;
        }
        if (stop->load()) sink.done();
        return true;
      },
      [state, svc](bool) { svc->unsubscribe_logs(state->subscription); });
}

void HttpApi::Impl::upload(const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) {
  const uint64_t limit = service.options().max_upload;
  const Body body = read_body(req, reader, limit);
  if (refuse_body(req, res, body, "artifact", limit, "--max-upload")) return;
  auto bytes = std::span(reinterpret_cast<const uint8_t*>(body.bytes.data()), body.bytes.size());
  auto a = service.put_artifact(bytes);
  if (!a) return reply_failure(res, a);
  reply_json(res, a->created_now ? 201 : 200, to_json(*a));
}

void HttpApi::Impl::install_routes() {
  auto& s = server;
  s.new_task_queue = [n = options.threads] { return new httplib::ThreadPool(n); };
  // Artifacts are read by their route, which knows the limit; a body far
  // beyond any limit is refused by the server before it is read.
  s.set_payload_max_length(
      std::max<uint64_t>(service.options().max_upload, options.max_json_body) * 4 + (1u << 20));
  s.set_keep_alive_max_count(100);
  // Answers go out in two writes (headers, body): without TCP_NODELAY, Nagle
  // holds the second until the client's delayed ACK, 40 ms per request.
  s.set_tcp_nodelay(true);

  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (!auth_enabled()) return httplib::Server::HandlerResponse::Unhandled;
    if (req.path != "/system" && !req.path.starts_with("/system/"))
      return httplib::Server::HandlerResponse::Unhandled;
    if (basic_auth_matches(req.get_header_value("Authorization"), options.credentials))
      return httplib::Server::HandlerResponse::Unhandled;
    res.set_header("WWW-Authenticate", "Basic realm=\"ebpfaas\"");
    reply_text(res, 401,
               fmt::format("unauthorized: {} needs HTTP basic auth (the user and password in "
                           "the daemon's secrets/basic-auth-user and basic-auth-password)",
                           route_of(req)));
    return httplib::Server::HandlerResponse::Handled;
  });
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404)
      reply_text(res, 404, fmt::format("no route {}", route_of(req)));
    else if (res.status == 413)
      reply_text(res, 413, fmt::format("request body in {} is too large", route_of(req)));
    else
      reply_text(res, res.status, fmt::format("HTTP {} in {}", res.status, route_of(req)));
  });
  s.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown exception";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        reply_text(res, 500, fmt::format("internal error in {}: {}", route_of(req), what));
      });

  // ---- health, info, metrics ------------------------------------------------
  s.Get("/healthz", guard([](const httplib::Request&, httplib::Response& res) {
          res.status = 200;
          res.set_content("OK", kText);
        }));
  s.Get("/system/info", guard([](const httplib::Request&, httplib::Response& res) {
          ordered_json version = {{"release", EBPFAAS_VERSION}, {"sha", EBPFAAS_GIT_SHA}};
          ordered_json j;
          j["provider"] = {
              {"provider", "ebpfaas"}, {"orchestration", "ebpfaas"}, {"version", version}};
          j["version"] = version;
          j["arch"] = "x86_64";
          reply_json(res, 200, j);
        }));
  s.Get("/metrics", guard([this](const httplib::Request&, httplib::Response& res) {
          InvocationCodes c;
          {
            std::lock_guard lock(codes_mu);
            c = codes;
          }
          res.status = 200;
          res.set_content(prometheus_text(service.metrics(), c), "text/plain; version=0.0.4");
        }));

  // ---- artifacts --------------------------------------------------------------
  s.Post("/system/artifacts", [this](const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader) {
    guard([&](const httplib::Request& r, httplib::Response& o) { upload(r, o, reader); })(req, res);
  });
  s.Get(R"(/system/artifacts/([^/]+))",
        guard([this](const httplib::Request& req, httplib::Response& res) {
          const std::string image = req.matches[1];
          auto info = service.artifact_info(image);
          if (!info) return reply_failure(res, info);
          auto bytes = service.get_artifact(image);
          if (!bytes) return reply_failure(res, bytes);
          res.status = 200;
          res.set_header("X-Artifact-Kind", std::string(artifact_kind_name(info->kind)));
          res.set_content(std::string(bytes->begin(), bytes->end()), "application/octet-stream");
        }));

  // ---- functions ----------------------------------------------------------------
  s.Get("/system/functions", guard([this](const httplib::Request&, httplib::Response& res) {
          ordered_json a = ordered_json::array();
          for (const FunctionInfo& f : service.list_functions())
            a.push_back(function_status_json(f));
          reply_json(res, 200, a);
        }));
  s.Post("/system/functions",
         with_body([this](const httplib::Request&, const std::string& body,
                          httplib::Response& res) { deploy(body, res, false); }));
  s.Put("/system/functions",
        with_body([this](const httplib::Request&, const std::string& body, httplib::Response& res) {
          deploy(body, res, true);
        }));
  s.Delete("/system/functions", with_body([this](const httplib::Request&, const std::string& body,
                                                 httplib::Response& res) {
             auto j = parse_json_object(body, "DeleteFunctionRequest");
             if (!j) return reply_failure(res, j);
             auto name = delete_request_from_json(*j);
             if (!name) return reply_failure(res, name);
             auto r = service.remove(*name);
             if (!r) return reply_failure(res, r);
             res.status = 202;
           }));
  s.Get(R"(/system/function/([^/]+))",
        guard([this](const httplib::Request& req, httplib::Response& res) {
          const std::string name = req.matches[1];
          if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
          auto f = service.function(name);
          if (!f) return reply_failure(res, f);
          reply_json(res, 200, function_status_json(*f));
        }));
  s.Post(R"(/system/scale-function/([^/]+))",
         with_body(
             [this](const httplib::Request& req, const std::string& body, httplib::Response& res) {
               const std::string name = req.matches[1];
               if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
               auto j = parse_json_object(body, "ScaleServiceRequest");
               if (!j) return reply_failure(res, j);
               auto replicas = scale_request_from_json(*j, name);
               if (!replicas) return reply_failure(res, replicas);
               auto f = service.scale(name, *replicas);
               if (!f) return reply_failure(res, f);
               res.status = 202;
             }));

  // ---- maps -------------------------------------------------------------------
  s.Get(R"(/system/function/([^/]+)/maps)",
        guard([this](const httplib::Request& req, httplib::Response& res) {
          const std::string name = req.matches[1];
          if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
          auto maps = service.maps(name);
          if (!maps) return reply_failure(res, maps);
          ordered_json a = ordered_json::array();
          for (const MapInfo& m : *maps) a.push_back(to_json(m));
          reply_json(res, 200, a);
        }));
  s.Get(R"(/system/function/([^/]+)/maps/([^/]+))",
        guard([this](const httplib::Request& req, httplib::Response& res) {
          const std::string name = req.matches[1], map = req.matches[2];
          if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
          auto d = service.dump_map(name, map);
          if (!d) return reply_failure(res, d);
          reply_json(res, 200, to_json(*d));
        }));
  s.Put(R"(/system/function/([^/]+)/maps/([^/]+))",
        with_body(
            [this](const httplib::Request& req, const std::string& body, httplib::Response& res) {
              const std::string name = req.matches[1], map = req.matches[2];
              if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
              auto j = parse_json_object(body, "map update");
              if (!j) return reply_failure(res, j);
              auto b = map_update_from_json(*j);
              if (!b) return reply_failure(res, b);
              auto r = service.update_map(name, map, b->key, b->value, b->flag);
              if (!r) return reply_failure(res, r);
              reply_text(res, 200, "OK");
            }));
  s.Delete(
      R"(/system/function/([^/]+)/maps/([^/]+))",
      with_body([this](const httplib::Request& req, const std::string&, httplib::Response& res) {
        const std::string name = req.matches[1], map = req.matches[2];
        if (auto ok = check_name(name); !ok) return reply_failure(res, ok);
        auto key = query(req, "key");
        if (!key || key->empty())
          return reply_text(res, 400,
                            fmt::format("missing query parameter \"key\" in {}", route_of(req)));
        auto r = service.delete_map_entry(name, map, *key);
        if (!r) return reply_failure(res, r);
        reply_text(res, 200, "OK");
      }));

  // ---- executions -------------------------------------------------------------
  for (const char* pattern : {R"(/function/([^/]+))", R"(/function/([^/]+)/)"}) {
    s.Post(pattern, with_body([this](const httplib::Request& req, const std::string& body,
                                     httplib::Response& res) { invoke(req, body, res, false); }));
    s.Get(pattern, guard([this](const httplib::Request& req, httplib::Response& res) {
            invoke(req, req.body, res, false);
          }));
  }
  for (const char* pattern : {R"(/async-function/([^/]+))", R"(/async-function/([^/]+)/)"})
    s.Post(pattern, with_body([this](const httplib::Request& req, const std::string& body,
                                     httplib::Response& res) { invoke(req, body, res, true); }));
  s.Get("/system/executions", guard([this](const httplib::Request& req, httplib::Response& res) {
          ExecutionQuery q;
          if (auto f = query(req, "function"); f && !f->empty()) {
            if (auto ok = check_name(*f); !ok) return reply_failure(res, ok);
            q.function = *f;
          }
          if (auto l = query(req, "limit"); l && !l->empty()) {
            auto n = parse_count("limit", *l, 100000);
            if (!n) return reply_failure(res, n);
            q.limit = *n;
          }
          auto records = service.executions(q);
          if (!records) return reply_failure(res, records);
          ordered_json a = ordered_json::array();
          for (const ExecutionRecord& r : *records) a.push_back(to_json(r));
          reply_json(res, 200, a);
        }));
  s.Get(R"(/system/execution/([^/]+))",
        guard([this](const httplib::Request& req, httplib::Response& res) {
          auto r = service.execution(std::string(req.matches[1]));
          if (!r) return reply_failure(res, r);
          reply_json(res, 200, to_json(*r));
        }));
  s.Delete(
      R"(/system/execution/([^/]+))",
      with_body([this](const httplib::Request& req, const std::string&, httplib::Response& res) {
        auto r = service.cancel(std::string(req.matches[1]));
        if (!r) return reply_failure(res, r);
        res.status = 202;
      }));

  // ---- logs -------------------------------------------------------------------
  s.Get("/system/logs",
        guard([this](const httplib::Request& req, httplib::Response& res) { logs(req, res); }));
}

Result<std::unique_ptr<HttpApi>> HttpApi::start(Service& service, HttpApiOptions options) {
  auto impl = std::make_unique<Impl>(service, std::move(options));
  impl->install_routes();
  const std::string& host = impl->options.host;
  int port = impl->options.port;
  if (port < 0 || port > 65535)
    return fail(ErrorKind::kInvalidArgument, "invalid port {} to listen on: must be 0..65535",
                port);
  if (port == 0) {
    port = impl->server.bind_to_any_port(host);
    if (port <= 0)
      return fail(ErrorKind::kInternal, "cannot listen on {}: no free port or bad address", host);
  } else if (!impl->server.bind_to_port(host, port)) {
    return fail(ErrorKind::kInternal, "cannot listen on {}:{}: {}", host, port,
                std::strerror(errno));
  }
  impl->port = port;
  Impl* raw = impl.get();
  impl->listener = std::thread([raw] {
    if (!raw->server.listen_after_bind()) spdlog::debug("HTTP listener ended");
  });
  // Until the server runs, stop() would not reach it.
  for (int i = 0; i < 5000 && !impl->server.is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<HttpApi>(new HttpApi(std::move(impl)));
}

HttpApi::HttpApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpApi::~HttpApi() {
  stop();
}

int HttpApi::port() const {
  return impl_->port;
}

std::string HttpApi::address() const {
  const std::string& h = impl_->options.host;
  const bool v6 = h.find(':') != std::string::npos;
  return fmt::format("http://{}{}{}:{}", v6 ? "[" : "", h, v6 ? "]" : "", impl_->port);
}

void HttpApi::stop_listening() {
  impl_->stopping->store(true);
  impl_->server.stop();
}

void HttpApi::stop() {
  std::lock_guard lock(impl_->stop_mu);
  if (impl_->stopped) return;
  stop_listening();
  // listen_after_bind() returns once every worker has finished its request.
  if (impl_->listener.joinable()) impl_->listener.join();
  impl_->callbacks->stop();
  impl_->stopped = true;
}

}  // namespace ebpfaas::control
