// Loading an opened object, the second half of what libbpf does
// (bpf_object__load): create its maps (or carry over the previous version's
// maps whose name and definition match), verify each program, and link it to
// the VM: map references become map handles and value addresses, context loads
// the verifier found are rewritten, prog arrays get their initial slots.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "helpers/run_context.h"
#include "loader/object.h"
#include "maps/map.h"
#include "support/error.h"
#include "verifier/verifier.h"
#include "vm/program.h"

namespace ebpfaas::loader {

// The maps of a loaded object, in ObjectFile::maps order; shared by every
// version of a function that carries them over.
class MapSet {
 public:
  const std::vector<std::shared_ptr<maps::Map>>& all() const { return maps_; }
  std::shared_ptr<maps::Map> find(std::string_view name) const;
  void add(std::shared_ptr<maps::Map> map) { maps_.push_back(std::move(map)); }

 private:
  std::vector<std::shared_ptr<maps::Map>> maps_;
};

struct LoadOptions {
  maps::MapOptions map_options;  // CPUs (engines), QSBR domain, devmap ifindex check
  // Maps of a previous version: a map whose name and definition match is
  // reused with its contents (global data excluded: it belongs to the code).
  const MapSet* reuse = nullptr;
  // Which programs to load, by name or section; empty: every autoload program.
  std::vector<std::string> programs;
  // Unverified programs may only run in the interpreter's checked mode.
  bool verify = true;
  int verifier_log_level = 0;
  const helpers::HelperTable* helpers = nullptr;  // default: helpers::xdp_helpers()
};

struct LoadedProgram {
  std::string name;
  std::string section;
  std::shared_ptr<const vm::Program> program;
  bool verified = false;
  verifier::VerifyResult verification;  // when verified
  // Map handles the program may pass to helpers (RunContext::linked_maps).
  std::vector<uint64_t> map_handles;
};

struct LoadedObject {
  std::string name;
  std::string license;
  std::shared_ptr<MapSet> maps;
  std::vector<LoadedProgram> programs;
  // By program name, then by section; null when absent.
  const LoadedProgram* find(std::string_view name_or_section) const;
};

// Errors name the object, the program and the reason (the verifier's message
// with its pc, or the map and field that could not be created).
Expected<LoadedObject> load(const ObjectFile& object, const LoadOptions& options = {});

// Convenience: open_object + load.
Expected<LoadedObject> load_file(const std::string& path, const LoadOptions& options = {});

}  // namespace ebpfaas::loader
