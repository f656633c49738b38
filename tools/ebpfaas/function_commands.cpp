// The faas-cli-like subcommands on an ebpfaasd gateway: login, logout,
// deploy, update, remove|rm, scale, list|ls, describe, invoke, logs, stats,
// version.
// Output follows faas-cli (tables, "Deployed. 202 Accepted.") and every read
// command has --json for the gateway's JSON as is.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <future>
#include <iostream>
#include <map>
#include <random>

#include "control/client/config.h"
#include "control/client/stack_file.h"
#include "loader/compile.h"
#include "support/file.h"
#include "tools/ebpfaas/commands.h"
#include "tools/ebpfaas/gateway_session.h"

#ifndef EBPFAAS_CLIENT_VERSION
#define EBPFAAS_CLIENT_VERSION "0.0.0"
#endif
#ifndef EBPFAAS_CLIENT_SHA
#define EBPFAAS_CLIENT_SHA "unknown"
#endif

namespace ebpfaas::cli {

using client::json;

void add_gateway_option(CLI::App& command, std::string& gateway) {
  command.add_option("-g,--gateway", gateway,
                     "gateway URL (default: $OPENFAAS_URL, else http://127.0.0.1:8080)");
}

client::GatewayClient connect_gateway(const std::string& gateway_flag,
                                      const std::string& stack_gateway) {
  client::GatewayOptions options;
  options.url = client::resolve_gateway(gateway_flag, stack_gateway);
  auto path = client::config_file_path();
  if (path) {
    auto config = client::read_config(*path);
    if (!config) throw CommandError(config.error().message());
    auto creds = client::find_credentials(*config, options.url);
    if (!creds) throw CommandError(path.value() + ": " + creds.error().message());
    options.credentials = *creds;
  }
  auto c = client::GatewayClient::create(std::move(options));
  if (!c) throw CommandError(c.error().message());
  return std::move(*c);
}

namespace {

// ---- shared helpers -----------------------------------------------------------

uint64_t num(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return 0;
    p = &(*p)[k];
  }
  return p->is_number() ? p->get<uint64_t>() : 0;
}

double real(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0.0;
}

std::string str(const json& j, std::initializer_list<const char*> path) {
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return {};
    p = &(*p)[k];
  }
  if (p->is_string()) return p->get<std::string>();
  if (p->is_null()) return {};
  return p->dump();
}

void print_json(const json& j) {
  std::printf("%s\n", j.dump(2).c_str());
}

// "k=v" options into a map; a missing '=' is an error naming the option.
std::map<std::string, std::string> pairs(const std::vector<std::string>& items,
                                         const char* option) {
  std::map<std::string, std::string> out;
  for (const std::string& kv : items) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CommandError(fmt::format("{} \"{}\": expected KEY=VALUE", option, kv));
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return out;
}

