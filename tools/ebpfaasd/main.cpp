// ebpfaasd: the ebpfaas daemon. One data plane, the function registry and
// artifact store under --state, the OpenFaaS-compatible HTTP API on --listen.
// Everything it does is in control/; this file parses arguments, wires the
// service to the API and waits for SIGINT/SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "control/http_api.h"
#include "control/service.h"
#include "control/state_lock.h"

namespace {

using namespace ebpfaas;

struct ListenAddress {
  std::string host;
  int port = 0;
};

// "HOST:PORT", "[V6]:PORT", ":PORT" (loopback) or "PORT".
Expected<ListenAddress> parse_listen(const std::string& text) {
  ListenAddress a{"127.0.0.1", 0};
  std::string port = text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return errorf("--listen \"{}\": expected [ADDRESS]:PORT", text);
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string::npos) {
    if (colon > 0) a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) > 65535)
    return errorf("--listen \"{}\": the port must be a number 0..65535", text);
  a.port = std::stoi(port);
  return a;
}

int run(int argc, char** argv) {
  CLI::App app{"ebpfaasd: the ebpfaas daemon (OpenFaaS-compatible HTTP API over one data plane)"};
  std::string listen = "127.0.0.1:8080";
  control::ServiceOptions o;
  o.state_dir = "/var/lib/ebpfaas";
  std::string log_level = "info";
  size_t threads = 64;
  app.add_option("--listen", listen, "ADDRESS:PORT to serve the HTTP API on (port 0: any free)")
      ->capture_default_str();
  app.add_option("--state", o.state_dir,
                 "state directory (database, artifacts, maps, logs, secrets)")
      ->capture_default_str();
  app.add_option("--port", o.ports,
                 "data plane port [NAME=]SPEC: gen:..., pcap:..., iface:..., dpdk:... (repeat; "
                 "default: one generator port gen0=gen:size=64)");
  app.add_option("--engines", o.engines, "engine threads (one per RX queue)")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_flag("--pin-engines", o.pin_engines, "pin engine threads to CPUs");
  app.add_flag("--jit,!--no-jit", o.jit, "prepare the JIT tier at deploy (default: on)");
  app.add_option("--idle", o.idle,
                 "what runs while no execution does: drop, pass, tx or a function name")
      ->capture_default_str();
  app.add_option("--max-upload", o.max_upload, "largest artifact upload in bytes")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
  app.add_option("--queue-limit", o.queue_limit, "executions waiting at most; beyond: HTTP 503")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1} << 20));
  app.add_option("--compile-timeout", o.compile_timeout,
                 "seconds clang may take to compile one C function; beyond: the deploy fails "
                 "(HTTP 400) and clang is killed")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  app.add_option("--threads", threads, "HTTP worker threads")
      ->capture_default_str()
      ->check(CLI::Range(size_t{2}, size_t{1024}));
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();
  // For tests: shorter executions than the 3 s minimum.
  app.add_option("--min-time", o.min_time)->group("")->check(CLI::Range(0.001, 300.0));
  app.add_option("--default-time", o.default_time)->group("")->check(CLI::Range(0.001, 300.0));
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("ebpfaasd");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  if (o.ports.empty()) o.ports = {"gen0=gen:size=64"};
  auto addr = parse_listen(listen);
  if (!addr) {
    spdlog::error("{}", addr.error().message());
    return 2;
  }
  if (o.default_time < o.min_time) o.default_time = o.min_time;

  // Signals are taken by sigwait() below: every thread started from here on
  // inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  auto state_lock = control::StateLock::acquire(o.state_dir);
  if (!state_lock) {
    spdlog::error("{}", state_lock.error().message());
    return 1;
  }
  auto credentials = control::load_or_create_credentials(o.state_dir);
  if (!credentials) {
    spdlog::error("{}", credentials.error().message());
    return 1;
  }
  auto service = control::Service::open(o);
  if (!service) {
    spdlog::error("{}", service.error().message());
    return 1;
  }
  control::HttpApiOptions api_options;
  api_options.host = addr->host;
  api_options.port = addr->port;
  api_options.credentials = *credentials;
  api_options.threads = threads;
  auto api = control::HttpApi::start(**service, api_options);
  if (!api) {
    spdlog::error("{}", api.error().message());
    (void)(*service)->shutdown();
    return 1;
  }
  std::printf("ebpfaasd listening on %s\n", (*api)->address().c_str());
  std::printf("credentials: user in %s, password in %s\n", credentials->user_file.c_str(),
              credentials->password_file.c_str());
  std::fflush(stdout);
  spdlog::info("state {}, {} port(s), {} engine(s), JIT {}", o.state_dir, o.ports.size(), o.engines,
               o.jit ? "on" : "off");

  int sig = 0;
  while (sigwait(&signals, &sig) != 0) {
  }
  spdlog::info("{}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  // No new connections; the running execution ends now and the sync callers
  // waiting for it get their records; maps are saved; then the last callbacks go out.
  (*api)->stop_listening();
  if (auto r = (*service)->shutdown(); !r) spdlog::error("shutdown: {}", r.error().message());
  (*api)->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ebpfaasd: %s\n", e.what());
    return 1;
  }
}
