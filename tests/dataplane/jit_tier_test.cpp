// The JIT tier in the program slot: interpreter -> JIT tiering is a program
// swap like any other, under traffic, losing nothing.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <chrono>
#include <thread>

#include "dataplane/engine.h"
#include "dataplane/jit_tier.h"

namespace ebpfaas::dataplane {
namespace {

std::string swap_object() {
  return std::string(EBPFAAS_DP_PROGS_DIR) + "/swap_versions.o";
}

TEST(DpJitTier, InterpreterToJitUnderTraffic) {
  auto l1 = loader::load_file(swap_object(), {.programs = {"stamp_v1"}});
  ASSERT_TRUE(l1) << l1.error().message();
  auto v1 = std::make_shared<loader::LoadedObject>(std::move(*l1));
  loader::LoadOptions o2;
  o2.programs = {"stamp_v2"};
  o2.reuse = v1->maps.get();
  auto l2 = loader::load_file(swap_object(), o2);
  ASSERT_TRUE(l2) << l2.error().message();
  auto v2 = std::make_shared<loader::LoadedObject>(std::move(*l2));

  ProgramSlot slot;
  slot.publish(std::move(*prepare_interpreted(v1)));
  // Compiled while version 1 runs: the inactive half.
  auto jit = prepare_jit(v2);
  ASSERT_TRUE(jit) << jit.error().message();
  EXPECT_EQ((*jit)->tier, "JIT");
  slot.prepare(std::move(*jit));

  constexpr uint64_t kPackets = 200000;
  std::vector<std::unique_ptr<Port>> ports;
  auto gen = open_port("gen:size=64,flows=64,count=" + std::to_string(kPackets), {.queues = 2});
  ASSERT_TRUE(gen) << gen.error().message();
  ports.push_back(std::move(*gen));
  DataPlane dp(std::move(ports), slot, {.engines = 2});
  ASSERT_TRUE(dp.start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (dp.total_counters().rx_packets < kPackets / 10 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  EXPECT_EQ(slot.publish(), 2u);
  while (!dp.inputs_exhausted() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  dp.stop();

  const EngineCounters c = dp.total_counters();
  EXPECT_EQ(c.rx_packets, kPackets);
  EXPECT_EQ(c.tx_packets, kPackets);
  EXPECT_EQ(c.drops_total(), 0u);
  auto counts = v1->maps->find("version_counts");
  uint64_t n[3] = {};
  for (uint32_t v = 1; v <= 2; ++v) ASSERT_EQ(counts->user_lookup(&v, &n[v]), 0);
  EXPECT_EQ(n[1] + n[2], kPackets);
  EXPECT_GT(n[2], 0u);  // the JIT ran the rest
}

// Engines call JIT code directly; a program that tail-calls ends through the
// JIT's stop path, with the target's verdict.
TEST(DpJitTier, TailCallsUnderTheEngine) {
  auto l = loader::load_file(std::string(EBPFAAS_DP_PROGS_DIR) + "/tail_call.o");
  ASSERT_TRUE(l) << l.error().message();
  auto obj = std::make_shared<loader::LoadedObject>(std::move(*l));
  auto landing = prepare_jit(obj, "xdp_landing");  // the target compiled too
  ASSERT_TRUE(landing) << landing.error().message();
  auto jit = prepare_jit(obj, "xdp_jump");
  ASSERT_TRUE(jit) << jit.error().message();
  ASSERT_NE((*jit)->direct_entry(), nullptr);
  ProgramSlot slot;
  slot.publish(std::move(*jit));
  constexpr uint64_t kPackets = 50000;
  std::vector<std::unique_ptr<Port>> ports;
  auto gen = open_port("gen:size=64,flows=64,count=" + std::to_string(kPackets), {.queues = 1});
  ASSERT_TRUE(gen) << gen.error().message();
  ports.push_back(std::move(*gen));
  DataPlane dp(std::move(ports), slot, {.engines = 1, .pin = false});
  ASSERT_TRUE(dp.start());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!dp.inputs_exhausted() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  dp.stop();
  const EngineCounters c = dp.total_counters();
  EXPECT_EQ(c.rx_packets, kPackets);
  EXPECT_EQ(c.verdicts[XDP_TX], kPackets);
  EXPECT_EQ(c.drops_total(), 0u);
  uint32_t key = 0;
  uint64_t landed = 0;
  ASSERT_EQ(obj->maps->find("landed")->user_lookup(&key, &landed), 0);
  EXPECT_EQ(landed, kPackets);
}

TEST(DpJitTier, UnverifiedProgramsAreRefused) {
  auto l = loader::load_file(swap_object(), {.programs = {"stamp_v1"}, .verify = false});
  ASSERT_TRUE(l) << l.error().message();
  auto p = prepare_jit(std::make_shared<loader::LoadedObject>(std::move(*l)));
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message().find("not verified"), std::string::npos) << p.error().message();
}

}  // namespace
}  // namespace ebpfaas::dataplane
