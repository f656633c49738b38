#include "loader/map_definitions.h"

#include <bpf/btf.h>
#include <elf.h>
#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace ebpfaas::loader {
namespace {

using ebpf::MapSpec;

constexpr uint32_t kPinNone = 0, kPinByName = 1;  // LIBBPF_PIN_*
constexpr size_t kObjNameLen = 16;                // BPF_OBJ_NAME_LEN
// Linux refuses array values above KMALLOC_MAX_SIZE (4 MiB with 4 KiB pages)
// with E2BIG, so a larger global data section could never be loaded.
constexpr uint64_t kMaxArrayValueSize = uint64_t{4} << 20;

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// Map types whose max_entries Linux requires to be 0 (local and cgroup
// storage); every other type needs at least one entry.
bool max_entries_must_be_zero(uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_SK_STORAGE:
    case BPF_MAP_TYPE_INODE_STORAGE:
    case BPF_MAP_TYPE_TASK_STORAGE:
    case 32:  // BPF_MAP_TYPE_CGRP_STORAGE (Linux 6.2)
    case BPF_MAP_TYPE_CGROUP_STORAGE:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      return true;
    default:
      return false;
  }
}

// libbpf's adjust_ringbuf_sz(): ring buffers must be a power-of-2 multiple of
// the page size, and libbpf rounds a user-given size up to one.
uint32_t adjust_ringbuf_size(uint32_t size) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGE_SIZE));
  if (size == 0) return 0;
  if (size % page == 0) {
    uint64_t pages = size / page;
    if ((pages & (pages - 1)) == 0) return size;
  }
  for (uint64_t mul = 1; mul <= UINT32_MAX / page; mul <<= 1)
    if (mul * page > size) return static_cast<uint32_t>(mul * page);
  return size;
}

Status check_max_entries(const MapSpec& m, std::string_view where) {
  if (max_entries_must_be_zero(m.type)) return {};
  if (m.max_entries == 0)
    return errorf(
        "{}: map '{}': definition has no max_entries (or 0); map type {} needs at least "
        "one entry",
        where, m.name, m.type);
  return {};
}

// ---- BTF-defined maps (.maps) -------------------------------------------------

struct BtfMapDef {
  uint32_t type = 0, key_size = 0, value_size = 0, max_entries = 0, flags = 0, pinning = 0;
  bool has_type = false, has_max_entries = false;
};

class BtfMapParser {
 public:
  BtfMapParser(const BtfData& btf, std::string where) : btf_(btf), where_(std::move(where)) {}

  // libbpf's get_map_field_int(): `int (*name)[N]` encodes N.
  Expected<uint32_t> field_int(const std::string& map, const char* field, const btf_member& m) {
    const btf_type* t = btf_.skip_mods_and_typedefs(m.type);
    if (!t || !btf_is_ptr(t))
      return errorf("{}: map '{}': attribute '{}' must be a pointer to an array (__uint), not {}",
                    where_, map, field, BtfData::kind_name(t));
    const btf_type* arr = btf_.type(t->type);
    if (!arr || !btf_is_array(arr))
      return errorf(
          "{}: map '{}': attribute '{}' must be a pointer to an array (__uint), not a "
          "pointer to {}",
          where_, map, field, BtfData::kind_name(arr));
    return btf_array(arr)->nelems;
  }

  Expected<uint32_t> type_size(const std::string& map, const char* field, const btf_member& m) {
    const btf_type* t = btf_.type(m.type);
    if (!t || !btf_is_ptr(t))
      return errorf("{}: map '{}': '{}' must be a pointer to the {} type (__type), not {}", where_,
                    map, field, field, BtfData::kind_name(t));
    int64_t size = btf__resolve_size(btf_.get(), t->type);
    if (size < 0)
      return errorf("{}: map '{}': cannot determine the size of the {} type [{}]", where_, map,
                    field, t->type);
    if (size > UINT32_MAX)
      return errorf("{}: map '{}': {} type [{}] is {} bytes, too large", where_, map, field,
                    t->type, size);
    return static_cast<uint32_t>(size);
  }

