// JIT speed: ns per packet for each seed NF and packet size in the ebpfaas JIT
// and interpreter, beside two anchors measured in the same run: the NF's C
// compiled natively for x86-64 (bench/native: the same source, a shim that
// calls ebpfaas's helpers and inlines array and hash lookups as the JIT does,
// the same maps, buffer and loop), and the Linux kernel's JIT on the same object and
// packet (libbpf + BPF_PROG_TEST_RUN with repeat; its duration field); JIT
// compile time per NF; and the bpf_ktime_get_ns helper alone (clock_gettime:
// most of ddos_mitigation's time in every ebpfaas tier).
//
//   build/bin/jit_bench [--repeat N] [--rounds R]
//
// As in BPF_PROG_TEST_RUN, the repeats of one packet share the buffer and the
// maps: what one run writes (the router's TTL decrement) the next one sees, on
// every side alike. Before timing, one run of each ebpfaas tier and the native
// code on its own maps must give the same verdict and redirect target.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dlfcn.h>
#include <linux/bpf.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench/native/native_abi.h"
#include "dataplane/packet_builder.h"
#include "helpers/linux_helpers.h"
#include "loader/load.h"
#include "maps/array_map.h"
#include "maps/hash_map.h"
#include "support/qsbr.h"
#include "vm/jit/jit.h"
#include "vm/xdp_frame.h"

using namespace ebpfaas;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint32_t kIngress = 1;  // lo: BPF_PROG_TEST_RUN wants a device that exists

template <class T>
Bytes bytes_of(const T& v) {
  Bytes b(sizeof(T));
  std::memcpy(b.data(), &v, sizeof(T));
  return b;
}

struct Entry {
  std::string map;
  Bytes key, value;
};

struct NfCase {
  const char* name;
  std::vector<Entry> setup;
};

Bytes packet(size_t size) {
  using namespace dataplane;
  auto p = PacketBuilder()
               .ethernet({.src = mac("02:00:00:00:00:01"), .dst = mac("02:00:00:00:00:02")})
               .ipv4({.src = ip4("10.9.0.1"), .dst = ip4("10.1.2.3"), .ttl = 255})
               .udp({.src_port = 4000, .dst_port = 80})
               .frame_size(size)
               .build();
  if (!p) {
    std::fprintf(stderr, "packet: %s\n", p.error().message().c_str());
    std::exit(1);
  }
  return *p;
}

std::vector<NfCase> cases() {
  struct RouteKey {
    uint32_t prefixlen, addr;
  };
  struct Route {
    uint8_t dst_mac[6], src_mac[6];
    uint32_t port;
  };
  struct MacKey {
    uint8_t addr[6];
    uint16_t pad;
  };
  struct Ports {
    uint32_t a, b;
  };
  const Route route{{0x0a, 0, 0, 0, 0, 1}, {0x0e, 0, 0, 0, 0, 2}, 2};
  const MacKey dst{{2, 0, 0, 0, 0, 2}, 0};
  const uint64_t cfg[2] = {1'000'000'000'000ull, 1'000'000'000'000ull};  // never limits
  return {
      {"wire", {{"wire_config", bytes_of(uint32_t{0}), bytes_of(Ports{kIngress, 2})}}},
      {"l2_learning_switch",
       {{"mac_table", bytes_of(dst), bytes_of(uint64_t{2})},
        {"flood_ports", bytes_of(kIngress), bytes_of(kIngress)}}},
      {"ipv4_router",
       {{"routes", bytes_of(RouteKey{32, __builtin_bswap32(0x0a010203)}), bytes_of(route)}}},
      {"ddos_mitigation", {{"ddos_config", bytes_of(uint32_t{0}), bytes_of(cfg)}}},
  };
}

double now_ns() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct Stats {
  std::vector<double> v;
  double best() const { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }
  double median() const {
    if (v.empty()) return 0;
    auto c = v;
    std::sort(c.begin(), c.end());
    return c[c.size() / 2];
  }
};

struct KernelProg {
  bpf_object* obj = nullptr;
  int fd = -1;
  std::string problem;
  ~KernelProg() {
    if (obj) bpf_object__close(obj);
  }
};

