#include "control/client/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <yaml-cpp/yaml.h>

#include "support/file.h"

namespace ebpfaas::client {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string normalise(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string where(const std::string& path, const YAML::Mark& m) {
  if (m.line < 0) return path;
  return fmt::format("{}:{}:{}", path, m.line + 1, m.column + 1);
}

}  // namespace

std::string resolve_gateway(const std::string& flag, const std::string& stack_gateway) {
  if (!flag.empty()) return normalise(flag);
  if (const char* env = std::getenv("OPENFAAS_URL"); env && *env) return normalise(env);
  if (!stack_gateway.empty()) return normalise(stack_gateway);
  return kDefaultGateway;
}

Expected<std::string> config_file_path() {
  if (const char* dir = std::getenv("EBPFAAS_CONFIG"); dir && *dir)
    return std::string(dir) + "/config.yml";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    return Error("cannot find the client config: neither EBPFAAS_CONFIG nor HOME is set");
  return std::string(home) + "/.ebpfaas/config.yml";
}

Expected<ClientConfig> read_config(const std::string& path) {
  ClientConfig config;
  if (::access(path.c_str(), F_OK) != 0) return config;
  auto text = read_text_file(path);
  if (!text) return text.error();
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    return errorf("{}: {}", where(path, e.mark), e.msg);
  }
  if (!root || root.IsNull()) return config;
  if (!root.IsMap())
    return errorf("{}: expected a mapping with \"auths\"", where(path, root.Mark()));
  YAML::Node auths = root["auths"];
  if (!auths || auths.IsNull()) return config;
  if (!auths.IsSequence()) return errorf("{}: \"auths\" must be a list", where(path, auths.Mark()));
  for (const YAML::Node& n : auths) {
    if (!n.IsMap()) return errorf("{}: an auths entry must be a mapping", where(path, n.Mark()));
    AuthEntry e;
    for (auto [field, out] : {std::pair{"gateway", &e.gateway}, std::pair{"auth", &e.auth},
                              std::pair{"token", &e.token}}) {
      YAML::Node v = n[field];
      if (!v) continue;
      if (!v.IsScalar()) return errorf("{}: \"{}\" must be a string", where(path, v.Mark()), field);
      *out = v.as<std::string>();
    }
    if (e.gateway.empty())
      return errorf("{}: an auths entry without \"gateway\"", where(path, n.Mark()));
    e.gateway = normalise(e.gateway);
    config.auths.push_back(std::move(e));
  }
  return config;
}

Status write_config(const std::string& path, const ClientConfig& config) {
  std::error_code ec;
  const auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return errorf("cannot create {}: {}", dir.string(), ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "auths" << YAML::Value << YAML::BeginSeq;
  for (const AuthEntry& e : config.auths)
    out << YAML::BeginMap << YAML::Key << "gateway" << YAML::Value << e.gateway << YAML::Key
        << "auth" << YAML::Value << e.auth << YAML::Key << "token" << YAML::Value << e.token
        << YAML::EndMap;
  out << YAML::EndSeq << YAML::EndMap;
  // The temporary file is created 0600 before any secret is written to it.
  const mode_t old = ::umask(077);
  auto st = write_file_atomic(path, std::string(out.c_str()) + "\n");
  ::umask(old);
  if (!st) return st;
  if (::chmod(path.c_str(), 0600) != 0)
    return errorf("cannot set the mode of {} to 0600: {}", path, std::strerror(errno));
  return {};
}

void set_credentials(ClientConfig& config, const std::string& gateway, const Credentials& creds) {
  const std::string g = normalise(gateway);
  AuthEntry e{g, "basic", base64_encode(creds.user + ":" + creds.password)};
  for (AuthEntry& a : config.auths)
    if (a.gateway == g) {
      a = e;
      return;
    }
  config.auths.push_back(std::move(e));
}

bool remove_credentials(ClientConfig& config, const std::string& gateway) {
  const std::string g = normalise(gateway);
  auto n = std::erase_if(config.auths, [&](const AuthEntry& a) { return a.gateway == g; });
  return n > 0;
}

Expected<std::optional<Credentials>> find_credentials(const ClientConfig& config,
                                                      const std::string& gateway) {
  const std::string g = normalise(gateway);
  for (const AuthEntry& a : config.auths) {
    if (a.gateway != g) continue;
    if (a.auth != "basic")
      return errorf("credentials of {}: auth \"{}\" is not supported (only basic)", g, a.auth);
    auto text = base64_decode(a.token);
    if (!text) return text.error().context("credentials of " + g);
    size_t colon = text->find(':');
    if (colon == std::string::npos)
      return errorf("credentials of {}: the token is not base64(user:password)", g);
    return std::optional<Credentials>(Credentials{text->substr(0, colon), text->substr(colon + 1)});
  }
  return std::optional<Credentials>();
}

std::string base64_encode(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
  }
  if (size_t rest = in.size() - i; rest > 0) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (rest == 2) v |= uint8_t(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Expected<std::string> base64_decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    const char* p = c ? std::strchr(kAlphabet, c) : nullptr;
    if (!p || pad) return errorf("invalid base64 at character {}", i + 1);
    acc = (acc << 6) | static_cast<uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if ((in.size() % 4) != 0 || pad > 2) return Error("invalid base64: length not a multiple of 4");
  return out;
}

}  // namespace ebpfaas::client
