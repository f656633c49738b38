// The project's conformance runner: for every test file, assembles the program,
// runs the plugin (`PLUGIN [MEM-HEX] [OPTIONS]`, program as base16 on stdin,
// r0 in hex on stdout) and compares r0 with the expected result.
//
//   conformance_runner --tests DIR [--expect N] [--option OPT]... -- PLUGIN-COMMAND...
//
// PLUGIN-COMMAND may be several words (`ebpfaas exec`); the memory argument
// follows it, then the options.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "ebpf/insn.h"
#include "support/hex.h"
#include "tests/conformance/conformance_file.h"

namespace {

struct PluginResult {
  int status = -1;
  std::string out, err;
};

// Runs argv with `input` on stdin; collects stdout and stderr.
PluginResult run_plugin(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2], err[2];
  PluginResult r;
  if (pipe(in) || pipe(out) || pipe(err)) {
    r.err = "pipe failed";
    return r;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    std::perror("execv");
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  // Programs are small: the whole input fits in the pipe buffer.
  if (write(in[1], input.data(), input.size()) < 0) r.err = "write failed";
  close(in[1]);
  char buf[4096];
  for (int fd : {out[0], err[0]}) {
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) (fd == out[0] ? r.out : r.err).append(buf, n);
    close(fd);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  long expect = -1;
  std::vector<std::string> plugin, options;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--tests" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--expect" && i + 1 < argc)
      expect = std::stol(argv[++i]);
    else if (a == "--option" && i + 1 < argc)
      options.push_back(argv[++i]);
    else if (a == "--") {
      for (++i; i < argc; ++i) plugin.push_back(argv[i]);
    } else {
      std::fprintf(stderr,
                   "usage: %s --tests DIR [--expect N] [--option OPT]... -- PLUGIN-COMMAND...\n",
                   argv[0]);
      return 2;
    }
  }
  if (dir.empty() || plugin.empty()) {
    std::fprintf(stderr,
                 "usage: %s --tests DIR [--expect N] [--option OPT]... -- PLUGIN-COMMAND...\n",
                 argv[0]);
    return 2;
  }
  auto files = ebpfaas::conformance::list_test_files(dir);
  if (!files) {
    std::fprintf(stderr, "%s\n", files.error().message().c_str());
    return 1;
  }
  int passed = 0, failed = 0;
  for (const std::string& path : *files) {
    auto test = ebpfaas::conformance::parse_test_file(path);
    std::string verdict;
    if (!test) {
      verdict = test.error().message();
    } else if (!test->result) {
      verdict = "no -- result section";
    } else if (auto insns = ebpfaas::conformance::test_program(*test); !insns) {
      verdict = "cannot assemble: " + insns.error().message();
    } else {
      auto bytes = ebpfaas::ebpf::insns_to_bytes(*insns);
      std::vector<std::string> args = plugin;
      if (!test->memory.empty()) args.push_back(ebpfaas::to_hex(test->memory));
      args.insert(args.end(), options.begin(), options.end());
      PluginResult r = run_plugin(args, ebpfaas::to_hex(bytes) + "\n");
      if (r.status != 0) {
        verdict = "plugin exited " + std::to_string(r.status) + ": " + r.err;
      } else {
        auto got =
            ebpfaas::parse_int(std::string("0x") + r.out.substr(0, r.out.find_first_of("\r\n")));
        if (!got)
          verdict = "unreadable output '" + r.out + "'";
        else if (static_cast<uint64_t>(*got) != *test->result)
          verdict = "r0 = 0x" + r.out.substr(0, r.out.find('\n')) + ", expected " +
                    std::to_string(*test->result);
      }
    }
    if (verdict.empty()) {
      ++passed;
    } else {
      ++failed;
      std::printf("FAIL %s: %s\n", path.c_str(), verdict.c_str());
    }
  }
  std::printf("conformance: %d/%zu passed\n", passed, files->size());
  if (expect >= 0 && static_cast<long>(files->size()) != expect) {
    std::printf("expected %ld test files in %s, found %zu\n", expect, dir.c_str(), files->size());
    return 1;
  }
  return failed == 0 ? 0 : 1;
}