void kernel_load(const std::string& path, const NfCase& nf, KernelProg& k) {
  k.obj = bpf_object__open_file(path.c_str(), nullptr);
  if (!k.obj) {
    k.problem = "libbpf cannot open the object";
    return;
  }
  if (bpf_object__load(k.obj) != 0) {
    k.problem = std::string("kernel BPF not available: ") + std::strerror(errno);
    return;
  }
  bpf_program* p = bpf_object__next_program(k.obj, nullptr);
  k.fd = bpf_program__fd(p);
  for (const Entry& e : nf.setup) {
    bpf_map* m = bpf_object__find_map_by_name(k.obj, e.map.c_str());
    if (!m || bpf_map_update_elem(bpf_map__fd(m), e.key.data(), e.value.data(), BPF_ANY) != 0) {
      k.problem = "kernel refused setup of map " + e.map;
      k.fd = -1;
      return;
    }
  }
}

// ns per run, measured by the kernel over `repeat` runs.
double kernel_run(const KernelProg& k, const Bytes& pkt, uint32_t repeat) {
  Bytes out(4096);
  xdp_md ctx{};
  ctx.ingress_ifindex = kIngress;
  ctx.data_end = static_cast<uint32_t>(pkt.size());
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt.data(), .data_out = out.data(),
              .data_size_in = static_cast<uint32_t>(pkt.size()),
              .data_size_out = static_cast<uint32_t>(out.size()), .ctx_in = &ctx,
              .ctx_size_in = sizeof(ctx), .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(k.fd, &run) != 0) return -1;
  return static_cast<double>(run.duration);
}

// The NF compiled natively (bench/native/<nf>.so), wired to an object's maps.
static_assert(offsetof(ebpfaas_native_xdp_md, data) == offsetof(helpers::XdpBuff, data));
static_assert(offsetof(ebpfaas_native_xdp_md, data_end) == offsetof(helpers::XdpBuff, data_end));
static_assert(offsetof(ebpfaas_native_xdp_md, data_meta) == offsetof(helpers::XdpBuff, data_meta));
static_assert(offsetof(ebpfaas_native_xdp_md, ingress_ifindex) ==
              offsetof(helpers::XdpBuff, ingress_ifindex));
static_assert(offsetof(ebpfaas_native_xdp_md, rx_queue_index) ==
              offsetof(helpers::XdpBuff, rx_queue_index));
static_assert(offsetof(ebpfaas_native_xdp_md, egress_ifindex) ==
              offsetof(helpers::XdpBuff, egress_ifindex));
static_assert(sizeof(ebpfaas_native_xdp_md) == sizeof(helpers::XdpBuff));

struct NativeProg {
  using Fn = int (*)(ebpfaas_native_xdp_md*);
  void* module = nullptr;
  Fn fn = nullptr;
  ebpfaas_native_env* env = nullptr;
  std::vector<ebpfaas_native_map> maps;  // what the module's map structs point to
  std::string problem;
  NativeProg() = default;
  NativeProg(const NativeProg&) = delete;
  NativeProg& operator=(const NativeProg&) = delete;
  ~NativeProg() {
    if (module) dlclose(module);
  }

  uint32_t run(helpers::XdpBuff& b, helpers::RunContext& rc) const {
    rc.xdp = &b;
    env->rc = &rc;
    const int r = fn(reinterpret_cast<ebpfaas_native_xdp_md*>(&b));
    if (rc.stop == helpers::RunContext::Stop::kFault) return XDP_ABORTED;
    return static_cast<uint32_t>(r);
  }
};

