#include "loader/map_inits.h"

#include <elf.h>
#include <linux/bpf.h>

namespace ebpfaas::loader {

Expected<std::vector<MapSlotInit>> read_map_inits(const ElfFile& elf, const MapTable& maps,
                                                  const CodeSections& code) {
  std::vector<MapSlotInit> out;
  if (!maps.btf_section) return out;
  constexpr uint64_t kPtrSize = 8;  // BPF pointers, whatever the host
  for (const ElfSection& rel : elf.sections()) {
    if (rel.index == 0 || rel.type != SHT_REL || !rel.has_data || rel.info != maps.btf_section)
      continue;
    auto relocs = elf.relocations(rel);
    if (!relocs) return relocs.error();
    for (size_t i = 0; i < relocs->size(); ++i) {
      const ElfRelocation& r = (*relocs)[i];
      const ElfSymbol& sym = elf.symbols()[r.symbol];
      const std::string at = fmt::format("{}: relocation #{} (entry offset {:#x}) at offset {:#x}",
                                         rel.where(), i, i * sizeof(Elf64_Rel), r.offset);
      // The map whose definition holds the pointer.
      int map = -1;
      for (size_t m = 0; m < maps.origins.size(); ++m) {
        const MapOrigin& o = maps.origins[m];
        if (o.kind == MapOrigin::Kind::kBtf && o.offset <= r.offset &&
            r.offset <= o.offset + o.size && o.offset + o.size - r.offset >= kPtrSize)
          map = static_cast<int>(m);
      }
      if (map < 0) return errorf("{}: no map definition holds this offset", at);
      const ebpf::MapSpec& spec = maps.specs[map];
      const MapOrigin& origin = maps.origins[map];
      if (origin.values_offset < 0 ||
          r.offset < origin.offset + static_cast<uint64_t>(origin.values_offset))
        return errorf("{}: map '{}' has a pointer outside its 'values' member", at, spec.name);
      const uint64_t byte = r.offset - origin.offset - static_cast<uint64_t>(origin.values_offset);
      if (byte % kPtrSize)
        return errorf("{}: misaligned 'values' entry of map '{}'", at, spec.name);
      MapSlotInit init;
      init.map = static_cast<uint32_t>(map);
      if (byte / kPtrSize >= spec.max_entries)
        return errorf("{}: map '{}': initial slot {} is beyond max_entries {}", at, spec.name,
                      byte / kPtrSize, spec.max_entries);
      init.key = static_cast<uint32_t>(byte / kPtrSize);
      if (spec.type == BPF_MAP_TYPE_PROG_ARRAY) {
        const CodeSection* cs = code.by_elf_index(sym.shndx);
        const Function* f =
            cs && sym.value % 8 == 0
                ? code.function_at(code.index_of(*cs), static_cast<uint32_t>(sym.value / 8))
                : nullptr;
        bool entry = false;
        if (f && f->start * 8 == sym.value)
          for (size_t e : code.entry_functions()) entry |= &code.functions[e] == f;
        if (!entry)
          return errorf("{}: prog array '{}' slot {}: '{}' is not an entry program", at, spec.name,
                        init.key, sym.name);
        init.program = f->name;
      } else if (spec.type == BPF_MAP_TYPE_ARRAY_OF_MAPS ||
                 spec.type == BPF_MAP_TYPE_HASH_OF_MAPS) {
        if (sym.shndx != maps.btf_section)
          return errorf("{}: map '{}' slot {}: '{}' is not a BTF-defined map", at, spec.name,
                        init.key, sym.name);
        if (spec.type == BPF_MAP_TYPE_HASH_OF_MAPS && spec.key_size != sizeof(int))
          return errorf("{}: hash of maps '{}' needs a 4-byte key to be initialized", at,
                        spec.name);
        init.inner_map = maps.find_definition(sym.shndx, sym.value);
        if (init.inner_map < 0)
          return errorf("{}: map '{}' slot {}: no map at '{}'", at, spec.name, init.key, sym.name);
      } else {
        return errorf("{}: map '{}' (type {}) cannot have initial values", at, spec.name,
                      spec.type);
      }
      out.push_back(std::move(init));
    }
  }
  return out;
}

}  // namespace ebpfaas::loader
