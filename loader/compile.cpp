#include "loader/compile.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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
  pid_t pid;
  int rc = posix_spawnp(&pid, options.clang.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return errorf("cannot run {} to compile {}: {}", options.clang, source_path, std::strerror(rc));
  }
  std::string output;
  char buf[4096];
  ssize_t n;
  while ((n = read(pipefd[0], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0) output.append(buf, static_cast<size_t>(n));
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return errorf("compiling {} failed:\n{}", source_path, output);
  return {};
}

}  // namespace ebpfaas::loader
