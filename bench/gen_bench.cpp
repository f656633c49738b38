// gen_bench: how fast the traffic generator produces packets, into memory and
// into pcap files, beside anchors measured in the same run:
//  - memory: memcpy of a prebuilt frame into the same buffers (the cost of
//    touching the packet at all; generation adds flow choice, field writes and
//    checksums on top);
//  - file: fwrite of the same number of bytes in 1 MiB chunks (what the disk
//    and page cache allow), and the pcap writer alone on a prebuilt frame.
// Usage: gen_bench [PACKETS] [DIR]   (default 10000000 packets, DIR /tmp)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dataplane/pcap_file.h"
#include "dataplane/traffic.h"
#include "dataplane/traffic_pcap.h"

using namespace ebpfaas::dataplane;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Packet buffers as a port would hold them: 2 KiB each, reused round robin.
constexpr size_t kBuffers = 4096;
constexpr size_t kBufferSize = 2048;

void report(const char* what, uint64_t packets, uint64_t bytes, double seconds) {
  std::printf("  %-52s %8.2f Mpps  %7.2f Gb/s  %6.3f s\n", what, packets / seconds / 1e6,
              bytes * 8 / seconds / 1e9, seconds);
}

TrafficGenerator make(const TrafficOptions& o) {
  auto g = TrafficGenerator::create(o);
  if (!g) {
    std::fprintf(stderr, "gen_bench: %s\n", g.error().message().c_str());
    std::exit(1);
  }
  return std::move(*g);
}

void bench_memory(const char* name, const TrafficOptions& o, uint64_t n,
                  std::vector<uint8_t>& arena) {
  TrafficGenerator g = make(o);
  uint64_t bytes = 0;
  const double t0 = now();
  for (uint64_t i = 0; i < n; ++i) bytes += g.next(&arena[(i % kBuffers) * kBufferSize]).length;
  report(name, n, bytes, now() - t0);
}

std::string temp_file(const std::string& dir, const char* name) {
  return dir + "/gen_bench." + std::to_string(::getpid()) + "." + name + ".pcap";
}

