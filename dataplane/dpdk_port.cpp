#include "dataplane/dpdk_port.h"

#include <dirent.h>
#include <pthread.h>
#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <sys/socket.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <new>
#include <sstream>
#include <thread>

#include "dataplane/rss.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/lsan_interface.h>
// DPDK 22.11's net_af_xdp never deletes the UMEM it creates (libxdp's
// xsk_umem__create allocates it; the PMD drops its pointer at close). The
// socket is closed by DpdkPort; the few bytes of the struct stay lost.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:xsk_umem__create\n";
}
#endif
#endif

namespace ebpfaas::dataplane {

namespace {

// Extra headroom kept at the end of the mbuf's private area.
constexpr uint32_t kPrivHeadroom = kHeadroom - RTE_PKTMBUF_HEADROOM;
static_assert(kHeadroom >= RTE_PKTMBUF_HEADROOM);
constexpr uint32_t kDescSize = (sizeof(Packet) + 63) / 64 * 64;
constexpr uint16_t kPrivSize = kDescSize + kPrivHeadroom;
// Data room after buf_addr: DPDK's headroom, the packet, Linux's tailroom.
constexpr uint16_t kDataRoom = kFrameSize - kPrivHeadroom;
// AF_XDP hands the mempool's memory to the kernel as its UMEM, whose chunks
// (a whole mempool object: mbuf header, private area, data room and the
// mempool's padding) must fit a 4096-byte page without hugepages: the
// kernel refuses larger ones ("Failed to create umem"). Those ports get a
// smaller data room: 3,712-byte frames, packets up to 3,136 bytes.
constexpr uint16_t kDataRoomAfXdp = 3840 - kPrivSize;
static_assert(sizeof(rte_mbuf) + kPrivSize + kDataRoomAfXdp <= 3968);
constexpr uint16_t kRingSize = 1024;

std::mutex eal_mu;
bool eal_tried = false;
bool eal_ok = false;
std::string eal_error;

bool hugepages_free() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value = 0;
  while (in >> key >> value) {
    if (key == "HugePages_Free:") return value > 0;
    in.ignore(256, '\n');
  }
  return false;
}

bool is_pci_address(const std::string& s) {
  if (s.empty() || s.find(':') == std::string::npos || s.find('.') == std::string::npos)
    return false;
  for (char c : s)
    if (!isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
  return true;
}

Status init_eal(bool pci) {
  std::lock_guard lock(eal_mu);
  if (eal_tried) return eal_ok ? Status{} : Error(eal_error);
  eal_tried = true;
  std::vector<std::string> args = {"ebpfaas", "--log-level=lib.eal:error",
                                   "--log-level=pmd.*:warning", "--no-telemetry"};
  // --no-huge implies legacy memory, which --in-memory refuses: without
  // hugepages the EAL keeps its files private (no shared config, own prefix).
  if (hugepages_free())
    args.push_back("--in-memory");
  else
    args.insert(args.end(), {"--no-huge", "-m", "1024", "--no-shconf",
                             fmt::format("--file-prefix=ebpfaas-{}", getpid())});
  if (!pci) args.push_back("--no-pci");
  // Further EAL arguments from the environment, after ours so that they win
  // (e.g. EBPFAAS_EAL_ARGS="--log-level=pmd.net.af_xdp:debug").
  if (const char* extra = std::getenv("EBPFAAS_EAL_ARGS")) {
    std::istringstream words(extra);
    for (std::string w; words >> w;) args.push_back(w);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  // The EAL pins the calling thread to its main lcore: keep ours as it was.
  cpu_set_t saved;
  const bool have_saved = pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0;
  int rc = rte_eal_init(static_cast<int>(argv.size()), argv.data());
  if (have_saved) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
  if (rc < 0) {
    eal_error = fmt::format("DPDK EAL did not start: {}", rte_strerror(rte_errno));
    return Error(eal_error);
  }
  eal_ok = true;
  return {};
}

// The socket family of an open fd (-1 if it is no socket).
int socket_domain(int fd) {
  int domain = -1;
  socklen_t len = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return -1;
  return domain;
}

// The kernel lets go of a closed XDP socket's queue a little later (the
// buffer pool is released from a work queue): an interface whose AF_XDP port
// was just closed refuses a new socket on that queue with EBUSY for a while.
std::mutex xsk_closed_mu;
std::map<std::string, std::chrono::steady_clock::time_point> xsk_closed;  // by device name

void note_xsk_closed(const std::string& device) {
  std::lock_guard lock(xsk_closed_mu);
  xsk_closed[device] = std::chrono::steady_clock::now();
}

bool xsk_recently_closed(const std::string& device) {
  std::lock_guard lock(xsk_closed_mu);
  auto it = xsk_closed.find(device);
  return it != xsk_closed.end() &&
         std::chrono::steady_clock::now() - it->second < std::chrono::seconds(2);
}

// The process's open AF_XDP sockets.
std::vector<int> xdp_socket_fds() {
  std::vector<int> fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    const int own = dirfd(d);
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      const long fd = std::strtol(e->d_name, &end, 10);
      if (end == e->d_name || *end || fd == own) continue;
      if (socket_domain(static_cast<int>(fd)) == AF_XDP) fds.push_back(static_cast<int>(fd));
    }
    closedir(d);
  }
  return fds;
}

std::atomic<int> pool_serial{0};
int pool_serial_next() {
  return pool_serial++;
}

class DpdkPool final : public PacketPool {
 public:
  explicit DpdkPool(rte_mempool* mp) : mp_(mp) {}
  static Packet* describe(rte_mbuf* m, PacketPool* pool) {
    auto* p = new (rte_mbuf_to_priv(m)) Packet;
    p->frame = static_cast<uint8_t*>(m->buf_addr) - kPrivHeadroom;
    p->frame_size = kPrivHeadroom + m->buf_len;  // kFrameSize, less on AF_XDP ports
    p->pool = pool;
    p->handle = m;
    return p;
  }
  uint32_t alloc(std::span<Packet*> out) override {
    rte_mbuf* m[kBatchSize];
    uint32_t done = 0;
    while (done < out.size()) {
      uint32_t n = static_cast<uint32_t>(std::min<size_t>(out.size() - done, kBatchSize));
      if (rte_pktmbuf_alloc_bulk(mp_, m, n) != 0) break;
      for (uint32_t i = 0; i < n; ++i) {
        Packet* p = describe(m[i], this);
        p->reset(0);
        out[done + i] = p;
      }
      done += n;
    }
    return done;
  }
  void free(Packet* p) override { rte_pktmbuf_free(static_cast<rte_mbuf*>(p->handle)); }
  rte_mempool* mempool() const { return mp_; }

