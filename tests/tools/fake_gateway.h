// A fake ebpfaasd gateway for client tests: answers every request with the
// next queued reply and records what it received.
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ebpfaas::test {

struct RecordedRequest {
  std::string method, path, auth, content_type, body;
  std::multimap<std::string, std::string> params;
  std::multimap<std::string, std::string> headers;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
    return {};
  }
};

class FakeGateway {
 public:
  struct Reply {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
  };

  bool start() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      if (take_stream(req.path)) {
        record(req);
        // Chunks go out as push_stream() hands them over, as a followed log does.
        res.status = 200;
        res.set_chunked_content_provider(
            "application/x-ndjson", [this](size_t, httplib::DataSink& sink) {
              std::unique_lock lock(mu_);
              stream_cv_.wait_for(lock, std::chrono::milliseconds(100),
                                  [&] { return !chunks_.empty() || stream_ended_; });
              while (!chunks_.empty()) {
                std::string c = std::move(chunks_.front());
                chunks_.pop_front();
                lock.unlock();
                if (!sink.write(c.data(), c.size())) return false;
                lock.lock();
              }
              if (stream_ended_) sink.done();
              return true;
            });
        return;
      }
      RecordedRequest r;
      r.method = req.method;
      r.path = req.path;
      r.auth = req.get_header_value("Authorization");
      r.content_type = req.get_header_value("Content-Type");
      r.body = req.body;
      for (const auto& [k, v] : req.params) r.params.emplace(k, v);
      for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
      Reply reply;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(r));
        if (!replies_.empty()) {
          reply = std::move(replies_.front());
          replies_.pop_front();
        } else if (default_reply_) {
          reply = default_reply_(requests_.back());
        } else {
          reply = {500, "fake gateway: no reply queued", {}};
        }
      }
      cv_.notify_all();
      res.status = reply.status;
      for (const auto& [k, v] : reply.headers) res.set_header(k, v);
      res.set_content(reply.body, reply.body.empty() || reply.body[0] == '{' || reply.body[0] == '['
                                      ? "application/json"
                                      : "text/plain");
    };
    server_.Get(".*", handler);
    server_.Post(".*", handler);
    server_.Put(".*", handler);
    server_.Delete(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return false;
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_.is_running(); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return server_.is_running();
  }
  void stop() {
    end_stream();
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  ~FakeGateway() { stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void reply(int status, std::string body,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    std::lock_guard lock(mu_);
    replies_.push_back({status, std::move(body), std::move(headers)});
  }
  // Answers requests when no reply is queued (e.g. progress polls).
  void set_default(std::function<Reply(const RecordedRequest&)> f) {
    std::lock_guard lock(mu_);
    default_reply_ = std::move(f);
  }

  // The next request for `path` is answered with a stream: 200, chunked,
  // each push_stream() written when it is pushed, until end_stream().
  void stream_next(const std::string& path) {
    std::lock_guard lock(mu_);
    stream_path_ = path;
    stream_ended_ = false;
    chunks_.clear();
  }
  void push_stream(std::string chunk) {
    std::lock_guard lock(mu_);
    chunks_.push_back(std::move(chunk));
    stream_cv_.notify_all();
  }
  void end_stream() {
    std::lock_guard lock(mu_);
    stream_ended_ = true;
    stream_cv_.notify_all();
  }

  // The oldest request not taken yet (waits up to 5 s for it).
  RecordedRequest take() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !requests_.empty(); });
    if (requests_.empty()) return {};
    RecordedRequest r = std::move(requests_.front());
    requests_.pop_front();
    return r;
  }
  std::vector<RecordedRequest> all() {
    std::lock_guard lock(mu_);
    return {requests_.begin(), requests_.end()};
  }
  void clear() {
    std::lock_guard lock(mu_);
    requests_.clear();
    replies_.clear();
  }

 private:
  bool take_stream(const std::string& path) {
    std::lock_guard lock(mu_);
    if (stream_path_.empty() || stream_path_ != path) return false;
    stream_path_.clear();
    return true;
  }
  void record(const httplib::Request& req) {
    RecordedRequest r;
    r.method = req.method;
    r.path = req.path;
    r.auth = req.get_header_value("Authorization");
    for (const auto& [k, v] : req.params) r.params.emplace(k, v);
    for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
    std::lock_guard lock(mu_);
    requests_.push_back(std::move(r));
    cv_.notify_all();
  }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RecordedRequest> requests_;
  std::deque<Reply> replies_;
  std::function<Reply(const RecordedRequest&)> default_reply_;
  std::condition_variable stream_cv_;
  std::string stream_path_;
  std::deque<std::string> chunks_;
  bool stream_ended_ = false;
};

}  // namespace ebpfaas::test