// Reading the file just written (warm in the page cache): read_pcap into one
// buffer, beside fread of the same file in 1 MiB chunks.
void read_back(const std::string& path, uint64_t packets) {
  std::printf("reading it back (page cache warm):\n");
  std::vector<char> chunk(1 << 20);
  double t0 = now();
  uint64_t bytes = 0;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    for (size_t k; (k = std::fread(chunk.data(), 1, chunk.size(), f)) > 0;) bytes += k;
    std::fclose(f);
  }
  report("anchor: fread of the file, 1 MiB chunks", packets, bytes, now() - t0);
  t0 = now();
  auto trace = read_pcap(path);
  if (!trace) {
    std::fprintf(stderr, "gen_bench: %s\n", trace.error().message().c_str());
    std::exit(1);
  }
  report("read_pcap into one buffer (prog run --in)", trace->size(), trace->data.size(),
         now() - t0);
  std::printf("into a pcap file, continued:\n");
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 10'000'000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::vector<uint8_t> arena(kBuffers * kBufferSize, 0);
  std::printf("gen_bench: %llu packets per run\n", static_cast<unsigned long long>(n));

  std::printf("into memory (%zu buffers of %zu bytes, reused):\n", kBuffers, kBufferSize);
  {
    TrafficOptions o;
    TrafficGenerator g = make(o);
    std::vector<uint8_t> frame(g.max_frame_size());
    g.next(frame.data());
    const double t0 = now();
    for (uint64_t i = 0; i < n; ++i)
      std::memcpy(&arena[(i % kBuffers) * kBufferSize], frame.data(), 64);
    // Keep the copies observable so they are not optimised away.
    volatile uint8_t sink = arena[(n % kBuffers) * kBufferSize + 63];
    (void)sink;
    report("anchor: memcpy of a 64-byte frame", n, n * 64, now() - t0);
  }
  TrafficOptions base;
  {
    TrafficOptions big = base;
    big.flows = 1 << 20;
    big.distribution = FlowDistribution::zipf(1.1);
    const double t0 = now();
    TrafficGenerator g = make(big);
    std::printf("  setup: %zu distinct flows and their Zipf table in %.3f s\n", g.flow_count(),
                now() - t0);
  }
  bench_memory("gen 64 B, IPv4/UDP, 1 flow", base, n, arena);
  TrafficOptions many = base;
  many.flows = 1 << 20;
  bench_memory("gen 64 B, IPv4/UDP, 1M flows uniform", many, n, arena);
  many.distribution = FlowDistribution::zipf(1.1);
  bench_memory("gen 64 B, IPv4/UDP, 1M flows zipf:1.1", many, n, arena);
  TrafficOptions mix = base;
  mix.flows = 1024;
  mix.protocols = {1, 1, 1};
  mix.ip_version = IpVersion::kIpv6;
  mix.vlan = 10;
  bench_memory("gen 64 B, IPv6+VLAN, udp/tcp/icmp, 1024 flows", mix, n, arena);
  TrafficOptions imix = base;
  imix.size = SizeSpec::imix();
  imix.flows = 1024;
  bench_memory("gen IMIX, IPv4/UDP, 1024 flows", imix, n, arena);

  std::printf("into a pcap file in %s (64-byte frames, %llu-byte file):\n", dir.c_str(),
              static_cast<unsigned long long>(24 + n * (16 + 64)));
  const uint64_t file_bytes = 24 + n * (16 + 64);
  {
    const std::string path = temp_file(dir, "fwrite");
    std::vector<char> chunk(1 << 20, 0x5a);
    const double t0 = now();
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) {
      std::perror(path.c_str());
      return 1;
    }
    for (uint64_t left = file_bytes; left > 0;) {
      const size_t k = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
      std::fwrite(chunk.data(), 1, k, f);
      left -= k;
    }
    std::fclose(f);
    report("anchor: fwrite of the same bytes, 1 MiB chunks", n, n * 64, now() - t0);
    ::unlink(path.c_str());
  }
  {
    const std::string path = temp_file(dir, "writer");
    TrafficGenerator g = make(base);
    std::vector<uint8_t> frame(g.max_frame_size());
    const uint32_t len = g.next(frame.data()).length;
    const double t0 = now();
    auto w = PcapWriter::create(path);
    if (!w) return std::fprintf(stderr, "%s\n", w.error().message().c_str()), 1;
    for (uint64_t i = 0; i < n; ++i) w->write(i, {frame.data(), len});
    if (auto st = w->close(); !st)
      return std::fprintf(stderr, "%s\n", st.error().message().c_str()), 1;
    report("anchor: pcap writer alone, one prebuilt frame", n, n * 64, now() - t0);
    ::unlink(path.c_str());
  }
  for (const char* flows : {"1", "1M"}) {
    const std::string path = temp_file(dir, "gen");
    TrafficOptions o = base;
    if (flows[0] == '1' && flows[1] == 'M') o.flows = 1 << 20;
    auto r = write_traffic_pcap(o, n, path);
    if (!r) return std::fprintf(stderr, "%s\n", r.error().message().c_str()), 1;
    const std::string what = std::string("gen + pcap writer (ebpfaas gen), ") + flows + " flow" +
                             (o.flows > 1 ? "s incl. setup" : "");
    report(what.c_str(), r->packets, r->frame_bytes, r->seconds);
    if (o.flows == 1) read_back(path, r->packets);
    ::unlink(path.c_str());
  }
  {
    auto r = write_traffic_pcap(base, n, "/dev/null");
    if (!r) return std::fprintf(stderr, "%s\n", r.error().message().c_str()), 1;
    report("gen + pcap writer into /dev/null (CPU only)", r->packets, r->frame_bytes, r->seconds);
  }
  return 0;
}