std::string random_call_id() {
  std::random_device rd;
  std::mt19937_64 rng(
      (uint64_t{rd()} << 32) ^ rd() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  const uint64_t a = rng(), b = rng();
  return fmt::format("{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                     0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffull);
}

std::string format_rate(double packets, double seconds) {
  if (seconds <= 0) return "-";
  return fmt::format("{:.3f}", packets / seconds / 1e6);
}

// ---- login / logout -----------------------------------------------------------

struct LoginArgs {
  std::string gateway, user = "admin", password;
  bool password_stdin = false, no_check = false;
};

void login(const LoginArgs& a) {
  std::string password = a.password;
  if (a.password_stdin) {
    if (!a.password.empty()) throw CommandError("give either --password or --password-stdin");
    std::getline(std::cin, password);
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n'))
      password.pop_back();
  } else if (password.empty()) {
    throw CommandError("no password: give --password-stdin (recommended) or -p PASSWORD");
  } else {
    std::fprintf(stderr,
                 "WARNING! Using --password is insecure, consider using: "
                 "cat ~/password.txt | ebpfaas login -u %s --password-stdin\n",
                 a.user.c_str());
  }
  if (password.empty()) throw CommandError("the password read from stdin is empty");
  if (a.user.empty()) throw CommandError("the user name (-u) is empty");
  const std::string url = client::resolve_gateway(a.gateway);
  if (!a.no_check) {
    std::printf("Calling the ebpfaas gateway to validate the credentials...\n");
    client::GatewayOptions options;
    options.url = url;
    options.credentials = client::Credentials{a.user, password};
    auto c = client::GatewayClient::create(options);
    if (!c) throw CommandError(c.error().message());
    auto r = c->list();
    if (!r && r.failure().status == 401)
      throw CommandError("unable to login: the gateway " + url +
                         " refused the credentials (401); nothing was stored");
    if (!r) throw CommandError("unable to validate the credentials: " + r.failure().text());
  }
  auto path = client::config_file_path();
  if (!path) throw CommandError(path.error().message());
  auto config = client::read_config(*path);
  if (!config) throw CommandError(config.error().message());
  client::set_credentials(*config, url, {a.user, password});
  if (auto st = client::write_config(*path, *config); !st) throw CommandError(st.error().message());
  std::printf("credentials saved for %s %s in %s\n", a.user.c_str(), url.c_str(), path->c_str());
}

void logout(const std::string& gateway) {
  const std::string url = client::resolve_gateway(gateway);
  auto path = client::config_file_path();
  if (!path) throw CommandError(path.error().message());
  auto config = client::read_config(*path);
  if (!config) throw CommandError(config.error().message());
  if (!client::remove_credentials(*config, url))
    throw CommandError("no credentials stored for " + url + " in " + *path);
  if (auto st = client::write_config(*path, *config); !st) throw CommandError(st.error().message());
  std::printf("credentials removed for %s\n", url.c_str());
}

// ---- deploy / update ---------------------------------------------------------

struct DeployArgs {
  std::string gateway, name, handler, section, stack, filter, time;
  std::vector<std::string> annotations, labels, env;
  bool update = true, replace = false, local_build = false, envsubst = true;
};

// As faas-cli: without -f and without a function named on the command line,
// ./stack.yml when there is one.
std::string default_stack(const std::string& stack) {
  std::error_code ec;
  if (stack.empty() && std::filesystem::exists("stack.yml", ec)) return "stack.yml";
  return stack;
}

// The bytes ebpfaas uploads for a handler: an ELF object as is; C source
// (the gateway compiles it), or with --build a local compile's object.
std::vector<uint8_t> handler_artifact(const std::string& handler, bool local_build,
                                      std::string& described) {
  namespace fs = std::filesystem;
  std::string file = handler;
  std::error_code ec;
  if (fs::is_directory(handler, ec)) {
    file = (fs::path(handler) / "handler.c").string();
    if (!fs::exists(file, ec))
      throw CommandError(handler + ": no handler.c in this directory (or give FILE.c / FILE.o)");
  }
  const bool is_c = file.size() > 2 && file.substr(file.size() - 2) == ".c";
  if (is_c && local_build) {
    char dir[] = "/tmp/ebpfaas-deploy-XXXXXX";
    if (!mkdtemp(dir)) throw CommandError("cannot create a temporary directory");
    const std::string obj = std::string(dir) + "/handler.o";
    auto st = loader::compile_c(file, obj);
    std::vector<uint8_t> bytes;
    if (st) {
      auto b = read_file(obj);
      if (b)
        bytes = std::move(*b);
      else
        st = b.error();
    }
    fs::remove_all(dir, ec);
    if (!st) throw CommandError(st.error().message());
    described = file + " (compiled here)";
    return bytes;
  }
  auto bytes = read_file(file);
  if (!bytes) throw CommandError(bytes.error().message());
  described = file;
  return std::move(*bytes);
}

void deploy_one(const client::GatewayClient& c, const std::string& name, const std::string& handler,
                const std::map<std::string, std::string>& annotations,
                const std::map<std::string, std::string>& labels,
                const std::map<std::string, std::string>& env, const DeployArgs& a,
                bool update_only) {
  std::string described;
  auto bytes = handler_artifact(handler, a.local_build, described);
  auto art = take(c.upload_artifact(bytes));
  std::printf("%s: uploaded %s, %llu bytes (%s) as %s\n", name.c_str(), described.c_str(),
              static_cast<unsigned long long>(art.size), art.kind.c_str(), art.image.c_str());
  json d = {{"service", name}, {"image", art.image}};
  d["annotations"] = annotations;
  d["labels"] = labels;
  d["envVars"] = env;
  if (update_only) {
    take(c.update(d));
    std::printf("Updated. 202 Accepted.\n");
  } else if (a.replace) {
    auto r = c.remove(name);
    if (!r && r.failure().status != 404) throw CommandError(r.failure().text());
    take(c.deploy(d));
    std::printf("Deployed. 202 Accepted.\n");
  } else {
    auto r = c.deploy(d);
    if (!r && r.failure().status == 409 && a.update) {
      take(c.update(d));
      std::printf("Updated. 202 Accepted.\n");
    } else {
      take(std::move(r));
      std::printf("Deployed. 202 Accepted.\n");
    }
  }
  std::printf("URL: %s/function/%s\n", c.url().c_str(), name.c_str());
}

void deploy(const DeployArgs& a, bool update_only) {
  auto annotations = pairs(a.annotations, "--annotation");
  auto labels = pairs(a.labels, "--label");
  auto env = pairs(a.env, "--env");
  if (!a.section.empty()) annotations["com.ebpfaas.section"] = a.section;
  if (!a.time.empty()) annotations["com.ebpfaas.time"] = a.time;
  const std::string stack = a.name.empty() && a.handler.empty() ? default_stack(a.stack) : a.stack;
  if (!stack.empty()) {
    if (!a.name.empty() || !a.handler.empty())
      throw CommandError("give either -f STACK.yml or --name with --handler, not both");
    auto s = client::read_stack(stack, a.envsubst);
    if (!s) throw CommandError(s.error().message());
    auto c = connect_gateway(a.gateway, s->gateway);
    int deployed = 0;
    for (const auto& f : s->functions) {
      if (!a.filter.empty() && f.name != a.filter) continue;
      auto ann = f.annotations, lab = f.labels, e = f.environment;
      for (const auto& [k, v] : annotations) ann[k] = v;
      for (const auto& [k, v] : labels) lab[k] = v;
      for (const auto& [k, v] : env) e[k] = v;
      deploy_one(c, f.name, s->handler_path(f), ann, lab, e, a, update_only);
      ++deployed;
    }
    if (deployed == 0)
      throw CommandError(a.filter.empty() ? stack + ": no functions"
                                          : stack + ": no function \"" + a.filter + "\"");
    return;
  }
  if (a.name.empty() || a.handler.empty())
    throw CommandError(
        "give --name NAME --handler DIR|FILE.c|FILE.o, or -f stack.yml (no ./stack.yml here)");
  auto c = connect_gateway(a.gateway);
  deploy_one(c, a.name, a.handler, annotations, labels, env, a, update_only);
}

void add_deploy_options(CLI::App* cmd, DeployArgs& a) {
  add_gateway_option(*cmd, a.gateway);
  cmd->add_option("--name", a.name, "function name");
  cmd->add_option("--handler", a.handler, "directory with handler.c, or FILE.c, or FILE.o");
  cmd->add_option("-f,--yaml", a.stack, "stack file (faas-cli's stack.yml; default: ./stack.yml)");
  cmd->add_option("--envsubst", a.envsubst,
                  "substitute ${VAR} and ${VAR:-default} in the stack file (default: true)");
  cmd->add_option("--filter", a.filter, "only this function of the stack file");
  cmd->add_option("--section", a.section, "program (section or name) in the object")
      ->description("program to run: section or name (annotation com.ebpfaas.section)");
  cmd->add_option("--time", a.time, "default execution seconds (annotation com.ebpfaas.time)");
  cmd->add_option("--annotation", a.annotations, "annotation KEY=VALUE (repeatable)");
  cmd->add_option("-l,--label", a.labels, "label KEY=VALUE (repeatable)");
  cmd->add_option("-e,--env", a.env, "environment variable KEY=VALUE (repeatable)");
  cmd->add_flag("--build", a.local_build,
                "compile C here and upload the object (default: upload the source)");
}

// ---- remove, list, describe ------------------------------------------------------

void remove_functions(const std::string& gateway, const std::vector<std::string>& names,
                      const std::string& stack_flag, bool envsubst) {
  std::vector<std::string> all = names;
  std::string stack_gateway;
  const std::string stack = names.empty() ? default_stack(stack_flag) : stack_flag;
  if (!stack.empty()) {
    auto s = client::read_stack(stack, envsubst);
    if (!s) throw CommandError(s.error().message());
    stack_gateway = s->gateway;
    for (const auto& f : s->functions) all.push_back(f.name);
  }
  if (all.empty()) throw CommandError("give a function NAME or -f stack.yml");
  auto c = connect_gateway(gateway, stack_gateway);
  bool failed = false;
  for (const std::string& n : all) {
    std::printf("Deleting: %s.\n", n.c_str());
    auto r = c.remove(n);
    if (!r) {
      std::fprintf(stderr, "ebpfaas: %s\n", r.failure().text().c_str());
      failed = true;
    } else {
      std::printf("Removing old function.\n");
    }
  }
  if (failed) throw RejectedExit{1};
}

void list_functions(const std::string& gateway, bool verbose, bool as_json) {
  auto c = connect_gateway(gateway);
  json fs = take(c.list());
  if (as_json) return print_json(fs);
  if (!fs.is_array()) throw CommandError("GET /system/functions: the answer is not a list");
  if (verbose)
    std::printf("%-30s %-75s %-10s %-15s %-10s %-8s\n", "Function", "Image", "Version",
                "Invocations", "Replicas", "JIT");
  else
    std::printf("%-30s %-15s %-5s\n", "Function", "Invocations", "Replicas");
  for (const json& f : fs) {
    const std::string name = str(f, {"name"});
    const auto inv = num(f, {"invocationCount"});
    const auto replicas = num(f, {"replicas"});
    if (verbose)
      std::printf("%-30s %-75s %-10s %-15llu %-10llu %-8s\n", name.c_str(),
                  str(f, {"image"}).c_str(), str(f, {"ebpfaas", "version"}).c_str(),
                  static_cast<unsigned long long>(inv), static_cast<unsigned long long>(replicas),
                  str(f, {"ebpfaas", "jit"}).c_str());
    else
      std::printf("%-30s %-15llu %-5llu\n", name.c_str(), static_cast<unsigned long long>(inv),
                  static_cast<unsigned long long>(replicas));
  }
}

void print_string_map(const char* title, const json& m) {
  std::printf("%-20s", title);
  if (!m.is_object() || m.empty()) {
    std::printf("<none>\n");
    return;
  }
  bool first = true;
  for (const auto& [k, v] : m.items()) {
    std::printf("%s%s: %s\n", first ? "" : "                    ", k.c_str(),
                v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    first = false;
  }
}

void describe_function(const std::string& gateway, const std::string& name, bool as_json) {
  auto c = connect_gateway(gateway);
  json f = take(c.describe(name));
  if (as_json) return print_json(f);
  const auto replicas = num(f, {"replicas"}), available = num(f, {"availableReplicas"});
  auto row = [](const char* k, const std::string& v) {
    std::printf("%-20s%s\n", k, v.empty() ? "-" : v.c_str());
  };
  row("Name:", str(f, {"name"}));
  row("Status:", available > 0 ? "Ready" : "Not Ready");
  row("Replicas:", std::to_string(replicas));
  row("Available Replicas:", std::to_string(available));
  row("Invocations:", std::to_string(num(f, {"invocationCount"})));
  row("Image:", str(f, {"image"}));
  row("Version:", str(f, {"ebpfaas", "version"}));
  row("Program:",
      str(f, {"ebpfaas", "program"}) + " (section " + str(f, {"ebpfaas", "section"}) + ")");
  row("Verified insns:", str(f, {"ebpfaas", "verified_insns"}));
  row("Tier:", str(f, {"ebpfaas", "tier"}));
  std::string jit = str(f, {"ebpfaas", "jit"});
  if (auto m = str(f, {"ebpfaas", "jit_message"}); !m.empty()) jit += " (" + m + ")";
  row("JIT:", jit);
  row("Default time:", str(f, {"ebpfaas", "default_time"}) + " s");
  row("Ports:", str(f, {"ebpfaas", "ports"}));
  row("Running:", str(f, {"ebpfaas", "running"}));
  row("Created:", str(f, {"createdAt"}));
  row("Updated:", str(f, {"ebpfaas", "updatedAt"}));
  row("URL:", c.url() + "/function/" + name);
  row("Async URL:", c.url() + "/async-function/" + name);
  print_string_map("Labels:", f.value("labels", json::object()));
  print_string_map("Annotations:", f.value("annotations", json::object()));
  print_string_map("Environment:", f.value("envVars", json::object()));
}

// ---- invoke ------------------------------------------------------------------------

struct InvokeArgs {
  std::string gateway, name, callback_url, call_id;
  std::optional<double> time;
  std::vector<std::string> ports;
  bool async = false, as_json = false, quiet = false;
};

void print_result(const json& r) {
  const double seconds = real(r, "seconds");
  std::printf("%s %s v%s: %s in %.3f s", str(r, {"callId"}).c_str(), str(r, {"function"}).c_str(),
              str(r, {"version"}).c_str(), str(r, {"status"}).c_str(), seconds);
  if (r.contains("ports") && r["ports"].is_array() && !r["ports"].empty()) {
    std::string ports;
    for (const auto& p : r["ports"])
      ports += (ports.empty() ? "" : ",") + (p.is_string() ? p.get<std::string>() : p.dump());
    std::printf(" on ports %s", ports.c_str());
  }
  std::printf("\n");
  const uint64_t in = num(r, {"packets", "in"});
  // Which drops: a pass verdict without a host port is one, not an output.
  std::string causes;
  if (r.contains("drops") && r["drops"].is_object())
    for (const auto& [cause, n] : r["drops"].items())
      if (n.is_number_unsigned() && n.get<uint64_t>() > 0)
        causes += fmt::format("{}{} {}", causes.empty() ? "" : ", ", cause, n.get<uint64_t>());
  std::printf("  packets   in %llu  out %llu  dropped %llu%s  (%s Mpps in)\n",
              static_cast<unsigned long long>(in),
              static_cast<unsigned long long>(num(r, {"packets", "out"})),
              static_cast<unsigned long long>(num(r, {"packets", "dropped"})),
              causes.empty() ? "" : (" (" + causes + ")").c_str(),
              format_rate(static_cast<double>(in), seconds).c_str());
  std::printf("  bytes     in %llu  out %llu\n",
              static_cast<unsigned long long>(num(r, {"bytes", "in"})),
              static_cast<unsigned long long>(num(r, {"bytes", "out"})));
  std::printf("  verdicts ");
  for (const char* v : {"pass", "drop", "tx", "redirect", "aborted"})
    std::printf(" %s %llu", v, static_cast<unsigned long long>(num(r, {"verdicts", v})));
  std::printf("\n  latency   p50 %llu ns  p99 %llu ns  p999 %llu ns\n",
              static_cast<unsigned long long>(num(r, {"latency_ns", "p50"})),
              static_cast<unsigned long long>(num(r, {"latency_ns", "p99"})),
              static_cast<unsigned long long>(num(r, {"latency_ns", "p999"})));
  if (r.contains("maps") && r["maps"].is_object() && !r["maps"].empty()) {
    std::printf("  maps     ");
    for (const auto& [name, m] : r["maps"].items())
      std::printf(" %s (%s, %llu entries)", name.c_str(), str(m, {"type"}).c_str(),
                  static_cast<unsigned long long>(num(m, {"entries"})));
    std::printf("\n");
  }
  if (auto m = str(r, {"message"}); !m.empty()) std::printf("  message   %s\n", m.c_str());
}

void invoke(const InvokeArgs& a) {
  auto c = connect_gateway(a.gateway);
  client::InvokeParams p;
  p.seconds = a.time;
  p.ports = a.ports;
  p.call_id = a.call_id;
  if (a.async) {
    std::string id = take(c.invoke_async(a.name, p, a.callback_url));
    if (a.as_json)
      print_json({{"callId", id}, {"function", a.name}, {"status", "accepted"}});
    else
      std::printf("Function submitted asynchronously: call id %s\n", id.c_str());
    return;
  }
  if (p.call_id.empty()) p.call_id = random_call_id();
  // The sync call waits for the end; meanwhile its record is polled for progress.
  auto pending = std::async(std::launch::async, [&] { return c.invoke(a.name, p); });
  const bool tty = ::isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  bool shown = false;
  while (pending.wait_for(std::chrono::seconds(1)) != std::future_status::ready) {
    if (a.quiet) continue;
    auto r = c.execution(p.call_id);
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line;
    if (r) {
      const json& e = *r;
      line = fmt::format("{} {}: {} {:.1f} s", a.name, p.call_id, str(e, {"status"}),
                         real(e, "elapsed"));
      if (e.contains("packets") && e["packets"].is_number())
        line += fmt::format(", {} packets", e["packets"].get<uint64_t>());
      else if (num(e, {"packets", "in"}) > 0)
        line += fmt::format(", {} packets", num(e, {"packets", "in"}));
    } else {
      line = fmt::format("{} {}: waiting ({:.0f} s)", a.name, p.call_id, waited);
    }
    if (tty)
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    shown = true;
  }
  if (shown && tty) std::fprintf(stderr, "\n");
  auto inv = take(pending.get());
  if (a.as_json)
    print_json(inv.result);
  else
    print_result(inv.result);
  if (str(inv.result, {"status"}) == "failed") throw RejectedExit{1};
}

// ---- logs, stats, version ------------------------------------------------------------

// "30s", "5m", "2h", "1d" -> RFC 3339 of now minus that; other text is taken as RFC 3339.
std::string since_time(const std::string& since) {
  if (since.empty()) return {};
  char* end = nullptr;
  double v = std::strtod(since.c_str(), &end);
  if (end != since.c_str() && end[0] != '\0' && end[1] == '\0' && v >= 0) {
    double unit = 0;
    switch (*end) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
    }
    if (unit > 0) {
      std::time_t t = std::time(nullptr) - static_cast<std::time_t>(v * unit);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      return buf;
    }
  }
  return since;
}

void print_log_line(const json& l, bool as_json) {
  if (as_json)
    std::printf("%s\n", l.dump().c_str());
  else
    std::printf("%s %s (%s) %s\n", str(l, {"timestamp"}).c_str(), str(l, {"name"}).c_str(),
                str(l, {"instance"}).c_str(), str(l, {"text"}).c_str());
}

void logs(const std::string& gateway, const std::string& name, std::optional<unsigned> tail,
          const std::string& since, bool follow, bool as_json) {
  auto c = connect_gateway(gateway);
  client::LogQuery q;
  q.name = name;
  q.tail = tail;
  q.since = since_time(since);
  if (follow) {
    // Each line as it comes, until the gateway stops or Ctrl-C.
    take(c.follow_logs(q, [&](const json& l) {
      print_log_line(l, as_json);
      std::fflush(stdout);
      return true;
    }));
    return;
  }
  for (const json& l : take(c.logs(q))) print_log_line(l, as_json);
}

void stats(const std::string& gateway, const std::string& name, unsigned limit, bool as_json) {
  auto c = connect_gateway(gateway);
  take(c.describe(name));  // an unknown name is a 404 here, not an empty table
  json rs = take(c.executions(name, limit));
  if (as_json) return print_json(rs);
  std::printf("%-38s %-24s %-9s %8s %12s %8s %10s %10s %10s %10s %8s %9s\n", "Call id", "Started",
              "Status", "Seconds", "Packets", "Mpps", "Pass", "Drop", "Tx", "Redirect", "Aborted",
              "p99 ns");
  for (const json& r : rs) {
    const double seconds = real(r, "seconds");
    const uint64_t in = num(r, {"packets", "in"});
    std::printf("%-38s %-24s %-9s %8.3f %12llu %8s %10llu %10llu %10llu %10llu %8llu %9llu\n",
                str(r, {"callId"}).c_str(), str(r, {"startedAt"}).c_str(),
                str(r, {"status"}).c_str(), seconds, static_cast<unsigned long long>(in),
                format_rate(static_cast<double>(in), seconds).c_str(),
                static_cast<unsigned long long>(num(r, {"verdicts", "pass"})),
                static_cast<unsigned long long>(num(r, {"verdicts", "drop"})),
                static_cast<unsigned long long>(num(r, {"verdicts", "tx"})),
                static_cast<unsigned long long>(num(r, {"verdicts", "redirect"})),
                static_cast<unsigned long long>(num(r, {"verdicts", "aborted"})),
                static_cast<unsigned long long>(num(r, {"latency_ns", "p99"})));
  }
  if (rs.empty()) std::printf("no executions of %s yet\n", name.c_str());
}

void version(const std::string& gateway, bool as_json) {
  json out = {{"client", {{"release", EBPFAAS_CLIENT_VERSION}, {"sha", EBPFAAS_CLIENT_SHA}}}};
  auto c = connect_gateway(gateway);
  auto info = c.info();
  if (info) out["gateway"] = {{"url", c.url()}, {"info", *info}};
  if (as_json) {
    if (!info) out["gateway"] = {{"url", c.url()}, {"error", info.failure().text()}};
    return print_json(out);
  }
  std::printf("ebpfaas client\n version: %s\n commit:  %s\n", EBPFAAS_CLIENT_VERSION,
              EBPFAAS_CLIENT_SHA);
  if (!info) {
    std::fprintf(stderr, "gateway %s: %s\n", c.url().c_str(), info.failure().text().c_str());
    throw RejectedExit{1};
  }
  const json& i = *info;
  std::printf(
      "\nGateway\n uri:     %s\n version: %s\n sha:     %s\n\nProvider\n name:          "
      "%s\n orchestration: %s\n version:       %s\n sha:           %s\n arch:          "
      "%s\n",
      c.url().c_str(), str(i, {"version", "release"}).c_str(), str(i, {"version", "sha"}).c_str(),
      str(i, {"provider", "provider"}).c_str(), str(i, {"provider", "orchestration"}).c_str(),
      str(i, {"provider", "version", "release"}).c_str(),
      str(i, {"provider", "version", "sha"}).c_str(), str(i, {"arch"}).c_str());
}

}  // namespace

void add_function_commands(CLI::App& app) {
  {
    static LoginArgs a;
    auto* cmd = app.add_subcommand("login", "Store credentials for a gateway (basic auth)");
    add_gateway_option(*cmd, a.gateway);
    cmd->add_option("-u,--username", a.user, "user name (default: admin)");
    cmd->add_option("-p,--password", a.password, "password (visible to other users: prefer stdin)");
    cmd->add_flag("-s,--password-stdin", a.password_stdin, "read the password from stdin");
    cmd->add_flag("--no-check", a.no_check, "store without asking the gateway first");
    cmd->callback([] { login(a); });
  }
  {
    static std::string gateway;
    auto* cmd = app.add_subcommand("logout", "Forget the credentials of a gateway");
    add_gateway_option(*cmd, gateway);
    cmd->callback([] { logout(gateway); });
  }
  {
    static DeployArgs a;
    auto* cmd = app.add_subcommand(
        "deploy", "Upload a function's program and deploy it (updates it if it exists)");
    add_deploy_options(cmd, a);
    cmd->add_option("--update", a.update,
                    "update the function when it exists already (default: true)");
    cmd->add_flag("--replace", a.replace, "remove the function first, then deploy it");
    cmd->callback([] { deploy(a, false); });
  }
  {
    static DeployArgs a;
    auto* cmd = app.add_subcommand(
        "update", "Upload a new version of a deployed function (maps are kept, no downtime)");
    add_deploy_options(cmd, a);
    cmd->callback([] { deploy(a, true); });
  }
  {
    static std::string gateway, stack;
    static std::vector<std::string> names;
    static bool envsubst = true;
    auto* cmd = app.add_subcommand("remove", "Remove deployed functions");
    cmd->alias("rm");
    add_gateway_option(*cmd, gateway);
    cmd->add_option("name", names, "function names");
    cmd->add_option("-f,--yaml", stack,
                    "remove every function of this stack file (default without names: "
                    "./stack.yml)");
    cmd->add_option("--envsubst", envsubst,
                    "substitute ${VAR} and ${VAR:-default} in the stack file (default: true)");
    cmd->callback([] { remove_functions(gateway, names, stack, envsubst); });
  }
  {
    static std::string gateway, name;
    static unsigned replicas = 1;
    auto* cmd = app.add_subcommand(
        "scale", "Pause (--replicas 0) or resume (--replicas 1) a function's invocations");
    add_gateway_option(*cmd, gateway);
    cmd->add_option("name", name, "function name")->required();
    cmd->add_option("--replicas", replicas, "0: paused, 1 or more: available")->required();
    cmd->callback([] {
      auto c = connect_gateway(gateway);
      take(c.scale(name, replicas));
      std::printf("%s scaled to %u replica%s. 202 Accepted.\n", name.c_str(), replicas,
                  replicas == 1 ? "" : "s");
    });
  }
  {
    static std::string gateway;
    static bool verbose = false, as_json = false;
    auto* cmd = app.add_subcommand("list", "List deployed functions");
    cmd->alias("ls");
    add_gateway_option(*cmd, gateway);
    cmd->add_flag("-v,--verbose", verbose, "add the image (artifact), version and JIT state");
    cmd->add_flag("--json", as_json, "the gateway's JSON");
    cmd->callback([] { list_functions(gateway, verbose, as_json); });
  }
  {
    static std::string gateway, name;
    static bool as_json = false;
    auto* cmd = app.add_subcommand("describe", "Show the details of a deployed function");
    add_gateway_option(*cmd, gateway);
    cmd->add_option("name", name, "function name")->required();
    cmd->add_flag("--json", as_json, "the gateway's JSON");
    cmd->callback([] { describe_function(gateway, name, as_json); });
  }
  {
    static InvokeArgs a;
    auto* cmd = app.add_subcommand(
        "invoke", "Run a function on the data plane for a time and print its result");
    add_gateway_option(*cmd, a.gateway);
    cmd->add_option("name", a.name, "function name")->required();
    cmd->add_option("--time", a.time, "seconds (3..300; default: the function's)");
    cmd->add_option("--port", a.ports, "daemon port name or index it runs on (repeatable)");
    cmd->add_flag("-a,--async", a.async, "return at once with the call id");
    cmd->add_option("--callback-url", a.callback_url, "with --async: POST the result here");
    cmd->add_option("--call-id", a.call_id, "X-Call-Id to use (default: a new one)");
    cmd->add_flag("-q,--quiet", a.quiet, "no progress on stderr");
    cmd->add_flag("--json", a.as_json, "the result JSON");
    cmd->callback([] {
      if (!a.callback_url.empty() && !a.async) throw CommandError("--callback-url needs --async");
      invoke(a);
    });
  }
  {
    static std::string gateway, name, since;
    static std::optional<unsigned> tail;
    static bool as_json = false, follow = false;
    auto* cmd = app.add_subcommand("logs", "Show a function's log");
    add_gateway_option(*cmd, gateway);
    cmd->add_option("name", name, "function name")->required();
    cmd->add_option("--tail,--lines", tail, "only the last N lines");
    auto* since_opt = cmd->add_option(
        "--since", since, "only newer lines: a duration (30s, 5m, 2h, 1d) or RFC 3339 time");
    cmd->add_option("--since-time", since, "only lines since this RFC 3339 time")
        ->excludes(since_opt);
    cmd->add_flag("--follow", follow, "keep printing new lines as they come, until Ctrl-C");
    cmd->add_flag("--json", as_json, "NDJSON lines as the gateway sends them");
    cmd->callback([] { logs(gateway, name, tail, since, follow, as_json); });
  }
  {
    static std::string gateway, name;
    static unsigned limit = 10;
    static bool as_json = false;
    auto* cmd = app.add_subcommand("stats", "Recent executions of a function");
    add_gateway_option(*cmd, gateway);
    cmd->add_option("name", name, "function name")->required();
    cmd->add_option("-n,--limit", limit, "how many (default: 10)");
    cmd->add_flag("--json", as_json, "the gateway's JSON");
    cmd->callback([] { stats(gateway, name, limit, as_json); });
  }
  {
    static std::string gateway;
    static bool as_json = false;
    auto* cmd = app.add_subcommand("version", "Client and gateway versions");
    add_gateway_option(*cmd, gateway);
    cmd->add_flag("--json", as_json, "as JSON");
    cmd->callback([] { version(gateway, as_json); });
  }
}

}  // namespace ebpfaas::cli
