// Corrupted copies of good objects: each must give an error (never a crash)
// that names the object, the section and the offset of the problem.
#include <gtest/gtest.h>

#include <cstring>

#include "ebpf/opcode.h"
#include "tests/loader/test_objects.h"

namespace ebpfaas::loader {
namespace {

using testing::ElfEditor;
using testing::read_prog;

// Opens the edited image and returns the error message ("" when it opened).
std::string open_error(ElfEditor& elf, const std::string& name = "bad.o") {
  auto obj = open_object_bytes(elf.bytes(), name);
  return obj ? "" : obj.error().message();
}

void expect_all(const std::string& msg, std::initializer_list<const char*> parts) {
  ASSERT_FALSE(msg.empty()) << "the object opened";
  for (const char* p : parts)
    EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' in: " << msg;
}

// Index of the first instruction in `section` with the given opcode.
size_t find_insn(ElfEditor& elf, std::string_view section, uint8_t opcode, uint8_t src = 0xff) {
  const auto* insns = reinterpret_cast<const ebpf::Insn*>(elf.data(section));
  for (size_t i = 0; i < elf.section(section).sh_size / 8; ++i)
    if (insns[i].opcode == opcode && (src == 0xff || insns[i].src == src)) return i;
  ADD_FAILURE() << "no opcode " << int(opcode) << " in " << section;
  return 0;
}

TEST(LoaderMalformed, NotElf) {
  ElfEditor elf(std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o'});
  expect_all(open_error(elf), {"bad.o", "offset 0x0", "not an ELF"});
}

TEST(LoaderMalformed, Not64Bit) {
  ElfEditor elf(read_prog("multi_prog"));
  elf.bytes()[EI_CLASS] = ELFCLASS32;
  expect_all(open_error(elf), {"ELF header", "offset 0x4", "64-bit"});
}

TEST(LoaderMalformed, WrongMachine) {
  ElfEditor elf(read_prog("multi_prog"));
  elf.header().e_machine = EM_X86_64;
  expect_all(open_error(elf), {"bad.o", "ELF header", "offset 0x12", "e_machine is 62", "EM_BPF"});
}

TEST(LoaderMalformed, TruncatedFile) {
  ElfEditor elf(read_prog("btf_maps"));
  elf.bytes().resize(elf.bytes().size() / 2);
  std::string msg = open_error(elf);
  expect_all(msg, {"bad.o", "section header table", "offset 0x"});
}

TEST(LoaderMalformed, TruncatedSection) {
  ElfEditor elf(read_prog("btf_maps"));
  Elf64_Shdr& xdp = elf.section("xdp");
  xdp.sh_size = elf.bytes().size();
  expect_all(open_error(elf),
             {"section 'xdp'", "file offset 0x", "extends past the end", "truncated"});
}

TEST(LoaderMalformed, NoSymbolTable) {
  ElfEditor elf(read_prog("multi_prog"));
  elf.section(".symtab").sh_type = SHT_PROGBITS;
  expect_all(open_error(elf), {"bad.o", "no symbol table"});
}

TEST(LoaderMalformed, RelocationOutsideSection) {
  ElfEditor elf(read_prog("btf_maps"));
  auto rels = elf.relocations(".relxdp");
  ASSERT_FALSE(rels.empty());
  rels[1]->r_offset = elf.section("xdp").sh_size + 8;
  expect_all(open_error(elf),
             {"section '.relxdp'", "relocation #1", "entry offset 0x10", "outside section 'xdp'"});
}

TEST(LoaderMalformed, RelocationAgainstUnknownSymbol) {
  ElfEditor elf(read_prog("btf_maps"));
  auto rels = elf.relocations(".relxdp");
  ASSERT_FALSE(rels.empty());
  rels[0]->r_info = ELF64_R_INFO(9999, ELF64_R_TYPE(rels[0]->r_info));
  expect_all(open_error(elf), {"section '.relxdp'", "relocation #0", "symbol #9999"});
}

TEST(LoaderMalformed, RelocationOfAnInstructionThatTakesNone) {
  ElfEditor elf(read_prog("btf_maps"));
  auto rels = elf.relocations(".relxdp");
  auto* insns = reinterpret_cast<ebpf::Insn*>(elf.data("xdp"));
  insns[rels[0]->r_offset / 8].opcode = ebpf::kClsAlu64 | ebpf::kAluMov;
  expect_all(open_error(elf), {"section '.relxdp'", "relocation #0", "neither a call nor"});
}

TEST(LoaderMalformed, CallIntoTheMiddleOfNowhere) {
  ElfEditor elf(read_prog("subprogs"));
  auto* insns = reinterpret_cast<ebpf::Insn*>(elf.data("xdp"));
  size_t call = find_insn(elf, "xdp", ebpf::kClsJmp | ebpf::kJmpCall, ebpf::kCallLocal);
  insns[call].imm = 100000;
  expect_all(open_error(elf), {"prog_a", "section 'xdp'", "offset 0x", "middle of nowhere"});
}

TEST(LoaderMalformed, CallIntoTheMiddleOfAFunction) {
  ElfEditor elf(read_prog("subprogs"));
  auto* insns = reinterpret_cast<ebpf::Insn*>(elf.data("xdp"));
  size_t call = find_insn(elf, "xdp", ebpf::kClsJmp | ebpf::kJmpCall, ebpf::kCallLocal);
  insns[call].imm += 1;
  expect_all(open_error(elf), {"section 'xdp'", "section '.text'", "not at its start"});
}

TEST(LoaderMalformed, GlobalDataOffsetOutsideTheSection) {
  ElfEditor elf(read_prog("run_compute"));
  auto* insns = reinterpret_cast<ebpf::Insn*>(elf.data("xdp"));
  size_t lddw = find_insn(elf, "xdp", ebpf::kClsLd | ebpf::kSizeDW);
  insns[lddw].imm = 4096;
  expect_all(open_error(elf), {"section '.relxdp'", "outside its"});
}

TEST(LoaderMalformed, ExternSymbol) {
  ElfEditor elf(read_prog("run_compute"));
  Elf64_Sym* table = elf.symbol("table");
  ASSERT_NE(table, nullptr);
  table->st_shndx = SHN_UNDEF;
  table->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_NOTYPE);
  expect_all(open_error(elf), {"'table' is an extern", "not supported"});
}

TEST(LoaderMalformed, FunctionCrossesSectionEnd) {
  ElfEditor elf(read_prog("multi_prog"));
  Elf64_Sym* f = elf.symbol("xdp_forward");
  ASSERT_NE(f, nullptr);
  f->st_size = 4096;
  expect_all(open_error(elf),
             {"section 'xdp/forward'", "function 'xdp_forward'", "offset 0x0", "crosses the end"});
}

TEST(LoaderMalformed, MapWithoutMaxEntries) {
  auto obj = open_object(testing::prog_path("bad_no_max_entries"));
  ASSERT_FALSE(obj.ok());
  expect_all(obj.error().message(), {"bad_no_max_entries.o", "section '.maps'", "offset 0x0",
                                     "map 'no_size'", "max_entries"});
}

TEST(LoaderMalformed, StaticProgram) {
  auto obj = open_object(testing::prog_path("bad_static_prog"));
  ASSERT_FALSE(obj.ok());
  expect_all(obj.error().message(), {"section 'xdp'", "hidden_entry", "offset 0x0", "static"});
}

// struct btf_header, then struct btf_type records.
struct BtfHeader {
  uint16_t magic;
  uint8_t version, flags;
  uint32_t hdr_len, type_off, type_len, str_off, str_len;
};

TEST(LoaderMalformed, UnknownBtfKind) {
  ElfEditor elf(read_prog("btf_maps"));
  uint8_t* btf = elf.data(".BTF");
  BtfHeader h;
  std::memcpy(&h, btf, sizeof h);
  ASSERT_EQ(h.magic, 0xeB9F);
  uint32_t info;
  uint8_t* first_info = btf + h.hdr_len + h.type_off + 4;  // type [1]'s info word
  std::memcpy(&info, first_info, 4);
  info = (info & ~(0x1fu << 24)) | (0x1fu << 24);  // kind 31
  std::memcpy(first_info, &info, 4);
  expect_all(open_error(elf),
             {"section '.BTF'", "file offset 0x", "invalid BTF", "Unsupported BTF_KIND:31"});
}

TEST(LoaderMalformed, BtfMapsWithoutBtf) {
  ElfEditor elf(read_prog("btf_maps"));
  elf.section(".BTF").sh_type = SHT_NOBITS;  // no bytes any more
  expect_all(open_error(elf), {"section '.BTF'", "PROGBITS"});
}

TEST(LoaderMalformed, MapTypeMissing) {
  ElfEditor elf(read_prog("btf_maps"));
  // Rename the first map's "type" member: the BTF string "type" -> "tzpe".
  uint8_t* btf = elf.data(".BTF");
  BtfHeader h;
  std::memcpy(&h, btf, sizeof h);
  char* strings = reinterpret_cast<char*>(btf + h.hdr_len + h.str_off);
  bool renamed = false;
  for (uint32_t off = 0; off + 5 <= h.str_len; ++off)
    if (std::memcmp(strings + off, "\0type\0", 6) == 0) {
      strings[off + 2] = 'z';
      renamed = true;
      break;
    }
  ASSERT_TRUE(renamed);
  expect_all(open_error(elf), {"section '.maps'", "unknown field 'tzpe'"});
}

TEST(LoaderMalformed, CorruptBtfExtOnlyCostsLineInfo) {
  ElfEditor elf(read_prog("subprogs"));
  elf.data(".BTF.ext")[0] ^= 0xff;  // magic
  auto obj = open_object_bytes(elf.bytes(), "bad.o");
  ASSERT_TRUE(obj.ok()) << obj.error().message();
  ASSERT_EQ(obj->warnings.size(), 1u);
  EXPECT_NE(obj->warnings[0].find("section '.BTF.ext'"), std::string::npos) << obj->warnings[0];
  EXPECT_TRUE(obj->programs.at(0).lines.empty());
  EXPECT_EQ(obj->programs.size(), 2u);
}

TEST(LoaderMalformed, EveryByteFlipOfTheHeaderIsHandled) {
  // Not a proof, a cheap sweep: flipping any byte of the ELF header and of the
  // section header table must give a value or an error, never a crash.
  const std::vector<uint8_t> good = read_prog("subprogs");
  ElfEditor probe(good);
  const size_t shoff = probe.header().e_shoff;
  size_t opened = 0, failed = 0;
  auto flip = [&](size_t pos) {
    std::vector<uint8_t> copy = good;
    copy[pos] ^= 0xa5;
    auto obj = open_object_bytes(copy, "flip.o");
    (obj ? opened : failed)++;
    if (!obj) {
      EXPECT_NE(obj.error().message().find("flip.o"), std::string::npos);
    }
  };
  for (size_t pos = 0; pos < sizeof(Elf64_Ehdr); ++pos) flip(pos);
  for (size_t pos = shoff; pos < good.size(); ++pos) flip(pos);
  EXPECT_GT(failed, 0u);
  EXPECT_GT(opened, 0u);  // e.g. flips in debug sections' headers
}

}  // namespace
}  // namespace ebpfaas::loader
