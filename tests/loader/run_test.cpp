// Relocated programs run in the interpreter give the results the same C code
// gives natively: global data offsets, cross-section and .text calls land
// where they should.
#include <gtest/gtest.h>

#include <cstring>

#include "ebpf/decode.h"
#include "ebpf/opcode.h"
#include "tests/loader/test_objects.h"
#include "vm/interpreter.h"

namespace native {
#include "compute.h"
}

namespace ebpfaas::loader {
namespace {

using testing::ElfEditor;
using testing::open_prog;
using testing::read_prog;

// Global data maps as plain buffers, initialized like libbpf initializes them.
struct GlobalData {
  explicit GlobalData(const ObjectFile& obj) {
    for (const ebpf::MapSpec& m : obj.maps) buffers.push_back(m.initial_value);
  }
  std::vector<std::vector<uint8_t>> buffers;
};

Expected<uint64_t> run(const ObjectFile& obj, const ProgramSpec& prog, GlobalData& data) {
  auto decoded = ebpf::decode(prog.insns);
  if (!decoded) return decoded.error();
  vm::LinkOptions link;
  link.resolve_lddw = [&](const ebpf::Instruction& in) -> Expected<uint64_t> {
    if (in.src != ebpf::kPseudoMapIdxValue || !obj.maps.at(in.imm).global_data)
      return errorf("not global data");
    return reinterpret_cast<uint64_t>(data.buffers.at(in.imm).data()) + (in.imm64 >> 32);
  };
  for (auto& b : data.buffers) {
    const uint64_t base = reinterpret_cast<uint64_t>(b.data());
    link.static_regions.push_back({base, base + b.size(), true});
  }
  auto p = vm::Program::create(std::move(*decoded), std::move(link));
  if (!p) return p.error();
  helpers::RunContext rc;
  rc.checked = true;  // no verifier has seen it: bounds-check every access
  const uint64_t r0 = vm::interpret(**p, 0, 0, rc);
  if (rc.stop == helpers::RunContext::Stop::kFault) return errorf("fault: {}", rc.fault_message);
  return r0;
}

TEST(LoaderRun, GlobalDataAndSubprogramsMatchNativeCode) {
  ObjectFile obj = open_prog("run_compute");
  const ProgramSpec* prog = obj.find_program("compute");
  ASSERT_NE(prog, nullptr);
  GlobalData data(obj);
  auto r0 = run(obj, *prog, data);
  ASSERT_TRUE(r0.ok()) << r0.error().message();
  native::calls = 0;  // the native globals start as the object's do
  native::total = 0;
  const int want = native::compute_impl();
  EXPECT_EQ(static_cast<int32_t>(*r0), want);

  // The program's writes went to .bss where its symbols say.
  ElfEditor elf(read_prog("run_compute"));
  const int bss = obj.find_map(".bss");
  ASSERT_GE(bss, 0);
  const Elf64_Sym* total = elf.symbol("total");
  const Elf64_Sym* calls = elf.symbol("calls");
  ASSERT_NE(total, nullptr);
  ASSERT_NE(calls, nullptr);
  int32_t got_total, got_calls;
  std::memcpy(&got_total, data.buffers[bss].data() + total->st_value, 4);
  std::memcpy(&got_calls, data.buffers[bss].data() + calls->st_value, 4);
  EXPECT_EQ(got_total, native::total);
  EXPECT_EQ(got_calls, native::calls);
}

TEST(LoaderRun, CallsAcrossSections) {
  ObjectFile obj = open_prog("cross_section");
  GlobalData data(obj);
  for (auto [name, want] : {std::pair{"add_two", 42}, {"caller", 43}, {"outer", 86}}) {
    const ProgramSpec* prog = obj.find_program(name);
    ASSERT_NE(prog, nullptr) << name;
    auto r0 = run(obj, *prog, data);
    ASSERT_TRUE(r0.ok()) << name << ": " << r0.error().message();
    EXPECT_EQ(static_cast<int32_t>(*r0), want) << name;
  }
}

}  // namespace
}  // namespace ebpfaas::loader
