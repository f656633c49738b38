// Every problem the decoder reports, with its pc.
#include <gtest/gtest.h>

#include "ebpf/assembler.h"
#include "ebpf/decode.h"
#include "ebpf/opcode.h"

namespace ebpfaas::ebpf {
namespace {

std::vector<Insn> asm_or_die(std::string_view text) {
  auto insns = assemble(text);
  EXPECT_TRUE(insns.ok()) << (insns.ok() ? "" : insns.error().message());
  return insns.ok() ? *insns : std::vector<Insn>{};
}

std::string decode_error(const std::vector<Insn>& insns) {
  auto r = decode(insns);
  if (r.ok()) return "";
  return r.error().message();
}

Insn raw(uint8_t opcode, uint8_t dst = 0, uint8_t src = 0, int16_t off = 0, int32_t imm = 0) {
  Insn i;
  i.opcode = opcode;
  i.dst = dst;
  i.src = src;
  i.off = off;
  i.imm = imm;
  return i;
}

const Insn kExit = raw(kClsJmp | kJmpExit);

TEST(Decode, AcceptsAValidProgramAndClassifiesEveryInstruction) {
  auto insns = asm_or_die(R"(
    mov32 %r0, 1
    lddw %r1, 0x1122334455667788
    ldxh %r2, [%r1+4]
    jeq %r2, 7, done
    lock fetch add [%r10-8], %r2
    call local f
  done:
    exit
  f:
    movsx1664 %r0, %r1
    exit
  )");
  auto prog = decode(insns);
  ASSERT_TRUE(prog.ok()) << prog.error().message();
  EXPECT_EQ(prog->insns[0].op, Op::Mov32Imm);
  EXPECT_EQ(prog->insns[1].op, Op::Lddw);
  EXPECT_EQ(prog->insns[1].imm64, 0x1122334455667788ull);
  EXPECT_EQ(prog->insns[2].op, Op::LddwHigh);
  EXPECT_EQ(prog->insns[3].op, Op::LdxH);
  EXPECT_EQ(prog->insns[4].op, Op::Jeq64Imm);
  EXPECT_EQ(prog->insns[4].target, 7);
  EXPECT_EQ(prog->insns[5].op, Op::AtomicFetchAdd64);
  EXPECT_EQ(prog->insns[6].op, Op::CallLocal);
  EXPECT_EQ(prog->insns[6].target, 8);
  EXPECT_EQ(prog->insns[8].op, Op::MovSx16To64);
  ASSERT_EQ(prog->subprog_starts.size(), 2u);
  EXPECT_EQ(prog->subprog_starts[1], 8u);
  EXPECT_EQ(prog->subprog_of(9), 1u);
}

TEST(Decode, EmptyProgram) {
  EXPECT_NE(decode_error({}).find("empty program"), std::string::npos);
}

TEST(Decode, ProgramOverTheSizeLimit) {
  std::vector<Insn> big(kMaxInstructions + 1, raw(kClsAlu64 | kAluMov | kSrcK));
  big.back() = kExit;
  EXPECT_NE(decode_error(big).find("program too large: 1000001 instructions (limit 1000000)"),
            std::string::npos);
  big.resize(kMaxInstructions);
  big.back() = kExit;
  EXPECT_EQ(decode_error(big), "");
}

TEST(Decode, UnknownOpcode) {
  for (uint8_t opcode : {0x8f, 0xe4, 0xf7, 0x0e /* jmp32 0xe0 */, 0xfd, 0x01 | 0x20, 0x02 | 0x40}) {
    std::string e = decode_error({raw(opcode), kExit});
    EXPECT_NE(e.find("pc 0:"), std::string::npos) << int(opcode) << " " << e;
    EXPECT_NE(e.find("opcode"), std::string::npos) << int(opcode) << " " << e;
  }
}

TEST(Decode, ReservedFieldsMustBeZero) {
  struct Case {
    Insn insn;
    const char* what;
  } cases[] = {
      {raw(kClsAlu64 | kAluAdd | kSrcK, 0, 3, 0, 1), "reserved src"},
      {raw(kClsAlu64 | kAluAdd | kSrcX, 0, 3, 0, 1), "reserved imm"},
      {raw(kClsAlu64 | kAluAdd | kSrcX, 0, 3, 4, 0), "reserved offset"},
      {raw(kClsAlu64 | kAluMov | kSrcK, 0, 0, 8, 0), "reserved offset"},
      {raw(kClsAlu | kAluMov | kSrcX, 0, 1, 32, 0), "reserved offset"},
      {raw(kClsAlu64 | kAluNeg | kSrcK, 0, 0, 0, 5), "neg uses reserved fields"},
      {raw(kClsJmp | kJmpJa, 0, 0, 0, 3), "reserved imm"},
      {raw(kClsJmp | kJmpCall, 1, 0, 0, 1), "reserved dst"},
      {raw(kClsJmp | kJmpCall, 0, 0, 0, 1), ""},  // valid: helper 1
      {raw(kClsJmp | kJmpExit, 0, 0, 1, 0), "exit uses reserved fields"},
      {raw(kClsStx | kModeMem | kSizeW, 1, 2, 0, 9), "reserved imm"},
      {raw(kClsSt | kModeMem | kSizeW, 1, 2, 0, 9), "reserved src"},
      {raw(kClsLdx | kModeMem | kSizeW, 1, 2, 0, 9), "reserved imm"},
      {raw(kClsAlu | kAluEnd | kToLe, 1, 0, 0, 24), "width must be 16, 32 or 64"},
      {raw(kClsAlu64 | kAluEnd | kToBe, 1, 0, 0, 16), "unknown opcode"},
      {raw(kClsStx | kModeAtomic | kSizeW, 1, 2, 0, 0x10), "unknown atomic operation"},
      {raw(kClsStx | kModeAtomic | kSizeB, 1, 2, 0, 0), "unknown opcode"},
  };
  for (const Case& c : cases) {
    std::string e = decode_error({c.insn, kExit});
    if (std::string(c.what).empty()) {
      EXPECT_EQ(e, "");
    } else {
      EXPECT_NE(e.find(c.what), std::string::npos) << "expected '" << c.what << "', got: " << e;
      EXPECT_NE(e.find("pc 0:"), std::string::npos) << e;
    }
  }
}

TEST(Decode, RegisterOutOfRange) {
  EXPECT_NE(
      decode_error({raw(kClsAlu64 | kAluMov | kSrcK, 11), kExit}).find("register r11 out of range"),
      std::string::npos);
  EXPECT_NE(decode_error({raw(kClsAlu64 | kAluMov | kSrcX, 1, 12), kExit})
                .find("register r12 out of range"),
            std::string::npos);
  EXPECT_NE(decode_error({raw(kClsLdx | kModeMem | kSizeW, 0, 15), kExit})
                .find("register r15 out of range"),
            std::string::npos);
}

TEST(Decode, FramePointerIsReadOnly) {
  EXPECT_NE(
      decode_error({raw(kClsAlu64 | kAluAdd | kSrcK, 10, 0, 0, 8), kExit}).find("r10 is read-only"),
      std::string::npos);
  EXPECT_NE(
      decode_error({raw(kClsLdx | kModeMem | kSizeDW, 10, 1), kExit}).find("r10 is read-only"),
      std::string::npos);
  // Storing through r10 is how programs use their stack.
  EXPECT_EQ(decode_error({raw(kClsStx | kModeMem | kSizeDW, 10, 1, -8), kExit}), "");
}

TEST(Decode, JumpOutsideTheProgram) {
  auto e = decode_error({raw(kClsJmp | kJmpJa, 0, 0, 5), kExit});
  EXPECT_NE(e.find("pc 0: jump to pc 6 is outside the program (0..1)"), std::string::npos) << e;
  e = decode_error({kExit, raw(kClsJmp | kJmpJeq | kSrcK, 1, 0, -3), kExit});
  EXPECT_NE(e.find("pc 1: jump to pc -1 is outside the program"), std::string::npos) << e;
  e = decode_error({raw(kClsJmp32 | kJmpJa, 0, 0, 0, 100), kExit});
  EXPECT_NE(e.find("jump to pc 101"), std::string::npos) << e;
}

TEST(Decode, JumpIntoTheMiddleOfLddw) {
  auto insns = asm_or_die("ja +1\nlddw %r0, 1\nexit");
  auto e = decode_error(insns);
  EXPECT_NE(e.find("pc 0: jump into the middle of lddw at pc 1"), std::string::npos) << e;
}

TEST(Decode, TruncatedLddw) {
  auto insns = asm_or_die("mov %r0, 0\nexit\nlddw %r0, 1");
  insns.pop_back();
  auto e = decode_error(insns);
  EXPECT_NE(e.find("pc 2: lddw is truncated"), std::string::npos) << e;
  // A second half with reserved fields set is rejected too.
  insns = asm_or_die("lddw %r0, 1\nexit");
  insns[1].opcode = 0x18;
  e = decode_error(insns);
  EXPECT_NE(e.find("pc 1: second half of lddw uses reserved fields"), std::string::npos) << e;
}

TEST(Decode, FallingOffTheEnd) {
  auto e = decode_error(asm_or_die("mov %r0, 0"));
  EXPECT_NE(e.find("pc 0: program can fall off its end"), std::string::npos) << e;
  e = decode_error(asm_or_die("mov %r0, 0\njeq %r0, 0, -2"));
  EXPECT_NE(e.find("pc 1: program can fall off its end"), std::string::npos) << e;
  e = decode_error(asm_or_die("exit\nlddw %r0, 7"));
  EXPECT_NE(e.find("pc 1: program can fall off its end"), std::string::npos) << e;
  // A function that does not end in exit or ja falls into the next one.
  e = decode_error(asm_or_die("call local f\nexit\nf:\nmov %r0, 1\ng:\nexit\n"));
  EXPECT_EQ(e, "");
  e = decode_error(asm_or_die("call local f\ncall local g\nexit\nf:\nmov %r0, 1\ng:\nexit\n"));
  EXPECT_NE(e.find("function at pc 3 can fall through into the next function"), std::string::npos)
      << e;
}

TEST(Decode, JumpsStayInsideTheirFunction) {
  auto e = decode_error(asm_or_die("call local f\nja g\nexit\nf:\ng:\nmov %r0, 1\nexit\n"));
  EXPECT_NE(e.find("pc 1: jump to pc 3 leaves the function that starts at pc 0"), std::string::npos)
      << e;
}

TEST(Decode, CallTargets) {
  auto e = decode_error({raw(kClsJmp | kJmpCall, 0, kCallLocal, 0, 7), kExit});
  EXPECT_NE(e.find("pc 0: call target 8 is outside the program"), std::string::npos) << e;
  e = decode_error({raw(kClsJmp | kJmpCall, 0, 3, 0, 1), kExit});
  EXPECT_NE(e.find("call with unknown src"), std::string::npos) << e;
  e = decode_error({raw(kClsJmp32 | kJmpCall), kExit});
  EXPECT_NE(e.find("not a JMP32 instruction"), std::string::npos) << e;
}

TEST(Decode, InsnsFromBytesRejectsPartialInstructions) {
  std::vector<uint8_t> bytes(12, 0);
  auto r = insns_from_bytes(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("not a multiple of 8"), std::string::npos);
}

}  // namespace
}  // namespace ebpfaas::ebpf
