// DPDK ports on virtual devices that need no NIC and no privileges:
// net_null (endless RX, TX sink) and net_ring (TX loops back to RX), and an
// iface: port on a veth pair the test makes (root only). They report SKIPPED
// when DPDK is not built in, the EAL cannot start or no veth can be made.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/if_ether.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "dataplane/dpdk_port.h"
#include "dataplane/engine.h"
#include "dataplane/pcap_file.h"
#include "dataplane/rss.h"
#include "dataplane/traffic.h"
#include "tests/dataplane/temp_dir.h"

namespace ebpfaas::dataplane {
namespace {

std::unique_ptr<Port> open_or_skip(const std::string& spec, uint16_t queues, std::string* why) {
  if (!dpdk_available()) {
    *why = "built without DPDK";
    return nullptr;
  }
  auto port = open_port(spec, {.queues = queues});
  if (!port) {
    // Only an EAL that cannot start here is a reason to skip; other errors fail.
    if (!dpdk_init_error().empty()) {
      *why = dpdk_init_error();
      return nullptr;
    }
    ADD_FAILURE() << port.error().message();
    return nullptr;
  }
  return std::move(*port);
}

TEST(DpDpdk, NullDeviceReceivesAndTransmits) {
  std::string why;
  auto port = open_or_skip("dpdk:net_null0", 2, &why);
  if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
  ASSERT_TRUE(port);
  EXPECT_EQ(port->rx_queues(), 2);
  Packet* batch[kBatchSize];
  uint16_t n = port->rx_burst(0, batch);
  ASSERT_GT(n, 0);
  for (uint16_t i = 0; i < n; ++i) {
    // Linux's 256 bytes of headroom in front of the packet, in place.
    EXPECT_EQ(batch[i]->xdp.data - batch[i]->xdp.data_hard_start, 256);
    EXPECT_EQ(batch[i]->xdp.frame_end - batch[i]->xdp.data_hard_start, 4096 - 320);
  }
  // The program may move the head into the headroom; TX still sends it.
  batch[0]->xdp.data -= 200;
  EXPECT_EQ(port->tx_burst(0, batch, n), n);
  EXPECT_EQ(port->stats().tx_packets, n);
  // A packet from another kind of port is copied into an mbuf.
  HeapPacketPool heap(1);
  Packet* p = heap.alloc_one();
  p->assign(std::vector<uint8_t>(60, 1));
  EXPECT_EQ(port->tx_burst(1, &p, 1), 1);
  EXPECT_EQ(heap.available(), 1u);
}

// A closed port removes the virtual device it probed: the same device opens
// again in the same process (an execution after another on one interface).
TEST(DpDpdk, DeviceOpensAgainAfterItsPortCloses) {
  for (int round = 0; round < 3; ++round) {
    std::string why;
    auto port = open_or_skip("dpdk:net_null5", 1, &why);
    if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
    ASSERT_TRUE(port) << "round " << round;
    Packet* batch[kBatchSize];
    const uint16_t n = port->rx_burst(0, batch);
    EXPECT_GT(n, 0);
    EXPECT_EQ(port->tx_burst(0, batch, n), n);
  }
}

TEST(DpDpdk, EngineOnNullDevice) {
  std::string why;
  auto port = open_or_skip("dpdk:net_null1", 1, &why);
  if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
  ASSERT_TRUE(port);
  auto obj = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/swap_versions.o",
                               {.programs = {"stamp_v1"}});
  ASSERT_TRUE(obj) << obj.error().message();
  ProgramSlot slot;
  slot.publish(
      std::move(*prepare_interpreted(std::make_shared<loader::LoadedObject>(std::move(*obj)))));
  std::vector<std::unique_ptr<Port>> ports;
  ports.push_back(std::move(port));
  DataPlane dp(std::move(ports), slot, {.engines = 1, .pin = false});
  ASSERT_TRUE(dp.start());
  for (int i = 0; i < 20000 && dp.total_counters().rx_packets < 10000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  dp.stop();
  EngineCounters c = dp.total_counters();
  EXPECT_GE(c.rx_packets, 10000u);
  EXPECT_EQ(c.verdicts[XDP_TX], c.rx_packets);
  EXPECT_EQ(c.tx_packets + c.drops[static_cast<size_t>(DropCause::kTxFailed)], c.rx_packets);
}

TEST(DpDpdk, RingDeviceLoopsBack) {
  std::string why;
  auto port = open_or_skip("dpdk:net_ring0", 1, &why);
  if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
  ASSERT_TRUE(port);
  HeapPacketPool heap(4);
  Packet* p = heap.alloc_one();
  std::vector<uint8_t> bytes(60, 9);
  p->assign(bytes);
  ASSERT_EQ(port->tx_burst(0, &p, 1), 1);
  Packet* batch[kBatchSize];
  uint16_t n = 0;
  for (int i = 0; i < 1000 && n == 0; ++i) n = port->rx_burst(0, batch);
  ASSERT_EQ(n, 1);
  EXPECT_EQ(std::vector<uint8_t>(batch[0]->bytes().begin(), batch[0]->bytes().end()), bytes);
  batch[0]->pool->free(batch[0]);
}

class DpDpdkPcap : public testing::TempDirTest {};

// net_pcap has one RX queue: the port spreads it over two by software RSS.
TEST_F(DpDpdkPcap, SingleQueueDeviceGetsSoftwareRss) {
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";
  TrafficOptions opt;
  opt.flows = 64;
  auto gen = TrafficGenerator::create(opt);
  ASSERT_TRUE(gen);
  {
    auto w = PcapWriter::create(path("in.pcap"));
    ASSERT_TRUE(w);
    std::vector<uint8_t> frame(gen->max_frame_size());
    for (int i = 0; i < 200; ++i) {
      GeneratedPacket g = gen->next(frame.data());
      w->write(g.timestamp_ns, {frame.data(), g.length});
    }
    ASSERT_TRUE(w->close());
  }
  std::string why;
  auto port = open_or_skip(
      "dpdk:net_pcap0,rx_pcap=" + path("in.pcap") + ",tx_pcap=" + path("out.pcap"), 2, &why);
  if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
  ASSERT_TRUE(port);
  EXPECT_EQ(port->rx_queues(), 2);
  EXPECT_NE(port->device().find("software RSS"), std::string::npos) << port->device();
  RssDispatch rss(2);
  int per_queue[2] = {}, total = 0;
  for (int round = 0; round < 100000 && total < 200; ++round)
    for (uint16_t q = 0; q < 2; ++q) {
      Packet* batch[kBatchSize];
      uint16_t n = port->rx_burst(q, batch);
      for (uint16_t i = 0; i < n; ++i) {
        EXPECT_EQ(rss.queue(batch[i]->bytes()), q);
        EXPECT_EQ(batch[i]->queue, q);
        batch[i]->pool->free(batch[i]);
      }
      per_queue[q] += n;
      total += n;
    }
  EXPECT_EQ(total, 200);
  EXPECT_GT(per_queue[0], 0);
  EXPECT_GT(per_queue[1], 0);
}

TEST(DpDpdk, UnknownDeviceIsAnError) {
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";
  auto port = open_port("dpdk:net_nosuchdriver0", {});
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().message().find("net_nosuchdriver0"), std::string::npos)
      << port.error().message();
}

// A veth pair made by the test: frames sent into one end cross ebpfaas
// (iface: port on the other end, XDP_TX) and come back stamped.
class VethPair {
 public:
  VethPair() {
    a_ = "ebdp" + std::to_string(getpid() % 100000) + "a";
    b_ = "ebdp" + std::to_string(getpid() % 100000) + "b";
    ok_ = std::system(("ip link add " + a_ + " type veth peer name " + b_ +
                       " >/dev/null 2>&1 && ip link set " + a_ + " up && ip link set " + b_ + " up")
                          .c_str()) == 0;
  }
  ~VethPair() {
    if (ok_) (void)!std::system(("ip link del " + a_ + " >/dev/null 2>&1").c_str());
  }
  bool ok() const { return ok_; }
  const std::string& a() const { return a_; }
  const std::string& b() const { return b_; }

