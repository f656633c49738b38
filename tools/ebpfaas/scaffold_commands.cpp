// `ebpfaas new NAME` scaffolds a function from a template (templates/<lang>/)
// and adds it to stack.yml; `ebpfaas build` compiles handlers the way
// ebpfaasd does (clang -O2 -g -target bpf) and runs the verifier here, so a
// program the gateway would refuse is seen before it is uploaded.
//
// Templates are found in $EBPFAAS_TEMPLATES, else beside the binary
// (<bin>/../share/ebpfaas/templates, as installed), else in the source tree
// the binary was built from.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "control/client/config.h"
#include "control/client/stack_file.h"
#include "loader/compile.h"
#include "loader/load.h"
#include "support/file.h"
#include "tools/ebpfaas/commands.h"

#ifndef EBPFAAS_TEMPLATES_DIR
#define EBPFAAS_TEMPLATES_DIR ""
#endif

namespace ebpfaas::cli {
namespace {

namespace fs = std::filesystem;

std::string templates_dir() {
  if (const char* env = std::getenv("EBPFAAS_TEMPLATES"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "ebpfaas" / "templates";
    if (fs::is_directory(installed, ec)) return installed.string();
  }
  return EBPFAAS_TEMPLATES_DIR;
}

std::vector<std::string> available_langs(const std::string& dir) {
  std::vector<std::string> langs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_directory() && fs::exists(e.path() / "template.yml"))
      langs.push_back(e.path().filename());
  std::sort(langs.begin(), langs.end());
  return langs;
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 63) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

struct NewArgs {
  std::string name, lang = client::kCEbpfLang, prefix, stack = "stack.yml", gateway;
  bool list = false;
};

void new_function(const NewArgs& a) {
  const std::string dir = templates_dir();
  if (a.list) {
    std::printf("Languages available as templates (%s):\n", dir.c_str());
    for (const auto& l : available_langs(dir)) std::printf("- %s\n", l.c_str());
    return;
  }
  if (a.name.empty()) throw CommandError("give the function's NAME (ebpfaas new NAME)");
  if (!valid_name(a.name))
    throw CommandError(fmt::format(
        "invalid function name \"{}\": must match [-a-zA-Z_0-9.]+, at most 63 characters", a.name));
  const fs::path tpl = fs::path(dir) / a.lang;
  std::error_code ec;
  if (!fs::exists(tpl / "template.yml", ec)) {
    std::string langs;
    for (const auto& l : available_langs(dir)) langs += (langs.empty() ? "" : ", ") + l;
    throw CommandError(
        fmt::format("unknown lang \"{}\": no template {} (available: {}; "
                    "EBPFAAS_TEMPLATES sets the templates directory)",
                    a.lang, (tpl / "template.yml").string(), langs.empty() ? "none" : langs));
  }
  YAML::Node t;
  try {
    t = YAML::LoadFile((tpl / "template.yml").string());
  } catch (const YAML::Exception& e) {
    throw CommandError(fmt::format("{}:{}:{}: {}", (tpl / "template.yml").string(), e.mark.line + 1,
                                   e.mark.column + 1, e.msg));
  }
  const fs::path stack_dir = fs::absolute(a.stack).parent_path();
  const fs::path handler_dir = stack_dir / a.name;
  if (fs::exists(handler_dir, ec))
    throw CommandError(handler_dir.string() + " exists already; choose another name");
  // Check the stack file first so that a bad one leaves nothing behind.
  if (fs::exists(a.stack, ec)) {
    auto s = client::read_stack(a.stack);
    if (!s) throw CommandError(s.error().message());
    if (s->find(a.name))
      throw CommandError(a.stack + ": function \"" + a.name + "\" exists already");
  }
  fs::create_directories(handler_dir, ec);
  if (ec) throw CommandError("cannot create " + handler_dir.string() + ": " + ec.message());
  for (const auto& e : fs::directory_iterator(tpl, ec)) {
    if (!e.is_regular_file() || e.path().filename() == "template.yml") continue;
    auto text = read_text_file(e.path().string());
    if (!text) throw CommandError(text.error().message());
    const fs::path out = handler_dir / e.path().filename();
    if (auto st = write_file_atomic(out.string(), replace_all(*text, "{{name}}", a.name)); !st)
      throw CommandError(st.error().message());
  }
  client::StackFunction f;
  f.name = a.name;
  f.lang = a.lang;
  f.handler = "./" + a.name;
  f.image = a.prefix.empty() ? a.name + ":latest" : a.prefix + "/" + a.name + ":latest";
  if (t["annotations"] && t["annotations"].IsMap())
    for (const auto& kv : t["annotations"])
      f.annotations[kv.first.as<std::string>()] = kv.second.as<std::string>();
  const bool existed = fs::exists(a.stack, ec);
  if (auto st = client::append_stack_function(a.stack, f, client::resolve_gateway(a.gateway)); !st)
    throw CommandError(st.error().message());
  std::printf("Folder: %s created.\n", handler_dir.string().c_str());
  std::printf("Function %s %s %s.\n", a.name.c_str(), existed ? "appended to" : "created in",
              a.stack.c_str());
  if (t["welcome_message"] && t["welcome_message"].IsScalar())
    std::printf("\n%s", t["welcome_message"].as<std::string>().c_str());
}

struct BuildArgs {
  std::string stack, filter, handler, name, section, output;
  bool envsubst = true;
};

// Compiles one handler into out_path and verifies it; prints the verdict.
bool build_one(const std::string& name, const std::string& handler, const std::string& out_path,
               const std::string& section) {
  std::error_code ec;
  std::string source = handler;
  if (fs::is_directory(handler, ec)) source = (fs::path(handler) / "handler.c").string();
  if (!fs::exists(source, ec)) {
    std::fprintf(stderr, "%s: no %s\n", name.c_str(), source.c_str());
    return false;
  }
  std::string object = source;
  if (source.size() > 2 && source.substr(source.size() - 2) == ".c") {
    fs::create_directories(fs::path(out_path).parent_path(), ec);
    if (ec) {
      std::fprintf(stderr, "%s: cannot create %s: %s\n", name.c_str(),
                   fs::path(out_path).parent_path().c_str(), ec.message().c_str());
      return false;
    }
    if (auto st = loader::compile_c(source, out_path); !st) {
      std::fprintf(stderr, "%s: build failed:\n%s\n", name.c_str(), st.error().message().c_str());
      return false;
    }
    object = out_path;
  }
  loader::LoadOptions options;
  if (!section.empty()) options.programs = {section};
  auto loaded = loader::load_file(object, options);
  if (!loaded) {
    std::fprintf(stderr, "%s: %s: REJECTED: %s\n", name.c_str(), object.c_str(),
                 loaded.error().message().c_str());
    return false;
  }
  if (loaded->programs.empty()) {
    std::fprintf(stderr, "%s: %s: no XDP program in the object\n", name.c_str(), object.c_str());
    return false;
  }
  // The gateway runs --section's program, else the first one.
  const loader::LoadedProgram& p = loaded->programs.front();
  std::printf(
      "%s: built %s; verifier ACCEPTED %s (section %s): %llu insns processed, %u states, "
      "%.3f ms\n",
      name.c_str(), object.c_str(), p.name.c_str(), p.section.c_str(),
      static_cast<unsigned long long>(p.verification.insns_processed), p.verification.total_states,
      p.verification.time_ms);
  return true;
}

void build(const BuildArgs& a) {
  if (!a.handler.empty()) {
    if (!a.stack.empty()) throw CommandError("give either -f STACK.yml or --handler, not both");
    std::string name = a.name;
    if (name.empty()) name = fs::path(a.handler).lexically_normal().filename().stem().string();
    if (name.empty()) name = fs::path(a.handler).lexically_normal().parent_path().filename();
    const std::string out = a.output.empty() ? "build/" + name + "/handler.o" : a.output;
    if (!build_one(name, a.handler, out, a.section)) throw RejectedExit{1};
    return;
  }
  const std::string stack = a.stack.empty() ? "stack.yml" : a.stack;
  auto s = client::read_stack(stack, a.envsubst);
  if (!s) throw CommandError(s.error().message());
  if (!a.output.empty()) throw CommandError("-o is for --handler; a stack builds into build/NAME/");
  const fs::path root = fs::path(stack).parent_path();
  int built = 0, failed = 0;
  for (const auto& f : s->functions) {
    if (!a.filter.empty() && f.name != a.filter) continue;
    std::string section = a.section;
    if (section.empty())
      if (auto it = f.annotations.find("com.ebpfaas.section"); it != f.annotations.end())
        section = it->second;
    const std::string out = (root / "build" / f.name / "handler.o").string();
    (build_one(f.name, s->handler_path(f), out, section) ? built : failed)++;
  }
  if (built + failed == 0)
    throw CommandError(a.filter.empty() ? stack + ": no functions"
                                        : stack + ": no function \"" + a.filter + "\"");
  if (failed > 0) throw RejectedExit{1};
}

}  // namespace

void add_scaffold_commands(CLI::App& app) {
  {
    static NewArgs a;
    auto* cmd =
        app.add_subcommand("new", "Create a function from a template and add it to stack.yml");
    cmd->add_option("name", a.name, "function name");
    cmd->add_option("--lang", a.lang, "template (default: c-ebpf)");
    cmd->add_option("--prefix", a.prefix, "image prefix written in stack.yml (registry/user)");
    cmd->add_option("-f,--yaml", a.stack, "stack file to create or append to (default: stack.yml)");
    cmd->add_option("-g,--gateway", a.gateway, "gateway written into a new stack file");
    cmd->add_flag("--list", a.list, "list the available templates");
    cmd->callback([] { new_function(a); });
  }
  {
    static BuildArgs a;
    auto* cmd = app.add_subcommand(
        "build", "Compile functions (clang -O2 -g -target bpf) and verify them here");
    cmd->add_option("-f,--yaml", a.stack, "stack file (default: stack.yml)");
    cmd->add_option("--filter", a.filter, "only this function of the stack file");
    cmd->add_option("--handler", a.handler, "a directory with handler.c, or FILE.c, or FILE.o");
    cmd->add_option("--name", a.name,
                    "with --handler: the function's name (default: from the path)");
    cmd->add_option("--section", a.section, "program (section or name) to verify");
    cmd->add_option("-o,--output", a.output,
                    "with --handler: the object (default: build/NAME/handler.o)");
    cmd->add_option("--envsubst", a.envsubst,
                    "substitute ${VAR} and ${VAR:-default} in the stack file (default: true)");
    cmd->callback([] { build(a); });
  }
}

}  // namespace ebpfaas::cli
