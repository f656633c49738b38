// Real traffic through ebpfaas: two network namespaces, each a host with an
// address, connected by veth pairs to iface: ports of a data plane running
// nfs/ipv4_router. UDP datagrams and ICMP echoes (ping, over the hosts' raw
// ICMP sockets) between the hosts' own sockets cross the router in both
// directions (TTL 64 -> 63, MACs rewritten: the hosts' packet sockets see the
// router's MAC as the source). Then, while host A keeps sending, the DDoS
// mitigation NF (progs/ddos_router.c: nfs/ddos_mitigation in front of the
// router, the router's maps carried over) replaces the router through the
// program slot: a flood to a blocked destination port is dropped, the
// legitimate datagrams still arrive, routed. The test makes and removes its
// namespaces itself, sends bounded packet counts between its own addresses
// only, and reports SKIPPED where namespaces or veths cannot be made (no
// root) or DPDK is absent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

#include "dataplane/checksum.h"
#include "dataplane/dpdk_port.h"
#include "dataplane/engine.h"

namespace ebpfaas::dataplane {
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

bool parse_mac(const std::string& text, uint8_t out[6]) {
  unsigned v[6];
  if (std::sscanf(text.c_str(), "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
    return false;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
  return true;
}

// Moves the calling thread into network namespace `ns`.
bool enter(const std::string& ns) {
  int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY);
  if (fd < 0) return false;
  bool ok = ::setns(fd, CLONE_NEWNET) == 0;
  ::close(fd);
  return ok;
}

// Receives one datagram within `ms`; returns its TTL, or -1.
int receive_ttl(int fd, int ms, sockaddr_in* from = nullptr) {
  pollfd pfd{fd, POLLIN, 0};
  if (::poll(&pfd, 1, ms) <= 0) return -1;
  char data[256], control[256];
  iovec iov{data, sizeof data};
  sockaddr_in src{};
  msghdr msg{};
  msg.msg_name = &src;
  msg.msg_namelen = sizeof src;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  if (::recvmsg(fd, &msg, 0) < 0) return -1;
  if (from) *from = src;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      int ttl;
      std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      return ttl;
    }
  return 0;
}

int udp_socket(const char* addr, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
  // veth leaves UDP checksums to "hardware" (CHECKSUM_PARTIAL): through an
  // AF_PACKET port they would arrive unfinished. IPv4 allows none at all.
  ::setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, addr, &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Two hosts (namespaces) behind router-side veth ends r0 and r1.
class TwoHosts {
 public:
  TwoHosts() {
    // Unique per instance: a deleted namespace's veth (and the DPDK device
    // named after it) may outlive it for a moment.
    static int instances = 0;
    const std::string id = std::to_string(getpid() % 100000) + std::to_string(instances++ % 10);
    ns_[0] = "ebdpA" + id, ns_[1] = "ebdpB" + id;
    r_[0] = "ebr0" + id, r_[1] = "ebr1" + id;
    int st = 0;
    for (int i = 0; i < 2; ++i) {
      const std::string subnet = "10.201." + std::to_string(i + 1);
      sh("ip netns add " + ns_[i], &st);
      if (st != 0) return;
      made_ = i + 1;
      sh("ip link add " + r_[i] + " type veth peer name h0 netns " + ns_[i] + " && ip link set " +
             r_[i] + " up && ip -n " + ns_[i] + " link set lo up && ip -n " + ns_[i] +
             " link set h0 up && ip -n " + ns_[i] + " addr add " + subnet +
             ".2/24 dev h0 && ip -n " + ns_[i] + " route add default via " + subnet + ".1",
         &st);
      if (st != 0) return;
      // The router passes ARP up (XDP_PASS, no host port here): static neighbours.
      router_mac_[i] = trim(sh("cat /sys/class/net/" + r_[i] + "/address"));
      host_mac_[i] = trim(sh("ip netns exec " + ns_[i] + " cat /sys/class/net/h0/address"));
      sh("ip -n " + ns_[i] + " neigh add " + subnet + ".1 lladdr " + router_mac_[i] +
             " dev h0 nud permanent",
         &st);
      if (st != 0) return;
    }
    ok_ = true;
  }
  ~TwoHosts() {
    for (int i = 0; i < made_; ++i) sh("ip link del " + r_[i] + "; ip netns del " + ns_[i]);
  }
  bool ok() const { return ok_; }
  std::string ns(int i) const { return ns_[i]; }
  std::string router_if(int i) const { return r_[i]; }
  std::string router_mac(int i) const { return router_mac_[i]; }
  std::string host_mac(int i) const { return host_mac_[i]; }

 private:
  std::array<std::string, 2> ns_, r_, router_mac_, host_mac_;
  int made_ = 0;
  bool ok_ = false;
};

struct RouteKey {
  uint32_t prefixlen, addr;
};
struct RouteValue {
  uint8_t dst[6], src[6];
  uint32_t port;
};

// A route to each host's /24 through its router-side port.
::testing::AssertionResult add_routes(const loader::LoadedObject& obj, const TwoHosts& hosts) {
  auto routes = obj.maps->find("routes");
  if (!routes) return ::testing::AssertionFailure() << obj.name << " has no map 'routes'";
  for (uint32_t i = 0; i < 2; ++i) {
    RouteKey key{24, htonl((10u << 24) | (201u << 16) | ((i + 1) << 8))};
    RouteValue route{};
    if (!parse_mac(hosts.host_mac(static_cast<int>(i)), route.dst) ||
        !parse_mac(hosts.router_mac(static_cast<int>(i)), route.src))
      return ::testing::AssertionFailure() << "unreadable MAC of host or router " << i;
    route.port = port_ifindex(i);
    if (routes->user_update(&key, &route, 0) != 0)
      return ::testing::AssertionFailure() << "cannot add route " << i;
  }
  return ::testing::AssertionSuccess();
}

// ipv4_router with its routes, in a slot, and a data plane on the two
// router-side veth ends; `skip` says why there is none.
struct RouterPlane {
  std::shared_ptr<const loader::LoadedObject> router;
  ProgramSlot slot;
  std::unique_ptr<DataPlane> dp;
  std::string skip, error;

  explicit RouterPlane(const TwoHosts& hosts) {
    auto obj = loader::load_file(std::string(EBPFAAS_NFS_DIR) + "/ipv4_router.o",
                                 {.map_options = {.num_cpus = 1}});
    if (!obj) {
      error = obj.error().message();
      return;
    }
    if (auto r = add_routes(*obj, hosts); !r) {
      error = r.message();
      return;
    }
    router = std::make_shared<loader::LoadedObject>(std::move(*obj));
    slot.publish(std::move(*prepare_interpreted(router)));
    std::vector<std::unique_ptr<Port>> ports;
    for (int i = 0; i < 2; ++i) {
      auto port = open_port("iface:" + hosts.router_if(i), {.queues = 1});
      if (!port && !dpdk_init_error().empty()) {
        skip = "SKIPPED: " + dpdk_init_error();
        return;
      }
      if (!port) {
        error = port.error().message();
        return;
      }
      ports.push_back(std::move(*port));
    }
    dp = std::make_unique<DataPlane>(std::move(ports), slot,
                                     DataPlaneOptions{.engines = 1, .pin = false});
    if (auto st = dp->start(); !st) error = st.error().message();
  }
  ~RouterPlane() {
    if (dp) dp->stop();
  }
  uint64_t stat(const loader::LoadedObject& obj, const char* map, uint32_t index) const {
    auto m = obj.maps->find(map);
    if (!m) return 0;
    std::vector<uint64_t> per_cpu(m->num_cpus());
    if (m->user_lookup(&index, per_cpu.data()) != 0) return 0;
    uint64_t sum = 0;
    for (uint64_t v : per_cpu) sum += v;
    return sum;
  }
  std::string counters() const {
    const EngineCounters c = dp->total_counters();
    return fmt::format("engine rx {}, redirect {}, drop {}, pass {}, tx {}, dropped {}",
                       c.rx_packets, c.verdicts[4], c.verdicts[1], c.verdicts[2], c.tx_packets,
                       c.drops_total());
  }
};

#define START_ROUTER(hosts, plane)                                                   \
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";              \
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: network namespaces need root";       \
  TwoHosts hosts;                                                                    \
  if (!hosts.ok())                                                                   \
    GTEST_SKIP() << "SKIPPED: cannot create network namespaces and veth pairs here"; \
  RouterPlane plane(hosts);                                                          \
  if (!plane.skip.empty()) GTEST_SKIP() << plane.skip;                               \
  ASSERT_TRUE(plane.error.empty()) << plane.error;                                   \
  ASSERT_TRUE(plane.dp)

TEST(DpNetns, UdpCrossesTheIpv4Router) {
  START_ROUTER(hosts, plane);
  // Host B answers every datagram; host A sends a few and counts the answers.
  int request_ttl = -1, reply_ttl = -1, replies = 0;
  std::thread host_b([&] {
    if (!enter(hosts.ns(1))) return;
    int fd = udp_socket("10.201.2.2", 7000);
    if (fd < 0) return;
    for (int i = 0; i < 5; ++i) {
      sockaddr_in from{};
      int ttl = receive_ttl(fd, 3000, &from);
      if (ttl < 0) break;
      request_ttl = ttl;
      ::sendto(fd, "pong", 4, 0, reinterpret_cast<sockaddr*>(&from), sizeof from);
    }
    ::close(fd);
  });
  std::thread host_a([&] {
    if (!enter(hosts.ns(0))) return;
    int fd = udp_socket("10.201.1.2", 7001);
    if (fd < 0) return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(7000);
    inet_pton(AF_INET, "10.201.2.2", &to.sin_addr);
    for (int i = 0; i < 5; ++i) {
      ::sendto(fd, "ping", 4, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      int ttl = receive_ttl(fd, 1000);
      if (ttl >= 0) {
        reply_ttl = ttl;
        ++replies;
      }
    }
    ::close(fd);
  });
  host_a.join();
  host_b.join();
  plane.dp->stop();
  const EngineCounters c = plane.dp->total_counters();
  EXPECT_GE(replies, 3) << "datagrams answered across the router; " << plane.counters();
  EXPECT_EQ(request_ttl, 63);  // host A sent with 64; one router hop
  EXPECT_EQ(reply_ttl, 63);
  EXPECT_GE(plane.stat(*plane.router, "router_stats", 0), 2u * replies);  // both ways forwarded
  EXPECT_GE(c.verdicts[4], 2u * replies);
}

// A raw ICMP socket (the host's own socket API; the kernel answers echo
// requests itself) and a packet socket on the host's veth end.
int icmp_socket() {
  return ::socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
}
int packet_socket() {
  int fd = ::socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
  if (fd < 0) return -1;
  sockaddr_ll a{};
  a.sll_family = AF_PACKET;
  a.sll_protocol = htons(ETH_P_IP);
  a.sll_ifindex = static_cast<int>(if_nametoindex("h0"));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// One ICMP message of `type` and echo id `id` seen on `fd` within `ms`:
// the IPv4 TTL it arrived with (raw ICMP sockets deliver the IP header), or -1.
// With `ethernet`, fd is a packet socket and `macs` gets the frame's
// destination and source.
int receive_icmp(int fd, uint8_t type, uint16_t id, int ms, bool ethernet = false,
                 std::array<uint8_t, 12>* macs = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd pfd{fd, POLLIN, 0};
    if (left <= 0 || ::poll(&pfd, 1, static_cast<int>(left)) <= 0) return -1;
    uint8_t buf[2048];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return -1;
    const size_t l2 = ethernet ? 14 : 0;
    if (static_cast<size_t>(n) < l2 + 20 + 8) continue;
    const uint8_t* ip = buf + l2;
    const size_t ihl = (ip[0] & 0xf) * 4u;
    if (ip[9] != IPPROTO_ICMP || static_cast<size_t>(n) < l2 + ihl + 8) continue;
    const uint8_t* icmp = ip + ihl;
    if (icmp[0] != type || load_be16(icmp + 4) != id) continue;
    if (macs) std::memcpy(macs->data(), buf, 12);
    return ip[8];
  }
}

std::string mac_text(const uint8_t* m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

TEST(DpNetns, PingCrossesTheIpv4Router) {
  START_ROUTER(hosts, plane);
  constexpr int kEchoes = 5;
  constexpr uint16_t kId = 0x4562;
  std::atomic<bool> b_ready{false};
  int request_ttl = -1;
  std::array<uint8_t, 12> request_macs{};
  std::thread host_b([&] {
    // B's kernel answers; B's own sockets watch the requests arrive.
    if (!enter(hosts.ns(1))) return;
    int raw = icmp_socket(), pkt = packet_socket();
    b_ready = true;
    if (raw < 0 || pkt < 0) return;
    request_ttl = receive_icmp(raw, ICMP_ECHO, kId, 5000);
    receive_icmp(pkt, ICMP_ECHO, kId, 1000, true, &request_macs);
    ::close(raw);
    ::close(pkt);
  });
  while (!b_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  int replies = 0, reply_ttl = -1;
  std::array<uint8_t, 12> reply_macs{};
  std::thread host_a([&] {
    if (!enter(hosts.ns(0))) return;
    int raw = icmp_socket(), pkt = packet_socket();
    if (raw < 0 || pkt < 0) return;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    inet_pton(AF_INET, "10.201.2.2", &to.sin_addr);
    for (uint16_t seq = 1; seq <= kEchoes; ++seq) {
      uint8_t echo[16] = {ICMP_ECHO, 0, 0, 0};
      store_be16(echo + 4, kId);
      store_be16(echo + 6, seq);
      std::memcpy(echo + 8, "ebpfaas!", 8);
      store_be16(echo + 2, internet_checksum(echo));
      ::sendto(raw, echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
      const int ttl = receive_icmp(raw, ICMP_ECHOREPLY, kId, 1000);
      if (ttl >= 0) {
        reply_ttl = ttl;
        ++replies;
        if (seq == 1) receive_icmp(pkt, ICMP_ECHOREPLY, kId, 200, true, &reply_macs);
      }
    }
    ::close(raw);
    ::close(pkt);
  });
  host_a.join();
  host_b.join();
  plane.dp->stop();
  EXPECT_GE(replies, kEchoes - 1) << "echo replies across the router; " << plane.counters();
  EXPECT_EQ(request_ttl, 63);  // sent with 64, one hop
  EXPECT_EQ(reply_ttl, 63);
  // Rewritten on the way: to the host's MAC, from the router port's.
  EXPECT_EQ(mac_text(request_macs.data()), hosts.host_mac(1));
  EXPECT_EQ(mac_text(request_macs.data() + 6), hosts.router_mac(1));
  EXPECT_EQ(mac_text(reply_macs.data()), hosts.host_mac(0));
  EXPECT_EQ(mac_text(reply_macs.data() + 6), hosts.router_mac(0));
  EXPECT_GE(plane.stat(*plane.router, "router_stats", 0), 2u * replies);
}

TEST(DpNetns, DdosMitigationReplacesTheRouterUnderTraffic) {
  START_ROUTER(hosts, plane);
  constexpr uint16_t kLegitPort = 7000, kBlockedPort = 9999;
  constexpr int kFloodBefore = 20, kFlood = 2000, kLegitAfter = 200;
  // The replacement, loaded beside the running router with the router's maps
  // carried over (routes included), and configured before it is published.
  auto next = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/ddos_router.o",
                                {.map_options = {.num_cpus = 1},
                                 .reuse = plane.router->maps.get(),
                                 .programs = {"xdp_ddos_router"}});
  ASSERT_TRUE(next) << next.error().message();
  ASSERT_EQ(next->maps->find("routes"), plane.router->maps->find("routes"));
  uint32_t zero = 0, blocked = kBlockedPort, one = 1;
  const uint64_t cfg[2] = {1000000, 1000000};  // legitimate sources stay under the rate
  ASSERT_EQ(next->maps->find("ddos_config")->user_update(&zero, cfg, 0), 0);
  ASSERT_EQ(next->maps->find("blocked_ports")->user_update(&blocked, &one, 0), 0);
  auto ddos = std::make_shared<loader::LoadedObject>(std::move(*next));
  auto prepared = prepare_interpreted(ddos, "xdp_ddos_router");
  ASSERT_TRUE(prepared) << prepared.error().message();

  // Payload: phase (0 router, 1 DDoS function), kind ('L' legit, 'F' flood), sequence.
  struct Received {
    int legit[2] = {0, 0}, flood[2] = {0, 0}, bad_ttl = 0;
  } got;
  std::atomic<int> phase{0}, legit_sent{0};
  std::atomic<bool> a_done{false}, b_ready{false};
  int sent_flood[2] = {0, 0}, sent_legit[2] = {0, 0};
  std::thread host_b([&] {
    if (!enter(hosts.ns(1))) return;
    int legit = udp_socket("10.201.2.2", kLegitPort),
        flood = udp_socket("10.201.2.2", kBlockedPort);
    int big = 1 << 22;
    for (int fd : {legit, flood}) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    b_ready = true;
    if (legit < 0 || flood < 0) return;
    auto quiet_since = std::chrono::steady_clock::now();
    for (;;) {
      pollfd pfd[2] = {{legit, POLLIN, 0}, {flood, POLLIN, 0}};
      if (::poll(pfd, 2, 50) <= 0) {
        if (a_done &&
            std::chrono::steady_clock::now() - quiet_since > std::chrono::milliseconds(500))
          break;
        continue;
      }
      quiet_since = std::chrono::steady_clock::now();
      for (int k = 0; k < 2; ++k) {
        if (!(pfd[k].revents & POLLIN)) continue;
        char data[64], control[128];
        iovec iov{data, sizeof data};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        const ssize_t n = ::recvmsg(pfd[k].fd, &msg, 0);
        if (n < 2) continue;
        int ttl = 0;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL)
            std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        if (ttl != 63) ++got.bad_ttl;
        const int ph = data[0] == '1';
        (data[1] == 'F' ? got.flood : got.legit)[ph]++;
      }
    }
    ::close(legit);
    ::close(flood);
  });
  while (!b_ready) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  std::thread host_a([&] {
    if (!enter(hosts.ns(0))) return;
    int legit = udp_socket("10.201.1.2", 7001), flood = udp_socket("10.201.1.2", 7002);
    if (legit < 0 || flood < 0) return;
    auto to = [](uint16_t port) {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      inet_pton(AF_INET, "10.201.2.2", &a.sin_addr);
      return a;
    };
    const sockaddr_in legit_to = to(kLegitPort), flood_to = to(kBlockedPort);
    auto send = [&](int fd, const sockaddr_in& dst, char kind, int ph, int seq) {
      char msg[16];
      const int len = std::snprintf(msg, sizeof msg, "%d%c%d", ph, kind, seq);
      return ::sendto(fd, msg, static_cast<size_t>(len), 0, reinterpret_cast<const sockaddr*>(&dst),
                      sizeof dst) == len;
    };
    // The router forwards everything, the blocked port included; one
    // legitimate datagram a millisecond until the main thread has swapped.
    for (int i = 0; i < kFloodBefore; ++i) sent_flood[0] += send(flood, flood_to, 'F', 0, i);
    int seq = 0;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (phase.load() == 0 && std::chrono::steady_clock::now() < give_up) {
      sent_legit[0] += send(legit, legit_to, 'L', 0, seq++);
      legit_sent = sent_legit[0];
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // The DDoS function runs: the flood in bursts of 20 a millisecond, a
    // legitimate datagram between bursts, then more legitimate traffic alone.
    for (int i = 0; i < kFlood; ++i) {
      sent_flood[1] += send(flood, flood_to, 'F', 1, i);
      if (i % 20 == 19) {
        sent_legit[1] += send(legit, legit_to, 'L', 1, seq++);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
    for (int i = 0; i < kLegitAfter; ++i) {
      sent_legit[1] += send(legit, legit_to, 'L', 1, seq++);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::close(legit);
    ::close(flood);
    a_done = true;
  });
  // Swap once 100 legitimate datagrams have gone out through the router, and
  // let host A go on once the engine runs the new program.
  while (legit_sent.load() < 100 && !a_done)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const uint64_t version = plane.slot.publish(std::move(*prepared));
  while (plane.dp->engine_counters(0).version < version)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  phase = 1;
  host_a.join();
  a_done = true;
  host_b.join();
  plane.dp->stop();
  const EngineCounters c = plane.dp->total_counters();
  SCOPED_TRACE(plane.counters());
  ASSERT_EQ(sent_flood[0], kFloodBefore);
  ASSERT_EQ(sent_flood[1], kFlood);
  EXPECT_GE(sent_legit[0], 100);
  // Before the swap the router forwarded the blocked port too.
  EXPECT_GE(got.flood[0], kFloodBefore * 9 / 10);
  // After it the flood is dropped, every datagram of it, by its port.
  EXPECT_EQ(got.flood[1], 0);
  EXPECT_EQ(plane.stat(*ddos, "ddos_stats", 2), static_cast<uint64_t>(kFlood))
      << "port_blocked: the flood as the DDoS function saw it";
  // Legitimate traffic arrives across the swap, routed (TTL 63).
  EXPECT_GE(got.legit[0], sent_legit[0] * 98 / 100) << "before the swap, of " << sent_legit[0];
  EXPECT_GE(got.legit[1], sent_legit[1] * 98 / 100) << "after the swap, of " << sent_legit[1];
  EXPECT_EQ(got.bad_ttl, 0);
  EXPECT_GE(plane.stat(*ddos, "ddos_stats", 0), static_cast<uint64_t>(got.legit[1]));
  // The data plane lost nothing across the swap: every packet it took got a verdict applied.
  EXPECT_EQ(c.rx_packets, c.tx_packets + c.drops_total());
  EXPECT_EQ(c.swaps, 1u);
}

}  // namespace
}  // namespace ebpfaas::dataplane
