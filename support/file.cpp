#include "support/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ebpfaas {
namespace {

Error sys_error(const std::string& what, const std::string& path) {
  return errorf("{} {}: {}", what, path, std::strerror(errno));
}

}  // namespace

Expected<std::vector<uint8_t>> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return sys_error("cannot open", path);
  std::vector<uint8_t> data;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("cannot read", path);
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    data.insert(data.end(), buf, buf + n);
  }
  ::close(fd);
  return data;
}

Expected<std::string> read_text_file(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes) return bytes.error();
  return std::string(bytes->begin(), bytes->end());
}

Status write_file_atomic(const std::string& path, std::span<const uint8_t> data) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error("cannot create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = sys_error("cannot write", path);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = sys_error("cannot sync", path);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Error e = sys_error("cannot rename into", path);
    ::unlink(tmp.c_str());
    return e;
  }
  return {};
}

Status write_file_atomic(const std::string& path, std::string_view text) {
  return write_file_atomic(
      path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace ebpfaas
