// What the HTTP API adds to the service's own calls: each figure is the
// median of a call over loopback (keep-alive client, basic auth) next to the
// same call made on the Service directly in the same run (the anchor).
//
//   http_bench [--functions 50] [--rounds 200] [--executions 20] [--seconds 0.01]
#include <httplib.h>

#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "control/http_api.h"
#include "control/http_json.h"
#include "control/service.h"

namespace {

using namespace ebpfaas::control;
using Clock = std::chrono::steady_clock;

double median_us(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double time_us(const std::function<void()>& f) {
  auto t0 = Clock::now();
  f();
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void row(const char* what, double http, double direct) {
  std::printf("%-34s %12.1f %12.1f %12.1f\n", what, http, direct, http - direct);
}

}  // namespace

int main(int argc, char** argv) {
  int functions = 50, rounds = 200, executions = 20;
  double seconds = 0.01;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--functions")
      functions = std::atoi(argv[i + 1]);
    else if (a == "--rounds")
      rounds = std::atoi(argv[i + 1]);
    else if (a == "--executions")
      executions = std::atoi(argv[i + 1]);
    else if (a == "--seconds")
      seconds = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "http_bench: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const auto dir =
      std::filesystem::temp_directory_path() / ("ebpfaas-http-bench-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ServiceOptions o;
  o.state_dir = dir.string();
  o.ports = {"in=gen:size=64"};
  o.jit = false;
  o.min_time = seconds;
  o.default_time = seconds;
  auto svc = Service::open(o);
  if (!svc) {
    std::fprintf(stderr, "http_bench: %s\n", svc.error().message().c_str());
    return 1;
  }
  Service& s = **svc;
  auto creds = load_or_create_credentials(o.state_dir);
  HttpApiOptions ao;
  ao.port = 0;
  ao.credentials = *creds;
  auto api = HttpApi::start(s, ao);
  if (!api) {
    std::fprintf(stderr, "http_bench: %s\n", api.error().message().c_str());
    return 1;
  }
  httplib::Client c("127.0.0.1", (*api)->port());
  c.set_basic_auth(creds->user.c_str(), creds->password.c_str());
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(60, 0);

  const std::string wire = slurp(std::string(EBPFAAS_NFS_DIR) + "/wire.o");
  const std::string image =
      s.put_artifact({reinterpret_cast<const uint8_t*>(wire.data()), wire.size()})->image;
  std::printf("HTTP API over loopback vs the Service called directly; medians in us\n");
  std::printf("%-34s %12s %12s %12s\n", "call", "HTTP", "direct", "HTTP adds");

  // Deploy (ELF): half the functions through each path.
  std::vector<double> h, d;
  for (int i = 0; i < functions; ++i) {
    const std::string name = "f" + std::to_string(i);
    if (i % 2 == 0) {
      nlohmann::json j = {{"service", name}, {"image", image}};
      h.push_back(time_us([&] {
        auto r = c.Post("/system/functions", j.dump(), "application/json");
        if (!r || r->status != 202) std::abort();
      }));
    } else {
      d.push_back(time_us([&] {
        if (!s.deploy({name, image, {}, {}, {}})) std::abort();
      }));
    }
  }
  row("deploy (ELF)", median_us(h), median_us(d));

  h.clear();
  d.clear();
  for (int i = 0; i < rounds; ++i) {
    h.push_back(time_us([&] {
      auto r = c.Get("/system/functions");
      if (!r || r->status != 200) std::abort();
    }));
    d.push_back(time_us([&] {
      nlohmann::ordered_json a = nlohmann::ordered_json::array();
      for (const FunctionInfo& f : s.list_functions()) a.push_back(function_status_json(f));
      std::string body = a.dump();
      if (body.empty()) std::abort();
    }));
  }
  char what[64];
  std::snprintf(what, sizeof(what), "list %d functions (JSON)", functions);
  row(what, median_us(h), median_us(d));

  h.clear();
  d.clear();
  for (int i = 0; i < rounds; ++i) {
    h.push_back(time_us([&] {
      auto r = c.Get("/system/function/f0");
      if (!r || r->status != 200) std::abort();
    }));
    d.push_back(time_us([&] {
      auto f = s.function("f0");
      if (!f || function_status_json(*f).dump().empty()) std::abort();
    }));
  }
  row("get one function", median_us(h), median_us(d));

  h.clear();
  d.clear();
  for (int i = 0; i < executions; ++i) {
    h.push_back(time_us([&] {
      auto r = c.Post("/function/f0", "", "text/plain");
      if (!r || r->status != 200) std::abort();
    }));
    d.push_back(time_us([&] {
      auto r = s.execute({"f0", seconds, {}, ""});
      if (!r) std::abort();
    }));
  }
  std::snprintf(what, sizeof(what), "sync invoke (%.3g s execution)", seconds);
  row(what, median_us(h), median_us(d));

  (*api)->stop_listening();
  (void)s.shutdown();
  (*api)->stop();
  std::filesystem::remove_all(dir);
  return 0;
}