void native_load(const std::string& path, const loader::LoadedObject& obj, NativeProg& n) {
  n.module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!n.module) {
    n.problem = dlerror();
    return;
  }
  n.env = static_cast<ebpfaas_native_env*>(dlsym(n.module, "ebpfaas_native_env"));
  const std::string& entry = obj.programs.front().name;
  n.fn = reinterpret_cast<NativeProg::Fn>(dlsym(n.module, entry.c_str()));
  if (!n.env || !n.fn) {
    n.problem = "module lacks ebpfaas_native_env or " + entry;
    n.fn = nullptr;
    return;
  }
  const helpers::HelperTable& table = helpers::xdp_helpers();
  for (int id = 0; id < EBPFAAS_NATIVE_MAX_HELPER; ++id)
    n.env->helpers[id] = reinterpret_cast<ebpfaas_native_helper_fn>(table.get(id));
  const auto& maps = obj.maps->all();
  n.maps.resize(maps.size());  // not resized again: the module holds pointers
  for (size_t i = 0; i < maps.size(); ++i) {
    maps::Map* m = maps[i].get();
    void* def = dlsym(n.module, m->name().c_str());
    if (!def) {
      n.problem = "module lacks map " + m->name();
      n.fn = nullptr;
      return;
    }
    ebpfaas_native_map& d = n.maps[i];
    d.handle = reinterpret_cast<uint64_t>(m);
    if (m->type() == BPF_MAP_TYPE_ARRAY || m->type() == BPF_MAP_TYPE_PERCPU_ARRAY) {
      const maps::ArrayLayout& l = static_cast<maps::ArrayMap*>(m)->layout();
      d.values = l.values;
      d.cpu_stride = l.cpu_stride;
      d.stride = l.stride;
      d.max_entries = l.max_entries;
    } else if (const auto* h = dynamic_cast<const maps::HashMap*>(m)) {
      const maps::HashLayout& l = h->layout();
      d.buckets = reinterpret_cast<uint8_t* const*>(l.buckets);
      d.seed = l.seed;
      d.bucket_mask = l.bucket_mask;
      d.key_offset = l.key_offset;
      d.value_offset = l.value_offset;
      d.ref_offset = l.ref_offset;
      d.percpu_values = l.percpu_values;
      d.percpu_cpu_stride = l.percpu_cpu_stride;
      d.percpu_stride = l.percpu_stride;
      d.num_cpus = m->num_cpus();
    }
    const ebpfaas_native_map* p = &d;
    std::memcpy(def, &p, sizeof(p));
  }
}

template <class Run>
double ebpfaas_run(const Bytes& pkt, uint32_t repeat, Run&& run) {
  static vm::XdpFrame frame;
  if (!frame.load(pkt, kIngress)) std::exit(1);
  helpers::RunContext rc;
  uint64_t sink = 0;
  const double t0 = now_ns();
  for (uint32_t i = 0; i < repeat; ++i) {
    rc.reset();
    sink += run(frame.buff(), rc);
  }
  const double t = now_ns() - t0;
  if (sink == 0xffffffffffffull) std::puts("");
  return t / repeat;
}

// What one run on a fresh copy of the packet did: verdict and redirect target.
struct Outcome {
  uint32_t verdict = 0;
  uint32_t ifindex = 0;
  uint64_t flags = 0;
  bool operator==(const Outcome&) const = default;
};

