// faas-cli's stack file (stack.yml), the fields ebpfaas uses:
//   version: 1.0
//   provider: {name: openfaas, gateway: http://127.0.0.1:8080}
//   functions:
//     NAME: {lang: c-ebpf, handler: ./dir, image: ..., annotations: {},
//            labels: {}, environment: {}}
// Unknown keys are ignored as faas-cli does; wrong types and unknown
// languages are errors naming the file, the line and the column.
// As faas-cli, environment variables are substituted before the YAML is
// parsed: ${NAME}, ${NAME:-default} (unset or empty), ${NAME-default}
// (unset); an unset NAME without a default is empty. Errors name the line
// and column of the file as written.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/error.h"

namespace ebpfaas::client {

inline constexpr const char* kCEbpfLang = "c-ebpf";

struct StackFunction {
  std::string name;
  std::string lang;
  std::string handler;  // as written: relative to the stack file's directory
  std::string image;
  std::map<std::string, std::string> annotations;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> environment;
};

struct StackFile {
  std::string path;  // where it was read from
  std::string version;
  std::string provider_name;
  std::string gateway;                   // provider.gateway; empty when absent
  std::vector<StackFunction> functions;  // in file order
  // The handler's path resolved against the stack file's directory.
  std::string handler_path(const StackFunction& f) const;
  const StackFunction* find(const std::string& name) const;
};

// A variable's value, or nullopt when it is unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// `where` names the text in messages (a file path). Variables come from the
// process's environment, or from `env` (an empty one: no substitution, as
// faas-cli's --envsubst=false).
Expected<StackFile> parse_stack(const std::string& text, const std::string& where);
Expected<StackFile> parse_stack(const std::string& text, const std::string& where,
                                const EnvLookup& env);
Expected<StackFile> read_stack(const std::string& path, bool substitute_env = true);

// Adds a function to the stack file at path (created with version 1.0 and
// provider openfaas at gateway when missing); an existing function of that
// name is an error. The file is rewritten atomically.
Status append_stack_function(const std::string& path, const StackFunction& function,
                             const std::string& gateway);

}  // namespace ebpfaas::client
