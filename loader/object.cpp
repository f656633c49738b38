#include "loader/object.h"

#include <elf.h>

#include <algorithm>
#include <optional>

#include "loader/btf_data.h"
#include "loader/code_sections.h"
#include "loader/elf_file.h"
#include "loader/line_info.h"
#include "loader/map_definitions.h"
#include "loader/map_inits.h"
#include "loader/program_linker.h"
#include "support/file.h"

namespace ebpfaas::loader {
namespace {

constexpr size_t kLicenseMax = 64;  // libbpf keeps at most 63 characters

// libbpf names an object after its file: the base name up to the first '.'.
std::string object_name(std::string_view path) {
  size_t slash = path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  return std::string(base.substr(0, base.find('.')));
}

Expected<ObjectFile> open(std::span<const uint8_t> bytes, const std::string& name) {
  auto parsed = ElfFile::parse(bytes);
  if (!parsed) return parsed.error();
  const ElfFile& elf = *parsed;
  ObjectFile obj;
  obj.name = object_name(name);

  if (const ElfSection* s = elf.find_section("license")) {
    if (!s->has_data) return errorf("{}: the license must be a string with data", s->where());
    auto nul = std::find(s->data.begin(), s->data.end(), 0);
    obj.license.assign(s->data.begin(), nul);
    if (obj.license.size() > kLicenseMax - 1) obj.license.resize(kLicenseMax - 1);
  }
  if (const ElfSection* s = elf.find_section("version")) {
    if (!s->has_data || s->data.size() != sizeof(uint32_t))
      return errorf("{}: the version section must hold one 32-bit number, not {} bytes", s->where(),
                    s->data.size());
    std::memcpy(&obj.kern_version, s->data.data(), sizeof(uint32_t));
  }

  // BTF: required by BTF-defined maps; otherwise, like libbpf, a broken .BTF
  // only costs type and line information.
  std::optional<BtfData> btf;
  if (const ElfSection* s = elf.find_section(".BTF")) {
    if (s->type != SHT_PROGBITS || !s->has_data)
      return errorf("{}: .BTF must be a PROGBITS section", s->where());
    auto b = BtfData::parse(s->data, s->where());
    if (b) {
      btf = std::move(*b);
    } else if (elf.find_section(".maps")) {
      return b.error();
    } else {
      obj.warnings.push_back(b.error().message() + " (ignored: nothing needs BTF)");
    }
  }
  std::optional<LineTable> lines;
  if (const ElfSection* s = elf.find_section(".BTF.ext"); s && btf) {
    if (s->type != SHT_PROGBITS || !s->has_data)
      return errorf("{}: .BTF.ext must be a PROGBITS section", s->where());
    auto l = read_line_info(s->data, *btf, s->where());
    if (l) {
      lines = std::move(*l);
      // CO-RE relocations adapt field offsets to a kernel's BTF. There is no
      // kernel here: instructions keep the compiled offsets, which are right
      // for UAPI structures (xdp_md, ethhdr, iphdr, ...).
      if (size_t core = count_core_relocations(s->data))
        obj.warnings.push_back(fmt::format(
            "{}: {} CO-RE relocations left as compiled (no kernel BTF to resolve them against)",
            s->where(), core));
    } else {
      obj.warnings.push_back(l.error().message() + " (ignored: no source line info)");
    }
  }

  auto maps = read_maps(elf, btf ? &*btf : nullptr);
  if (!maps) return maps.error();
  auto code = read_code(elf, *maps);
  if (!code) return code.error();
  for (size_t entry : code->entry_functions()) {
    auto prog = link_program(*code, entry, lines ? &*lines : nullptr);
    if (!prog) return prog.error();
    obj.programs.push_back(std::move(*prog));
  }
  auto inits = read_map_inits(elf, *maps, *code);
  if (!inits) return inits.error();
  obj.map_inits = std::move(*inits);
  obj.maps = std::move(maps->specs);
  return obj;
}

}  // namespace

const SourceLine* ProgramSpec::line_at(uint32_t pc) const {
  auto it = std::upper_bound(lines.begin(), lines.end(), pc,
                             [](uint32_t v, const SourceLine& l) { return v < l.pc; });
  if (it == lines.begin()) return nullptr;
  const SourceLine* l = &*(it - 1);
  const FunctionPlacement* f = function_at(pc);
  // A line belongs to the function it was found in.
  if (f && l->pc < f->pc) return nullptr;
  return l;
}

const FunctionPlacement* ProgramSpec::function_at(uint32_t pc) const {
  for (const FunctionPlacement& f : functions)
    if (pc >= f.pc && pc < f.pc + f.insn_count) return &f;
  return nullptr;
}

const ProgramSpec* ObjectFile::find_program(std::string_view name_or_section) const {
  for (const ProgramSpec& p : programs)
    if (p.name == name_or_section) return &p;
  for (const ProgramSpec& p : programs)
    if (p.section == name_or_section) return &p;
  return nullptr;
}

int ObjectFile::find_map(std::string_view name) const {
  for (size_t i = 0; i < maps.size(); ++i)
    if (maps[i].name == name) return static_cast<int>(i);
  return -1;
}

Expected<ObjectFile> open_object_bytes(std::span<const uint8_t> bytes, std::string name) {
  auto obj = open(bytes, name);
  if (!obj) return obj.error().context(name);
  return obj;
}

Expected<ObjectFile> open_object(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  return open_object_bytes(*bytes, path);
}

}  // namespace ebpfaas::loader
