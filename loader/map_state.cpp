#include "loader/map_state.h"

#include <linux/bpf.h>
#include <unistd.h>

#include <algorithm>

#include "support/file.h"
#include "support/hex.h"

namespace ebpfaas::loader {
namespace {

using json = nlohmann::ordered_json;

struct Entry {
  std::vector<uint8_t> key;
  std::vector<uint8_t> value;  // the bpf(2) view: per-CPU values rounded to 8 bytes each
};

bool keyless(const maps::Map& map) {
  return map.type() == BPF_MAP_TYPE_QUEUE || map.type() == BPF_MAP_TYPE_STACK;
}

// Every entry through the syscall view, sorted by key.
std::vector<Entry> entries_of(maps::Map& map) {
  std::vector<Entry> out;
  if (keyless(map) || map.type() == BPF_MAP_TYPE_PROG_ARRAY) return out;
  std::vector<uint8_t> key(map.key_size()), next(map.key_size());
  const uint8_t* prev = nullptr;
  for (size_t guard = 0; guard <= static_cast<size_t>(map.max_entries()); ++guard) {
    if (map.next_key(prev, next.data()) != 0) break;
    key = next;
    prev = key.data();
    Entry e{key, std::vector<uint8_t>(map.user_value_size())};
    if (map.user_lookup(key.data(), e.value.data()) == 0) out.push_back(std::move(e));
  }
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.key < b.key; });
  return out;
}

uint32_t percpu_stride(const maps::Map& map) {
  return (map.value_size() + 7) & ~7u;
}

}  // namespace

json dump_map(maps::Map& map) {
  json j;
  j["name"] = map.spec().name;
  j["type"] = maps::map_type_name(map.type());
  json entries = json::array();
  for (const Entry& e : entries_of(map)) {
    json je;
    je["key"] = to_hex(e.key);
    if (map.percpu()) {
      json values = json::array();
      for (uint32_t cpu = 0; cpu < map.num_cpus(); ++cpu)
        values.push_back(to_hex(
            std::span<const uint8_t>(e.value).subspan(cpu * percpu_stride(map), map.value_size())));
      je["values"] = values;
    } else {
      je["value"] = to_hex(e.value);
    }
    entries.push_back(je);
  }
  j["entries"] = entries;
  return j;
}

json dump_maps(const MapSet& maps) {
  json all = json::array();
  for (const auto& m : maps.all()) all.push_back(dump_map(*m));
  return all;
}

Status save_state(const MapSet& maps, const std::string& path) {
  json state;
  state["format"] = "ebpfaas-map-state/1";
  json list = json::array();
  for (const auto& m : maps.all()) {
    if (m->type() == BPF_MAP_TYPE_PROG_ARRAY) continue;
    const auto& s = m->spec();
    json jm;
    jm["name"] = s.name;
    jm["type"] = s.type;
    jm["key_size"] = s.key_size;
    jm["value_size"] = s.value_size;
    jm["max_entries"] = s.max_entries;
    jm["flags"] = s.flags;
    jm["global_data"] = s.global_data;
    json entries = json::array();
    for (const Entry& e : entries_of(*m))
      entries.push_back({{"key", to_hex(e.key)}, {"value", to_hex(e.value)}});
    if (keyless(*m)) {
      // Queue/stack contents can only be read by popping: pop everything and
      // push it back, oldest first (a stack pops newest first).
      std::vector<std::vector<uint8_t>> items;
      std::vector<uint8_t> v(m->value_size());
      while (m->pop(v.data()) == 0) items.push_back(v);
      if (m->type() == BPF_MAP_TYPE_STACK) std::reverse(items.begin(), items.end());
      for (const auto& item : items) {
        m->push(item.data(), BPF_ANY);
        entries.push_back({{"value", to_hex(item)}});
      }
    }
    jm["entries"] = entries;
    list.push_back(jm);
  }
  state["maps"] = list;
  return write_file_atomic(path, state.dump(1) + "\n");
}

