// Packet buffers and the software ports: generator, pcap files, memory.
#include <gtest/gtest.h>

#include <chrono>

#include "dataplane/gen_port.h"
#include "dataplane/memory_port.h"
#include "dataplane/pcap_file.h"
#include "dataplane/pcap_port.h"
#include "tests/dataplane/temp_dir.h"

namespace ebpfaas::dataplane {
namespace {

TEST(DpPackets, BuffersHaveXdpGeometry) {
  HeapPacketPool pool(4);
  Packet* p = pool.alloc_one();
  ASSERT_NE(p, nullptr);
  std::vector<uint8_t> bytes(60, 0xab);
  p->assign(bytes);
  EXPECT_EQ(p->xdp.data - p->xdp.data_hard_start, 256);
  EXPECT_EQ(p->xdp.frame_end - p->xdp.data_hard_start, 4096 - 320);
  EXPECT_EQ(p->length(), 60u);
  EXPECT_EQ(p->xdp.data_meta, p->xdp.data);
  Packet* c = clone_packet(*p, pool);
  ASSERT_NE(c, nullptr);
  EXPECT_NE(c->frame, p->frame);
  EXPECT_EQ(std::vector<uint8_t>(c->bytes().begin(), c->bytes().end()), bytes);
  EXPECT_EQ(pool.available(), 2u);
  pool.free(c);
  pool.free(p);
  EXPECT_EQ(pool.available(), 4u);
}

TEST(DpPorts, GenPortDeliversCountOverItsQueues) {
  auto port = open_port("gen:size=64,flows=64,count=1000", {.queues = 2});
  ASSERT_TRUE(port) << port.error().message();
  Port& p = **port;
  EXPECT_EQ(p.rx_queues(), 2);
  EXPECT_TRUE(p.finite());
  uint64_t got = 0;
  for (int round = 0; round < 100 && !p.exhausted(); ++round)
    for (uint16_t q = 0; q < 2; ++q) {
      Packet* batch[kBatchSize];
      uint16_t n = p.rx_burst(q, batch);
      for (uint16_t i = 0; i < n; ++i) {
        EXPECT_EQ(batch[i]->length(), 64u);
        EXPECT_EQ(batch[i]->xdp.data - batch[i]->xdp.data_hard_start, 256);
        EXPECT_EQ(batch[i]->queue, q);
      }
      got += n;
      EXPECT_EQ(p.tx_burst(q, batch, n), n);
    }
  EXPECT_EQ(got, 1000u);
  EXPECT_TRUE(p.exhausted());
  EXPECT_EQ(p.stats().rx_packets, 1000u);
  EXPECT_EQ(p.stats().tx_packets, 1000u);
  EXPECT_EQ(p.stats().tx_bytes, 64000u);
}

// rate= paces delivery: never more than the rate allows since the first poll.
TEST(DpPorts, GenPortWithARateIsPaced) {
  auto port = open_port("gen:size=64,flows=64,rate=20k", {.queues = 2});
  ASSERT_TRUE(port) << port.error().message();
  Port& p = **port;
  uint64_t got = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200))
    for (uint16_t q = 0; q < 2; ++q) {
      Packet* batch[kBatchSize];
      uint16_t n = p.rx_burst(q, batch);
      got += n;
      p.tx_burst(q, batch, n);
    }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GT(got, 0u);
  EXPECT_LE(static_cast<double>(got), 20000 * s * 1.02 + 2);
  EXPECT_FALSE(p.finite());
}

// rx=off: a sink that delivers nothing and counts what it is sent.
TEST(DpPorts, GenPortRxOffIsASink) {
  auto src = open_port("gen:size=64,flows=4,count=10", {});
  auto sink = open_port("gen:rx=off", {});
  ASSERT_TRUE(src && sink);
  Packet* batch[kBatchSize];
  EXPECT_EQ((*sink)->rx_burst(0, batch), 0);
  uint16_t n = (*src)->rx_burst(0, batch);
  ASSERT_EQ(n, 10);
  EXPECT_EQ((*sink)->tx_burst(0, batch, n), n);
  EXPECT_EQ((*sink)->stats().tx_packets, 10u);
  EXPECT_EQ((*sink)->stats().rx_packets, 0u);
  EXPECT_FALSE(open_port("gen:rx=maybe", {}));
}