 private:
  rte_mempool* mp_;
};

class DpdkPort final : public Port {
 public:
  // With one device RX queue and `queues` > 1 wanted, the port spreads
  // packets over `queues` by software RSS (rings fed by queue 0's engine).
  DpdkPort(std::string name, uint16_t port_id, rte_mempool* mp, uint16_t rxq, uint16_t txq,
           bool rss, uint16_t queues)
      : Port(std::move(name)),
        id_(port_id),
        pool_(mp),
        rxq_(rxq),
        txq_(txq),
        rss_(rss),
        sw_rss_(rxq == 1 && queues > 1 ? queues : 1),
        counters_(std::max<uint16_t>(std::max(rxq, txq), queues)),
        tx_locks_(txq) {
    if (rxq == 1 && queues > 1) {
      rings_.assign(queues, nullptr);
      for (uint16_t q = 1; q < queues; ++q) {
        const std::string ring = fmt::format("ebpfaas_r{}_{}", pool_serial_next(), q);
        rings_[q] = rte_ring_create(ring.c_str(), 1024, rte_eth_dev_socket_id(id_),
                                    RING_F_SP_ENQ | RING_F_SC_DEQ);
      }
      rxq_ = queues;
    }
  }
  ~DpdkPort() override {
    rte_eth_dev_stop(id_);
    for (rte_ring* r : rings_) {
      if (!r) continue;
      void* obj;
      while (rte_ring_sc_dequeue(r, &obj) == 0) pool_.free(static_cast<Packet*>(obj));
      rte_ring_free(r);
    }
    rte_eth_dev_close(id_);
    // A virtual device this port probed goes with it, so that the same
    // device (an iface: port on the same interface) can be opened again.
    if (!vdev_.empty()) rte_vdev_uninit(vdev_.c_str());
    // DPDK 22.11's net_af_xdp leaves the UMEM's socket open when it closes
    // (the first XDP socket of a queue shares the UMEM's fd, and the PMD never
    // deletes the UMEM): the queue stays bound and the next open of the
    // interface fails with EBUSY. Close what is still open of the sockets
    // that appeared while this port was set up.
    for (int fd : xsk_fds_)
      if (socket_domain(fd) == AF_XDP) ::close(fd);
    if (!xsk_fds_.empty()) note_xsk_closed(vdev_);
    rte_mempool_free(pool_.mempool());
  }
  void own_vdev(std::string name) { vdev_ = std::move(name); }
  void own_xsk_fds(std::vector<int> fds) { xsk_fds_ = std::move(fds); }
  uint16_t rx_queues() const override { return rxq_; }
  uint16_t tx_queues() const override { return txq_; }
  bool hardware_rss() const override { return rss_; }
  std::string device() const override {
    rte_eth_dev_info info;
    std::string driver =
        rte_eth_dev_info_get(id_, &info) == 0 && info.driver_name ? info.driver_name : "?";
    return fmt::format("DPDK {}, {} rx / {} tx queues{}", driver, rxq_, txq_,
                       rss_             ? ", RSS"
                       : rings_.empty() ? ""
                                        : ", software RSS");
  }

