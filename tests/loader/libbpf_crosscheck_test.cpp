// open_object() against libbpf itself.
//
// Open (no privileges needed): libbpf's bpf_object__open_file() must see the
// same maps (name, type, sizes, max_entries, flags, initial data) and the same
// programs (name, section, type, entry instruction count and bytes). Before
// load, libbpf has neither appended subprograms nor resolved relocations, so
// bpf_program__insn_cnt() counts the entry function only and its instructions
// are compared except where we relocated them.
//
// Load (needs bpf()): after bpf_object__load(), bpf_program__insns() holds
// libbpf's final instruction stream: subprograms appended, calls and map
// references resolved (with map fds, which are mapped back to map indices
// here). It must equal ours instruction for instruction.
//
// Differences that are by design, and checked as such:
//   - libbpf names global data maps "<object prefix>.data"; ebpfaas keeps the
//     section name (".data").
//   - SEC("xdp/<name>") is XDP for ebpfaas, unknown to libbpf 1.x.
//   - libbpf 1.x rejects legacy `maps` sections, calls into sections other
//     than .text, and static programs; ebpfaas accepts the first two.
//   - libbpf accepts a map without max_entries (the kernel then refuses to
//     create it); ebpfaas rejects it when the object is opened.
#include <bpf/libbpf.h>
#include <gtest/gtest.h>
#include <linux/bpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <memory>

#include <bpf/bpf.h>

#include "ebpf/opcode.h"
#include "tests/loader/test_objects.h"

