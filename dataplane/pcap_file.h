// pcap capture files through libpcap: a streaming reader, a bulk reader that
// loads a whole trace into one buffer (what `ebpfaas prog run --in` and the pcap
// port replay from), and a writer.
//
// Timestamps are nanoseconds since the epoch everywhere; files are read with
// libpcap's nanosecond precision (microsecond files are scaled) and written with
// either precision (nanosecond by default: at 14.88 Mpps packets are 67 ns
// apart, which microseconds cannot tell apart). The reader also takes pcapng,
// as libpcap does.
//
// Errors name the file, and for a bad record its number (1-based) and byte
// offset: "trace.pcap: record 3 at byte 184: truncated dump file; tried to read
// 64 captured bytes, only got 20".
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "support/error.h"

typedef struct pcap pcap_t;
typedef struct pcap_dumper pcap_dumper_t;

namespace ebpfaas::dataplane {

enum class TimestampPrecision : uint8_t { kMicro, kNano };

inline constexpr int kLinktypeEthernet = 1;          // LINKTYPE_ETHERNET / DLT_EN10MB
inline constexpr uint32_t kDefaultSnaplen = 262144;  // libpcap's maximum

// One record, viewed in the reader's buffer.
struct PcapPacket {
  uint64_t timestamp_ns = 0;
  uint32_t original_length = 0;   // length on the wire; data may be shorter (snap length)
  std::span<const uint8_t> data;  // the captured bytes
};

class PcapReader {
 public:
  // "-" reads standard input.
  static Expected<PcapReader> open(const std::string& path);
  PcapReader(PcapReader&&) noexcept;
  PcapReader& operator=(PcapReader&&) noexcept;
  ~PcapReader();

  // The next record, or nullopt at the end of the file. The view stays valid
  // until the next call.
  Expected<std::optional<PcapPacket>> next();

  int linktype() const;  // LINKTYPE_* value, 1 for Ethernet
  uint32_t snaplen() const;
  // The precision the file stores (pcap magic); pcapng files report kNano.
  TimestampPrecision file_precision() const { return precision_; }
  uint64_t records_read() const { return records_; }
  const std::string& path() const { return path_; }

 private:
  PcapReader() = default;
  pcap_t* pcap_ = nullptr;
  std::unique_ptr<char[]> buffer_;  // the stream's buffer, outlives pcap_
  std::string path_;
  TimestampPrecision precision_ = TimestampPrecision::kMicro;
  uint64_t records_ = 0;
  int64_t offset_ = -1;  // of the next record; -1 when unknown (pcapng)
};

// A whole capture in memory: every record's bytes back to back in `data`.
struct PacketTrace {
  struct Record {
    uint64_t timestamp_ns;
    uint64_t offset;  // into data
    uint32_t length;  // captured bytes
    uint32_t original_length;
  };
  std::vector<uint8_t> data;
  std::vector<Record> records;
  int linktype = kLinktypeEthernet;
  TimestampPrecision precision = TimestampPrecision::kNano;

  size_t size() const { return records.size(); }
  PcapPacket operator[](size_t i) const {
    const Record& r = records[i];
    return {r.timestamp_ns, r.original_length, {data.data() + r.offset, r.length}};
  }
};

// Reads at most max_packets records (all by default).
Expected<PacketTrace> read_pcap(const std::string& path, uint64_t max_packets = UINT64_MAX);

struct PcapWriterOptions {
  TimestampPrecision precision = TimestampPrecision::kNano;
  uint32_t snaplen = kDefaultSnaplen;  // longer frames are cut, keeping their original length
  int linktype = kLinktypeEthernet;
};

// Writes through libpcap's pcap_dump into a large stdio buffer. A regular file
// is written under a temporary name and renamed into place by close(), so a
// failed or abandoned write never leaves a half-written capture at `path`;
// "-" writes to standard output, and other non-regular files (FIFOs, devices)
// are written in place. A writer is used by one thread at a time.
class PcapWriter {
 public:
  static Expected<PcapWriter> create(const std::string& path,
                                     const PcapWriterOptions& options = {});
  PcapWriter(PcapWriter&&) noexcept;
  PcapWriter& operator=(PcapWriter&&) noexcept;
  ~PcapWriter();  // without a successful close(), removes the temporary file

  // Appends a record. I/O errors are sticky and reported by check()/close().
  void write(uint64_t timestamp_ns, std::span<const uint8_t> frame,
             std::optional<uint32_t> original_length = std::nullopt);
  // Reports an I/O error so far (e.g. a full disk), naming the file.
  Status check() const;
  // Flushes, closes and renames into place.
  Status close();

  uint64_t packets_written() const { return packets_; }
  uint64_t frame_bytes_written() const { return frame_bytes_; }  // captured bytes
  uint64_t file_bytes_written() const;  // file header + record headers + data

 private:
  PcapWriter() = default;
  void release();
  pcap_t* pcap_ = nullptr;
  pcap_dumper_t* dumper_ = nullptr;
  FILE* file_ = nullptr;  // the dumper's stream
  int write_errno_ = 0;   // first write error, sticky
  std::unique_ptr<char[]> buffer_;
  std::string path_;
  std::string tmp_path_;  // empty when writing in place
  PcapWriterOptions options_;
  uint64_t packets_ = 0;
  uint64_t frame_bytes_ = 0;
};

}  // namespace ebpfaas::dataplane