  uint16_t rx_burst(uint16_t queue, std::span<Packet*> out) override {
    if (rings_.empty()) return receive(queue, out);
    if (queue != 0) {
      // Packet* and void* share a representation: the ring fills `out` directly.
      const unsigned want = static_cast<unsigned>(std::min<size_t>(out.size(), kBatchSize));
      return static_cast<uint16_t>(rte_ring_sc_dequeue_burst(
          rings_[queue], reinterpret_cast<void**>(out.data()), want, nullptr));
    }
    // Queue 0's engine drains the device and hands each packet to its queue.
    Packet* got[kBatchSize];
    const uint16_t n = receive(0, {got, std::min<size_t>(out.size(), kBatchSize)});
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      Packet* p = got[i];
      p->rss_hash = sw_rss_.hash(p->bytes());
      const uint16_t q = sw_rss_.queue_for_hash(p->rss_hash);
      if (q == 0) {
        out[kept++] = p;
        continue;
      }
      p->queue = q;
      p->xdp.rx_queue_index = q;
      if (rte_ring_sp_enqueue(rings_[q], p) != 0) {
        counters_[q].rx_dropped.fetch_add(1, std::memory_order_relaxed);
        pool_.free(p);
      }
    }
    return kept;
  }

 private:
  std::string vdev_;          // probed by this port (rte_vdev_uninit on close)
  std::vector<int> xsk_fds_;  // AF_XDP sockets opened for this port
  uint16_t receive(uint16_t queue, std::span<Packet*> out) {
    rte_mbuf* m[kBatchSize];
    const uint16_t want = static_cast<uint16_t>(std::min<size_t>(out.size(), kBatchSize));
    const uint16_t n = rte_eth_rx_burst(id_, queue, m, want);
    if (!n) return 0;
    const uint64_t tsc = __rdtsc();
    uint64_t bytes = 0;
    uint16_t kept = 0;
    for (uint16_t i = 0; i < n; ++i) {
      if (m[i]->nb_segs != 1) {  // jumbo chains do not fit the XDP model
        rte_pktmbuf_free(m[i]);
        counters_[queue].rx_dropped.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      Packet* p = DpdkPool::describe(m[i], &pool_);
      p->xdp.data_hard_start = p->frame;
      p->xdp.data = rte_pktmbuf_mtod(m[i], uint8_t*);
      p->xdp.data_meta = p->xdp.data;
      p->xdp.data_end = p->xdp.data + m[i]->data_len;
      p->xdp.frame_end = p->frame + p->frame_size - helpers::kSkbSharedInfoSize;
      p->xdp.egress_ifindex = 0;
      p->xdp.rx_queue_index = queue;
      p->queue = queue;
      p->rx_tsc = tsc;
      p->rss_hash = (m[i]->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ? m[i]->hash.rss : 0;
      bytes += m[i]->data_len;
      out[kept++] = p;
    }
    counters_[queue].add_rx(kept, bytes);
    return kept;
  }

 public:
  uint16_t tx_burst(uint16_t queue, Packet* const* pkts, uint16_t n) override {
    rte_mbuf* m[kBatchSize];
    uint16_t sent_total = 0;
    queue = static_cast<uint16_t>(queue % txq_);
    QueueCounters& c = counters_[queue];
    for (uint16_t base = 0; base < n; base += kBatchSize) {
      const uint16_t chunk = static_cast<uint16_t>(std::min<uint32_t>(n - base, kBatchSize));
      uint16_t k = 0;
      uint64_t bytes = 0;
      for (uint16_t i = 0; i < chunk; ++i) {
        rte_mbuf* mb = to_mbuf(pkts[base + i]);
        if (!mb) {
          c.tx_dropped.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        bytes += mb->data_len;
        m[k++] = mb;
      }
      uint16_t sent;
      {
        std::lock_guard lock(tx_locks_[queue].mu);
        sent = rte_eth_tx_burst(id_, queue, m, k);
      }
      for (uint16_t i = sent; i < k; ++i) {
        bytes -= m[i]->data_len;
        rte_pktmbuf_free(m[i]);
      }
      if (k > sent) c.tx_dropped.fetch_add(k - sent, std::memory_order_relaxed);
      c.add_tx(sent, bytes);
      sent_total = static_cast<uint16_t>(sent_total + sent);
    }
    return sent_total;
  }

  PortStats stats() const override {
    PortStats s = sum_counters(counters_);
    rte_eth_stats es;
    if (rte_eth_stats_get(id_, &es) == 0) s.rx_dropped += es.imissed + es.rx_nombuf;
    return s;
  }

 private:
  // The packet as an mbuf of any DPDK pool, or a copy into one of ours.
  rte_mbuf* to_mbuf(Packet* p) {
    if (dynamic_cast<DpdkPool*>(p->pool)) {
      auto* mb = static_cast<rte_mbuf*>(p->handle);
      uint8_t* base = static_cast<uint8_t*>(mb->buf_addr);
      const uint32_t len = p->length();
      if (p->xdp.data < base || p->xdp.data + len > base + mb->buf_len) {
        // The program moved the head into the extra headroom: mbufs cannot
        // start before buf_addr.
        std::memmove(base + RTE_PKTMBUF_HEADROOM, p->xdp.data, len);
        p->xdp.data = base + RTE_PKTMBUF_HEADROOM;
      }
      mb->data_off = static_cast<uint16_t>(p->xdp.data - base);
      mb->data_len = static_cast<uint16_t>(len);
      mb->pkt_len = len;
      return mb;
    }
    rte_mbuf* mb = rte_pktmbuf_alloc(pool_.mempool());
    if (mb) {
      const uint32_t len = std::min<uint32_t>(p->length(), rte_pktmbuf_tailroom(mb));
      std::memcpy(rte_pktmbuf_append(mb, static_cast<uint16_t>(len)), p->xdp.data, len);
    }
    p->pool->free(p);
    return mb;
  }

  struct alignas(64) TxLock {
    std::mutex mu;
  };
  uint16_t id_;
  DpdkPool pool_;
  uint16_t rxq_, txq_;
  bool rss_;
  RssDispatch sw_rss_;
  std::vector<rte_ring*> rings_;  // software RSS: by queue, [0] unused
  std::vector<QueueCounters> counters_;
  std::vector<TxLock> tx_locks_;
};

Expected<std::unique_ptr<DpdkPort>> setup_port(std::string name, uint16_t id,
                                               const PortOptions& options) {
  rte_eth_dev_info info;
  if (int rc = rte_eth_dev_info_get(id, &info); rc != 0)
    return errorf("port '{}': rte_eth_dev_info_get: {}", name, rte_strerror(-rc));
  const uint16_t want = std::max<uint16_t>(options.queues, 1);
  const uint16_t rxq = std::max<uint16_t>(1, std::min(want, info.max_rx_queues));
  const uint16_t txq = std::max<uint16_t>(1, std::min(want, info.max_tx_queues));
  rte_eth_conf conf{};
  const uint64_t hf =
      info.flow_type_rss_offloads &
      (RTE_ETH_RSS_IP | RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
       RTE_ETH_RSS_NONFRAG_IPV6_TCP | RTE_ETH_RSS_NONFRAG_IPV6_UDP);
  RssKey key = kMicrosoftRssKey;
  const bool rss = rxq > 1 && hf != 0;
  if (rss) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_key = key.data();
    conf.rx_adv_conf.rss_conf.rss_key_len = kRssKeySize;
    conf.rx_adv_conf.rss_conf.rss_hf = hf;
  }
  if (int rc = rte_eth_dev_configure(id, rxq, txq, &conf); rc != 0)
    return errorf("port '{}': rte_eth_dev_configure({} rx, {} tx queues): {}", name, rxq, txq,
                  rte_strerror(-rc));
  const uint32_t mbufs = std::max<uint32_t>(8191, (rxq + txq) * kRingSize * 2 + 1024);
  std::string pool_name = fmt::format("ebpfaas_mp{}", pool_serial++);
  const bool af_xdp = info.driver_name &&
                      std::string_view(info.driver_name).find("af_xdp") != std::string_view::npos;
  rte_mempool* mp = rte_pktmbuf_pool_create(pool_name.c_str(), mbufs, 256, kPrivSize,
                                            af_xdp ? kDataRoomAfXdp : kDataRoom,
                                            static_cast<int>(rte_eth_dev_socket_id(id)));
  if (!mp) return errorf("port '{}': no mbuf pool: {}", name, rte_strerror(rte_errno));
  auto fail = [&](std::string what, int rc) -> Error {
    rte_eth_dev_close(id);
    rte_mempool_free(mp);
    return errorf("port '{}': {}: {}", name, what, rte_strerror(rc < 0 ? -rc : rc));
  };
  const int socket = rte_eth_dev_socket_id(id);
  for (uint16_t q = 0; q < rxq; ++q)
    if (int rc = rte_eth_rx_queue_setup(id, q, kRingSize, socket, nullptr, mp); rc != 0)
      return fail(fmt::format("rx queue {}", q), rc);
  for (uint16_t q = 0; q < txq; ++q)
    if (int rc = rte_eth_tx_queue_setup(id, q, kRingSize, socket, nullptr); rc != 0)
      return fail(fmt::format("tx queue {}", q), rc);
  if (int rc = rte_eth_dev_start(id); rc != 0) return fail("rte_eth_dev_start", rc);
  if (rss && info.reta_size) {
    std::vector<rte_eth_rss_reta_entry64> reta((info.reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) /
                                               RTE_ETH_RETA_GROUP_SIZE);
    for (uint16_t i = 0; i < info.reta_size; ++i) {
      auto& g = reta[i / RTE_ETH_RETA_GROUP_SIZE];
      g.mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
      g.reta[i % RTE_ETH_RETA_GROUP_SIZE] = static_cast<uint16_t>(i % rxq);
    }
    rte_eth_dev_rss_reta_update(id, reta.data(), info.reta_size);  // best effort
  }
  rte_eth_promiscuous_enable(id);
  return std::unique_ptr<DpdkPort>(new DpdkPort(std::move(name), id, mp, rxq, txq, rss, want));
}

}  // namespace

bool dpdk_available() {
  return true;
}

std::string dpdk_init_error() {
  std::lock_guard lock(eal_mu);
  return eal_error;
}

Expected<std::unique_ptr<Port>> open_dpdk_port(std::string name, std::string device,
                                               const PortOptions& options) {
  if (device.empty()) return errorf("port '{}': no device after dpdk:", name);
  const bool pci = is_pci_address(device);
  if (auto st = init_eal(pci); !st) return st.error().context(fmt::format("port '{}'", name));
  std::string dev_name = device, args;
  if (auto comma = device.find(','); comma != std::string::npos) {
    dev_name = device.substr(0, comma);
    args = device.substr(comma + 1);
  }
  uint16_t id = 0;
  bool probed_vdev = false;
  const bool af_xdp = dev_name.starts_with("net_af_xdp");
  const std::vector<int> xdp_before = af_xdp ? xdp_socket_fds() : std::vector<int>{};
  if (rte_eth_dev_get_port_by_name(dev_name.c_str(), &id) != 0) {
    int rc = pci ? rte_dev_probe(device.c_str()) : rte_vdev_init(dev_name.c_str(), args.c_str());
    if (rc != 0)
      return errorf("port '{}': cannot probe DPDK device '{}': {}", name, dev_name,
                    rte_strerror(rc < 0 ? -rc : rc));
    probed_vdev = !pci;
    if (rte_eth_dev_get_port_by_name(dev_name.c_str(), &id) != 0) {
      if (probed_vdev) rte_vdev_uninit(dev_name.c_str());
      return errorf("port '{}': DPDK device '{}' has no ethdev", name, dev_name);
    }
  }
  auto new_xsk_fds = [&] {
    std::vector<int> fds;
    for (int fd : xdp_socket_fds())
      if (std::find(xdp_before.begin(), xdp_before.end(), fd) == xdp_before.end())
        fds.push_back(fd);
    return fds;
  };
  auto port = setup_port(std::move(name), id, options);
  if (!port) {
    if (probed_vdev) rte_vdev_uninit(dev_name.c_str());
    // A UMEM whose socket could not bind is left open by the PMD, pinning the pool's pages.
    if (af_xdp)
      for (int fd : new_xsk_fds()) ::close(fd);
    return port.error();
  }
  if (probed_vdev) (*port)->own_vdev(dev_name);
  if (af_xdp) (*port)->own_xsk_fds(new_xsk_fds());
  return std::unique_ptr<Port>(std::move(*port));
}

Expected<std::unique_ptr<Port>> open_iface_port(std::string name, std::string iface,
                                                const PortOptions& options) {
  if (iface.empty()) return errorf("port '{}': no interface after iface:", name);
  const uint16_t q = std::max<uint16_t>(options.queues, 1);
  const std::string xdp_dev = fmt::format("net_af_xdp_{}", iface);
  const std::string xdp_spec = fmt::format("{},iface={},queue_count={}", xdp_dev, iface, q);
  auto xdp = open_dpdk_port(name, xdp_spec, options);
  // Just closed here: wait (up to 2 s) for the kernel to free the queue.
  for (int i = 0; !xdp && i < 40 && xsk_recently_closed(xdp_dev); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    xdp = open_dpdk_port(name, xdp_spec, options);
  }
  if (xdp) return xdp;
  auto pkt = open_dpdk_port(
      name, fmt::format("net_af_packet_{},iface={},qpairs={}", iface, iface, q), options);
  if (pkt) return pkt;
  return errorf("port '{}': neither net_af_xdp ({}) nor net_af_packet ({}) opened {}", name,
                xdp.error().message(), pkt.error().message(), iface);
}

}  // namespace ebpfaas::dataplane
