#include "control/function_log.h"

#include <filesystem>

namespace ebpfaas::control {

FunctionLog::FunctionLog(Logs& logs, std::string function, std::string path, size_t capacity)
    : logs_(logs), function_(std::move(function)), path_(std::move(path)), capacity_(capacity) {
  if (path_.empty()) return;
  load_tail();
  file_ = std::fopen(path_.c_str(), "ae");
}

// The ring starts with the file's last lines, so that a restarted service
// still answers `logs` with what happened before.
void FunctionLog::load_tail() {
  std::FILE* f = std::fopen(path_.c_str(), "re");
  if (!f) return;
  constexpr long kTailBytes = 1 << 20;
  if (std::fseek(f, 0, SEEK_END) == 0) {
    const long size = std::ftell(f);
    std::fseek(f, size > kTailBytes ? size - kTailBytes : 0, SEEK_SET);
    if (size > kTailBytes) {
      for (int c; (c = std::fgetc(f)) != EOF && c != '\n';) {
      }
    }
  }
  std::string line;
  char buf[4096];
  auto take = [&](const std::string& l) {
    // "<RFC 3339> <instance> <text>"
    const size_t a = l.find(' ');
    const size_t b = a == std::string::npos ? a : l.find(' ', a + 1);
    if (b == std::string::npos) return;
    auto t = parse_rfc3339(std::string_view(l).substr(0, a));
    if (!t) return;
    LogLine ll;
    ll.seq = logs_.next_seq();
    ll.function = function_;
    ll.instance = l.substr(a + 1, b - a - 1);
    ll.timestamp = *t;
    ll.text = l.substr(b + 1);
    ring_.push_back(std::move(ll));
    while (ring_.size() > capacity_) ring_.pop_front();
  };
  while (std::fgets(buf, sizeof buf, f)) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      take(line);
      line.clear();
    }
  }
  if (!line.empty()) take(line);
  std::fclose(f);
}

FunctionLog::~FunctionLog() {
  if (file_) std::fclose(file_);
}

void FunctionLog::event(std::string text) {
  add("ebpfaasd", std::move(text));
}

void FunctionLog::program_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  uint64_t suppressed = 0;
  {
    std::lock_guard lock(mu_);
    const int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    if (now != second_) {
      second_ = now;
      in_second_ = 0;
      suppressed = suppressed_;
      suppressed_ = 0;
    }
    if (in_second_ >= kProgramLinesPerSecond) {
      ++suppressed_;
      return;
    }
    ++in_second_;
  }
  if (suppressed)
    add("engine", fmt::format("({} lines of program output suppressed: more than {} a second)",
                              suppressed, kProgramLinesPerSecond));
  add("engine", std::string(text));
}

void FunctionLog::add(std::string instance, std::string text) {
  LogLine l;
  l.seq = logs_.next_seq();
  l.function = function_;
  l.instance = std::move(instance);
  l.timestamp = Clock::now();
  l.text = std::move(text);
  {
    std::lock_guard lock(mu_);
    if (file_) {
      std::fprintf(file_, "%s %s %s\n", rfc3339(l.timestamp).c_str(), l.instance.c_str(),
                   l.text.c_str());
      std::fflush(file_);
    }
    ring_.push_back(l);
    while (ring_.size() > capacity_) ring_.pop_front();
  }
  logs_.publish(l);
}

std::vector<LogLine> FunctionLog::lines(size_t tail, std::optional<TimePoint> since) const {
  std::lock_guard lock(mu_);
  std::vector<LogLine> out;
  for (const LogLine& l : ring_)
    if (!since || l.timestamp >= *since) out.push_back(l);
  if (tail && out.size() > tail) out.erase(out.begin(), out.end() - static_cast<ptrdiff_t>(tail));
  return out;
}

bool FunctionLog::empty() const {
  std::lock_guard lock(mu_);
  return ring_.empty();
}

void Logs::open(std::string dir, size_t capacity) {
  std::lock_guard lock(mu_);
  dir_ = std::move(dir);
  capacity_ = capacity ? capacity : 1;
}

std::shared_ptr<FunctionLog> Logs::get(std::string_view function) {
  std::lock_guard lock(mu_);
  auto it = logs_.find(function);
  if (it != logs_.end()) return it->second;
  std::string path;
  if (!dir_.empty())
    path = (std::filesystem::path(dir_) /
            (function.empty() ? std::string("ebpfaasd.log") : std::string(function) + ".log"))
               .string();
  auto log = std::make_shared<FunctionLog>(*this, std::string(function), path, capacity_);
  logs_.emplace(std::string(function), log);
  return log;
}

bool Logs::has(std::string_view function) const {
  std::shared_ptr<FunctionLog> log;
  {
    std::lock_guard lock(mu_);
    auto it = logs_.find(function);
    if (it == logs_.end()) return false;
    log = it->second;
  }
  return !log->empty();
}

std::vector<LogLine> Logs::lines(std::string_view function, size_t tail,
                                 std::optional<TimePoint> since) const {
  std::shared_ptr<FunctionLog> log;
  {
    std::lock_guard lock(mu_);
    auto it = logs_.find(function);
    if (it == logs_.end()) return {};
    log = it->second;
  }
  return log->lines(tail, since);
}

uint64_t Logs::subscribe(std::string function, std::function<void(const LogLine&)> sink) {
  std::lock_guard lock(subs_mu_);
  const uint64_t id = next_sub_++;
  subs_.emplace(id, std::make_pair(std::move(function), std::move(sink)));
  return id;
}

void Logs::unsubscribe(uint64_t id) {
  std::lock_guard lock(subs_mu_);
  subs_.erase(id);
}

uint64_t Logs::next_seq() {
  std::lock_guard lock(seq_mu_);
  return ++seq_;
}

void Logs::publish(const LogLine& line) {
  std::lock_guard lock(subs_mu_);
  for (const auto& [id, sub] : subs_)
    if (sub.first.empty() || sub.first == line.function) sub.second(line);
}

}  // namespace ebpfaas::control
