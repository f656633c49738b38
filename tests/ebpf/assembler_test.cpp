// The assembler and disassembler: syntax, errors, and the round trip over every
// program of the conformance suite.
#include <gtest/gtest.h>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "ebpf/disassembler.h"
#include "ebpf/opcode.h"
#include "tests/conformance/conformance_file.h"

namespace ebpfaas::ebpf {
namespace {

TEST(Assembler, EncodesLikeTheSuite) {
  auto insns = assemble(R"(
    lddw %r0, 0x1122334455667788
    swap16 %r0
    be32 %r1
    le64 %r2
    sdiv32 %r3, -7
    smod %r4, %r5
    lock cmpxchg32 [%r10-8], %r1
    call 5
    call %r2
    ja32 +0
    exit
  )");
  ASSERT_TRUE(insns.ok()) << insns.error().message();
  const auto& p = *insns;
  ASSERT_EQ(p.size(), 12u);
  EXPECT_EQ(p[0].opcode, 0x18);
  EXPECT_EQ(static_cast<uint32_t>(p[0].imm), 0x55667788u);
  EXPECT_EQ(static_cast<uint32_t>(p[1].imm), 0x11223344u);
  EXPECT_EQ(p[2].opcode, 0xd7);  // ALU64 | END
  EXPECT_EQ(p[2].imm, 16);
  EXPECT_EQ(p[3].opcode, 0xdc);  // ALU | END | TO_BE
  EXPECT_EQ(p[4].opcode, 0xd4);  // ALU | END | TO_LE
  EXPECT_EQ(p[5].opcode, 0x34);  // ALU | DIV | K
  EXPECT_EQ(p[5].off, 1);
  EXPECT_EQ(p[5].imm, -7);
  EXPECT_EQ(p[6].opcode, 0x9f);  // ALU64 | MOD | X
  EXPECT_EQ(p[6].off, 1);
  EXPECT_EQ(p[7].opcode, 0xc3);  // STX | ATOMIC | W
  EXPECT_EQ(p[7].imm, kAtomicCmpXchg);
  EXPECT_EQ(p[7].off, -8);
  EXPECT_EQ(p[8].opcode, 0x85);
  EXPECT_EQ(p[8].imm, 5);
  EXPECT_EQ(p[9].opcode, 0x8d);  // callx: register in dst
  EXPECT_EQ(p[9].dst, 2);
  EXPECT_EQ(p[10].opcode, 0x06);  // JMP32 | JA
}

TEST(Assembler, LabelsAndTheImplicitExitLabel) {
  auto insns = assemble("jne %r0, 1, exit\nmov %r0, 2\nexit\nmov %r0, 3\nexit\n");
  ASSERT_TRUE(insns.ok());
  EXPECT_EQ((*insns)[0].off, 1);  // to the first exit
  insns = assemble("exit:\nmov %r0, 0\njeq %r0, 0, exit\nexit\n");
  ASSERT_TRUE(insns.ok());
  EXPECT_EQ((*insns)[1].off, -2);  // a declared label wins
}

TEST(Assembler, ErrorsNameTheLine) {
  struct Case {
    const char* src;
    const char* what;
  } cases[] = {
      {"mov %r0, 1\nmvo %r0, 1\nexit", "line 2: unknown mnemonic 'mvo'"},
      {"ja nowhere\nexit", "line 1: undefined label 'nowhere'"},
      {"L:\nL:\nexit", "line 2: duplicate label 'L'"},
      {"mov %r0, 0x100000000\nexit", "line 1: immediate '0x100000000' does not fit in 32 bits"},
      {"ldxw %r0, %r1\nexit", "expected a memory operand"},
      {"add %r0\nexit", "expected 2 operand(s), got 1"},
      {"mov %x0, 1\nexit", "expected a register"},
      {"lock fetch xchg [%r10-8], %r1\nexit", "always fetches"},
  };
  for (const Case& c : cases) {
    auto r = assemble(c.src);
    ASSERT_FALSE(r.ok()) << c.src;
    EXPECT_NE(r.error().message().find(c.what), std::string::npos)
        << "expected '" << c.what << "' in: " << r.error().message();
  }
}

TEST(Assembler, PseudoLddwForms) {
  auto insns =
      assemble("lddw %r1, map_idx(2)\nlddw %r2, map_value(3)+16\nlddw %r3, map_fd(7)\nexit");
  ASSERT_TRUE(insns.ok()) << insns.error().message();
  EXPECT_EQ((*insns)[0].src, kPseudoMapIdx);
  EXPECT_EQ((*insns)[0].imm, 2);
  EXPECT_EQ((*insns)[2].src, kPseudoMapValue);
  EXPECT_EQ((*insns)[2].imm, 3);
  EXPECT_EQ((*insns)[3].imm, 16);
  EXPECT_EQ((*insns)[4].src, kPseudoMapFd);
  auto text = disassemble(*insns);
  auto again = assemble(text);
  ASSERT_TRUE(again.ok()) << again.error().message() << "\n" << text;
  EXPECT_EQ(*again, *insns);
}

TEST(Disassembler, NamesHelpersAndShowsInvalidInstructions) {
  auto insns = assemble("call 1\nexit");
  ASSERT_TRUE(insns.ok());
  EXPECT_NE(disassemble(*insns).find("call 1 # map_lookup_elem"), std::string::npos);
  std::vector<Insn> bad = *insns;
  bad[0].opcode = 0xff;
  EXPECT_NE(disassemble(bad).find(".invalid"), std::string::npos);
}

// assemble(disassemble(p)) == p for every program of the conformance suite,
// with labels and with numeric offsets.
TEST(Disassembler, RoundTripsEveryConformanceProgram) {
  auto files = conformance::list_test_files(EBPFAAS_CONFORMANCE_DIR);
  ASSERT_TRUE(files.ok()) << files.error().message();
  ASSERT_EQ(files->size(), 313u);
  for (const std::string& path : *files) {
    auto test = conformance::parse_test_file(path);
    ASSERT_TRUE(test.ok()) << test.error().message();
    auto insns = conformance::test_program(*test);
    ASSERT_TRUE(insns.ok()) << insns.error().message();
    for (bool labels : {true, false}) {
      DisassembleOptions options;
      options.labels = labels;
      std::string text = disassemble(*insns, options);
      auto again = assemble(text);
      ASSERT_TRUE(again.ok()) << path << ": " << again.error().message() << "\n" << text;
      EXPECT_EQ(*again, *insns) << path << (labels ? " (labels)" : " (offsets)") << "\n" << text;
    }
  }
}

}  // namespace
}  // namespace ebpfaas::ebpf
