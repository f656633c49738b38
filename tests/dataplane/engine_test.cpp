// Engines: verdicts applied (drop, TX, redirect by ifindex and devmap
// broadcast, pass to a host port, aborted), counters, several engines.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <chrono>
#include <thread>

#include "dataplane/engine.h"
#include "dataplane/memory_port.h"

namespace ebpfaas::dataplane {
namespace {

std::shared_ptr<const loader::LoadedObject> load_verdicts() {
  auto obj = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/verdicts.o");
  EXPECT_TRUE(obj) << (obj ? "" : obj.error().message());
  if (!obj) return nullptr;
  return std::make_shared<loader::LoadedObject>(std::move(*obj));
}

std::vector<uint8_t> frame(uint8_t what, uint8_t arg = 0) {
  std::vector<uint8_t> f(60, 0);
  f[12] = 0x88, f[13] = 0xb5;  // local experimental EtherType
  f[14] = what;
  f[15] = arg;
  return f;
}

// Waits (generously: the machine may be loaded) until the engines received `n`.
bool wait_rx(const DataPlane& dp, uint64_t n) {
  for (int i = 0; i < 20000; ++i) {
    if (dp.total_counters().rx_packets >= n) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return false;
}

struct Ports {
  MemoryPort* p[3];
  std::vector<std::unique_ptr<Port>> owned;
  explicit Ports(uint16_t queues = 1) {
    for (int i = 0; i < 3; ++i) {
      auto m = std::make_unique<MemoryPort>("mem" + std::to_string(i), queues);
      p[i] = m.get();
      owned.push_back(std::move(m));
    }
  }
};

TEST(DpEngine, AppliesEveryVerdict) {
  auto obj = load_verdicts();
  ASSERT_TRUE(obj);
  auto devmap = obj->maps->find("ports");
  ASSERT_TRUE(devmap);
  for (uint32_t port = 0; port < 3; ++port) {
    uint32_t ifindex = port_ifindex(port);
    ASSERT_EQ(devmap->user_update(&port, &ifindex, 0), 0);
  }
  ProgramSlot slot;
  auto prepared = prepare_interpreted(obj);
  ASSERT_TRUE(prepared) << prepared.error().message();
  slot.publish(std::move(*prepared));

  Ports ports;
  MemoryPort& in = *ports.p[0];
  for (auto f : {frame(0), frame(1), frame(2), frame(3), frame(4, 2), frame(4, 9), frame(5),
                 frame(6), frame(7)})
    in.inject(0, f);
  std::vector<std::string> log;
  DataPlane dp(
      std::move(ports.owned), slot,
      {.engines = 1, .pin = false, .log = [&](std::string_view m) { log.emplace_back(m); }});
  ASSERT_TRUE(dp.start());
  ASSERT_TRUE(wait_rx(dp, 9));
  dp.stop();

  EngineCounters c = dp.total_counters();
  EXPECT_EQ(c.rx_packets, 9u);
  EXPECT_EQ(c.verdicts[XDP_ABORTED], 2u);
  EXPECT_EQ(c.verdicts[XDP_DROP], 1u);
  EXPECT_EQ(c.verdicts[XDP_PASS], 1u);
  EXPECT_EQ(c.verdicts[XDP_TX], 2u);
  EXPECT_EQ(c.verdicts[XDP_REDIRECT], 3u);
  auto drops = [&](DropCause d) { return c.drops[static_cast<size_t>(d)]; };
  EXPECT_EQ(drops(DropCause::kAborted), 2u);
  EXPECT_EQ(drops(DropCause::kProgram), 1u);
  EXPECT_EQ(drops(DropCause::kPassNoHost), 1u);
  EXPECT_EQ(drops(DropCause::kUnknownIfindex), 1u);
  EXPECT_EQ(c.broadcast_copies, 1u);
  EXPECT_EQ(c.tx_packets, 5u);  // 2 TX, 1 redirect, 2 broadcast
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0].find("XDP_ABORTED"), std::string::npos);

  auto& out0 = static_cast<MemoryPort&>(dp.port(0));
  auto& out1 = static_cast<MemoryPort&>(dp.port(1));
  auto& out2 = static_cast<MemoryPort&>(dp.port(2));
  auto s0 = out0.take_sent(), s1 = out1.take_sent(), s2 = out2.take_sent();
  ASSERT_EQ(s0.size(), 2u);  // XDP_TX, and adjust_head(-64) + XDP_TX
  EXPECT_EQ(s0[0].bytes[14], 3);
  EXPECT_EQ(s0[0].bytes[16], 1);  // ingress ifindex of port 0
  EXPECT_EQ(s0[1].bytes.size(), 60u + 64u);
  EXPECT_EQ(s0[1].bytes[64 + 14], 6);
  ASSERT_EQ(s1.size(), 2u);  // redirect to ifindex 2, broadcast copy
  EXPECT_EQ(s1[0].bytes[14], 4);
  EXPECT_EQ(s1[1].bytes[14], 5);
  ASSERT_EQ(s2.size(), 1u);  // broadcast (ingress excluded)
  EXPECT_EQ(s2[0].bytes[14], 5);
  EXPECT_EQ(dp.port(0).stats().rx_packets, 9u);
  EXPECT_GT(latency_quantile(dp.latency(), 0.5), 0u);
}

TEST(DpEngine, PassGoesToTheHostPort) {
  auto obj = load_verdicts();
  ASSERT_TRUE(obj);
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(obj)));
  Ports ports;
  ports.p[0]->inject(0, frame(XDP_PASS));
  DataPlane dp(std::move(ports.owned), slot, {.engines = 1, .pin = false, .host_port = 2});
  ASSERT_TRUE(dp.start());
  ASSERT_TRUE(wait_rx(dp, 1));
  dp.stop();
  EXPECT_EQ(static_cast<MemoryPort&>(dp.port(2)).take_sent().size(), 1u);
  EXPECT_EQ(dp.total_counters().drops_total(), 0u);
}