namespace {

Expected<json> parse_state(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  json state = json::parse(*text, nullptr, false);
  if (state.is_discarded() || !state.is_object() || !state.contains("maps") ||
      !state["maps"].is_array())
    return errorf("{}: not an ebpfaas map state file", path);
  return state;
}

Expected<ebpf::MapSpec> spec_of(const json& jm, const std::string& path) {
  try {
    ebpf::MapSpec s;
    s.name = jm.at("name").get<std::string>();
    s.type = jm.at("type").get<uint32_t>();
    s.key_size = jm.at("key_size").get<uint32_t>();
    s.value_size = jm.at("value_size").get<uint32_t>();
    s.max_entries = jm.at("max_entries").get<uint32_t>();
    s.flags = jm.at("flags").get<uint32_t>();
    s.global_data = jm.value("global_data", false);
    if (s.global_data) s.initial_value.assign(s.value_size, 0);
    return s;
  } catch (const json::exception& e) {
    return errorf("{}: malformed map definition: {}", path, e.what());
  }
}

Status fill(maps::Map& map, const json& jm, const std::string& path) {
  const bool queue = keyless(map);
  for (const json& je : jm.value("entries", json::array())) {
    auto value = parse_hex(je.value("value", ""));
    if (!value) return value.error().context(path + ": map '" + map.spec().name + "'");
    long err;
    if (queue) {
      if (value->size() != map.value_size())
        return errorf("{}: map '{}': value of {} bytes, expected {}", path, map.spec().name,
                      value->size(), map.value_size());
      err = map.push(value->data(), BPF_ANY);
    } else {
      auto key = parse_hex(je.value("key", ""));
      if (!key) return key.error().context(path + ": map '" + map.spec().name + "'");
      // Per-CPU values saved by a run with fewer engines: the missing CPUs'
      // copies start at zero. (With more engines saved than now, a CPU's
      // copy would be lost: refused below.)
      const size_t slot = (static_cast<size_t>(map.value_size()) + 7) / 8 * 8;
      if (map.percpu() && key->size() == map.key_size() && !value->empty() &&
          value->size() % slot == 0 && value->size() < map.user_value_size())
        value->resize(map.user_value_size(), 0);
      // Saved with more CPUs than now: fine when the extra copies are zero.
      if (map.percpu() && key->size() == map.key_size() && value->size() % slot == 0 &&
          value->size() > map.user_value_size() &&
          std::all_of(value->begin() + map.user_value_size(), value->end(),
                      [](uint8_t b) { return b == 0; }))
        value->resize(map.user_value_size());
      if (key->size() != map.key_size() || value->size() != map.user_value_size())
        return errorf("{}: map '{}': entry of {}/{} bytes, expected key {} and value {}", path,
                      map.spec().name, key->size(), value->size(), map.key_size(),
                      map.user_value_size());
      err = map.user_update(key->data(), value->data(), BPF_ANY);
    }
    if (err)
      return errorf("{}: map '{}': restoring an entry failed with error {}", path, map.spec().name,
                    err);
  }
  return {};
}

}  // namespace

Expected<std::shared_ptr<MapSet>> read_state(const std::string& path,
                                             const maps::MapOptions& options) {
  auto state = parse_state(path);
  if (!state) return state.error();
  auto set = std::make_shared<MapSet>();
  for (const json& jm : (*state)["maps"]) {
    auto spec = spec_of(jm, path);
    if (!spec) return spec.error();
    // Per-CPU maps get as many CPUs as the run that saved them had.
    maps::MapOptions map_options = options;
    const size_t slot = (static_cast<size_t>(spec->value_size) + 7) / 8 * 8;
    const auto entries = jm.value("entries", json::array());
    if (!entries.empty() && entries[0].contains("value") && entries[0]["value"].is_string()) {
      const size_t saved = entries[0]["value"].get<std::string>().size() / 2;
      const bool percpu = spec->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
                          spec->type == BPF_MAP_TYPE_PERCPU_HASH ||
                          spec->type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
      if (percpu && saved % slot == 0 && saved / slot > map_options.num_cpus)
        map_options.num_cpus = static_cast<uint32_t>(saved / slot);
    }
    auto map = maps::create_map(*spec, map_options);
    if (!map) return map.error().context(path);
    EBPFAAS_TRY(fill(**map, jm, path));
    set->add(std::move(*map));
  }
  return set;
}

Status restore_state(MapSet& maps, const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) return {};
  auto state = parse_state(path);
  if (!state) return state.error();
  for (const json& jm : (*state)["maps"]) {
    auto spec = spec_of(jm, path);
    if (!spec) return spec.error();
    auto map = maps.find(spec->name);
    if (!map) continue;  // the program no longer has this map
    if (!map->spec().same_definition(*spec))
      return errorf(
          "{}: map '{}' was saved with another definition (type {}, key {}, value {}, "
          "{} entries) than the program's (type {}, key {}, value {}, {} entries)",
          path, spec->name, spec->type, spec->key_size, spec->value_size, spec->max_entries,
          map->type(), map->key_size(), map->value_size(), map->max_entries());
    EBPFAAS_TRY(fill(*map, jm, path));
  }
  return {};
}

}  // namespace ebpfaas::loader