template <class Run>
Outcome outcome(const Bytes& pkt, Run&& run) {
  static vm::XdpFrame frame;
  if (!frame.load(pkt, kIngress)) std::exit(1);
  helpers::RunContext rc;
  const uint32_t verdict = run(frame.buff(), rc);
  return Outcome{verdict, rc.redirect.ifindex, rc.redirect.flags};
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t repeat = 200'000, rounds = 7;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--repeat" && i + 1 < argc) {
      repeat = static_cast<uint32_t>(std::stoul(argv[++i]));
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = static_cast<uint32_t>(std::stoul(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--repeat N] [--rounds R]\n", argv[0]);
      return 2;
    }
  }
  QsbrThread engine(QsbrDomain::global());
  std::printf("repeat %u, %u interleaved rounds; ns per packet, median (best)\n\n", repeat, rounds);
  std::printf("native: the NF's C compiled by %s -O2\n\n", EBPFAAS_NATIVE_CC);
  std::printf(
      "| NF | packet B | ebpfaas JIT | ebpfaas interpreter | native C | JIT / native | Linux JIT "
      "| JIT / Linux |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::vector<std::pair<std::string, Stats>> compile_times;
  for (const NfCase& nf : cases()) {
    const std::string path = std::string(EBPFAAS_NFS_DIR) + "/" + nf.name + ".o";
    // A copy of the maps per tier, so that the tiers do not share state.
    loader::LoadOptions options;
    options.map_options.ifindex_exists = [](uint32_t) { return true; };
    auto interp_obj = loader::load_file(path, options);
    auto jit_obj = loader::load_file(path, options);
    auto native_obj = loader::load_file(path, options);
    for (auto* o : {&interp_obj, &jit_obj, &native_obj})
      if (!*o) {
        std::fprintf(stderr, "%s: %s\n", path.c_str(), o->error().message().c_str());
        return 1;
      }
    for (auto* obj : {&*interp_obj, &*jit_obj, &*native_obj})
      for (const Entry& e : nf.setup) {
        auto m = obj->maps->find(e.map);
        if (!m || m->user_update(e.key.data(), e.value.data(), BPF_ANY) != 0) {
          std::fprintf(stderr, "%s: setup of map %s failed\n", nf.name, e.map.c_str());
          return 1;
        }
      }
    auto interp_prog = interp_obj->programs.front().program;
    Stats compile;
    for (int i = 0; i < 5; ++i) {
      auto jp = vm::jit_compile(jit_obj->programs.front().program, {.use_cache = false});
      if (!jp) {
        std::fprintf(stderr, "%s: %s\n", nf.name, jp.error().message().c_str());
        return 1;
      }
      compile.v.push_back((*jp)->compile_ms());
    }
    compile_times.emplace_back(nf.name, compile);
    auto jit = vm::jit_compile(jit_obj->programs.front().program);
    if (!jit) return 1;
    KernelProg kernel;
    kernel_load(path, nf, kernel);
    NativeProg native;
    native_load(std::string(EBPFAAS_NATIVE_NF_DIR) + "/" + nf.name + ".so", *native_obj, native);
    const auto run_jit = [&](helpers::XdpBuff& b, helpers::RunContext& rc) {
      return vm::run_xdp_jit(**jit, b, rc);
    };
    const auto run_interp = [&](helpers::XdpBuff& b, helpers::RunContext& rc) {
      return vm::run_xdp(*interp_prog, b, rc);
    };
    const auto run_native = [&](helpers::XdpBuff& b, helpers::RunContext& rc) {
      return native.run(b, rc);
    };

    for (size_t size : {64, 512, 1500}) {
      const Bytes pkt = packet(size);
      // The same outcome in every tier (each on its own maps, so they stay alike).
      const Outcome oj = outcome(pkt, run_jit), oi = outcome(pkt, run_interp);
      if (oj != oi || (native.fn && outcome(pkt, run_native) != oj)) {
        std::fprintf(stderr, "%s, %zu B: the tiers disagree (JIT verdict %u)\n", nf.name, size,
                     oj.verdict);
        return 1;
      }
      engine.quiescent();
      Stats sj, si, sn, sk;
      for (uint32_t r = 0; r < rounds; ++r) {
        sj.v.push_back(ebpfaas_run(pkt, repeat, run_jit));
        engine.quiescent();
        si.v.push_back(ebpfaas_run(pkt, repeat, run_interp));
        engine.quiescent();
        if (native.fn) {
          sn.v.push_back(ebpfaas_run(pkt, repeat, run_native));
          engine.quiescent();
        }
        if (kernel.fd >= 0) {
          const double k = kernel_run(kernel, pkt, repeat);
          if (k >= 0) sk.v.push_back(k);
        }
      }
      std::printf("| %s | %zu | %.1f (%.1f) | %.1f (%.1f) | ", nf.name, size, sj.median(),
                  sj.best(), si.median(), si.best());
      if (sn.v.empty()) {
        std::printf("n/a (%s) | | ", native.problem.c_str());
      } else {
        std::printf("%.1f (%.1f) | %.2f | ", sn.median(), sn.best(), sj.median() / sn.median());
      }
      if (sk.v.empty()) {
        std::printf("n/a (%s) | |\n",
                    kernel.problem.empty() ? "test run failed" : kernel.problem.c_str());
      } else {
        std::printf("%.1f (%.1f) | %.2f |\n", sk.median(), sk.best(), sj.median() / sk.median());
      }
      std::fflush(stdout);
    }
  }
  std::printf("\n| NF | JIT compile ms, median (best) of 5 |\n|---|---|\n");
  for (const auto& [name, s] : compile_times)
    std::printf("| %s | %.2f (%.2f) |\n", name.c_str(), s.median(), s.best());
  // The clock ddos_mitigation reads once per packet (every tier calls this
  // helper; the kernel's is much cheaper), timed alone with the same loop.
  const helpers::HelperFn ktime = helpers::xdp_helpers().get(BPF_FUNC_ktime_get_ns);
  Stats clock;
  for (uint32_t r = 0; r < rounds; ++r)
    clock.v.push_back(
        ebpfaas_run(packet(64), repeat, [&](helpers::XdpBuff&, helpers::RunContext& rc) {
          return static_cast<uint32_t>(ktime(0, 0, 0, 0, 0, &rc));
        }));
  std::printf("\nbpf_ktime_get_ns helper alone (clock_gettime): %.1f (%.1f) ns per call\n",
              clock.median(), clock.best());
  return 0;
}
