#include "control/client/stack_file.h"

#include <unistd.h>

#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "support/file.h"

namespace ebpfaas::client {
namespace {

std::string at(const std::string& where, const YAML::Mark& m) {
  if (m.line < 0) return where;
  return fmt::format("{}:{}:{}", where, m.line + 1, m.column + 1);
}

Expected<std::string> scalar(const YAML::Node& n, const std::string& where,
                             const std::string& field) {
  if (!n.IsScalar()) return errorf("{}: \"{}\" must be a string", at(where, n.Mark()), field);
  return n.as<std::string>();
}

Expected<std::map<std::string, std::string>> string_map(const YAML::Node& n,
                                                        const std::string& where,
                                                        const std::string& field) {
  std::map<std::string, std::string> out;
  if (n.IsNull()) return out;
  if (!n.IsMap())
    return errorf("{}: \"{}\" must be a mapping of strings", at(where, n.Mark()), field);
  for (const auto& kv : n) {
    auto k = scalar(kv.first, where, field + " key");
    if (!k) return k.error();
    if (kv.second.IsNull()) {
      out[*k] = "";
      continue;
    }
    auto v = scalar(kv.second, where, field + "." + *k);
    if (!v) return v.error();
    out[*k] = *v;
  }
  return out;
}

Expected<StackFunction> parse_function(const std::string& name, const YAML::Node& n,
                                       const std::string& where) {
  StackFunction f;
  f.name = name;
  if (!n.IsMap())
    return errorf("{}: function \"{}\" must be a mapping (lang, handler, ...)", at(where, n.Mark()),
                  name);
  for (auto [field, out] : {std::pair{"lang", &f.lang}, std::pair{"handler", &f.handler},
                            std::pair{"image", &f.image}}) {
    YAML::Node v = n[field];
    if (!v || v.IsNull()) continue;
    auto s = scalar(v, where, std::string("functions.") + name + "." + field);
    if (!s) return s.error();
    *out = *s;
  }
  for (auto [field, out] :
       {std::pair{"annotations", &f.annotations}, std::pair{"labels", &f.labels},
        std::pair{"environment", &f.environment}}) {
    YAML::Node v = n[field];
    if (!v) continue;
    auto m = string_map(v, where, std::string("functions.") + name + "." + field);
    if (!m) return m.error();
    *out = std::move(*m);
  }
  const YAML::Mark mark = n["lang"] ? n["lang"].Mark() : n.Mark();
  if (f.lang.empty())
    return errorf("{}: function \"{}\" has no \"lang\" (ebpfaas builds lang: {})", at(where, mark),
                  name, kCEbpfLang);
  if (f.lang != kCEbpfLang)
    return errorf("{}: function \"{}\": unknown lang \"{}\" (ebpfaas builds lang: {})",
                  at(where, mark), name, f.lang, kCEbpfLang);
  if (f.handler.empty())
    return errorf(
        "{}: function \"{}\" has no \"handler\" (a directory with handler.c, or a .c "
        "or .o file)",
        at(where, n.Mark()), name);
  return f;
}

}  // namespace

std::string StackFile::handler_path(const StackFunction& f) const {
  std::filesystem::path h(f.handler);
  if (h.is_absolute()) return h.lexically_normal().string();
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  return (dir / h).lexically_normal().string();
}

const StackFunction* StackFile::find(const std::string& name) const {
  for (const StackFunction& f : functions)
    if (f.name == name) return &f;
  return nullptr;
}

Expected<StackFile> parse_stack(const std::string& text, const std::string& where) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    return errorf("{}: {}", at(where, e.mark), e.msg);
  }
  StackFile s;
  s.path = where;
  if (!root.IsMap())
    return errorf("{}: expected a stack file (version, provider, functions)",
                  at(where, root.Mark()));
  try {
    if (YAML::Node v = root["version"]; v && !v.IsNull()) {
      auto t = scalar(v, where, "version");
      if (!t) return t.error();
      s.version = *t;
    }
    if (YAML::Node p = root["provider"]; p && !p.IsNull()) {
      if (!p.IsMap())
        return errorf("{}: \"provider\" must be a mapping (name, gateway)", at(where, p.Mark()));
      for (auto [field, out] :
           {std::pair{"name", &s.provider_name}, std::pair{"gateway", &s.gateway}}) {
        YAML::Node v = p[field];
        if (!v || v.IsNull()) continue;
        auto t = scalar(v, where, std::string("provider.") + field);
        if (!t) return t.error();
        *out = *t;
      }
      // As faas-cli: the stack format's provider is always openfaas.
      if (!s.provider_name.empty() && s.provider_name != "openfaas")
        return errorf("{}: provider.name \"{}\": the only valid provider name is openfaas",
                      at(where, p["name"].Mark()), s.provider_name);
    }
    YAML::Node fs = root["functions"];
    if (!fs || fs.IsNull())
      return errorf("{}: no \"functions\" in the stack file", at(where, root.Mark()));
    if (!fs.IsMap())
      return errorf("{}: \"functions\" must be a mapping of function names", at(where, fs.Mark()));
    for (const auto& kv : fs) {
      auto name = scalar(kv.first, where, "function name");
      if (!name) return name.error();
      if (s.find(*name))
        return errorf("{}: function \"{}\" is defined twice", at(where, kv.first.Mark()), *name);
      auto f = parse_function(*name, kv.second, where);
      if (!f) return f.error();
      s.functions.push_back(std::move(*f));
    }
  } catch (const YAML::Exception& e) {
    return errorf("{}: {}", at(where, e.mark), e.msg);
  }
  return s;
}

Expected<StackFile> read_stack(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return parse_stack(*text, path);
}

Status append_stack_function(const std::string& path, const StackFunction& f,
                             const std::string& gateway) {
  YAML::Node root;
  if (::access(path.c_str(), F_OK) == 0) {
    auto existing = read_stack(path);
    if (!existing) return existing.error();
    if (existing->find(f.name)) return errorf("{}: function \"{}\" exists already", path, f.name);
    root = YAML::LoadFile(path);
  } else {
    root["version"] = "1.0";
    root["provider"]["name"] = "openfaas";
    root["provider"]["gateway"] = gateway;
  }
  YAML::Node fn;
  fn["lang"] = f.lang;
  fn["handler"] = f.handler;
  if (!f.image.empty()) fn["image"] = f.image;
  for (auto [field, m] : {std::pair{"annotations", &f.annotations}, std::pair{"labels", &f.labels},
                          std::pair{"environment", &f.environment}})
    for (const auto& [k, v] : *m) fn[field][k] = v;
  root["functions"][f.name] = fn;
  YAML::Emitter out;
  out << root;
  return write_file_atomic(path, std::string(out.c_str()) + "\n");
}

}  // namespace ebpfaas::client