TEST(DpEngine, NoProgramCountsDrops) {
  ProgramSlot slot;
  Ports ports;
  ports.p[0]->inject(0, frame(XDP_TX));
  DataPlane dp(std::move(ports.owned), slot, {.engines = 1, .pin = false});
  ASSERT_TRUE(dp.start());
  ASSERT_TRUE(wait_rx(dp, 1));
  dp.stop();
  EXPECT_EQ(dp.total_counters().drops[static_cast<size_t>(DropCause::kNoProgram)], 1u);
}

TEST(DpEngine, TwoEnginesShareTheQueues) {
  auto obj = load_verdicts();
  ASSERT_TRUE(obj);
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(obj)));
  Ports ports(2);
  for (int i = 0; i < 500; ++i) {
    ports.p[0]->inject(0, frame(XDP_TX));
    ports.p[0]->inject(1, frame(XDP_TX));
  }
  DataPlane dp(std::move(ports.owned), slot, {.engines = 2});
  ASSERT_TRUE(dp.start());
  ASSERT_TRUE(wait_rx(dp, 1000));
  dp.stop();
  EXPECT_EQ(dp.engine_counters(0).rx_packets, 500u);
  EXPECT_EQ(dp.engine_counters(1).rx_packets, 500u);
  auto sent = static_cast<MemoryPort&>(dp.port(0)).take_sent();
  ASSERT_EQ(sent.size(), 1000u);
  size_t on_queue1 = 0;
  for (const auto& s : sent) on_queue1 += s.queue == 1;
  EXPECT_EQ(on_queue1, 500u);  // engine 1 transmits on TX queue 1
}

TEST(DpEngine, GeneratorThroughTheEngine) {
  auto obj = load_verdicts();
  ASSERT_TRUE(obj);
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(obj)));
  std::vector<std::unique_ptr<Port>> ports;
  // Generated UDP has byte 14 = 0x45 (IPv4 version/IHL): XDP_ABORTED.
  auto gen = open_port("gen:size=64,flows=16,count=10000", {.queues = 1});
  ASSERT_TRUE(gen) << gen.error().message();
  ports.push_back(std::move(*gen));
  DataPlane dp(std::move(ports), slot,
               {.engines = 1, .pin = false, .log = [](std::string_view) {}});
  ASSERT_TRUE(dp.start());
  for (int i = 0; i < 20000 && !dp.inputs_exhausted(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  dp.stop();
  EXPECT_TRUE(dp.inputs_exhausted());
  EXPECT_EQ(dp.total_counters().rx_packets, 10000u);
  EXPECT_EQ(dp.total_counters().drops[static_cast<size_t>(DropCause::kAborted)], 10000u);
}

// Engine e is CPU e to the program: its own copy of per-CPU maps (no two
// engines writing one copy) and bpf_get_smp_processor_id() == e.
TEST(DpEngine, EachEngineIsItsOwnCpu) {
  auto l = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/cpu_count.o",
                             {.map_options = {.num_cpus = 2}});
  ASSERT_TRUE(l) << l.error().message();
  auto obj = std::make_shared<loader::LoadedObject>(std::move(*l));
  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(obj)));
  std::vector<std::unique_ptr<Port>> ports;
  auto gen = open_port("gen:size=64,flows=256,count=20000", {.queues = 2});
  ASSERT_TRUE(gen) << gen.error().message();
  ports.push_back(std::move(*gen));
  DataPlane dp(std::move(ports), slot, {.engines = 2, .pin = false});
  ASSERT_TRUE(dp.start());
  for (int i = 0; i < 20000 && !dp.inputs_exhausted(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  dp.stop();
  const uint64_t rx[2] = {dp.engine_counters(0).rx_packets, dp.engine_counters(1).rx_packets};
  EXPECT_EQ(rx[0] + rx[1], 20000u);
  EXPECT_GT(rx[0], 0u);
  EXPECT_GT(rx[1], 0u);
  uint32_t zero = 0;
  uint64_t per_cpu[2] = {};
  ASSERT_EQ(obj->maps->find("per_cpu")->user_lookup(&zero, per_cpu), 0);
  auto by_id = obj->maps->find("by_id");
  for (uint32_t e = 0; e < 2; ++e) {
    EXPECT_EQ(per_cpu[e], rx[e]) << "engine " << e;
    uint64_t n = 0;
    ASSERT_EQ(by_id->user_lookup(&e, &n), 0);
    EXPECT_EQ(n, rx[e]) << "bpf_get_smp_processor_id() of engine " << e;
  }
}

}  // namespace
}  // namespace ebpfaas::dataplane
