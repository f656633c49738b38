// Real traffic through ebpfaas: two network namespaces, each a host with an
// address, connected by veth pairs to iface: ports of a data plane running
// nfs/ipv4_router. UDP between the hosts' own sockets crosses the router in
// both directions (TTL 64 -> 63, MACs rewritten). The test makes and removes
// its namespaces itself, sends a few datagrams between its own addresses
// only, and reports SKIPPED where
// namespaces or veths cannot be made (no root) or DPDK is absent.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

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
    const std::string id = std::to_string(getpid() % 100000);
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
    for (int i = 0; i < made_; ++i) sh("ip netns del " + ns_[i]);
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

TEST(DpNetns, UdpCrossesTheIpv4Router) {
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";
  if (geteuid() != 0) GTEST_SKIP() << "SKIPPED: network namespaces need root";
  TwoHosts hosts;
  if (!hosts.ok()) GTEST_SKIP() << "SKIPPED: cannot create network namespaces and veth pairs here";

  auto obj = loader::load_file(std::string(EBPFAAS_NFS_DIR) + "/ipv4_router.o",
                               {.map_options = {.num_cpus = 1}});
  ASSERT_TRUE(obj) << obj.error().message();
  auto routes = obj->maps->find("routes");
  ASSERT_TRUE(routes);
  for (uint32_t i = 0; i < 2; ++i) {
    struct {
      uint32_t prefixlen, addr;
    } key{24, htonl((10u << 24) | (201u << 16) | ((i + 1) << 8))};
    struct {
      uint8_t dst[6], src[6];
      uint32_t port;
    } route{};
    ASSERT_TRUE(parse_mac(hosts.host_mac(static_cast<int>(i)), route.dst));
    ASSERT_TRUE(parse_mac(hosts.router_mac(static_cast<int>(i)), route.src));
    route.port = port_ifindex(i);
    ASSERT_EQ(routes->user_update(&key, &route, 0), 0);
  }
  auto shared = std::make_shared<loader::LoadedObject>(std::move(*obj));
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(shared)));
  std::vector<std::unique_ptr<Port>> ports;
  for (int i = 0; i < 2; ++i) {
    auto port = open_port("iface:" + hosts.router_if(i), {.queues = 1});
    if (!port && !dpdk_init_error().empty()) GTEST_SKIP() << "SKIPPED: " << dpdk_init_error();
    ASSERT_TRUE(port) << port.error().message();
    ports.push_back(std::move(*port));
  }
  DataPlane dp(std::move(ports), slot, {.engines = 1, .pin = false});
  ASSERT_TRUE(dp.start());
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
  dp.stop();
  const EngineCounters c = dp.total_counters();
  EXPECT_GE(replies, 3) << "datagrams answered across the router; engine rx " << c.rx_packets
                        << ", redirect " << c.verdicts[4] << ", drop " << c.verdicts[1] << ", pass "
                        << c.verdicts[2] << ", tx " << c.tx_packets;
  EXPECT_EQ(request_ttl, 63);  // host A sent with 64; one router hop
  EXPECT_EQ(reply_ttl, 63);
  auto stats = shared->maps->find("router_stats");
  uint32_t forwarded = 0;
  std::vector<uint64_t> per_cpu(stats->num_cpus());
  ASSERT_EQ(stats->user_lookup(&forwarded, per_cpu.data()), 0);
  EXPECT_GE(per_cpu[0], 2u * replies);  // requests and replies forwarded
  EXPECT_GE(c.verdicts[4], 2u * replies);
}

}  // namespace
}  // namespace ebpfaas::dataplane