  Status set_size(const std::string& map, const char* what, uint32_t& slot, uint32_t size) {
    if (slot && slot != size)
      return errorf("{}: map '{}': conflicting {} size {} != {}", where_, map, what, slot, size);
    slot = size;
    return {};
  }

  // libbpf's parse_btf_map_def() in strict mode (unknown fields are errors).
  Status parse(const std::string& map, const btf_type* def, bool inner, BtfMapDef& out) {
    const btf_member* m = btf_members(def);
    const int vlen = btf_vlen(def);
    for (int i = 0; i < vlen; ++i, ++m) {
      const char* field = btf_.name(m->name_off);
      if (!field) return errorf("{}: map '{}': field #{} has no name", where_, map, i);
      std::string_view f = field;
      if (f == "type" || f == "max_entries" || f == "map_flags" || f == "numa_node" ||
          f == "key_size" || f == "value_size" || f == "pinning" || f == "map_extra") {
        auto v = field_int(map, field, *m);
        if (!v) return v.error();
        if (f == "type") {
          out.type = *v;
          out.has_type = true;
        } else if (f == "max_entries") {
          out.max_entries = *v;
          out.has_max_entries = true;
        } else if (f == "map_flags") {
          out.flags = *v;
        } else if (f == "key_size") {
          EBPFAAS_TRY(set_size(map, "key", out.key_size, *v));
        } else if (f == "value_size") {
          EBPFAAS_TRY(set_size(map, "value", out.value_size, *v));
        } else if (f == "pinning") {
          if (inner) return errorf("{}: map '{}': an inner map cannot be pinned", where_, map);
          if (*v != kPinNone && *v != kPinByName)
            return errorf("{}: map '{}': invalid pinning value {}", where_, map, *v);
          out.pinning = *v;
        }
        // numa_node and map_extra do not change what the map is for ebpfaas.
      } else if (f == "key" || f == "value") {
        auto size = type_size(map, field, *m);
        if (!size) return size.error();
        EBPFAAS_TRY(set_size(map, field, f == "key" ? out.key_size : out.value_size, *size));
      } else if (f == "values") {
        EBPFAAS_TRY(parse_values(map, def, i, inner, *m, out));
      } else {
        return errorf("{}: map '{}': unknown field '{}'", where_, map, field);
      }
    }
    if (!out.has_type || out.type == BPF_MAP_TYPE_UNSPEC)
      return errorf("{}: map '{}': map type is not specified", where_, map);
    return {};
  }

  // `values` of a map-in-map (inner map definition) or a prog array.
  Status parse_values(const std::string& map, const btf_type* def, int i, bool inner,
                      const btf_member& m, BtfMapDef& out) {
    const bool map_in_map =
        out.type == BPF_MAP_TYPE_ARRAY_OF_MAPS || out.type == BPF_MAP_TYPE_HASH_OF_MAPS;
    const bool prog_array = out.type == BPF_MAP_TYPE_PROG_ARRAY;
    if (inner) return errorf("{}: map '{}': multi-level inner maps are not supported", where_, map);
    if (i != btf_vlen(def) - 1)
      return errorf("{}: map '{}': 'values' must be the last field", where_, map);
    if (!map_in_map && !prog_array)
      return errorf("{}: map '{}': 'values' needs a map-in-map or prog-array type", where_, map);
    EBPFAAS_TRY(set_size(map, "value", out.value_size, 4));
    const btf_type* t = btf_.type(m.type);
    if (!t || !btf_is_array(t) || btf_array(t)->nelems != 0)
      return errorf("{}: map '{}': 'values' is not a zero-sized array", where_, map);
    t = btf_.skip_mods_and_typedefs(btf_array(t)->type);
    if (!t || !btf_is_ptr(t))
      return errorf("{}: map '{}': 'values' elements must be pointers, not {}", where_, map,
                    BtfData::kind_name(t));
    t = btf_.skip_mods_and_typedefs(t->type);
    if (prog_array) {
      if (!t || !btf_is_func_proto(t))
        return errorf("{}: map '{}': prog-array values must point to functions, not {}", where_,
                      map, BtfData::kind_name(t));
      return {};
    }
    if (!t || !btf_is_struct(t))
      return errorf("{}: map '{}': the inner map definition must be a struct, not {}", where_, map,
                    BtfData::kind_name(t));
    BtfMapDef inner_def;
    const std::string inner_name = map + ".inner";
    EBPFAAS_TRY(parse(inner_name, t, true, inner_def));
    MapSpec probe;
    probe.name = inner_name;
    probe.type = inner_def.type;
    probe.max_entries = inner_def.max_entries;
    return check_max_entries(probe, where_);
  }

