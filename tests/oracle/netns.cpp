#include "tests/oracle/netns.h"

#include <fmt/format.h>
#include <net/if.h>
#include <sched.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace ebpfaas::oracle {

std::string enter_private_netns(uint32_t devices) {
  if (unshare(CLONE_NEWNET) != 0)
    return fmt::format("unshare(CLONE_NEWNET): {}", std::strerror(errno));
  if (std::system("ip link set lo up") != 0) return "ip link set lo up failed";
  // veth pairs (every kernel with network namespaces has them): ifindexes 2, 3, ...
  for (uint32_t i = 0; i < devices; i += 2) {
    const std::string cmd = fmt::format(
        "ip link add oracle{} type veth peer name oracle{} && ip link set oracle{} up && "
        "ip link set oracle{} up",
        i, i + 1, i, i + 1);
    if (std::system(cmd.c_str()) != 0) return "'" + cmd + "' failed (veth devices)";
  }
  for (uint32_t i = 0; i < devices + devices % 2; ++i) {
    const std::string name = fmt::format("oracle{}", i);
    const unsigned ifindex = if_nametoindex(name.c_str());
    if (ifindex < 2 || ifindex > devices + devices % 2 + 1)
      return fmt::format("{} has ifindex {}, not one of 2..{}", name, ifindex,
                         devices + devices % 2 + 1);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0)
    return fmt::format("sched_setaffinity(CPU 0): {}", std::strerror(errno));
  return "";
}

}  // namespace ebpfaas::oracle
