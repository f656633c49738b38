// Superinstructions must not change what a program computes: random programs
// built from the fused patterns (and their near misses) give the same r0 and
// the same memory with fusion, without it, and in checked mode.
#include <gtest/gtest.h>

#include <random>

#include "ebpf/assembler.h"
#include "vm/fusion.h"
#include "vm/interpreter.h"

namespace ebpfaas::vm {
namespace {

std::string random_program(std::mt19937_64& rng) {
  auto pick = [&rng](std::initializer_list<const char*> l) {
    return *(l.begin() + std::uniform_int_distribution<size_t>(0, l.size() - 1)(rng));
  };
  auto reg = [&] { return std::string("%r") + pick({"0", "2", "3", "4", "5", "7", "8", "9"}); };
  auto imm = [&]() -> std::string {
    if (rng() % 2)
      return pick({"0", "1", "7", "17", "255", "-1", "-8", "65535", "0x800", "2147483647"});
    return std::to_string(std::uniform_int_distribution<int>(-300, 300)(rng));
  };
  auto mem = [&](int size) {
    return "[%r6+" + std::to_string(std::uniform_int_distribution<int>(0, 64 - size)(rng)) + "]";
  };
  const char* loads[] = {"ldxb", "ldxh", "ldxw", "ldxdw"};
  const int sizes[] = {1, 2, 4, 8};
  const char* jumps[] = {"jeq",  "jne",  "jgt",  "jge",  "jlt", "jle",
                         "jsgt", "jsge", "jslt", "jsle", "jset"};
  std::string p = "mov %r6, %r1\n";
  for (const char* r : {"%r0", "%r2", "%r3", "%r4", "%r5", "%r7", "%r8", "%r9"})
    p += std::string("ldxdw ") + r + ", " + mem(8) + "\n";
  const int blocks = 40;
  for (int b = 0; b < blocks; ++b) {
    std::string label = "L" + std::to_string(b);
    std::string x = reg(), y = reg();
    int li = std::uniform_int_distribution<int>(0, 3)(rng);
    std::string skip = std::uniform_int_distribution<int>(0, 1)(rng) ? label : "+0";
    switch (std::uniform_int_distribution<int>(0, 7)(rng)) {
      case 0:  // alu imm + jump imm on the same register
        p += std::string(pick({"add", "mov", "and", "rsh"})) + " " + x + ", " + imm() + "\n";
        p += std::string(jumps[rng() % 11]) + " " + x + ", " + imm() + ", " + skip + "\n";
        break;
      case 1:  // alu imm + jump reg
        p += std::string(pick({"add", "mov", "and", "rsh"})) + " " + x + ", " + imm() + "\n";
        p += std::string(jumps[rng() % 11]) + " " + x + ", " + y + ", " + skip + "\n";
        break;
      case 2:  // load + jump imm
        p += std::string(loads[li]) + " " + x + ", " + mem(sizes[li]) + "\n";
        p += std::string(jumps[rng() % 11]) + " " + x + ", " + imm() + ", " + skip + "\n";
        break;
      case 3:  // load + alu reg using the loaded value
        p += std::string(loads[li]) + " " + x + ", " + mem(sizes[li]) + "\n";
        p += std::string(pick({"add", "xor", "or", "and"})) + " " + y + ", " + x + "\n";
        break;
      case 4:  // load + byte swap
        p += std::string(loads[li]) + " " + x + ", " + mem(sizes[li]) + "\n";
        p += std::string(pick({"be16", "be32", "be64"})) + " " + x + "\n";
        break;
      case 5:  // mov + add imm
        p += "mov " + x + ", " + y + "\n";
        p += "add " + x + ", " + imm() + "\n";
        break;
      case 6:  // near misses: different registers
        p += std::string(loads[li]) + " " + x + ", " + mem(sizes[li]) + "\n";
        p += std::string(jumps[rng() % 11]) + " " + y + ", " + imm() + ", " + skip + "\n";
        break;
      default:  // stores and 32-bit arithmetic in between
        p += "stxdw " + mem(8) + ", " + x + "\n";
        p += "mul32 " + y + ", " + imm() + "\n";
        break;
    }
    p += label + ":\n";
  }
  p += "xor %r0, %r2\nxor %r0, %r3\nxor %r0, %r4\nxor %r0, %r5\nxor %r0, %r7\nxor %r0, %r8\n"
       "xor %r0, %r9\nexit\n";
  return p;
}

std::shared_ptr<const Program> build(const std::vector<ebpf::Insn>& insns, bool fuse) {
  auto decoded = ebpf::decode(insns);
  EXPECT_TRUE(decoded.ok()) << decoded.error().message();
  LinkOptions link;
  link.fuse = fuse;
  auto prog = Program::create(std::move(*decoded), std::move(link));
  EXPECT_TRUE(prog.ok());
  return *prog;
}

TEST(Fusion, RandomProgramsComputeTheSameInEveryMode) {
  std::mt19937_64 rng(20261122);
  int fused_pairs = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::string text = random_program(rng);
    auto insns = ebpf::assemble(text);
    ASSERT_TRUE(insns.ok()) << insns.error().message() << "\n" << text;
    auto decoded = ebpf::decode(*insns);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    for (size_t pc = 0; pc + 1 < decoded->insns.size(); ++pc)
      fused_pairs += fused_handler(decoded->insns[pc], decoded->insns[pc + 1]) >= 0;

    std::vector<uint8_t> input(64);
    for (auto& b : input) b = static_cast<uint8_t>(rng());
    uint64_t results[3];
    std::vector<uint8_t> memories[3];
    for (int mode = 0; mode < 3; ++mode) {
      auto prog = build(*insns, mode == 0);
      std::vector<uint8_t> mem = input;
      RunContext rc;
      rc.checked = mode == 2;
      const uint64_t base = reinterpret_cast<uint64_t>(mem.data());
      rc.packet = Region{base, base + mem.size(), true};
      results[mode] = interpret(*prog, base, mem.size(), rc);
      ASSERT_NE(rc.stop, RunContext::Stop::kFault) << rc.fault_message << "\n" << text;
      memories[mode] = mem;
    }
    ASSERT_EQ(results[0], results[1]) << text;
    ASSERT_EQ(results[0], results[2]) << text;
    ASSERT_EQ(memories[0], memories[1]) << text;
    ASSERT_EQ(memories[0], memories[2]) << text;
  }
  EXPECT_GT(fused_pairs, 400 * 10);  // the generator really exercises the superinstructions
}

}  // namespace
}  // namespace ebpfaas::vm