namespace ebpfaas::loader {
namespace {

using testing::open_prog;
using testing::prog_path;

thread_local std::string* libbpf_log = nullptr;

int collect_log(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (!libbpf_log || level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = std::vsnprintf(line, sizeof line, fmt, args);
  libbpf_log->append(line);
  return n;
}

struct LibbpfObject {
  explicit LibbpfObject(std::string_view name) {
    Capture c(this);
    obj = bpf_object__open_file(prog_path(name).c_str(), nullptr);
  }
  ~LibbpfObject() { bpf_object__close(obj); }
  int load() {
    Capture c(this);
    return bpf_object__load(obj);
  }
  // Collects libbpf's messages, then gives the printer back (the loader
  // installs its own to put libbpf's reasons into its errors).
  struct Capture {
    explicit Capture(LibbpfObject* o) : previous(libbpf_set_print(collect_log)) {
      libbpf_log = &o->log;
    }
    ~Capture() {
      libbpf_log = nullptr;
      libbpf_set_print(previous);
    }
    libbpf_print_fn_t previous;
  };
  bpf_object* obj = nullptr;
  std::string log;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

const char* kComparable[] = {"multi_prog", "btf_maps",  "run_compute",
                             "subprogs",   "text_only", "map_values"};

class LoaderVsLibbpfOpen : public ::testing::TestWithParam<const char*> {};

TEST_P(LoaderVsLibbpfOpen, SameMapsAndPrograms) {
  ObjectFile ours = open_prog(GetParam());
  LibbpfObject theirs(GetParam());
  ASSERT_NE(theirs.obj, nullptr) << theirs.log;

  size_t i = 0;
  bpf_map* m;
  bpf_object__for_each_map(m, theirs.obj) {
    ASSERT_LT(i, ours.maps.size()) << "libbpf has more maps";
    const ebpf::MapSpec& spec = ours.maps[i++];
    SCOPED_TRACE(spec.name);
    if (bpf_map__is_internal(m)) {
      EXPECT_TRUE(spec.global_data);
      EXPECT_TRUE(ends_with(bpf_map__name(m), spec.name)) << bpf_map__name(m);
      size_t size = 0;
      const void* init = bpf_map__initial_value(m, &size);
      ASSERT_NE(init, nullptr);
      ASSERT_GE(size, spec.initial_value.size());
      EXPECT_EQ(std::memcmp(init, spec.initial_value.data(), spec.initial_value.size()), 0);
    } else {
      EXPECT_FALSE(spec.global_data);
      EXPECT_EQ(spec.name, bpf_map__name(m));
      EXPECT_EQ(spec.pinning != 0, bpf_map__pin_path(m) != nullptr);
    }
    EXPECT_EQ(spec.type, static_cast<uint32_t>(bpf_map__type(m)));
    EXPECT_EQ(spec.key_size, bpf_map__key_size(m));
    EXPECT_EQ(spec.value_size, bpf_map__value_size(m));
    EXPECT_EQ(spec.max_entries, bpf_map__max_entries(m));
    EXPECT_EQ(spec.flags, bpf_map__map_flags(m));
  }
  EXPECT_EQ(i, ours.maps.size()) << "ebpfaas has more maps";

  i = 0;
  bpf_program* p;
  bpf_object__for_each_program(p, theirs.obj) {
    ASSERT_LT(i, ours.programs.size()) << "libbpf has more programs";
    const ProgramSpec& prog = ours.programs[i++];
    SCOPED_TRACE(prog.name);
    EXPECT_EQ(prog.name, bpf_program__name(p));
    EXPECT_EQ(prog.section, bpf_program__section_name(p));
    EXPECT_EQ(prog.autoload, bpf_program__autoload(p));
    const uint32_t type = bpf_program__type(p);
    if (type != BPF_PROG_TYPE_UNSPEC) {
      EXPECT_EQ(prog.type, type);
      EXPECT_EQ(prog.expected_attach_type,
                static_cast<uint32_t>(bpf_program__expected_attach_type(p)));
    } else {
      EXPECT_EQ(prog.type, prog.section.rfind("xdp/", 0) == 0 ? uint32_t{BPF_PROG_TYPE_XDP} : 0u);
    }
    const size_t n = bpf_program__insn_cnt(p);
    ASSERT_EQ(prog.entry_insn_count(), n);
    const bpf_insn* raw = bpf_program__insns(p);
    for (size_t k = 0; k < n; ++k) {
      const ebpf::Insn& a = prog.insns[k];
      const bpf_insn& b = raw[k];
      const bool relocated_lddw =
          a.opcode == (ebpf::kClsLd | ebpf::kModeImm | ebpf::kSizeDW) && a.src != 0;
      const bool relocated_call = a.opcode == (ebpf::kClsJmp | ebpf::kJmpCall) && a.src == 1;
      EXPECT_EQ(a.opcode, b.code) << "insn " << k;
      EXPECT_EQ(a.dst, b.dst_reg) << "insn " << k;
      EXPECT_EQ(a.off, b.off) << "insn " << k;
      if (relocated_lddw) {
        ++k;  // our second slot holds the offset, libbpf's still the addend-free 0
        continue;
      }
      if (relocated_call) continue;
      EXPECT_EQ(a.src, b.src_reg) << "insn " << k;
      EXPECT_EQ(a.imm, b.imm) << "insn " << k;
    }
  }
  EXPECT_EQ(i, ours.programs.size()) << "ebpfaas has more programs";
}

INSTANTIATE_TEST_SUITE_P(Objects, LoaderVsLibbpfOpen, ::testing::ValuesIn(kComparable));

TEST(LoaderVsLibbpfOpen, ObjectsLibbpfRejects) {
  // Supported by ebpfaas, refused by libbpf 1.x when opening.
  for (const char* name : {"legacy_maps", "cross_section"}) {
    LibbpfObject theirs(name);
    EXPECT_EQ(theirs.obj, nullptr) << name;
    EXPECT_TRUE(open_object(prog_path(name)).ok()) << name;
  }
  // Refused by both.
  LibbpfObject theirs("bad_static_prog");
  EXPECT_EQ(theirs.obj, nullptr);
  EXPECT_NE(theirs.log.find("is static and not supported"), std::string::npos) << theirs.log;
  EXPECT_FALSE(open_object(prog_path("bad_static_prog")).ok());
  // libbpf opens it (max_entries 0); the kernel would refuse to create the map.
  LibbpfObject lax("bad_no_max_entries");
  ASSERT_NE(lax.obj, nullptr) << lax.log;
  EXPECT_EQ(bpf_map__max_entries(bpf_object__next_map(lax.obj, nullptr)), 0u);
  EXPECT_FALSE(open_object(prog_path("bad_no_max_entries")).ok());
}

class LoaderVsLibbpfLoad : public ::testing::TestWithParam<const char*> {};

TEST_P(LoaderVsLibbpfLoad, SameInstructionsAfterRelocation) {
  ObjectFile ours = open_prog(GetParam());
  LibbpfObject theirs(GetParam());
  ASSERT_NE(theirs.obj, nullptr) << theirs.log;
  bpf_map* m;
  bpf_object__for_each_map(m, theirs.obj) bpf_map__set_pin_path(m, nullptr);  // never pin here
  bpf_program* p;
  bpf_object__for_each_program(p, theirs.obj) {
    bpf_program__set_autoload(p, true);
    if (bpf_program__type(p) == BPF_PROG_TYPE_UNSPEC)  // SEC("xdp/<name>")
      bpf_program__set_type(p, BPF_PROG_TYPE_XDP);
  }
  int err = theirs.load();
  if (err == -EPERM || err == -EACCES || err == -ENOSYS)
    GTEST_SKIP() << "SKIPPED: the kernel's bpf() is not available here (" << std::strerror(-err)
                 << ")";
  ASSERT_EQ(err, 0) << theirs.log;

  // libbpf map fd -> map index, in libbpf's (= our) map order.
  std::map<int, int32_t> fd_to_index;
  int32_t idx = 0;
  bpf_object__for_each_map(m, theirs.obj) fd_to_index[bpf_map__fd(m)] = idx++;
  ASSERT_EQ(fd_to_index.size(), ours.maps.size());

  size_t i = 0;
  bpf_object__for_each_program(p, theirs.obj) {
    const ProgramSpec& prog = ours.programs.at(i++);
    SCOPED_TRACE(prog.name);
    EXPECT_GE(bpf_program__fd(p), 0);  // the kernel accepted it
    const size_t n = bpf_program__insn_cnt(p);
    ASSERT_EQ(prog.insns.size(), n);
    const bpf_insn* raw = bpf_program__insns(p);
    for (size_t k = 0; k < n; ++k) {
      const ebpf::Insn& a = prog.insns[k];
      bpf_insn b = raw[k];
      if (b.code == (BPF_LD | BPF_IMM | BPF_DW) &&
          (b.src_reg == BPF_PSEUDO_MAP_FD || b.src_reg == BPF_PSEUDO_MAP_VALUE)) {
        ASSERT_TRUE(fd_to_index.count(b.imm)) << "insn " << k;
        b.src_reg = b.src_reg == BPF_PSEUDO_MAP_FD ? BPF_PSEUDO_MAP_IDX : BPF_PSEUDO_MAP_IDX_VALUE;
        b.imm = fd_to_index[b.imm];
      }
      EXPECT_EQ(a.opcode, b.code) << "insn " << k;
      EXPECT_EQ(a.dst, b.dst_reg) << "insn " << k;
      EXPECT_EQ(a.src, b.src_reg) << "insn " << k;
      EXPECT_EQ(a.off, b.off) << "insn " << k;
      EXPECT_EQ(a.imm, b.imm) << "insn " << k;
    }
  }

  // Initial slots (`.values`): the kernel's prog array / map-of-maps, as
  // libbpf filled them, hold the programs and maps we name, and nothing else.
  std::vector<bpf_map*> theirs_maps;
  bpf_object__for_each_map(m, theirs.obj) theirs_maps.push_back(m);
  for (size_t mi = 0; mi < ours.maps.size(); ++mi) {
    const ebpf::MapSpec& spec = ours.maps[mi];
    const bool prog_array = spec.type == BPF_MAP_TYPE_PROG_ARRAY;
    if (!prog_array && spec.type != BPF_MAP_TYPE_ARRAY_OF_MAPS) continue;
    for (uint32_t key = 0; key < spec.max_entries; ++key) {
      uint32_t want_id = 0;
      for (const MapSlotInit& init : ours.map_inits) {
        if (init.map != mi || init.key != key) continue;
        if (prog_array) {
          bpf_program* tp = bpf_object__find_program_by_name(theirs.obj, init.program.c_str());
          ASSERT_NE(tp, nullptr) << init.program;
          bpf_prog_info info{};
          uint32_t len = sizeof info;
          ASSERT_EQ(bpf_obj_get_info_by_fd(bpf_program__fd(tp), &info, &len), 0);
          want_id = info.id;
        } else {
          bpf_map_info info{};
          uint32_t len = sizeof info;
          ASSERT_EQ(
              bpf_obj_get_info_by_fd(bpf_map__fd(theirs_maps.at(init.inner_map)), &info, &len), 0);
          want_id = info.id;
        }
      }
      uint32_t got_id = 0;
      int lerr = bpf_map_lookup_elem(bpf_map__fd(theirs_maps[mi]), &key, &got_id);
      if (want_id) {
        EXPECT_EQ(lerr, 0) << spec.name << "[" << key << "]";
        EXPECT_EQ(got_id, want_id) << spec.name << "[" << key << "]";
      } else {
        EXPECT_NE(lerr, 0) << spec.name << "[" << key << "] should be empty";
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Objects, LoaderVsLibbpfLoad,
                         ::testing::Values("multi_prog", "btf_maps", "run_compute", "subprogs",
                                           "map_values"));

}  // namespace
}  // namespace ebpfaas::loader
