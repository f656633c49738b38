// `ebpfaas map dump|lookup|update|delete`: maps of a state file (see
// loader/map_state.h), the way bpftool works on pinned maps. Keys and values
// are hex bytes ("0a000001" or "0a 00 00 01"); per-CPU values are every CPU's
// value, each rounded up to 8 bytes, as bpf(2) has them.
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdio>

#include "loader/map_state.h"
#include "loader/object.h"
#include "maps/map.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"

namespace ebpfaas::cli {
namespace {

struct MapArgs {
  std::string state, object, map, key, value, flags = "any";
};

std::shared_ptr<loader::MapSet> open_maps(const MapArgs& a) {
  std::shared_ptr<loader::MapSet> set;
  if (::access(a.state.c_str(), F_OK) == 0) {
    auto s = loader::read_state(a.state);
    if (!s) throw CommandError(s.error().message());
    set = *s;
  } else {
    set = std::make_shared<loader::MapSet>();
  }
  if (!a.object.empty()) {  // definitions of maps the state does not have yet
    auto obj = loader::open_object(a.object);
    if (!obj) throw CommandError(obj.error().message());
    for (const auto& spec : obj->maps) {
      if (set->find(spec.name) || spec.type == BPF_MAP_TYPE_PROG_ARRAY) continue;
      auto m = maps::create_map(spec, {});
      if (!m) throw CommandError(m.error().message());
      set->add(*m);
    }
  }
  return set;
}

std::shared_ptr<maps::Map> find_map(const loader::MapSet& set, const MapArgs& a) {
  auto m = set.find(a.map);
  if (!m) {
    std::string names;
    for (const auto& x : set.all()) names += (names.empty() ? "" : ", ") + x->spec().name;
    throw CommandError(fmt::format(
        "no map '{}' in {} (maps: {}){}", a.map, a.state, names.empty() ? "none" : names,
        a.object.empty() ? "; --object OBJ.o adds an object's maps" : ""));
  }
  return m;
}

std::vector<uint8_t> bytes(const std::string& text, uint32_t size, const char* what,
                           const std::string& map) {
  auto b = parse_hex(text);
  if (!b) throw CommandError(std::string(what) + ": " + b.error().message());
  if (b->size() != size)
    throw CommandError(
        fmt::format("{} of map '{}' is {} bytes, got {}", what, map, size, b->size()));
  return *b;
}

std::string errno_text(long err) {
  return fmt::format("{} ({})", std::strerror(static_cast<int>(-err)), err);
}

void run(const std::string& verb, const MapArgs& a) {
  auto set = open_maps(a);
  if (verb == "dump") {
    if (a.map.empty())
      std::printf("%s\n", loader::dump_maps(*set).dump(1).c_str());
    else
      std::printf("%s\n", loader::dump_map(*find_map(*set, a)).dump(1).c_str());
    return;
  }
  auto map = find_map(*set, a);
  auto key = bytes(a.key, map->key_size(), "key", a.map);
  if (verb == "lookup") {
    std::vector<uint8_t> value(map->user_value_size());
    if (long err = map->user_lookup(key.data(), value.data()))
      throw CommandError("lookup in '" + a.map + "': " + errno_text(err));
    std::printf("%s\n", to_hex(value).c_str());
    return;
  }
  if (verb == "update") {
    auto value = bytes(a.value, map->user_value_size(), "value", a.map);
    uint64_t flags = a.flags == "noexist" ? BPF_NOEXIST : a.flags == "exist" ? BPF_EXIST : BPF_ANY;
    if (long err = map->user_update(key.data(), value.data(), flags))
      throw CommandError("update of '" + a.map + "': " + errno_text(err));
  } else {
    if (long err = map->user_delete(key.data()))
      throw CommandError("delete from '" + a.map + "': " + errno_text(err));
  }
  if (auto st = loader::save_state(*set, a.state); !st) throw CommandError(st.error().message());
}

}  // namespace

void add_map_commands(CLI::App& app) {
  auto* map = app.add_subcommand("map", "Inspect and edit maps of a state file");
  map->require_subcommand(1);
  static MapArgs a;
  for (const char* verb : {"dump", "lookup", "update", "delete"}) {
    auto* c = map->add_subcommand(verb, std::string(verb) + " map entries");
    c->add_option("--state", a.state, "map state file (written by prog run --state)")->required();
    c->add_option("--object", a.object, "take definitions of missing maps from this object");
    if (std::string(verb) == "dump") {
      c->add_option("map", a.map, "map name (default: all)");
    } else {
      c->add_option("map", a.map, "map name")->required();
      c->add_option("key", a.key, "key bytes in hex")->required();
      if (std::string(verb) == "update") {
        c->add_option("value", a.value, "value bytes in hex")->required();
        c->add_option("--flags", a.flags, "any, noexist or exist")
            ->check(CLI::IsMember({"any", "noexist", "exist"}));
      }
    }
    std::string v = verb;
    c->callback([v] { run(v, a); });
  }
}

}  // namespace ebpfaas::cli