TEST(DpPorts, GenPortSpreadsFlowsBySoftwareRss) {
  auto port = GenPort::create("gen", *parse_gen_spec("flows=256,frames=4096"), {.queues = 2});
  ASSERT_TRUE(port) << port.error().message();
  EXPECT_GT((*port)->frames_on_queue(0), 1000u);
  EXPECT_GT((*port)->frames_on_queue(1), 1000u);
  EXPECT_EQ((*port)->frames_on_queue(0) + (*port)->frames_on_queue(1), 4096u);
}

TEST(DpPorts, BadSpecsNameTheKey) {
  auto bad_gen = open_port("gen:size=64,bogus=3", {});
  ASSERT_FALSE(bad_gen);
  EXPECT_NE(bad_gen.error().message().find("bogus"), std::string::npos)
      << bad_gen.error().message();
  auto bad_count = open_port("gen:count=many", {});
  ASSERT_FALSE(bad_count);
  EXPECT_NE(bad_count.error().message().find("count=many"), std::string::npos);
  auto bad_pcap = open_port("pcap:in.pcap,speed=2", {});
  ASSERT_FALSE(bad_pcap);
  EXPECT_NE(bad_pcap.error().message().find("'speed'"), std::string::npos)
      << bad_pcap.error().message();
  auto bad_timing = open_port("pcap:in.pcap,timing=slow", {});
  ASSERT_FALSE(bad_timing);
  EXPECT_NE(bad_timing.error().message().find("timing=slow"), std::string::npos);
  auto bad_kind = open_port("tape:x", {});
  ASSERT_FALSE(bad_kind);
  EXPECT_NE(bad_kind.error().message().find("'tape'"), std::string::npos);
  EXPECT_FALSE(open_port("gen", {}));
}

class DpPcapPort : public testing::TempDirTest {
 protected:
  void write_trace(const std::string& file, int n, uint64_t gap_ns) {
    auto w = PcapWriter::create(file);
    ASSERT_TRUE(w) << w.error().message();
    for (int i = 0; i < n; ++i) {
      std::vector<uint8_t> frame(60 + i, static_cast<uint8_t>(i));
      w->write(1'000'000'000ull + static_cast<uint64_t>(i) * gap_ns, frame);
    }
    ASSERT_TRUE(w->close());
  }
};

TEST_F(DpPcapPort, ReplaysAndWrites) {
  write_trace(path("in.pcap"), 10, 1000);
  auto port = open_port("pcap:" + path("in.pcap") + ",out=" + path("out.pcap") + ",loop=2", {});
  ASSERT_TRUE(port) << port.error().message();
  Port& p = **port;
  uint64_t got = 0;
  while (!p.exhausted()) {
    Packet* batch[kBatchSize];
    uint16_t n = p.rx_burst(0, batch);
    got += n;
    p.tx_burst(0, batch, n);
  }
  EXPECT_EQ(got, 20u);
  ASSERT_TRUE(p.close());
  auto out = read_pcap(path("out.pcap"));
  ASSERT_TRUE(out) << out.error().message();
  ASSERT_EQ(out->size(), 20u);
  EXPECT_EQ((*out)[3].data.size(), 63u);
  EXPECT_EQ((*out)[13].data[0], 3);
}

TEST_F(DpPcapPort, CaptureTimingHoldsPacketsBack) {
  write_trace(path("slow.pcap"), 3, 3600ull * 1'000'000'000);  // an hour apart
  auto port = open_port("pcap:" + path("slow.pcap") + ",timing=capture", {});
  ASSERT_TRUE(port) << port.error().message();
  Packet* batch[kBatchSize];
  EXPECT_EQ((*port)->rx_burst(0, batch), 1);  // the first is due at once
  (*port)->tx_burst(0, batch, 1);             // no out=: freed, counted
  EXPECT_EQ((*port)->rx_burst(0, batch), 0);
  EXPECT_FALSE((*port)->exhausted());
  EXPECT_EQ((*port)->stats().tx_dropped, 1u);
}

TEST_F(DpPcapPort, MissingFileIsAnError) {
  auto port = open_port("pcap:" + path("none.pcap"), {});
  ASSERT_FALSE(port);
  EXPECT_NE(port.error().message().find("none.pcap"), std::string::npos);
}

TEST(DpPorts, MemoryPortInjectsAndCollects) {
  MemoryPort port("mem", 1);
  port.inject(0, std::vector<uint8_t>(60, 7));
  Packet* batch[kBatchSize];
  ASSERT_EQ(port.rx_burst(0, batch), 1);
  EXPECT_EQ(port.tx_burst(0, batch, 1), 1);
  auto sent = port.take_sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].bytes, std::vector<uint8_t>(60, 7));
}

}  // namespace
}  // namespace ebpfaas::dataplane
