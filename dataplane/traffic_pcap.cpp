#include "dataplane/traffic_pcap.h"

#include <chrono>
#include <vector>

namespace ebpfaas::dataplane {

Expected<TrafficPcapResult> write_traffic_pcap(const TrafficOptions& options, uint64_t count,
                                               const std::string& path,
                                               const PcapWriterOptions& writer_options) {
  const auto start = std::chrono::steady_clock::now();
  auto gen = TrafficGenerator::create(options);
  if (!gen) return gen.error();
  auto writer = PcapWriter::create(path, writer_options);
  if (!writer) return writer.error();
  std::vector<uint8_t> frame(gen->max_frame_size());
  TrafficPcapResult r;
  for (uint64_t i = 0; i < count; ++i) {
    const GeneratedPacket p = gen->next(frame.data());
    writer->write(p.timestamp_ns, {frame.data(), p.length});
    if (i == 0) r.first_timestamp_ns = p.timestamp_ns;
    r.last_timestamp_ns = p.timestamp_ns;
    // Stop early on a full disk rather than after generating everything.
    if ((i & 0xfffff) == 0xfffff) EBPFAAS_TRY(writer->check());
  }
  r.packets = writer->packets_written();
  r.frame_bytes = writer->frame_bytes_written();
  r.file_bytes = writer->file_bytes_written();
  EBPFAAS_TRY(writer->close());
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace ebpfaas::dataplane
