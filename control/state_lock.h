// One daemon per state directory: an exclusive lock on STATE/ebpfaasd.lock
// (flock, released by the kernel when the process ends, also on kill -9),
// holding the owner's pid for the error message of the next one.
#pragma once

#include <string>

#include "control/result.h"

namespace ebpfaas::control {

class StateLock {
 public:
  // Creates the directory if missing. Held elsewhere: kUnavailable,
  // "state directory D is in use by process N".
  static Result<StateLock> acquire(const std::string& state_dir);
  StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  StateLock& operator=(StateLock&&) = delete;
  StateLock(const StateLock&) = delete;
  ~StateLock();

 private:
  explicit StateLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace ebpfaas::control
