#include "control/client/stack_file.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "support/file.h"

namespace ebpfaas::client {
namespace {

// ---- environment substitution, as faas-cli does before parsing --------------

// The text after substitution, and where each of its pieces came from, so
// that a position in it (a YAML error's) names the line and column the user
// wrote.
class Source {
 public:
  Source(std::string name, const std::string& original) : name_(std::move(name)) {
    in_lines_ = line_starts(original);
  }
  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  // Substitutes ${NAME}, ${NAME:-default}, ${NAME-default} in `in` (from
  // offset `base` of the original text) onto text().
  Status substitute(const std::string& in, size_t base, const EnvLookup& env) {
    if (!env) {
      literal(in, base);
      return {};
    }
    size_t i = 0;
    while (i < in.size()) {
      const size_t dollar = in.find("${", i);
      if (dollar == std::string::npos) {
        literal(in.substr(i), base + i);
        break;
      }
      literal(in.substr(i, dollar - i), base + i);
      // The matching '}', nested ${...} in a default counted.
      size_t depth = 1, end = dollar + 2;
      for (; end < in.size() && depth > 0; ++end) {
        if (in[end] == '}')
          --depth;
        else if (in[end] == '$' && end + 1 < in.size() && in[end + 1] == '{')
          ++depth, ++end;
        else if (in[end] == '\n')
          break;
      }
      if (depth > 0)
        return errorf("{}: unterminated \"${{\": expected ${{NAME}} or ${{NAME:-default}}",
                      original_at(base + dollar));
      const std::string expr = in.substr(dollar + 2, end - 1 - (dollar + 2));
      size_t name_end = 0;
      while (name_end < expr.size() &&
             (std::isalnum(static_cast<unsigned char>(expr[name_end])) || expr[name_end] == '_'))
        ++name_end;
      const std::string name = expr.substr(0, name_end);
      const std::string rest = expr.substr(name_end);
      const bool name_ok = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0]));
      const bool colon_dash = rest.rfind(":-", 0) == 0,
                 dash = !colon_dash && rest.rfind('-', 0) == 0;
      if (!name_ok || !(rest.empty() || colon_dash || dash))
        return errorf(
            "{}: \"${{{}}}\": expected ${{NAME}}, ${{NAME:-default}} or ${{NAME-default}} "
            "(NAME: letters, digits, _)",
            original_at(base + dollar), expr);
      const std::optional<std::string> value = env(name);
      const bool use_default = rest.empty() ? false
                               : colon_dash ? !value || value->empty()
                                            : !value;
      pieces_.push_back({text_.size(), base + dollar, false});
      if (use_default) {
        const size_t skip = colon_dash ? 2 : 1;
        // A default is substituted too (${A:-${B}}).
        if (auto st = substitute(rest.substr(skip), base + dollar + 2 + name_end + skip, env); !st)
          return st;
      } else {
        text_ += value.value_or("");
      }
      i = end;
    }
    return {};
  }

  // "file:line:column" of a mark in text().
  std::string at(const YAML::Mark& m) const {
    if (m.line < 0) return name_;
    if (out_lines_.empty()) out_lines_ = line_starts(text_);
    const size_t line = std::min(static_cast<size_t>(m.line), out_lines_.size() - 1);
    return original_at(original_offset(out_lines_[line] + static_cast<size_t>(m.column)));
  }

  // "file:line:column" of an offset in the original text.
  std::string original_at(size_t offset) const {
    const auto it = std::upper_bound(in_lines_.begin(), in_lines_.end(), offset);
    const size_t line = static_cast<size_t>(it - in_lines_.begin()) - 1;
    return fmt::format("{}:{}:{}", name_, line + 1, offset - in_lines_[line] + 1);
  }

 private:
  struct Piece {
    size_t out, in;  // where it starts in text() and in the original
    bool literal;    // copied as is; else a substitution (the "${" it came from)
  };

  static std::vector<size_t> line_starts(const std::string& t) {
    std::vector<size_t> starts = {0};
    for (size_t i = 0; i < t.size(); ++i)
      if (t[i] == '\n') starts.push_back(i + 1);
    return starts;
  }

  void literal(const std::string& piece, size_t in) {
    if (piece.empty()) return;
    pieces_.push_back({text_.size(), in, true});
    text_ += piece;
  }

  size_t original_offset(size_t out) const {
    auto it = std::upper_bound(pieces_.begin(), pieces_.end(), out,
                               [](size_t o, const Piece& p) { return o < p.out; });
    if (it == pieces_.begin()) return out;
    --it;
    return it->literal ? it->in + (out - it->out) : it->in;
  }

  std::string name_;
  std::string text_;
  std::vector<Piece> pieces_;
  std::vector<size_t> in_lines_;
  mutable std::vector<size_t> out_lines_;
};

std::string at(const Source& where, const YAML::Mark& m) {
  return where.at(m);
}

Expected<std::string> scalar(const YAML::Node& n, const Source& where, const std::string& field) {
  if (!n.IsScalar()) return errorf("{}: \"{}\" must be a string", at(where, n.Mark()), field);
  return n.as<std::string>();
}

Expected<std::map<std::string, std::string>> string_map(const YAML::Node& n, const Source& where,
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
                                       const Source& where) {
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

std::optional<std::string> process_environment(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
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

Expected<StackFile> parse_stack(const std::string& text, const std::string& path) {
  return parse_stack(text, path, process_environment);
}

Expected<StackFile> parse_stack(const std::string& text, const std::string& path,
                                const EnvLookup& env) {
  Source where(path, text);
  if (auto st = where.substitute(text, 0, env); !st) return st.error();
  YAML::Node root;
  try {
    root = YAML::Load(where.text());
  } catch (const YAML::Exception& e) {
    return errorf("{}: {}", at(where, e.mark), e.msg);
  }
  StackFile s;
  s.path = path;
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

Expected<StackFile> read_stack(const std::string& path, bool substitute_env) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return parse_stack(*text, path, substitute_env ? EnvLookup(process_environment) : EnvLookup());
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
