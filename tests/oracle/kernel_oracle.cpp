#include "tests/oracle/kernel_oracle.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include "loader/load.h"
#include "maps/prog_array.h"
#include "support/hex.h"
#include "support/qsbr.h"
#include "vm/jit/jit.h"
#include "vm/xdp_frame.h"

namespace ebpfaas::oracle {
namespace {

using Bytes = std::vector<uint8_t>;

struct ObjectCloser {
  void operator()(bpf_object* o) const { bpf_object__close(o); }
};
using KernelObject = std::unique_ptr<bpf_object, ObjectCloser>;

// libbpf names global data maps "<object prefix>.<section>"; ebpfaas by the
// section alone.
std::string ebpfaas_map_name(const bpf_map* m) {
  std::string name = bpf_map__name(m);
  if (bpf_map__is_internal(m)) {
    if (auto dot = name.find('.'); dot != std::string::npos) name = name.substr(dot);
  }
  return name;
}

bool comparable(uint32_t type) {
  switch (type) {
    case BPF_MAP_TYPE_PROG_ARRAY:  // lookups from user space are not supported
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return false;
    default:
      return true;
  }
}

bool percpu_type(uint32_t type) {
  return type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_HASH ||
         type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

uint32_t possible_cpus() {
  const int n = libbpf_num_possible_cpus();
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

// Replicates a value for every CPU of a per-CPU map (8-byte aligned slots).
Bytes user_value(const Bytes& value, uint32_t value_size, bool percpu, uint32_t cpus) {
  if (!percpu) return value;
  const uint32_t slot = (value_size + 7) / 8 * 8;
  Bytes out(static_cast<size_t>(slot) * cpus, 0);
  for (uint32_t c = 0; c < cpus; ++c)
    std::copy_n(value.begin(), std::min<size_t>(value.size(), value_size), out.begin() + c * slot);
  return out;
}

using Contents = std::map<Bytes, Bytes>;

Contents kernel_contents(int fd, uint32_t key_size, uint32_t user_value_size) {
  Contents out;
  Bytes key(key_size), next(key_size), value(user_value_size);
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, next.data()) == 0) {
    key = next;
    prev = key.data();
    if (bpf_map_lookup_elem(fd, key.data(), value.data()) == 0) out[key] = value;
    if (out.size() > 10'000'000) break;
  }
  return out;
}

Contents ebpfaas_contents(maps::Map& m) {
  Contents out;
  Bytes key(m.key_size()), next(m.key_size()), value(m.user_value_size());
  const void* prev = nullptr;
  while (m.next_key(prev, next.data()) == 0) {
    key = next;
    prev = key.data();
    if (m.user_lookup(key.data(), value.data()) == 0) out[key] = value;
    if (out.size() > 10'000'000) break;
  }
  return out;
}

// Clears the ignored bytes of every CPU's copy of a value.
void mask(Contents& c, const std::vector<IgnoredBytes>& ignore, const std::string& map,
          uint32_t value_size, bool percpu, uint32_t cpus) {
  const uint32_t slot = percpu ? (value_size + 7) / 8 * 8 : value_size;
  const uint32_t copies = percpu ? cpus : 1;
  for (const auto& ig : ignore) {
    if (ig.map != map) continue;
    for (auto& [k, v] : c)
      for (uint32_t cpu = 0; cpu < copies; ++cpu)
        for (uint32_t i = ig.offset; i < ig.offset + ig.length && i < value_size; ++i)
          v[static_cast<size_t>(cpu) * slot + i] = 0;
  }
}

class Reporter {
 public:
  Reporter(OracleReport& r, uint32_t limit) : r_(r), limit_(limit) {}
  void add(std::string what) {
    if (r_.differences.size() < limit_) r_.differences.push_back(std::move(what));
  }

