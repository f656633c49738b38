#include "control/http_auth.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

#include "support/file.h"

namespace ebpfaas::control {
namespace {

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Result<std::string> random_password(size_t length) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < length) {
    unsigned char buf[64];
    ssize_t n = ::getrandom(buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::kInternal, "cannot generate a password: getrandom: {}",
                  std::strerror(errno));
    }
    // 62 symbols: reject bytes >= 248 so every symbol is equally likely.
    for (ssize_t i = 0; i < n && out.size() < length; ++i)
      if (buf[i] < 248) out.push_back(kAlphabet[buf[i] % kAlphabet.size()]);
  }
  return out;
}

// Writes a new file readable by its owner only: temporary file (0600), fsync, rename.
Outcome write_secret(const std::string& path, std::string_view value) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return fail(ErrorKind::kInternal, "cannot create {}: {}", tmp, std::strerror(errno));
  std::string text = std::string(value) + "\n";
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(ErrorKind::kInternal, "cannot write {}: {}", tmp, std::strerror(e));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0600) != 0 || ::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return fail(ErrorKind::kInternal, "cannot write {}: {}", tmp, std::strerror(e));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return fail(ErrorKind::kInternal, "cannot rename {} to {}: {}", tmp, path, std::strerror(e));
  }
  return {};
}

Result<std::string> read_or_create(const std::string& path,
                                   const std::function<Result<std::string>()>& make) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    auto text = read_text_file(path);
    if (!text) return fail(ErrorKind::kInternal, "{}", text.error().message());
    std::string v = *text;
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.pop_back();
    if (v.empty()) return fail(ErrorKind::kInvalidArgument, "{}: empty credential file", path);
    return v;
  }
  auto v = make();
  if (!v) return v;
  EBPFAAS_CONTROL_TRY(write_secret(path, *v));
  return v;
}

}  // namespace

Result<BasicAuthCredentials> load_or_create_credentials(const std::string& state_dir) {
  const std::string dir = state_dir + "/secrets";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail(ErrorKind::kInternal, "cannot create {}: {}", dir, ec.message());
  ::chmod(dir.c_str(), 0700);
  BasicAuthCredentials c;
  c.user_file = dir + "/basic-auth-user";
  c.password_file = dir + "/basic-auth-password";
  auto user = read_or_create(c.user_file, [] { return Result<std::string>(std::string("admin")); });
  if (!user) return failure_of(user);
  auto password = read_or_create(c.password_file, [] { return random_password(32); });
  if (!password) return failure_of(password);
  if (user->find(':') != std::string::npos)
    return fail(ErrorKind::kInvalidArgument, "{}: a user name must not contain ':'", c.user_file);
  c.user = std::move(*user);
  c.password = std::move(*password);
  return c;
}

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint8_t(bytes[i + 2]);
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += kBase64[(v >> 6) & 63];
    out += kBase64[v & 63];
  }
  if (i < bytes.size()) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kBase64[(v >> 18) & 63];
    out += kBase64[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kBase64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0)
    return fail(ErrorKind::kInvalidArgument, "invalid base64: length {} is not a multiple of 4",
                text.size());
  std::string out;
  for (size_t i = 0; i < text.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = text[i + k];
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        v[k] = 0;
        ++pad;
        continue;
      }
      if (pad > 0 || (v[k] = value(c)) < 0)
        return fail(ErrorKind::kInvalidArgument, "invalid base64 at offset {}", i + k);
    }
    uint32_t w =
        (uint32_t(v[0]) << 18) | (uint32_t(v[1]) << 12) | (uint32_t(v[2]) << 6) | uint32_t(v[3]);
    out += char((w >> 16) & 0xff);
    if (pad < 2) out += char((w >> 8) & 0xff);
    if (pad < 1) out += char(w & 0xff);
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Always walks the longer string so that the time says nothing about
  // where the strings differ.
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  // Keep the compiler from turning the loop into an early exit.
  volatile unsigned sink = diff;
  return sink == 0;
}

bool basic_auth_matches(std::string_view authorization, const BasicAuthCredentials& credentials) {
  constexpr std::string_view kScheme = "Basic ";
  if (authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size() - 1; ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(kScheme[i])))
      return false;
  if (authorization[kScheme.size() - 1] != ' ') return false;
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  auto decoded = base64_decode(token);
  if (!decoded) return false;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // Both halves compared, whatever the first says.
  const bool user_ok =
      constant_time_equal(std::string_view(*decoded).substr(0, colon), credentials.user);
  const bool password_ok =
      constant_time_equal(std::string_view(*decoded).substr(colon + 1), credentials.password);
  return user_ok & password_ok;
}

}  // namespace ebpfaas::control
