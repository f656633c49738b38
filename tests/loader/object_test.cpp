// What open_object() makes of well-formed objects: programs, sections and
// types, map specs, relocations (checked on the decoded instructions), global
// data contents, subprogram layout and line info.
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "ebpf/decode.h"
#include "ebpf/opcode.h"
#include "tests/loader/test_objects.h"

namespace ebpfaas::loader {
namespace {

using testing::ElfEditor;
using testing::open_prog;
using testing::read_prog;

ebpf::DecodedProgram decode_ok(const ProgramSpec& p) {
  auto d = ebpf::decode(p.insns);
  EXPECT_TRUE(d.ok()) << p.name << ": " << (d ? "" : d.error().message());
  return d ? std::move(*d) : ebpf::DecodedProgram{};
}

// Instruction count of a function, from its ELF symbol.
uint32_t symbol_insns(ElfEditor& elf, std::string_view name) {
  const Elf64_Sym* s = elf.symbol(name);
  EXPECT_NE(s, nullptr) << name;
  return s ? static_cast<uint32_t>(s->st_size / 8) : 0;
}

TEST(LoaderObject, ProgramsBySection) {
  ObjectFile obj = open_prog("multi_prog");
  ElfEditor elf(read_prog("multi_prog"));
  EXPECT_EQ(obj.name, "multi_prog");
  EXPECT_EQ(obj.license, "Dual BSD/GPL");
  EXPECT_EQ(obj.kern_version, 0x060100u);
  EXPECT_TRUE(obj.maps.empty());
  struct Want {
    const char* name;
    const char* section;
    uint32_t type;
    uint32_t attach;
    bool frags;
    bool autoload;
  };
  // Ordered as libbpf orders them: by section index, then offset.
  const Want want[] = {
      {"xdp_pass_all", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, false, true},
      {"xdp_drop_small", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, false, true},
      {"xdp_forward", "xdp/forward", BPF_PROG_TYPE_XDP, BPF_XDP, false, true},
      {"xdp_multi_buffer", "xdp.frags", BPF_PROG_TYPE_XDP, BPF_XDP, true, true},
      {"xdp_on_devmap", "xdp/devmap", BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP, false, true},
      {"xdp_not_autoloaded", "xdp", BPF_PROG_TYPE_XDP, BPF_XDP, false, false},
      {"tc_accept", "tc", BPF_PROG_TYPE_SCHED_CLS, 0, false, true},
  };
  ASSERT_EQ(obj.programs.size(), std::size(want));
  for (size_t i = 0; i < std::size(want); ++i) {
    const ProgramSpec& p = obj.programs[i];
    SCOPED_TRACE(p.name);
    EXPECT_EQ(p.name, want[i].name);
    EXPECT_EQ(p.section, want[i].section);
    EXPECT_EQ(p.type, want[i].type);
    EXPECT_EQ(p.expected_attach_type, want[i].attach);
    EXPECT_EQ(p.xdp_frags, want[i].frags);
    EXPECT_EQ(p.autoload, want[i].autoload);
    // No calls, no maps: the program is its function's bytes, unchanged.
    const Elf64_Sym* sym = elf.symbol(p.name);
    ASSERT_NE(sym, nullptr);
    ASSERT_EQ(p.insns.size(), sym->st_size / 8);
    EXPECT_EQ(p.entry_insn_count(), p.insns.size());
    const std::string sec = i == 5 ? "?xdp" : want[i].section;
    EXPECT_EQ(std::memcmp(p.insns.data(), elf.data(sec) + sym->st_value, sym->st_size), 0);
    decode_ok(p);
  }
  EXPECT_EQ(obj.find_program("xdp_forward"), &obj.programs[2]);
  EXPECT_EQ(obj.find_program("xdp"), &obj.programs[0]);  // first program of the section
  EXPECT_EQ(obj.find_program("tc"), &obj.programs[6]);
  EXPECT_EQ(obj.find_program("nothing"), nullptr);
}

TEST(LoaderObject, BtfMaps) {
  ObjectFile obj = open_prog("btf_maps");
  struct Want {
    const char* name;
    uint32_t type, key, value, max, flags, pinning;
  };
  const Want want[] = {
      {"flows", BPF_MAP_TYPE_HASH, 16, 16, 1024, BPF_F_NO_PREALLOC, 0},
      {"config", BPF_MAP_TYPE_ARRAY, 4, 24, 4, 0, 0},
      {"recent", BPF_MAP_TYPE_LRU_HASH, 8, 4, 128, BPF_F_NO_COMMON_LRU, 1},
      {"routes", BPF_MAP_TYPE_LPM_TRIE, 8, 4, 256, BPF_F_NO_PREALLOC, 0},
      {"counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 8, 0, 0},
      {"tx_ports", BPF_MAP_TYPE_DEVMAP, 4, 4, 8, 0, 0},
      {"jump_table", BPF_MAP_TYPE_PROG_ARRAY, 4, 4, 4, 0, 0},
      {"pending", BPF_MAP_TYPE_QUEUE, 0, 4, 16, 0, 0},
      {"events", BPF_MAP_TYPE_RINGBUF, 0, 0, 8192, 0, 0},  // 5000 rounded up to 2 pages
  };
  ASSERT_EQ(obj.maps.size(), std::size(want));
  for (const Want& w : want) {
    SCOPED_TRACE(w.name);
    int i = obj.find_map(w.name);
    ASSERT_GE(i, 0);
    const ebpf::MapSpec& m = obj.maps[i];
    EXPECT_EQ(m.type, w.type);
    EXPECT_EQ(m.key_size, w.key);
    EXPECT_EQ(m.value_size, w.value);
    EXPECT_EQ(m.max_entries, w.max);
    EXPECT_EQ(m.flags, w.flags);
    EXPECT_EQ(m.pinning, w.pinning);
    EXPECT_FALSE(m.global_data);
  }

  // Every map-taking helper call gets the right map: follow the lddw into
  // r1 (r2 for tail_call) up to each call.
  ASSERT_EQ(obj.programs.size(), 1u);
  const ProgramSpec& p = obj.programs[0];
  ebpf::DecodedProgram d = decode_ok(p);
  std::map<int, std::string> reg_map;  // register -> map it holds
  std::vector<std::pair<int32_t, std::string>> calls;
  for (const ebpf::Instruction& in : d.insns) {
    if (in.op == ebpf::Op::Lddw) {
      if (in.src == ebpf::kPseudoMapIdx) {
        ASSERT_GE(in.imm, 0);
        ASSERT_LT(static_cast<size_t>(in.imm), obj.maps.size());
        reg_map[in.dst] = obj.maps[in.imm].name;
      } else {
        ADD_FAILURE() << "unexpected lddw src " << int(in.src);
      }
    } else if (in.op == ebpf::Op::Call) {
      const int reg = in.imm == BPF_FUNC_tail_call ? 2 : 1;
      if (in.imm == BPF_FUNC_map_lookup_elem || in.imm == BPF_FUNC_map_update_elem ||
          in.imm == BPF_FUNC_map_push_elem || in.imm == BPF_FUNC_ringbuf_reserve ||
          in.imm == BPF_FUNC_tail_call || in.imm == BPF_FUNC_redirect_map)
        calls.emplace_back(in.imm, reg_map[reg]);
      reg_map.clear();
    } else if (in.dst == 1 || in.dst == 2) {
      reg_map.erase(in.dst);
    }
  }
  const std::vector<std::pair<int32_t, std::string>> want_calls = {
      {BPF_FUNC_map_lookup_elem, "flows"},    {BPF_FUNC_map_lookup_elem, "config"},
      {BPF_FUNC_map_update_elem, "recent"},   {BPF_FUNC_map_lookup_elem, "routes"},
      {BPF_FUNC_map_lookup_elem, "counters"}, {BPF_FUNC_map_push_elem, "pending"},
      {BPF_FUNC_ringbuf_reserve, "events"},   {BPF_FUNC_tail_call, "jump_table"},
      {BPF_FUNC_redirect_map, "tx_ports"},
  };
  EXPECT_EQ(calls, want_calls);
}

TEST(LoaderObject, LegacyMapsBeforeBtfMaps) {
  ObjectFile obj = open_prog("legacy_maps");
  ASSERT_EQ(obj.maps.size(), 3u);
  EXPECT_EQ(obj.maps[0].name, "legacy_hash");
  EXPECT_EQ(obj.maps[0].type, uint32_t{BPF_MAP_TYPE_HASH});
  EXPECT_EQ(obj.maps[0].key_size, 4u);
  EXPECT_EQ(obj.maps[0].value_size, 8u);
  EXPECT_EQ(obj.maps[0].max_entries, 64u);
  EXPECT_EQ(obj.maps[0].flags, uint32_t{BPF_F_NO_PREALLOC});
  EXPECT_EQ(obj.maps[1].name, "legacy_array");
  EXPECT_EQ(obj.maps[1].type, uint32_t{BPF_MAP_TYPE_ARRAY});
  EXPECT_EQ(obj.maps[1].value_size, 16u);
  EXPECT_EQ(obj.maps[1].max_entries, 2u);
  EXPECT_EQ(obj.maps[2].name, "modern");
  ASSERT_EQ(obj.programs.size(), 1u);
  std::set<std::string> referenced;
  for (const ebpf::Instruction& in : decode_ok(obj.programs[0]).insns)
    if (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoMapIdx)
      referenced.insert(obj.maps.at(static_cast<size_t>(in.imm)).name);
  EXPECT_EQ(referenced, (std::set<std::string>{"legacy_hash", "legacy_array", "modern"}));
}

TEST(LoaderObject, GlobalDataMaps) {
  ObjectFile obj = open_prog("run_compute");
  ElfEditor elf(read_prog("run_compute"));
  // Section order, as libbpf: .data, .rodata, .data.custom, .bss.
  ASSERT_EQ(obj.maps.size(), 4u);
  const char* names[] = {".data", ".rodata", ".data.custom", ".bss"};
  for (size_t i = 0; i < 4; ++i) {
    const ebpf::MapSpec& m = obj.maps[i];
    SCOPED_TRACE(names[i]);
    EXPECT_EQ(m.name, names[i]);
    EXPECT_TRUE(m.global_data);
    EXPECT_EQ(m.type, uint32_t{BPF_MAP_TYPE_ARRAY});
    EXPECT_EQ(m.key_size, 4u);
    EXPECT_EQ(m.max_entries, 1u);
    EXPECT_EQ(m.value_size, elf.section(names[i]).sh_size);
    EXPECT_EQ(m.initial_value.size(), m.value_size);
    // Every section holds a global variable, so libbpf makes it mmap()able.
    uint32_t want_flags = BPF_F_MMAPABLE | (i == 1 ? BPF_F_RDONLY_PROG : 0);
    EXPECT_EQ(m.flags, want_flags);
  }
  auto value_at = [&](int map, std::string_view sym, size_t size) {
    const Elf64_Sym* s = elf.symbol(sym);
    EXPECT_NE(s, nullptr) << sym;
    std::vector<uint8_t> out(size);
    if (s) std::memcpy(out.data(), obj.maps[map].initial_value.data() + s->st_value, size);
    return out;
  };
  auto bytes_of = [](const auto& v) {
    std::vector<uint8_t> out(sizeof v);
    std::memcpy(out.data(), &v, sizeof v);
    return out;
  };
  const int32_t table[8] = {3, 1, 4, 1, 5, 9, 2, 6};
  const uint64_t bias[3] = {100, 200, 300};
  const int32_t scale = 7, custom = 11;
  EXPECT_EQ(value_at(0, "table", sizeof table), bytes_of(table));
  EXPECT_EQ(value_at(1, "bias", sizeof bias), bytes_of(bias));
  EXPECT_EQ(value_at(1, "scale", sizeof scale), bytes_of(scale));
  EXPECT_EQ(value_at(2, "custom_seed", sizeof custom), bytes_of(custom));
  EXPECT_EQ(obj.maps[3].initial_value, std::vector<uint8_t>(obj.maps[3].value_size, 0));

  // Every global data reference is a map-value lddw inside its section.
  std::set<std::string> sections_used;
  for (const ProgramSpec& p : obj.programs)
    for (const ebpf::Instruction& in : decode_ok(p).insns) {
      if (in.op != ebpf::Op::Lddw) continue;
      ASSERT_EQ(in.src, ebpf::kPseudoMapIdxValue);
      ASSERT_LT(static_cast<size_t>(in.imm), obj.maps.size());
      const uint32_t off = static_cast<uint32_t>(in.imm64 >> 32);
      EXPECT_LT(off, obj.maps[in.imm].value_size);
      sections_used.insert(obj.maps[in.imm].name);
    }
  EXPECT_EQ(sections_used, (std::set<std::string>{".data", ".rodata", ".data.custom", ".bss"}));
}

// Functions placed in a program, by name, with their pcs.
std::map<std::string, uint32_t> placements(const ProgramSpec& p) {
  std::map<std::string, uint32_t> out;
  for (const FunctionPlacement& f : p.functions) {
    EXPECT_TRUE(out.emplace(f.name, f.pc).second) << f.name << " placed twice";
  }
  return out;
}

TEST(LoaderObject, SubprogramsAppendedOnceDepthFirst) {
  ObjectFile obj = open_prog("subprogs");
  ElfEditor elf(read_prog("subprogs"));
  ASSERT_EQ(obj.programs.size(), 2u);  // .text functions are not programs
  const ProgramSpec& a = obj.programs[0];
  const ProgramSpec& b = obj.programs[1];
  EXPECT_EQ(a.name, "prog_a");
  EXPECT_EQ(b.name, "prog_b");

  // prog_a calls twice_plus_one (which calls add_one twice), then
  // global_scale: depth first, add_one comes before global_scale, once.
  std::vector<std::string> order;
  for (const FunctionPlacement& f : a.functions) order.push_back(f.name);
  EXPECT_EQ(order,
            (std::vector<std::string>{"prog_a", "twice_plus_one", "add_one", "global_scale"}));
  uint32_t pc = 0;
  for (const FunctionPlacement& f : a.functions) {
    EXPECT_EQ(f.pc, pc) << f.name;
    EXPECT_EQ(f.insn_count, symbol_insns(elf, f.name)) << f.name;
    pc += f.insn_count;
  }
  EXPECT_EQ(a.insns.size(), pc);
  EXPECT_EQ(a.entry_insn_count(), symbol_insns(elf, "prog_a"));

  // Every local call lands on the start of the function it names in the ELF.
  auto check_calls = [&](const ProgramSpec& p, std::multiset<std::string> want) {
    auto at = placements(p);
    ebpf::DecodedProgram d = decode_ok(p);
    std::multiset<std::string> got;
    for (uint32_t i = 0; i < d.insns.size(); ++i) {
      const ebpf::Instruction& in = d.insns[i];
      const bool func_ref =
          in.op == ebpf::Op::CallLocal || (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoFunc);
      if (!func_ref) continue;
      const FunctionPlacement* f = p.function_at(static_cast<uint32_t>(in.target));
      ASSERT_NE(f, nullptr) << "pc " << i;
      EXPECT_EQ(f->pc, static_cast<uint32_t>(in.target)) << "pc " << i;
      got.insert((in.op == ebpf::Op::Lddw ? "&" : "") + f->name);
    }
    EXPECT_EQ(got, want) << p.name;
    // The decoder sees exactly the placed functions as subprograms.
    std::vector<uint32_t> starts;
    for (const auto& [name, fpc] : at) starts.push_back(fpc);
    std::sort(starts.begin(), starts.end());
    EXPECT_EQ(d.subprog_starts, starts) << p.name;
  };
  check_calls(a, {"twice_plus_one", "add_one", "add_one", "global_scale"});
  check_calls(b, {"add_one", "&accumulate"});

  // Strings: bpf_printk's format lives in .rodata, the literal in .rodata.str1.1.
  ASSERT_GE(obj.find_map(".rodata"), 0);
  ASSERT_GE(obj.find_map(".rodata.str1.1"), 0);
  auto string_at = [&](const ProgramSpec& p, std::string_view map) {
    std::vector<std::string> out;
    for (const ebpf::Instruction& in : decode_ok(p).insns)
      if (in.op == ebpf::Op::Lddw && in.src == ebpf::kPseudoMapIdxValue &&
          obj.maps[in.imm].name == map) {
        const auto& v = obj.maps[in.imm].initial_value;
        out.emplace_back(reinterpret_cast<const char*>(v.data() + (in.imm64 >> 32)));
      }
    return out;
  };
  EXPECT_EQ(string_at(a, ".rodata"), std::vector<std::string>{"prog_a %d"});
  EXPECT_EQ(string_at(b, ".rodata.str1.1"), std::vector<std::string>{"sum %d\n"});
  EXPECT_EQ(obj.maps[obj.find_map(".rodata.str1.1")].flags, uint32_t{BPF_F_RDONLY_PROG});
  // Only a static format string in .rodata: not mmap()able for libbpf.
  EXPECT_EQ(obj.maps[obj.find_map(".rodata")].flags, uint32_t{BPF_F_RDONLY_PROG});
}

TEST(LoaderObject, CallsIntoOtherSections) {
  ObjectFile obj = open_prog("cross_section");
  ASSERT_EQ(obj.programs.size(), 3u);
  const ProgramSpec* outer = obj.find_program("outer");
  ASSERT_NE(outer, nullptr);
  std::vector<std::string> order;
  for (const FunctionPlacement& f : outer->functions) order.push_back(f.name + "@" + f.section);
  EXPECT_EQ(order, (std::vector<std::string>{"outer@xdp", "caller@xdp", "add_two@xdp/helper"}));
  decode_ok(*outer);
}

TEST(LoaderObject, MapInitialValues) {
  ObjectFile obj = open_prog("map_values");
  const int outer = obj.find_map("outer"), inner = obj.find_map("inner_a"),
            stages = obj.find_map("stages");
  ASSERT_GE(outer, 0);
  ASSERT_GE(inner, 0);
  ASSERT_GE(stages, 0);
  EXPECT_EQ(obj.maps[outer].type, uint32_t{BPF_MAP_TYPE_ARRAY_OF_MAPS});
  EXPECT_EQ(obj.maps[outer].value_size, 4u);
  EXPECT_EQ(obj.maps[stages].value_size, 4u);
  std::set<std::tuple<int, uint32_t, std::string, int>> got;
  for (const MapSlotInit& i : obj.map_inits)
    got.insert({static_cast<int>(i.map), i.key, i.program, i.inner_map});
  const std::set<std::tuple<int, uint32_t, std::string, int>> want = {
      {outer, 1, "", inner}, {stages, 0, "stage_two", -1}, {stages, 3, "stage_three", -1}};
  EXPECT_EQ(got, want);
}

TEST(LoaderObject, LoneTextFunctionIsTheProgram) {
  ObjectFile obj = open_prog("text_only");
  ASSERT_EQ(obj.programs.size(), 1u);
  EXPECT_EQ(obj.programs[0].name, "only_function");
  EXPECT_EQ(obj.programs[0].section, ".text");
  EXPECT_EQ(obj.programs[0].type, 0u);  // libbpf knows no type for ".text" either
}

TEST(LoaderObject, SourceLinesFromBtfExt) {
  ObjectFile obj = open_prog("subprogs");
  EXPECT_TRUE(obj.warnings.empty());
  const ProgramSpec& a = obj.programs.at(0);
  ASSERT_FALSE(a.lines.empty());
  EXPECT_EQ(a.lines.front().pc, 0u);
  for (size_t i = 0; i < a.lines.size(); ++i) {
    EXPECT_LT(a.lines[i].pc, a.insns.size());
    EXPECT_NE(a.lines[i].file.find("subprogs.c"), std::string::npos);
    if (i) {
      EXPECT_LE(a.lines[i - 1].pc, a.lines[i].pc);
    }
  }
  // The appended add_one keeps its own source line.
  const FunctionPlacement* add_one = nullptr;
  for (const FunctionPlacement& f : a.functions)
    if (f.name == "add_one") add_one = &f;
  ASSERT_NE(add_one, nullptr);
  const SourceLine* first = a.line_at(add_one->pc);
  ASSERT_NE(first, nullptr);
  EXPECT_NE(first->text.find("int add_one(int x)"), std::string::npos) << first->text;
  bool body = false;
  for (const SourceLine& l : a.lines)
    if (l.pc >= add_one->pc && l.pc < add_one->pc + add_one->insn_count)
      body |= l.text.find("return x + 1;") != std::string::npos;
  EXPECT_TRUE(body);
}

TEST(LoaderObject, CoreRelocationsAreReportedAndLeftAsCompiled) {
  ObjectFile obj = open_prog("core_relo");
  ASSERT_EQ(obj.warnings.size(), 1u);
  EXPECT_NE(obj.warnings[0].find("1 CO-RE relocations left as compiled"), std::string::npos)
      << obj.warnings[0];
  ASSERT_EQ(obj.programs.size(), 1u);
  bool load_at_12 = false;
  for (const ebpf::Instruction& in : decode_ok(obj.programs[0]).insns)
    load_at_12 |= in.op == ebpf::Op::LdxW && in.off == 12;  // ingress_ifindex
  EXPECT_TRUE(load_at_12);
}

TEST(LoaderObject, OpenFromMemoryNamesTheBuffer) {
  auto obj = open_object_bytes(read_prog("multi_prog"), "memory/copy.bpf.o");
  ASSERT_TRUE(obj.ok()) << obj.error().message();
  EXPECT_EQ(obj->name, "copy");
  EXPECT_EQ(obj->programs.size(), 7u);
}

TEST(LoaderObject, MissingFileIsAnError) {
  auto obj = open_object("/nonexistent/x.o");
  ASSERT_FALSE(obj.ok());
  EXPECT_NE(obj.error().message().find("/nonexistent/x.o"), std::string::npos);
}

}  // namespace
}  // namespace ebpfaas::loader