 private:
  const BtfData& btf_;
  std::string where_;
};

Status read_btf_maps(const ElfFile& elf, const BtfData* btf, MapTable& table) {
  const ElfSection* sec = elf.find_section(".maps");
  if (!sec) return {};
  table.btf_section = sec->index;
  if (!sec->has_data)
    return errorf("{}: map definitions must be a PROGBITS section with data", sec->where());
  if (!btf)
    return errorf("{}: BTF-defined maps need the object's BTF (.BTF, compile with -g)",
                  sec->where());
  uint32_t datasec_id = 0;
  const btf_type* datasec = btf->find_datasec(".maps", &datasec_id);
  if (!datasec) return errorf("{}: BTF has no DATASEC '.maps'", sec->where());

  struct Found {
    MapSpec spec;
    uint64_t offset;
    uint64_t size;
    int64_t values_offset;
  };
  std::vector<Found> found;
  BtfMapParser parser(*btf, sec->where());
  const btf_var_secinfo* vsi = btf_var_secinfos(datasec);
  for (int i = 0; i < btf_vlen(datasec); ++i, ++vsi) {
    const btf_type* var = btf->type(vsi->type);
    const char* name = var ? btf->name(var->name_off) : nullptr;
    if (!var || !btf_is_var(var))
      return errorf("{}: map #{}: BTF entry [{}] is {}, not a variable", sec->where(), i, vsi->type,
                    BtfData::kind_name(var));
    if (!name || !*name) return errorf("{}: map #{} has no name", sec->where(), i);
    const std::string map_name = name;
    auto offset = btf->var_offset(elf, datasec, *vsi);
    if (!offset) return offset.error().context(fmt::format("{}: map '{}'", sec->where(), map_name));
    if (static_cast<uint64_t>(*offset) + vsi->size > sec->data.size())
      return errorf("{}: map '{}' at offset {:#x} (size {}) lies outside the section ({} bytes)",
                    sec->where(), map_name, *offset, vsi->size, sec->data.size());
    if (btf_var(var)->linkage != BTF_VAR_GLOBAL_ALLOCATED)
      return errorf(
          "{}: map '{}' at offset {:#x}: {} maps are not supported (define it at file "
          "scope without 'static' or 'extern')",
          sec->where(), map_name, *offset,
          btf_var(var)->linkage == BTF_VAR_STATIC ? "static" : "extern");
    const btf_type* def = btf->skip_mods_and_typedefs(var->type);
    if (!def || !btf_is_struct(def))
      return errorf("{}: map '{}' at offset {:#x}: definition is {}, not a struct", sec->where(),
                    map_name, *offset, BtfData::kind_name(def));
    if (def->size > vsi->size)
      return errorf("{}: map '{}' at offset {:#x}: definition size {} exceeds its variable ({})",
                    sec->where(), map_name, *offset, def->size, vsi->size);
    BtfMapDef d;
    EBPFAAS_TRY(parser.parse(map_name, def, false, d));
    MapSpec spec;
    spec.name = map_name;
    spec.type = d.type;
    spec.key_size = d.key_size;
    spec.value_size = d.value_size;
    spec.max_entries = d.max_entries;
    spec.flags = d.flags;
    spec.pinning = d.pinning;
    if (spec.type == BPF_MAP_TYPE_RINGBUF || spec.type == BPF_MAP_TYPE_USER_RINGBUF)
      spec.max_entries = adjust_ringbuf_size(spec.max_entries);
    EBPFAAS_TRY(check_max_entries(spec, fmt::format("{} offset {:#x}", sec->where(), *offset)));
    int64_t values_offset = -1;
    if (const int vlen = btf_vlen(def); vlen > 0) {
      const char* last = btf->name(btf_members(def)[vlen - 1].name_off);
      if (last && std::string_view(last) == "values")
        values_offset = btf_member_bit_offset(def, vlen - 1) / 8;
    }
    found.push_back({std::move(spec), *offset, vsi->size, values_offset});
  }
  // libbpf sorts DATASEC variables by offset before creating the maps.
  std::stable_sort(found.begin(), found.end(),
                   [](const Found& a, const Found& b) { return a.offset < b.offset; });
  for (size_t i = 1; i < found.size(); ++i)
    if (found[i].offset == found[i - 1].offset)
      return errorf("{}: maps '{}' and '{}' share offset {:#x}", sec->where(),
                    found[i - 1].spec.name, found[i].spec.name, found[i].offset);
  for (Found& f : found) {
    table.specs.push_back(std::move(f.spec));
    table.origins.push_back({MapOrigin::Kind::kBtf, sec->index, f.offset, f.size, f.values_offset});
  }
  return {};
}

