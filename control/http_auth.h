// HTTP basic auth of the ebpfaas API: the credentials kept in the state
// directory and the check of an Authorization header against them.
//
//   STATE/secrets/basic-auth-user      "admin"
//   STATE/secrets/basic-auth-password  32 random characters [A-Za-z0-9]
//
// Both are created (mode 0600, directory 0700) when missing and read as they
// are otherwise, so an operator may replace them; a trailing newline is not
// part of the value.
#pragma once

#include <string>
#include <string_view>

#include "control/result.h"

namespace ebpfaas::control {

struct BasicAuthCredentials {
  std::string user;
  std::string password;
  std::string user_file, password_file;  // where they are kept
};

// Reads the credentials under state_dir/secrets, creating what is missing.
Result<BasicAuthCredentials> load_or_create_credentials(const std::string& state_dir);

// Standard base64 (RFC 4648, with padding); decoding rejects anything else.
std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);

// Compares in time that depends on the lengths only, never on where the
// first difference is.
bool constant_time_equal(std::string_view a, std::string_view b);

// True when `authorization` is "Basic <base64 user:password>" matching.
bool basic_auth_matches(std::string_view authorization, const BasicAuthCredentials& credentials);

}  // namespace ebpfaas::control
