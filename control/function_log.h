// Log lines of functions: a bounded ring per function in memory, appended to
// STATE/logs/<function>.log, with subscribers for `logs --follow`. Program
// output (bpf_trace_printk, aborts) arrives from engine threads at packet
// rate, so it is limited per function (kProgramLinesPerSecond; the rest are
// counted and reported as one line).
#pragma once

#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/records.h"

namespace ebpfaas::control {

class Logs;

class FunctionLog {
 public:
  static constexpr uint64_t kProgramLinesPerSecond = 200;

  FunctionLog(Logs& logs, std::string function, std::string path, size_t capacity);
  ~FunctionLog();
  FunctionLog(const FunctionLog&) = delete;
  FunctionLog& operator=(const FunctionLog&) = delete;

  // A lifecycle event ("deployed v1 ...", "execution X started").
  void event(std::string text);
  // A line of the program's output (any thread; rate-limited).
  void program_line(std::string_view text);

  std::vector<LogLine> lines(size_t tail, std::optional<TimePoint> since) const;
  bool empty() const;

 private:
  void add(std::string instance, std::string text);
  void load_tail();

  Logs& logs_;
  const std::string function_;
  const std::string path_;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<LogLine> ring_;
  std::FILE* file_ = nullptr;
  int64_t second_ = 0;  // of the current rate window
  uint64_t in_second_ = 0, suppressed_ = 0;
};

class Logs {
 public:
  // dir "" keeps lines in memory only.
  void open(std::string dir, size_t capacity);
  // The log of `function` ("" : the service's own), created on first use.
  std::shared_ptr<FunctionLog> get(std::string_view function);
  bool has(std::string_view function) const;
  std::vector<LogLine> lines(std::string_view function, size_t tail,
                             std::optional<TimePoint> since) const;
  void event(std::string_view function, std::string text) { get(function)->event(std::move(text)); }

  uint64_t subscribe(std::string function, std::function<void(const LogLine&)> sink);
  void unsubscribe(uint64_t id);

 private:
  friend class FunctionLog;
  uint64_t next_seq();
  void publish(const LogLine& line);

  std::string dir_;
  size_t capacity_ = 1000;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<FunctionLog>, std::less<>> logs_;
  std::mutex seq_mu_;
  uint64_t seq_ = 0;
  std::mutex subs_mu_;  // held while sinks run: unsubscribe waits for them
  uint64_t next_sub_ = 1;
  std::map<uint64_t, std::pair<std::string, std::function<void(const LogLine&)>>> subs_;
};

}  // namespace ebpfaas::control