// ---- legacy maps (struct bpf_map_def in SEC("maps")) -----------------------------

struct LegacyMapDef {  // struct bpf_map_def, as libbpf 0.x read it
  uint32_t type, key_size, value_size, max_entries, map_flags;
};

Status read_legacy_maps(const ElfFile& elf, MapTable& table) {
  const ElfSection* sec = elf.find_section("maps");
  if (!sec) return {};
  table.legacy_section = sec->index;
  if (!sec->has_data)
    return errorf("{}: legacy map definitions must be a PROGBITS section with data", sec->where());
  std::vector<const ElfSymbol*> syms;
  for (const ElfSymbol& s : elf.symbols())
    if (s.shndx == sec->index && s.type != STT_SECTION) syms.push_back(&s);
  if (syms.empty()) return {};
  const size_t size = sec->data.size();
  // All definitions have the same size, which libbpf infers from the count.
  if (size == 0 || size % syms.size() != 0)
    return errorf("{}: cannot tell the size of a map definition ({} bytes for {} maps)",
                  sec->where(), size, syms.size());
  const size_t def_size = size / syms.size();
  std::sort(syms.begin(), syms.end(),
            [](const ElfSymbol* a, const ElfSymbol* b) { return a->value < b->value; });
  for (size_t i = 0; i < syms.size(); ++i) {
    const ElfSymbol& s = *syms[i];
    if (i > 0 && s.value == syms[i - 1]->value)
      return errorf("{}: maps '{}' and '{}' share offset {:#x}", sec->where(), syms[i - 1]->name,
                    s.name, s.value);
    if (s.bind == STB_LOCAL)
      return errorf("{}: map '{}' at offset {:#x} is static; static maps are not supported",
                    sec->where(), s.name, s.value);
    if (s.value > size || def_size > size - s.value)
      return errorf(
          "{}: map '{}' at offset {:#x} (definition size {}) lies outside the section "
          "({} bytes)",
          sec->where(), s.name, s.value, def_size, size);
    const uint8_t* raw = sec->data.data() + s.value;
    LegacyMapDef def{};
    std::memcpy(&def, raw, std::min(def_size, sizeof def));
    for (size_t b = sizeof def; b < def_size; ++b)
      if (raw[b] != 0)
        return errorf(
            "{}: map '{}' at offset {:#x}: unrecognized non-zero byte at offset {:#x} "
            "of its definition (only struct bpf_map_def's 5 fields are understood)",
            sec->where(), s.name, s.value, b);
    MapSpec spec;
    spec.name = s.name;
    spec.type = def.type;
    spec.key_size = def.key_size;
    spec.value_size = def.value_size;
    spec.max_entries = def.max_entries;
    spec.flags = def.map_flags;
    if (spec.type == BPF_MAP_TYPE_UNSPEC)
      return errorf("{}: map '{}' at offset {:#x}: map type is not specified", sec->where(), s.name,
                    s.value);
    EBPFAAS_TRY(check_max_entries(spec, fmt::format("{} offset {:#x}", sec->where(), s.value)));
    table.specs.push_back(std::move(spec));
    table.origins.push_back({MapOrigin::Kind::kLegacy, sec->index, s.value});
  }
  return {};
}

