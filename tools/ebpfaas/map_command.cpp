// `ebpfaas map list|dump|lookup|update|delete` in two forms:
//  - with --state FILE: maps of a state file (see loader/map_state.h), the
//    way bpftool works on pinned maps;
//  - otherwise the first argument is a deployed function and the maps are
//    its maps on the gateway (-g/--gateway, else OPENFAAS_URL, else
//    http://127.0.0.1:8080).
// Keys and values are hex bytes ("0a000001" or "0a 00 00 01"); per-CPU
// values are every CPU's value, each rounded up to 8 bytes, as bpf(2) has them.
#include <linux/bpf.h>
#include <unistd.h>

#include <cstdio>

#include "loader/map_state.h"
#include "loader/object.h"
#include "maps/map.h"
#include "support/hex.h"
#include "tools/ebpfaas/commands.h"
#include "tools/ebpfaas/gateway_session.h"

namespace ebpfaas::cli {
namespace {

struct MapArgs {
  std::string state, object, map, key, value, flags = "any";
  std::string gateway, function;
  bool as_json = false;
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

// ---- the function form: a deployed function's maps on the gateway ----

std::string normalised_hex(const std::string& text, const char* what) {
  auto b = parse_hex(text);
  if (!b) throw CommandError(std::string(what) + ": " + b.error().message());
  return to_hex(*b);
}

void run_remote(const std::string& verb, const MapArgs& a) {
  auto c = connect_gateway(a.gateway);
  if (verb == "list") {
    auto maps = take(c.maps(a.function));
    if (a.as_json) {
      std::printf("%s\n", maps.dump(2).c_str());
      return;
    }
    std::printf("%-24s %-16s %8s %10s %11s %9s\n", "Map", "Type", "Key", "Value", "Max entries",
                "Entries");
    for (const auto& m : maps)
      std::printf("%-24s %-16s %8llu %10llu %11llu %9llu\n", m.value("name", "").c_str(),
                  m.value("type", "").c_str(), m.value("key_size", 0ull),
                  m.value("value_size", 0ull), m.value("max_entries", 0ull),
                  m.value("entries", 0ull));
    return;
  }
  if (verb == "dump") {
    if (!a.map.empty()) {
      std::printf("%s\n", take(c.map_dump(a.function, a.map)).dump(1).c_str());
      return;
    }
    client::json all = client::json::array();
    for (const auto& m : take(c.maps(a.function))) {
      const std::string name = m.value("name", "");
      auto d = take(c.map_dump(a.function, name));
      all.push_back({{"name", name}, {"type", m.value("type", "")}, {"entries", d["entries"]}});
    }
    std::printf("%s\n", all.dump(1).c_str());
    return;
  }
  const std::string key = normalised_hex(a.key, "key");
  if (verb == "lookup") {
    auto d = take(c.map_dump(a.function, a.map));
    for (const auto& e : d.value("entries", client::json::array()))
      if (e.value("key", "") == key) {
        if (e.contains("values"))
          for (const auto& v : e["values"]) std::printf("%s\n", v.get<std::string>().c_str());
        else
          std::printf("%s\n", e.value("value", "").c_str());
        return;
      }
    throw CommandError(
        fmt::format("lookup in '{}' of {}: no entry with key {}", a.map, a.function, key));
  }
  if (verb == "update") {
    client::MapUpdate u{key, normalised_hex(a.value, "value"), a.flags};
    take(c.map_update(a.function, a.map, u));
    return;
  }
  take(c.map_delete(a.function, a.map, key));
}

// The positional arguments of both forms: [FUNCTION] MAP KEY VALUE.
void dispatch(const std::string& verb, MapArgs a, std::vector<std::string> args) {
  const bool remote = a.state.empty();
  if (remote) {
    if (!a.object.empty()) throw CommandError("--object is for the --state form");
    if (args.empty())
      throw CommandError(
          fmt::format("map {}: give a FUNCTION (its maps on the gateway) or --state FILE", verb));
    a.function = args.front();
    args.erase(args.begin());
  } else if (!a.gateway.empty()) {
    throw CommandError("-g/--gateway is for the function form; --state reads a local file");
  }
  const size_t needed = verb == "list" || verb == "dump" ? 0 : verb == "update" ? 3 : 2;
  const size_t most = verb == "list" ? 0 : verb == "dump" ? 1 : needed;
  const char* usage = verb == "list"     ? ""
                      : verb == "dump"   ? " [MAP]"
                      : verb == "update" ? " MAP KEY VALUE"
                                         : " MAP KEY";
  if (args.size() < needed || args.size() > most)
    throw CommandError(fmt::format("usage: ebpfaas map {} {}{}", verb,
                                   remote ? "FUNCTION" : "--state FILE", usage));
  if (args.size() > 0) a.map = args[0];
  if (args.size() > 1) a.key = args[1];
  if (args.size() > 2) a.value = args[2];
  if (remote) return run_remote(verb, a);
  if (verb == "list") {
    auto set = open_maps(a);
    for (const auto& m : set->all()) std::printf("%s\n", m->spec().name.c_str());
    return;
  }
  run(verb, a);
}

}  // namespace

void add_map_commands(CLI::App& app) {
  auto* map = app.add_subcommand(
      "map", "Maps of a deployed function (map VERB FUNCTION ...) or of a state file (--state)");
  map->require_subcommand(1);
  static MapArgs a;
  static std::vector<std::string> args;
  struct Verb {
    const char* name;
    const char* help;
    const char* positional;
  };
  for (const Verb& v : {
           Verb{"list", "list the maps", "FUNCTION (none with --state)"},
           Verb{"dump", "dump map entries", "[FUNCTION] [MAP] (default: every map)"},
           Verb{"lookup", "look up an entry", "[FUNCTION] MAP KEY"},
           Verb{"update", "create or change an entry", "[FUNCTION] MAP KEY VALUE"},
           Verb{"delete", "delete an entry", "[FUNCTION] MAP KEY"},
       }) {
    auto* c = map->add_subcommand(v.name, v.help);
    c->add_option("args", args, v.positional);
    c->add_option("--state", a.state, "map state file (written by prog run --state)");
    c->add_option("--object", a.object,
                  "with --state: take definitions of missing maps from this object");
    add_gateway_option(*c, a.gateway);
    if (std::string(v.name) == "update")
      c->add_option("--flags", a.flags, "any, noexist or exist")
          ->check(CLI::IsMember({"any", "noexist", "exist"}));
    if (std::string(v.name) == "list") c->add_flag("--json", a.as_json, "the gateway's JSON");
    std::string verb = v.name;
    c->callback([verb] { dispatch(verb, a, args); });
  }
}

}  // namespace ebpfaas::cli
