// Where the client finds its gateway and credentials, as faas-cli does:
// -g/--gateway, else OPENFAAS_URL, else http://127.0.0.1:8080; credentials
// stored by `ebpfaas login` in ${EBPFAAS_CONFIG:-~/.ebpfaas}/config.yml with
// faas-cli's layout (auths: - gateway, auth: basic, token: base64(user:pass)),
// mode 0600.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/client/gateway_client.h"
#include "support/error.h"

namespace ebpfaas::client {

inline constexpr const char* kDefaultGateway = "http://127.0.0.1:8080";

// flag if non-empty, else $OPENFAAS_URL if set and non-empty, else the stack
// file's provider.gateway if given, else the default (faas-cli's order); a
// trailing '/' is dropped so that stored and given URLs compare equal.
std::string resolve_gateway(const std::string& flag, const std::string& stack_gateway = {});

// ${EBPFAAS_CONFIG}/config.yml, or ~/.ebpfaas/config.yml ($HOME).
Expected<std::string> config_file_path();

struct AuthEntry {
  std::string gateway;
  std::string auth = "basic";
  std::string token;  // base64(user:password)
};

struct ClientConfig {
  std::vector<AuthEntry> auths;
};

// A missing file is an empty config; a malformed one is an error naming the
// file, line and column.
Expected<ClientConfig> read_config(const std::string& path);
// Written atomically with mode 0600 (the directory is created 0700).
Status write_config(const std::string& path, const ClientConfig& config);

// Adds or replaces the entry of gateway.
void set_credentials(ClientConfig& config, const std::string& gateway, const Credentials& creds);
// Removes the entry of gateway; false when there was none.
bool remove_credentials(ClientConfig& config, const std::string& gateway);
// The credentials stored for gateway, if any (a bad token is an error).
Expected<std::optional<Credentials>> find_credentials(const ClientConfig& config,
                                                      const std::string& gateway);

std::string base64_encode(std::string_view bytes);
Expected<std::string> base64_decode(std::string_view text);

}  // namespace ebpfaas::client