// ---- global data ---------------------------------------------------------------

// libbpf's internal_map_name() without the object-name prefix: the section
// name cut to what the kernel accepts, other characters replaced by '_'.
std::string global_data_map_name(std::string_view section) {
  std::string name(section.substr(0, kObjNameLen - 1));
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
  return name;
}

// libbpf makes a data map mmap()able when the section holds at least one
// global, non-hidden variable (one a skeleton would expose).
bool mmapable(const ElfFile& elf, const BtfData* btf, std::string_view section) {
  if (!btf) return false;
  const btf_type* datasec = btf->find_datasec(section);
  if (!datasec) return false;
  const btf_var_secinfo* vsi = btf_var_secinfos(datasec);
  for (int i = 0; i < btf_vlen(datasec); ++i, ++vsi) {
    const btf_type* var = btf->type(vsi->type);
    if (var && btf_is_var(var) && !btf->var_is_static(elf, var)) return true;
  }
  return false;
}

Status read_global_data(const ElfFile& elf, const BtfData* btf, MapTable& table) {
  for (const ElfSection& s : elf.sections()) {
    if (s.index == 0 || !is_global_data_section(s) || s.size == 0) continue;
    const bool bss = s.type == SHT_NOBITS;
    const bool rodata = s.name == ".rodata" || starts_with(s.name, ".rodata.");
    if (!bss && !s.has_data) return errorf("{}: global data section has no data", s.where());
    if (s.size > kMaxArrayValueSize)
      return errorf(
          "{}: global data section of {} bytes exceeds Linux's limit for an array "
          "value ({} bytes)",
          s.where(), s.size, kMaxArrayValueSize);
    MapSpec spec;
    spec.name = global_data_map_name(s.name);
    spec.type = BPF_MAP_TYPE_ARRAY;
    spec.key_size = sizeof(uint32_t);
    spec.value_size = static_cast<uint32_t>(s.size);
    spec.max_entries = 1;
    spec.flags = rodata ? BPF_F_RDONLY_PROG : 0;
    if (mmapable(elf, btf, s.name)) spec.flags |= BPF_F_MMAPABLE;
    spec.global_data = true;
    if (bss)
      spec.initial_value.assign(s.size, 0);
    else
      spec.initial_value.assign(s.data.begin(), s.data.end());
    table.specs.push_back(std::move(spec));
    table.origins.push_back({MapOrigin::Kind::kGlobalData, s.index, 0});
  }
  return {};
}

}  // namespace

bool is_global_data_section(const ElfSection& s) {
  if (s.type == SHT_PROGBITS && !(s.flags & SHF_EXECINSTR))
    return s.name == ".data" || starts_with(s.name, ".data.") || s.name == ".rodata" ||
           starts_with(s.name, ".rodata.");
  if (s.type == SHT_NOBITS) return s.name == ".bss" || starts_with(s.name, ".bss.");
  return false;
}

int MapTable::find_definition(size_t section, uint64_t offset) const {
  for (size_t i = 0; i < origins.size(); ++i)
    if (origins[i].kind != MapOrigin::Kind::kGlobalData && origins[i].section == section &&
        origins[i].offset == offset)
      return static_cast<int>(i);
  return -1;
}

int MapTable::find_global_data(size_t section) const {
  for (size_t i = 0; i < origins.size(); ++i)
    if (origins[i].kind == MapOrigin::Kind::kGlobalData && origins[i].section == section)
      return static_cast<int>(i);
  return -1;
}

bool MapTable::is_definition_section(size_t section) const {
  return section != 0 && (section == legacy_section || section == btf_section);
}

Expected<MapTable> read_maps(const ElfFile& elf, const BtfData* btf) {
  MapTable table;
  EBPFAAS_TRY(read_legacy_maps(elf, table));
  EBPFAAS_TRY(read_btf_maps(elf, btf, table));
  EBPFAAS_TRY(read_global_data(elf, btf, table));
  return table;
}

}  // namespace ebpfaas::loader
