#include "loader/load.h"

#include <linux/bpf.h>

#include "ebpf/opcode.h"
#include "helpers/linux_helpers.h"
#include "maps/array_map.h"
#include "maps/prog_array.h"

namespace ebpfaas::loader {

std::shared_ptr<maps::Map> MapSet::find(std::string_view name) const {
  for (const auto& m : maps_)
    if (m->spec().name == name) return m;
  return nullptr;
}

const LoadedProgram* LoadedObject::find(std::string_view name_or_section) const {
  for (const auto& p : programs)
    if (p.name == name_or_section) return &p;
  for (const auto& p : programs)
    if (p.section == name_or_section) return &p;
  return nullptr;
}

namespace {

bool wanted(const ProgramSpec& spec, const LoadOptions& options) {
  if (options.programs.empty()) return spec.autoload;
  for (const auto& p : options.programs)
    if (p == spec.name || p == spec.section) return true;
  return false;
}

Expected<std::shared_ptr<MapSet>> create_maps(const ObjectFile& object,
                                              const LoadOptions& options) {
  auto set = std::make_shared<MapSet>();
  for (const ebpf::MapSpec& spec : object.maps) {
    if (options.reuse && !spec.global_data) {
      auto old = options.reuse->find(spec.name);
      if (old && old->spec().same_definition(spec) &&
          old->num_cpus() == options.map_options.num_cpus) {
        set->add(std::move(old));
        continue;
      }
    }
    auto map = maps::create_map(spec, options.map_options);
    if (!map) return map.error().context(object.name + ": map '" + spec.name + "'");
    set->add(std::move(*map));
  }
  return set;
}

// The address a map-value lddw loads: Linux's map_direct_value_addr, which
// arrays with a single entry (global data among them) provide.
Expected<uint64_t> value_address(const maps::Map& map, uint32_t offset) {
  const auto* array = dynamic_cast<const maps::ArrayMap*>(&map);
  if (!array || map.type() != BPF_MAP_TYPE_ARRAY || map.max_entries() != 1)
    return errorf("direct value access to map '{}' needs a single-entry array", map.spec().name);
  if (offset >= map.value_size())
    return errorf("direct value offset {} is outside map '{}' (value_size {})", offset,
                  map.spec().name, map.value_size());
  return reinterpret_cast<uint64_t>(array->value_at(0, 0)) + offset;
}

Expected<LoadedProgram> link_program(const ObjectFile& object, const ProgramSpec& spec,
                                     const MapSet& maps, const LoadOptions& options) {
  const std::string where =
      object.name + ": program '" + spec.name + "' (section " + spec.section + ")";
  if (spec.type != 0 && spec.type != BPF_PROG_TYPE_XDP)
    return errorf("{}: only XDP programs run in ebpfaas (section type is {})", where,
                  program_type_name(spec.type));
  auto decoded = ebpf::decode(spec.insns);
  if (!decoded) return decoded.error().context(where);

  LoadedProgram out;
  out.name = spec.name;
  out.section = spec.section;
  std::vector<ebpf::MapSpec> specs;
  for (const auto& m : maps.all()) specs.push_back(m->spec());
  if (options.verify) {
    verifier::VerifyOptions vopts;
    vopts.maps = specs;
    vopts.log_level = options.verifier_log_level;
    vopts.num_cpus = options.map_options.num_cpus;
    vopts.devmap_program = spec.expected_attach_type == BPF_XDP_DEVMAP;
    std::string log;
    vopts.rejection_log = &log;
    auto result = verifier::verify(*decoded, vopts);
    if (!result) {
      Error e = result.error().context(where + ": rejected by the verifier");
      if (!log.empty()) e = Error(e.message() + "\n" + log);
      return e;
    }
    out.verification = std::move(*result);
    out.verified = true;
  }

  vm::LinkOptions link;
  link.helpers = options.helpers ? options.helpers : &helpers::xdp_helpers();
  if (out.verified) link.ctx_load_pcs = out.verification.ctx_load_pcs;
  const auto& all = maps.all();
  link.resolve_lddw = [&all](const ebpf::Instruction& in) -> Expected<uint64_t> {
    const int32_t index = in.imm;
    if (index < 0 || static_cast<size_t>(index) >= all.size())
      return errorf("lddw refers to map #{}, but the object has {} maps", index, all.size());
    const maps::Map& map = *all[static_cast<size_t>(index)];
    switch (in.src) {
      case ebpf::kPseudoMapFd:
      case ebpf::kPseudoMapIdx:
        return reinterpret_cast<uint64_t>(&map);
      case ebpf::kPseudoMapValue:
      case ebpf::kPseudoMapIdxValue:
        return value_address(map, static_cast<uint32_t>(in.imm64 >> 32));
      default:
        return errorf("lddw pseudo form {} is not supported", in.src);
    }
  };
  for (const auto& m : all) {
    out.map_handles.push_back(reinterpret_cast<uint64_t>(m.get()));
    if (m->type() == BPF_MAP_TYPE_ARRAY && m->max_entries() == 1) {
      const uint64_t v =
          reinterpret_cast<uint64_t>(static_cast<const maps::ArrayMap&>(*m).value_at(0, 0));
      link.static_regions.push_back(
          helpers::Region{v, v + m->value_size(), (m->spec().flags & BPF_F_RDONLY_PROG) == 0});
    }
  }
  auto prog = vm::Program::create(std::move(*decoded), std::move(link));
  if (!prog) return prog.error().context(where);
  out.program = std::move(*prog);
  return out;
}

}  // namespace

Expected<LoadedObject> load(const ObjectFile& object, const LoadOptions& options) {
  LoadedObject out;
  out.name = object.name;
  out.license = object.license;
  auto maps = create_maps(object, options);
  if (!maps) return maps.error();
  out.maps = std::move(*maps);
  for (const std::string& name : options.programs)
    if (!object.find_program(name))
      return errorf("{}: no program or section named '{}'", object.name, name);
  for (const ProgramSpec& spec : object.programs) {
    if (!wanted(spec, options)) continue;
    auto prog = link_program(object, spec, *out.maps, options);
    if (!prog) return prog.error();
    out.programs.push_back(std::move(*prog));
  }
  if (out.programs.empty()) return errorf("{}: no program to load", object.name);
  // Initial prog array slots (`.values = { [i] = &prog }`).
  for (const MapSlotInit& init : object.map_inits) {
    if (init.program.empty()) continue;
    auto* array = dynamic_cast<maps::ProgArray*>(out.maps->all().at(init.map).get());
    const LoadedProgram* target = out.find(init.program);
    if (!array || !target) continue;  // not loaded: the slot stays empty, as in libbpf
    if (long err = array->set(init.key, target->program); err)
      return errorf("{}: cannot put program '{}' in slot {} of '{}': error {}", object.name,
                    init.program, init.key, array->spec().name, err);
  }
  return out;
}

Expected<LoadedObject> load_file(const std::string& path, const LoadOptions& options) {
  auto object = open_object(path);
  if (!object) return object.error();
  return load(*object, options);
}

}  // namespace ebpfaas::loader
