// Maps as JSON, for people and for files.
//  - A dump, as `ebpfaas prog run --dump-maps` prints it and bpftool would:
//    {"name":"routes","type":"lpm_trie","entries":[{"key":"HEX","value":"HEX"}]};
//    per-CPU maps list "values":["HEX",...] (one per CPU) instead of "value".
//    Entries are sorted by key bytes so that dumps compare.
//  - A state file ("pinned state"): the definitions and contents of maps,
//    written atomically, so that maps survive between runs of a program and can
//    be inspected and edited with `ebpfaas map ...` while no program runs.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "loader/load.h"
#include "maps/map.h"
#include "support/error.h"

namespace ebpfaas::loader {

nlohmann::ordered_json dump_map(maps::Map& map);
nlohmann::ordered_json dump_maps(const MapSet& maps);

// Writes every map that can be saved (prog arrays hold programs and are left out).
Status save_state(const MapSet& maps, const std::string& path);

// The maps of a state file, created from their saved definitions.
Expected<std::shared_ptr<MapSet>> read_state(const std::string& path,
                                             const maps::MapOptions& options = {});

// Fills the maps of `maps` from a state file: a saved map with the same name and
// definition gets its entries back; a name whose definition changed is an error
// naming both. A missing file is an empty state.
Status restore_state(MapSet& maps, const std::string& path);

}  // namespace ebpfaas::loader
