// What the gateway subcommands share: -g/--gateway (else OPENFAAS_URL, else
// http://127.0.0.1:8080) and the credentials `ebpfaas login` stored for it.
#pragma once

#include <string>

#include "control/client/gateway_client.h"
#include "tools/ebpfaas/commands.h"

namespace ebpfaas::cli {

// Adds -g/--gateway to a subcommand.
void add_gateway_option(CLI::App& command, std::string& gateway);

// A client for the resolved gateway (the flag, else OPENFAAS_URL, else a
// stack file's provider.gateway, else the default) with its stored
// credentials (none is fine: the gateway then answers 401 with a hint to log
// in). Throws CommandError on a bad URL or an unreadable config file.
client::GatewayClient connect_gateway(const std::string& gateway_flag,
                                      const std::string& stack_gateway = {});

// Throws CommandError with the failure's text.
template <class T>
T take(client::Reply<T> reply) {
  if (!reply) throw CommandError(reply.failure().text());
  return std::move(reply.value());
}
inline void take(client::Reply<void> reply) {
  if (!reply) throw CommandError(reply.failure().text());
}

}  // namespace ebpfaas::cli
