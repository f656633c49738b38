#include "loader/btf_data.h"

#include <bpf/btf.h>
#include <elf.h>

#include <cerrno>

#include "loader/libbpf_log.h"

namespace ebpfaas::loader {

void BtfData::Free::operator()(struct btf* b) const {
  btf__free(b);
}

Expected<BtfData> BtfData::parse(std::span<const uint8_t> bytes, const std::string& where) {
  LibbpfLogCapture log;
  struct btf* b = btf__new(bytes.data(), static_cast<uint32_t>(bytes.size()));
  if (!b) {
    int err = errno;
    std::string why = log.text();
    return errorf("{}: invalid BTF ({} bytes): {}", where, bytes.size(),
                  why.empty() ? std::string(std::strerror(err)) : why);
  }
  // BPF is a 64-bit target whatever the BTF suggests.
  btf__set_pointer_size(b, 8);
  BtfData d;
  d.btf_.reset(b);
  return d;
}

const btf_type* BtfData::type(uint32_t id) const {
  if (id >= btf__type_cnt(btf_.get())) return nullptr;
  return btf__type_by_id(btf_.get(), id);
}

const btf_type* BtfData::skip_mods_and_typedefs(uint32_t id, uint32_t* resolved) const {
  // BTF may contain cycles (btf__new does not reject them); a real chain of
  // modifiers is short, libbpf itself gives up after 32 levels.
  for (int depth = 0; depth < 32; ++depth) {
    const btf_type* t = type(id);
    if (!t) return nullptr;
    if (!btf_is_mod(t) && !btf_is_typedef(t)) {
      if (resolved) *resolved = id;
      return t;
    }
    id = t->type;
  }
  return nullptr;
}

const char* BtfData::name(uint32_t offset) const {
  return btf__name_by_offset(btf_.get(), offset);
}

const btf_type* BtfData::find_datasec(std::string_view section, uint32_t* id) const {
  const uint32_t n = btf__type_cnt(btf_.get());
  for (uint32_t i = 1; i < n; ++i) {
    const btf_type* t = btf__type_by_id(btf_.get(), i);
    if (!t || !btf_is_datasec(t)) continue;
    const char* nm = name(t->name_off);
    if (nm && section == nm) {
      if (id) *id = i;
      return t;
    }
  }
  return nullptr;
}

const ElfSymbol* find_variable_symbol(const ElfFile& elf, std::string_view name) {
  for (const ElfSymbol& s : elf.symbols())
    if (s.type == STT_OBJECT && (s.bind == STB_GLOBAL || s.bind == STB_WEAK) && s.name == name)
      return &s;
  return nullptr;
}

Expected<uint32_t> BtfData::var_offset(const ElfFile& elf, const btf_type* datasec,
                                       const btf_var_secinfo& vsi) const {
  const btf_type* var = type(vsi.type);
  if (!var || !btf_is_var(var)) return errorf("DATASEC entry [{}] is not a variable", vsi.type);
  const uint32_t linkage = btf_var(var)->linkage;
  if (datasec->size != 0 || linkage == BTF_VAR_STATIC || linkage == BTF_VAR_GLOBAL_EXTERN)
    return vsi.offset;
  const char* nm = name(var->name_off);
  if (!nm) return errorf("variable [{}] has no name", vsi.type);
  const ElfSymbol* sym = find_variable_symbol(elf, nm);
  if (!sym) return errorf("no ELF symbol for BTF variable '{}'", nm);
  if (sym->value > UINT32_MAX)
    return errorf("ELF symbol '{}' has offset {:#x}, beyond any section", nm, sym->value);
  return static_cast<uint32_t>(sym->value);
}

bool BtfData::var_is_static(const ElfFile& elf, const btf_type* var) const {
  if (btf_var(var)->linkage == BTF_VAR_STATIC) return true;
  const char* nm = name(var->name_off);
  if (!nm) return false;
  const ElfSymbol* sym = find_variable_symbol(elf, nm);
  return sym && (sym->visibility == STV_HIDDEN || sym->visibility == STV_INTERNAL);
}

std::string_view BtfData::kind_name(const btf_type* t) {
  if (!t) return "missing type";
  switch (btf_kind(t)) {
    case BTF_KIND_UNKN:
      return "void";
    case BTF_KIND_INT:
      return "int";
    case BTF_KIND_PTR:
      return "ptr";
    case BTF_KIND_ARRAY:
      return "array";
    case BTF_KIND_STRUCT:
      return "struct";
    case BTF_KIND_UNION:
      return "union";
    case BTF_KIND_ENUM:
      return "enum";
    case BTF_KIND_FWD:
      return "fwd";
    case BTF_KIND_TYPEDEF:
      return "typedef";
    case BTF_KIND_VOLATILE:
      return "volatile";
    case BTF_KIND_CONST:
      return "const";
    case BTF_KIND_RESTRICT:
      return "restrict";
    case BTF_KIND_FUNC:
      return "func";
    case BTF_KIND_FUNC_PROTO:
      return "func_proto";
    case BTF_KIND_VAR:
      return "var";
    case BTF_KIND_DATASEC:
      return "datasec";
    case BTF_KIND_FLOAT:
      return "float";
    case BTF_KIND_DECL_TAG:
      return "decl_tag";
    case BTF_KIND_TYPE_TAG:
      return "type_tag";
    case BTF_KIND_ENUM64:
      return "enum64";
    default:
      return "unknown kind";
  }
}

}  // namespace ebpfaas::loader
