// The object's BTF (.BTF), parsed and validated by libbpf (btf__new), with the
// few walks the loader needs: typedef/modifier skipping that cannot loop,
// DATASEC lookup by section name, and variable offsets fixed up from ELF
// symbols the way libbpf's btf_fixup_datasec() does (clang leaves the offsets
// of global variables at 0). Internal to loader/.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "loader/elf_file.h"
#include "support/error.h"

struct btf;
struct btf_type;
struct btf_var_secinfo;

namespace ebpfaas::loader {

class BtfData {
 public:
  // `where` names the section in errors.
  static Expected<BtfData> parse(std::span<const uint8_t> bytes, const std::string& where);

  const struct btf* get() const { return btf_.get(); }
  // The type, or null when the id is out of range.
  const btf_type* type(uint32_t id) const;
  // Follows typedefs and const/volatile/restrict/type tags; null on a broken
  // chain. *resolved (when given) receives the final id.
  const btf_type* skip_mods_and_typedefs(uint32_t id, uint32_t* resolved = nullptr) const;
  // The string at `offset`, or null when it is out of range.
  const char* name(uint32_t offset) const;
  // The DATASEC describing ELF section `section`, or null.
  const btf_type* find_datasec(std::string_view section, uint32_t* id = nullptr) const;
  // Offset of a DATASEC variable within its section: from the ELF symbol for a
  // global variable when clang left the DATASEC unsized, else from BTF.
  Expected<uint32_t> var_offset(const ElfFile& elf, const btf_type* datasec,
                                const btf_var_secinfo& vsi) const;
  // Whether the variable is static for libbpf's purposes: BTF linkage static,
  // or a global symbol with hidden/internal visibility.
  bool var_is_static(const ElfFile& elf, const btf_type* var) const;
  // "struct", "ptr", ... for messages.
  static std::string_view kind_name(const btf_type* t);

 private:
  struct Free {
    void operator()(struct btf* b) const;
  };
  std::unique_ptr<struct btf, Free> btf_;
};

// The global or weak STT_OBJECT symbol named `name`, as libbpf's find_elf_var_sym().
const ElfSymbol* find_variable_symbol(const ElfFile& elf, std::string_view name);

}  // namespace ebpfaas::loader