 private:
  OracleReport& r_;
  uint32_t limit_;
};

void compare_maps(const std::string& name, Contents k, Contents e, uint32_t value_size, bool percpu,
                  uint32_t cpus, const OracleOptions& o, OracleReport& report, Reporter& rep) {
  mask(k, o.ignore, name, value_size, percpu, cpus);
  mask(e, o.ignore, name, value_size, percpu, cpus);
  report.map_entries += k.size();
  bool differ = false;
  for (const auto& [key, kv] : k) {
    auto it = e.find(key);
    if (it == e.end()) {
      differ = true;
      rep.add(fmt::format("map {}: key {} is in the kernel's map (value {}) but not in ebpfaas's",
                          name, to_hex(key), to_hex(kv)));
    } else if (it->second != kv) {
      differ = true;
      rep.add(fmt::format("map {}: key {}: kernel {} ebpfaas {}", name, to_hex(key), to_hex(kv),
                          to_hex(it->second)));
    }
  }
  for (const auto& [key, ev] : e)
    if (!k.count(key)) {
      differ = true;
      rep.add(fmt::format("map {}: key {} is in ebpfaas's map (value {}) but not in the kernel's",
                          name, to_hex(key), to_hex(ev)));
    }
  if (differ) ++report.mismatched_maps;
}

}  // namespace

Expected<OracleReport> run_oracle(const OracleOptions& o, std::span<const OraclePacket> packets) {
  OracleReport report;
  Reporter rep(report, o.max_reported);
  const uint32_t cpus = possible_cpus();

  // ebpfaas: load and verify as the data plane does.
  loader::LoadOptions lopts;
  lopts.map_options.num_cpus = cpus;
  lopts.map_options.ifindex_exists = [](uint32_t ifindex) {
    char name[IF_NAMESIZE];
    return if_indextoname(ifindex, name) != nullptr;
  };
  // Every program is loaded on both sides: tail calls reach the others.
  auto loaded = loader::load_file(o.object, lopts);
  if (!loaded && !o.section.empty()) {
    // Another program of the object does not load: the chosen one alone.
    lopts.programs = {o.section};
    loaded = loader::load_file(o.object, lopts);
  }
  if (!loaded) return loaded.error().context("ebpfaas");
  const loader::LoadedProgram* prog =
      o.section.empty() ? &loaded->programs.front() : loaded->find(o.section);
  if (!prog) return errorf("{}: no program '{}'", o.object, o.section);
  std::shared_ptr<const vm::JitProgram> jit;
  if (o.jit)
    for (const loader::LoadedProgram& p : loaded->programs) {
      auto compiled = vm::jit_compile(p.program);
      if (!compiled) return compiled.error().context("ebpfaas JIT: program " + p.name);
      if (&p == prog) jit = *compiled;
    }

  // The kernel: libbpf opens and loads the same file; when another program of
  // the object does not load there, the chosen one alone.
  KernelObject kobj;
  bpf_program* kprog = nullptr;
  int err = 0;
  std::vector<char> log_buf(1 << 20);
  std::string klog;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool alone = loaded->programs.size() == 1 || attempt == 1;
    LIBBPF_OPTS(bpf_object_open_opts, open_opts);
    kobj.reset(bpf_object__open_file(o.object.c_str(), &open_opts));
    if (!kobj) return errorf("libbpf: cannot open {}: {}", o.object, std::strerror(errno));
    kprog = nullptr;
    bpf_program* p = nullptr;
    bpf_object__for_each_program(p, kobj.get()) {
      if (kprog == nullptr && prog->name == bpf_program__name(p)) kprog = p;
    }
    if (!kprog) return errorf("libbpf: {} has no program {}", o.object, prog->name);
    if (alone) bpf_object__for_each_program(p, kobj.get()) bpf_program__set_autoload(p, p == kprog);
    log_buf[0] = 0;
    bpf_program__set_log_buf(kprog, log_buf.data(), log_buf.size());
    err = bpf_object__load(kobj.get()) == 0 ? 0 : errno;
    klog = log_buf.data();
    if (err == 0 || alone) break;
  }
  if (err != 0) {
    if (err == EPERM || err == ENOSYS) {
      report.why_unavailable =
          fmt::format("SKIPPED: the kernel's BPF is not available here ({})", std::strerror(err));
      return report;
    }
    // A kernel built without a helper the program calls cannot judge it.
    const size_t at = klog.find("cannot use helper");
    if (at != std::string::npos) {
      report.why_unavailable =
          fmt::format("SKIPPED: this kernel refuses {}: program of this type {}", prog->name,
                      klog.substr(at, klog.find('\n', at) - at));
      return report;
    }
    return errorf("the kernel refused {} (program {}): {}", o.object, prog->name,
                  std::strerror(err));
  }
  report.kernel_available = true;
  const int prog_fd = bpf_program__fd(kprog);

  // The same initial entries on both sides.
  for (const auto& entry : o.setup) {
    bpf_map* km = bpf_object__find_map_by_name(kobj.get(), entry.map.c_str());
    auto em = loaded->maps->find(entry.map);
    if (!km || !em) return errorf("setup: {} has no map '{}'", o.object, entry.map);
    const bool percpu = percpu_type(bpf_map__type(km));
    const Bytes value = user_value(entry.value, bpf_map__value_size(km), percpu, cpus);
    if (bpf_map_update_elem(bpf_map__fd(km), entry.key.data(), value.data(), BPF_ANY) != 0)
      return errorf("setup: the kernel refused an entry of map {} (key {}): {}", entry.map,
                    to_hex(entry.key), std::strerror(errno));
    if (entry.key.size() != em->key_size() || value.size() != em->user_value_size())
      return errorf("setup: map {}: key or value size does not match the map", entry.map);
    if (long rc = em->user_update(entry.key.data(), value.data(), BPF_ANY); rc != 0)
      return errorf("setup: ebpfaas refused an entry of map {} (key {}): {}", entry.map,
                    to_hex(entry.key), std::strerror(static_cast<int>(-rc)));
  }

