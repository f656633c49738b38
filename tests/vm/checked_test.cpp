// The checked interpreter: every fault stops the program with pc and address,
// never a crash; and what the fast interpreter refuses to link.
#include <gtest/gtest.h>

#include <cstring>

#include "ebpf/assembler.h"
#include "helpers/conformance.h"
#include "vm/interpreter.h"
#include "vm/xdp_context.h"

namespace ebpfaas::vm {
namespace {

std::shared_ptr<const Program> build(std::string_view text, LinkOptions link = {}) {
  auto insns = ebpf::assemble(text);
  EXPECT_TRUE(insns.ok()) << insns.error().message();
  auto decoded = ebpf::decode(*insns);
  EXPECT_TRUE(decoded.ok()) << decoded.error().message();
  if (!link.helpers) link.helpers = &helpers::conformance_helpers();
  auto prog = Program::create(std::move(*decoded), std::move(link));
  EXPECT_TRUE(prog.ok()) << prog.error().message();
  return *prog;
}

struct Outcome {
  uint64_t r0;
  bool faulted;
  std::string message;
};

Outcome run_checked(const Program& prog, std::vector<uint8_t>& mem, RunLimits limits = {}) {
  RunContext rc;
  rc.checked = true;
  const uint64_t base = reinterpret_cast<uint64_t>(mem.data());
  rc.packet = Region{base, base + mem.size(), true};
  uint64_t r0 = interpret(prog, base, mem.size(), rc, limits);
  return {r0, rc.stop == RunContext::Stop::kFault, rc.fault_message};
}

TEST(Checked, InBoundsAccessesRun) {
  auto prog = build("ldxw %r0, [%r1+4]\nstxw [%r10-4], %r0\nldxw %r0, [%r10-4]\nexit");
  std::vector<uint8_t> mem = {0, 0, 0, 0, 0x78, 0x56, 0x34, 0x12};
  auto o = run_checked(*prog, mem);
  EXPECT_FALSE(o.faulted) << o.message;
  EXPECT_EQ(o.r0, 0x12345678u);
}

TEST(Checked, ReadPastTheInput) {
  auto prog = build("ldxw %r0, [%r1+6]\nexit");
  std::vector<uint8_t> mem(8);
  auto o = run_checked(*prog, mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("pc 0: out-of-bounds read of 4 bytes at 0x"), std::string::npos)
      << o.message;
}

TEST(Checked, ReadBeforeTheInputAndWildPointers) {
  std::vector<uint8_t> mem(8);
  auto o = run_checked(*build("ldxb %r0, [%r1-1]\nexit"), mem);
  EXPECT_TRUE(o.faulted);
  o = run_checked(*build("lddw %r1, 0xffffffffffff0000\nldxdw %r0, [%r1+0]\nexit"), mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("pc 2:"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("0xffffffffffff0000"), std::string::npos) << o.message;
  // Address arithmetic that wraps around must not look in bounds.
  o = run_checked(*build("lddw %r2, 0xffffffffffffffff\nadd %r1, %r2\nldxb %r0, [%r1+2]\nexit"),
                  mem);
  EXPECT_FALSE(o.faulted) << o.message;  // r1 - 1 + 2 == r1 + 1: in bounds
  o = run_checked(*build("ldxdw %r0, [%r1+0x7fff]\nexit"), mem);
  EXPECT_TRUE(o.faulted);
}

TEST(Checked, WritePastTheStack) {
  std::vector<uint8_t> mem(8);
  auto o = run_checked(*build("stdw [%r10+0], 1\nexit"), mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("pc 0: out-of-bounds write of 8 bytes"), std::string::npos) << o.message;
  o = run_checked(*build("stxb [%r10-4097], %r1\nexit"), mem);
  EXPECT_TRUE(o.faulted);
  o = run_checked(*build("stb [%r10-4096], 1\nmov %r0, 0\nexit"), mem);  // bottom of 8 frames
  EXPECT_FALSE(o.faulted) << o.message;
}

TEST(Checked, AtomicsMustBeAlignedAndInBounds) {
  std::vector<uint8_t> mem(16);
  auto o = run_checked(*build("mov %r2, 1\nlock add [%r10-6], %r2\nexit"), mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("misaligned atomic"), std::string::npos) << o.message;
  o = run_checked(*build("mov %r2, 1\nlock add32 [%r1+16], %r2\nexit"), mem);
  EXPECT_TRUE(o.faulted);
}

TEST(Checked, EndlessLoopExhaustsTheBudget) {
  std::vector<uint8_t> mem(8);
  RunLimits limits;
  limits.max_steps = 10000;
  auto o = run_checked(*build("L:\nadd %r0, 1\nja L\n"), mem, limits);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("step budget of 10000 instructions exhausted"), std::string::npos)
      << o.message;
}

TEST(Checked, RecursionIsBoundedByEightFrames) {
  std::vector<uint8_t> mem(8);
  auto o = run_checked(*build("f:\ncall local f\nexit\n"), mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("call stack too deep"), std::string::npos) << o.message;
  // Seven nested calls fit.
  auto ok = build(R"(
    mov %r0, 0
    call local f1
    exit
  f1: call local f2
    exit
  f2: call local f3
    exit
  f3: call local f4
    exit
  f4: call local f5
    exit
  f5: call local f6
    exit
  f6: call local f7
    exit
  f7: stdw [%r10-512], 7
    ldxdw %r0, [%r10-512]
    exit
  )");
  o = run_checked(*ok, mem);
  EXPECT_FALSE(o.faulted) << o.message;
  EXPECT_EQ(o.r0, 7u);
}

TEST(Checked, CallxToAnUnknownHelper) {
  std::vector<uint8_t> mem(8);
  auto o = run_checked(*build("mov %r2, 99\ncall %r2\nexit"), mem);
  ASSERT_TRUE(o.faulted);
  EXPECT_NE(o.message.find("pc 1: callx to an unknown helper (0x63)"), std::string::npos)
      << o.message;
}

TEST(Checked, ContextLoadsAreTranslatedAndWritesRefused) {
  std::vector<uint8_t> frame(512);
  helpers::XdpBuff buff;
  buff.data_hard_start = frame.data();
  buff.data = frame.data() + helpers::kXdpHeadroom;
  buff.data_meta = buff.data;
  buff.data_end = buff.data + 64;
  buff.frame_end = frame.data() + frame.size();
  buff.ingress_ifindex = 7;
  buff.data[12] = 0xab;

  auto prog = build(R"(
    ldxw %r2, [%r1+0]
    ldxw %r3, [%r1+4]
    mov %r4, %r2
    add %r4, 14
    jgt %r4, %r3, out
    ldxb %r0, [%r2+12]
    ldxw %r5, [%r1+12]
    lsh %r5, 8
    or %r0, %r5
    exit
  out:
    mov %r0, 0
    exit
  )");
  RunContext rc;
  rc.checked = true;
  rc.xdp = &buff;
  rc.packet = Region{reinterpret_cast<uint64_t>(buff.data_meta),
                     reinterpret_cast<uint64_t>(buff.data_end), true};
  uint64_t r0 = interpret(*prog, reinterpret_cast<uint64_t>(&buff), 0, rc);
  ASSERT_NE(rc.stop, RunContext::Stop::kFault) << rc.fault_message;
  EXPECT_EQ(r0, 0x7abu);

  rc.reset();
  interpret(*build("stw [%r1+0], 0\nexit"), reinterpret_cast<uint64_t>(&buff), 0, rc);
  ASSERT_EQ(rc.stop, RunContext::Stop::kFault);
  EXPECT_NE(rc.fault_message.find("write to the context"), std::string::npos) << rc.fault_message;

  rc.reset();
  interpret(*build("ldxdw %r0, [%r1+0]\nexit"), reinterpret_cast<uint64_t>(&buff), 0, rc);
  ASSERT_EQ(rc.stop, RunContext::Stop::kFault);
  EXPECT_NE(rc.fault_message.find("invalid context access"), std::string::npos) << rc.fault_message;
}

TEST(Link, RefusesWhatCannotRun) {
  auto link_error = [](std::string_view text, LinkOptions link = {}) {
    auto insns = ebpf::assemble(text);
    EXPECT_TRUE(insns.ok());
    auto decoded = ebpf::decode(*insns);
    EXPECT_TRUE(decoded.ok()) << decoded.error().message();
    auto prog = Program::create(std::move(*decoded), std::move(link));
    return prog.ok() ? std::string() : prog.error().message();
  };
  EXPECT_NE(link_error("call 1\nexit").find("pc 0: call to unknown helper id 1"),
            std::string::npos);
  EXPECT_NE(link_error("mov %r0, 0\nlddw %r1, map_idx(0)\nexit").find("pc 1: lddw refers to a map"),
            std::string::npos);
  EXPECT_NE(link_error("call kfunc 12\nexit").find("kfunc"), std::string::npos);
  EXPECT_NE(link_error("ldabsw 12\nexit").find("only for socket filters"), std::string::npos);

  LinkOptions link;
  link.resolve_lddw = [](const ebpf::Instruction& in) -> Expected<uint64_t> {
    if (in.imm == 0) return uint64_t{0x1000};
    return errorf("no map {}", in.imm);
  };
  EXPECT_EQ(link_error("lddw %r1, map_idx(0)\nexit", link), "");
  EXPECT_NE(link_error("lddw %r1, map_idx(3)\nexit", link).find("pc 0: no map 3"),
            std::string::npos);
}

TEST(Fast, ContextLoadsRewrittenFromVerifierFacts) {
  std::vector<uint8_t> frame(512);
  helpers::XdpBuff buff;
  buff.data = frame.data() + 256;
  buff.data_end = buff.data + 100;
  auto insns =
      ebpf::assemble("ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nexit");
  ASSERT_TRUE(insns.ok());
  auto decoded = ebpf::decode(*insns);
  ASSERT_TRUE(decoded.ok());
  LinkOptions link;
  link.ctx_load_pcs = {0, 1};
  auto prog = Program::create(std::move(*decoded), std::move(link));
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  RunContext rc;
  EXPECT_EQ(interpret(**prog, reinterpret_cast<uint64_t>(&buff), 0, rc), 100u);
}

}  // namespace
}  // namespace ebpfaas::vm
