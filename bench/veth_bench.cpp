// Packets per second into a veth pair, received by (a) an ebpfaas data plane
// on an `iface:` port running bench/progs/xdp_count_drop (count, XDP_DROP) with
// the JIT, one engine, and (b) the Linux kernel running the same object as a
// native (driver-mode) XDP program attached with libbpf's bpf_xdp_attach on
// the same veth end: the same traffic, in the same run, in alternating rounds.
//
// The traffic comes from a network namespace the bench makes (and removes):
// one sender thread on the peer end writes 64-byte IPv4/UDP frames of 64
// flows with AF_PACKET sendmmsg (64 frames a call, qdisc bypassed), as fast
// as the kernel takes them. What a receiver handled is what its program
// counted (the per-CPU map of the object, summed). Needs root and network
// namespaces; prints SKIPPED otherwise.
//
//   veth_bench [--seconds S] [--rounds N] [--progs DIR]
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/dpdk_port.h"
#include "dataplane/engine.h"
#include "dataplane/jit_tier.h"
#include "dataplane/traffic.h"
#include "dataplane/traffic_spec.h"
#include "loader/load.h"

using namespace ebpfaas;
using namespace ebpfaas::dataplane;

namespace {

std::string sh(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[1024];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// A veth pair: `a` in this namespace (where the receivers attach), `b` in a
// namespace of its own (the sender's).
class Veth {
 public:
  Veth() {
    const std::string id = std::to_string(getpid() % 100000);
    ns_ = "ebvbns" + id, a_ = "ebvb0" + id, b_ = "ebvb1" + id;
    int st = 0;
    sh("ip netns add " + ns_, &st);
    if (st != 0) return;
    made_ = true;
    sh("ip link add " + a_ + " type veth peer name " + b_ + " netns " + ns_ + " && ip link set " +
           a_ + " up && ip -n " + ns_ + " link set " + b_ + " up",
       &st);
    if (st != 0) return;
    a_mac_ = trim(sh("cat /sys/class/net/" + a_ + "/address"));
    b_mac_ = trim(sh("ip netns exec " + ns_ + " cat /sys/class/net/" + b_ + "/address"));
    ok_ = !a_mac_.empty() && !b_mac_.empty();
  }
  ~Veth() {
    if (made_) sh("ip link del " + a_ + "; ip netns del " + ns_);
  }
  bool ok() const { return ok_; }
  const std::string& ns() const { return ns_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }
  const std::string& a_mac() const { return a_mac_; }
  const std::string& b_mac() const { return b_mac_; }

 private:
  std::string ns_, a_, b_, a_mac_, b_mac_;
  bool made_ = false, ok_ = false;
};

void pin_to(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// The sender: AF_PACKET on the namespace's end, sendmmsg until stopped.
class Sender {
 public:
  Sender(const Veth& veth, std::vector<std::vector<uint8_t>> frames, int cpu)
      : veth_(veth), frames_(std::move(frames)), cpu_(cpu) {}
  bool start() {
    thread_ = std::thread([this] { run(); });
    while (!ready_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return ok_.load();
  }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
  const std::string& error() const { return error_; }

 private:
  void run() {
    pin_to(cpu_);
    int nsfd = ::open(("/var/run/netns/" + veth_.ns()).c_str(), O_RDONLY);
    if (nsfd < 0 || ::setns(nsfd, CLONE_NEWNET) != 0) {
      error_ = "cannot enter namespace " + veth_.ns();
      ready_ = true;
      return;
    }
    ::close(nsfd);
    int fd = ::socket(AF_PACKET, SOCK_RAW, 0);
    int one = 1;
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = static_cast<int>(if_nametoindex(veth_.b().c_str()));
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      error_ = "no AF_PACKET socket on " + veth_.b();
      ready_ = true;
      return;
    }
    ::setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    constexpr size_t kBurst = 64;
    std::vector<iovec> iov(kBurst);
    std::vector<mmsghdr> msgs(kBurst);
    for (size_t i = 0; i < kBurst; ++i) {
      auto& f = frames_[i % frames_.size()];
      iov[i] = {f.data(), f.size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    ok_ = true;
    ready_ = true;
    while (!stop_.load(std::memory_order_relaxed)) {
      const int n = ::sendmmsg(fd, msgs.data(), kBurst, 0);
      if (n > 0) sent_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    }
    ::close(fd);
  }

  const Veth& veth_;
  std::vector<std::vector<uint8_t>> frames_;
  int cpu_;
  std::thread thread_;
  std::atomic<bool> ready_{false}, ok_{false}, stop_{false};
  std::atomic<uint64_t> sent_{0};
  std::string error_;
};

struct Figures {
  double sent_mpps = 0, handled_mpps = 0;
};

double g_seconds = 3;

// Runs the sender for the warm-up and the window; `handled` reads the
// receiver's count.
Figures measure(Sender& sender, const std::function<uint64_t()>& handled) {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const uint64_t s0 = sender.sent(), h0 = handled();
  const auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(g_seconds));
  const uint64_t s1 = sender.sent(), h1 = handled();
  const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {static_cast<double>(s1 - s0) / dt / 1e6, static_cast<double>(h1 - h0) / dt / 1e6};
}

uint64_t sum_percpu(maps::Map& m) {
  uint32_t key = 0;
  std::vector<uint64_t> v(m.num_cpus());
  if (m.user_lookup(&key, v.data()) != 0) return 0;
  uint64_t s = 0;
  for (uint64_t x : v) s += x;
  return s;
}

std::string g_device;

Expected<Figures> run_ebpfaas(const Veth& veth, const std::string& object, Sender& sender) {
  auto obj = loader::load_file(object, {.map_options = {.num_cpus = 1}});
  if (!obj) return obj.error();
  auto shared = std::make_shared<loader::LoadedObject>(std::move(*obj));
  auto prepared = prepare_jit(shared);
  if (!prepared) return prepared.error();
  ProgramSlot slot;
  slot.publish(std::move(*prepared));
  auto port = open_port("iface:" + veth.a(), {.queues = 1});
  if (!port) return port.error();
  g_device = (*port)->device();
  std::vector<std::unique_ptr<Port>> ports;
  ports.push_back(std::move(*port));
  DataPlane dp(std::move(ports), slot, {.engines = 1, .pin = true});
  if (auto st = dp.start(); !st) return st.error();
  auto count = shared->maps->find("rx_count");
  if (!sender.start()) return Error(sender.error());
  Figures f = measure(sender, [&] { return sum_percpu(*count); });
  sender.stop();
  dp.stop();
  return f;
}

Expected<Figures> run_kernel(const Veth& veth, const std::string& object, Sender& sender) {
  bpf_object* obj = bpf_object__open_file(object.c_str(), nullptr);
  if (!obj) return errorf("libbpf: cannot open {}", object);
  struct Closer {
    bpf_object* o;
    ~Closer() { bpf_object__close(o); }
  } closer{obj};
  if (int rc = bpf_object__load(obj); rc != 0)
    return errorf("libbpf: cannot load {} into the kernel: {}", object, std::strerror(-rc));
  bpf_program* prog = bpf_object__find_program_by_name(obj, "xdp_count_drop");
  bpf_map* map = bpf_object__find_map_by_name(obj, "rx_count");
  if (!prog || !map) return errorf("{}: no xdp_count_drop or rx_count", object);
  const int ifindex = static_cast<int>(if_nametoindex(veth.a().c_str()));
  if (int rc = bpf_xdp_attach(ifindex, bpf_program__fd(prog), XDP_FLAGS_DRV_MODE, nullptr); rc != 0)
    return errorf("bpf_xdp_attach({}, native mode): {}", veth.a(), std::strerror(-rc));
  const int ncpus = libbpf_num_possible_cpus();
  auto count = [&]() -> uint64_t {
    uint32_t key = 0;
    std::vector<uint64_t> v(static_cast<size_t>(std::max(ncpus, 1)));
    if (bpf_map__lookup_elem(map, &key, sizeof key, v.data(), v.size() * sizeof(uint64_t), 0) != 0)
      return 0;
    uint64_t s = 0;
    for (uint64_t x : v) s += x;
    return s;
  };
  Figures f;
  if (sender.start()) f = measure(sender, count);
  sender.stop();
  bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, nullptr);
  if (!sender.error().empty()) return Error(sender.error());
  return f;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}
double best(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

int main(int argc, char** argv) {
  std::string progs = EBPFAAS_BENCH_PROGS_DIR;
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      g_seconds = std::atof(argv[++i]);
    else if (a == "--rounds" && i + 1 < argc)
      rounds = std::max(1, std::atoi(argv[++i]));
    else if (a == "--progs" && i + 1 < argc)
      progs = argv[++i];
    else {
      std::fprintf(stderr, "usage: veth_bench [--seconds S] [--rounds N] [--progs DIR]\n");
      return 2;
    }
  }
  if (!dpdk_available()) {
    std::printf("SKIPPED: built without DPDK (no iface: ports)\n");
    return 0;
  }
  if (geteuid() != 0) {
    std::printf("SKIPPED: network namespaces and XDP attachment need root\n");
    return 0;
  }
  Veth veth;
  if (!veth.ok()) {
    std::printf("SKIPPED: cannot create a network namespace and a veth pair here\n");
    return 0;
  }
  const std::string object = progs + "/xdp_count_drop.o";
  auto traffic =
      parse_traffic_spec("size=64,flows=64,smac=" + veth.b_mac() + ",dmac=" + veth.a_mac());
  if (!traffic) {
    std::fprintf(stderr, "%s\n", traffic.error().message().c_str());
    return 1;
  }
  auto gen = TrafficGenerator::create(*traffic);
  if (!gen) {
    std::fprintf(stderr, "%s\n", gen.error().message().c_str());
    return 1;
  }
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 64; ++i) {
    std::vector<uint8_t> f(gen->max_frame_size());
    f.resize(gen->next(f.data()).length);
    frames.push_back(std::move(f));
  }
  // The engine (or nothing) on the first CPU, the sender on the last: the
  // kernel's XDP on veth runs in the sender's softirq, on the sender's CPU.
  const std::vector<int> cpus = allowed_cpus();
  const int sender_cpu = cpus.size() > 1 ? cpus.back() : -1;
  std::printf(
      "veth %s <- %s (namespace %s), 64-byte frames, 64 flows, AF_PACKET sendmmsg from one "
      "thread%s; %.1f s per figure, %d rounds\n\n",
      veth.a().c_str(), veth.b().c_str(), veth.ns().c_str(),
      sender_cpu >= 0 ? fmt::format(" on CPU {}", sender_cpu).c_str() : "", g_seconds, rounds);
  std::printf(
      "| round | ebpfaas iface: (JIT, 1 engine): sent Mpps | handled Mpps | kernel native XDP: "
      "sent Mpps | handled Mpps |\n|---|---|---|---|---|\n");
  std::vector<double> ours, kernel, ours_sent, kernel_sent;
  for (int r = 0; r < rounds; ++r) {
    Sender s1(veth, frames, sender_cpu);
    auto a = run_ebpfaas(veth, object, s1);
    if (!a) {
      std::printf("SKIPPED: ebpfaas on %s: %s\n", veth.a().c_str(), a.error().message().c_str());
      return 0;
    }
    Sender s2(veth, frames, sender_cpu);
    auto k = run_kernel(veth, object, s2);
    if (!k) {
      std::printf("SKIPPED: kernel XDP on %s: %s\n", veth.a().c_str(), k.error().message().c_str());
      return 0;
    }
    ours.push_back(a->handled_mpps);
    ours_sent.push_back(a->sent_mpps);
    kernel.push_back(k->handled_mpps);
    kernel_sent.push_back(k->sent_mpps);
    std::printf("| %d | %.3f | %.3f | %.3f | %.3f |\n", r + 1, a->sent_mpps, a->handled_mpps,
                k->sent_mpps, k->handled_mpps);
    std::fflush(stdout);
  }
  std::printf("| best | %.3f | %.3f | %.3f | %.3f |\n", best(ours_sent), best(ours),
              best(kernel_sent), best(kernel));
  std::printf("| median | %.3f | %.3f | %.3f | %.3f |\n", median(ours_sent), median(ours),
              median(kernel_sent), median(kernel));
  std::printf("\nebpfaas port: %s; ebpfaas / kernel (medians): %.2f\n", g_device.c_str(),
              median(kernel) > 0 ? median(ours) / median(kernel) : 0.0);
  return 0;
}