  for (const auto& slot : o.slots) {
    bpf_map* km = bpf_object__find_map_by_name(kobj.get(), slot.map.c_str());
    bpf_program* kp = bpf_object__find_program_by_name(kobj.get(), slot.program.c_str());
    auto em = std::dynamic_pointer_cast<maps::ProgArray>(loaded->maps->find(slot.map));
    const loader::LoadedProgram* ep = loaded->find(slot.program);
    if (!km || !em) return errorf("slots: {} has no prog array '{}'", o.object, slot.map);
    if (!kp || !ep) return errorf("slots: {} has no program '{}'", o.object, slot.program);
    const int fd = bpf_program__fd(kp);
    if (bpf_map_update_elem(bpf_map__fd(km), &slot.key, &fd, BPF_ANY) != 0)
      return errorf("slots: the kernel refused {}[{}] = {}: {}", slot.map, slot.key, slot.program,
                    std::strerror(errno));
    if (long rc = em->set(slot.key, ep->program); rc != 0)
      return errorf("slots: ebpfaas refused {}[{}] = {}: {}", slot.map, slot.key, slot.program,
                    std::strerror(static_cast<int>(-rc)));
  }

  QsbrThread engine(QsbrDomain::global());
  helpers::RunContext rc;
  rc.cpu = 0;
  rc.fixed_clock = true;
  rc.linked_maps = prog->map_handles;
  vm::XdpFrame frame;
  Bytes out(vm::XdpFrame::kFrameSize);

  for (const OraclePacket& pkt : packets) {
    ++report.packets;
    xdp_md ctx{};
    ctx.ingress_ifindex = pkt.ingress_ifindex;
    ctx.data_end = static_cast<uint32_t>(pkt.data.size());  // as BPF_PROG_TEST_RUN wants it
    LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt.data.data(), .data_out = out.data(),
                .data_size_in = static_cast<uint32_t>(pkt.data.size()),
                .data_size_out = static_cast<uint32_t>(out.size()), .ctx_in = &ctx,
                .ctx_size_in = sizeof(ctx), .repeat = 1);
    // ebpfaas sees the time the kernel's run started (time helpers return it),
    // so clock-driven state (token buckets) changes at the same packets.
    timespec before{};
    clock_gettime(CLOCK_MONOTONIC, &before);
    rc.clock_ns = static_cast<uint64_t>(before.tv_sec) * 1'000'000'000ull +
                  static_cast<uint64_t>(before.tv_nsec);
    if (bpf_prog_test_run_opts(prog_fd, &run) != 0)
      return errorf("packet {} ({} bytes, ifindex {}): BPF_PROG_TEST_RUN failed: {}",
                    report.packets, pkt.data.size(), pkt.ingress_ifindex, std::strerror(errno));
    const uint32_t kret = run.retval;
    ++report.verdicts[kret <= XDP_REDIRECT ? kret : 5];
    const std::span<const uint8_t> kout(out.data(), run.data_size_out);

    // ifindex 0 is the loopback device's queue in BPF_PROG_TEST_RUN.
    const uint32_t ifindex = pkt.ingress_ifindex ? pkt.ingress_ifindex : 1;
    if (auto st = frame.load(pkt.data, ifindex); !st)
      return st.error().context(fmt::format("packet {}", report.packets));
    rc.reset();
    const uint32_t eret = jit ? vm::run_xdp_jit(*jit, frame.buff(), rc)
                              : vm::run_xdp(*prog->program, frame.buff(), rc);
    engine.quiescent();
    const auto eout = frame.meta_and_data();

    if (kret != eret || !std::equal(kout.begin(), kout.end(), eout.begin(), eout.end())) {
      ++report.mismatched_packets;
      std::string what =
          fmt::format("packet {} (ifindex {}, {}): kernel retval {}, ebpfaas {}", report.packets,
                      pkt.ingress_ifindex, to_hex(pkt.data), kret, eret);
      if (rc.stop == helpers::RunContext::Stop::kFault)
        what += " (fault: " + rc.fault_message + ")";
      if (!std::equal(kout.begin(), kout.end(), eout.begin(), eout.end()))
        what += fmt::format("; data out: kernel {} ebpfaas {}", to_hex(kout), to_hex(eout));
      rep.add(std::move(what));
    }
  }

  // Every map, entry by entry.
  bpf_map* km = nullptr;
  bpf_object__for_each_map(km, kobj.get()) {
    if (!comparable(bpf_map__type(km))) continue;
    const std::string name = ebpfaas_map_name(km);
    auto em = loaded->maps->find(name);
    if (!em) {
      ++report.mismatched_maps;
      rep.add("map " + name + " exists in the kernel's object but not in ebpfaas's");
      continue;
    }
    const bool percpu = percpu_type(bpf_map__type(km));
    const uint32_t vsize = bpf_map__value_size(km);
    const uint32_t uvs = percpu ? (vsize + 7) / 8 * 8 * cpus : vsize;
    if (uvs != em->user_value_size() || bpf_map__key_size(km) != em->key_size()) {
      ++report.mismatched_maps;
      rep.add("map " + name + ": key or value sizes differ");
      continue;
    }
    compare_maps(name, kernel_contents(bpf_map__fd(km), bpf_map__key_size(km), uvs),
                 ebpfaas_contents(*em), vsize, percpu, cpus, o, report, rep);
  }
  return report;
}

}  // namespace ebpfaas::oracle