 private:
  std::string a_, b_;
  bool ok_ = false;
};

TEST(DpDpdk, IfacePortOnVeth) {
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";
  VethPair veth;
  if (!veth.ok()) GTEST_SKIP() << "SKIPPED: cannot create a veth pair (needs CAP_NET_ADMIN)";
  int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (fd < 0) GTEST_SKIP() << "SKIPPED: no AF_PACKET socket (needs CAP_NET_RAW)";
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = static_cast<int>(if_nametoindex(veth.b().c_str()));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll), 0);

  std::string why;
  auto port = open_or_skip("iface:" + veth.a(), 1, &why);
  if (!port && !why.empty()) {
    close(fd);
    GTEST_SKIP() << "SKIPPED: " << why;
  }
  ASSERT_TRUE(port);
  auto obj = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/swap_versions.o",
                               {.programs = {"stamp_v1"}});
  ASSERT_TRUE(obj) << obj.error().message();
  ProgramSlot slot;
  slot.publish(
      std::move(*prepare_interpreted(std::make_shared<loader::LoadedObject>(std::move(*obj)))));
  std::vector<std::unique_ptr<Port>> ports;
  ports.push_back(std::move(port));
  DataPlane dp(std::move(ports), slot, {.engines = 1, .pin = false});
  ASSERT_TRUE(dp.start());

  std::vector<uint8_t> frame(60, 0);
  std::memset(frame.data(), 0xff, 6);
  frame[6] = 0x02, frame[11] = 0x42;
  frame[12] = 0x88, frame[13] = 0xb5;
  std::memcpy(&frame[40], "ebpfaas!", 8);
  int matched = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (matched == 0 && std::chrono::steady_clock::now() < deadline) {
    ASSERT_EQ(send(fd, frame.data(), frame.size(), 0), static_cast<ssize_t>(frame.size()));
    pollfd pfd{fd, POLLIN, 0};
    while (poll(&pfd, 1, 100) > 0) {
      uint8_t buf[2048];
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n < 48 || from.sll_pkttype == PACKET_OUTGOING) continue;
      if (std::memcmp(&buf[40], "ebpfaas!", 8) == 0 && buf[30] == 1) ++matched;
    }
  }
  dp.stop();
  close(fd);
  EXPECT_GT(matched, 0) << "no stamped frame came back through " << dp.port(0).name();
  EXPECT_GT(dp.total_counters().verdicts[XDP_TX], 0u);
}

// An iface: port takes AF_XDP where the kernel has it, and the interface can
// be opened again once the port is closed (the XDP socket bound to its queue
// is gone), still with AF_XDP: net_af_packet is only the fallback.
TEST(DpDpdk, IfacePortOpensAgainWithAfXdp) {
  if (!dpdk_available()) GTEST_SKIP() << "SKIPPED: built without DPDK";
  VethPair veth;
  if (!veth.ok()) GTEST_SKIP() << "SKIPPED: cannot create a veth pair (needs CAP_NET_ADMIN)";
  const int probe = socket(AF_XDP, SOCK_RAW, 0);
  if (probe < 0) GTEST_SKIP() << "SKIPPED: no AF_XDP sockets here: " << std::strerror(errno);
  close(probe);
  for (int round = 0; round < 3; ++round) {
    std::string why;
    auto port = open_or_skip("iface:" + veth.a(), 1, &why);
    if (!port && !why.empty()) GTEST_SKIP() << "SKIPPED: " << why;
    ASSERT_TRUE(port);
    EXPECT_NE(port->device().find("net_af_xdp"), std::string::npos)
        << "round " << round << ": " << port->device();
  }
}

}  // namespace
}  // namespace ebpfaas::dataplane
