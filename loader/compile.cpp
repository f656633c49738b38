#include "loader/compile.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace ebpfaas::loader {

Status compile_c(const std::string& source_path, const std::string& output_path,
                 const CompileOptions& options) {
  std::vector<std::string> args = {
      options.clang, "-O2", "-g", "-target", "bpf", "-Wall", "-I/usr/include/x86_64-linux-gnu"};
  for (const auto& dir : options.include_dirs) args.push_back("-I" + dir);
  for (const auto& d : options.defines) args.push_back("-D" + d);
  args.insert(args.end(), {"-c", source_path, "-o", output_path});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    return errorf("cannot run {}: {}", options.clang, std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  // A process group of its own: a time limit kills the compiler and whatever
  // it started (a driver's cc1, a wrapper script's children), which would
  // otherwise keep the pipe open.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid;
  int rc = posix_spawnp(&pid, options.clang.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return errorf("cannot run {} to compile {}: {}", options.clang, source_path, std::strerror(rc));
  }
  using Clock = std::chrono::steady_clock;
  const bool limited = options.timeout_seconds > 0;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(limited ? options.timeout_seconds : 0));
  bool timed_out = false;
  std::string output;
  char buf[4096];
  for (;;) {
    int wait_ms = -1;
    if (limited) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        timed_out = true;
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
    }
    pollfd p{pipefd[0], POLLIN, 0};
    const int ready = poll(&p, 1, wait_ms);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    if (ready == 0) continue;  // the deadline is checked above
    const ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  int status = 0;
  // A compiler that closed its output may still run: the limit holds until it exits.
  while (limited && !timed_out) {
    const pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid || (w < 0 && errno != EINTR)) break;
    if (Clock::now() >= deadline)
      timed_out = true;
    else
      usleep(5000);
  }
  if (timed_out || !limited) {
    if (timed_out) kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out)
    return errorf("compiling {} took longer than the compile time limit of {:g} s: {} was stopped",
                  source_path, options.timeout_seconds, options.clang);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return errorf("compiling {} failed:\n{}", source_path, output);
  return {};
}

}  // namespace ebpfaas::loader
