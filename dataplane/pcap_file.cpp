#include "dataplane/pcap_file.h"

#include <pcap/pcap.h>
#include <stdio_ext.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

namespace ebpfaas::dataplane {
namespace {

constexpr size_t kWriteBuffer = 1 << 20;
constexpr size_t kReadBuffer = 1 << 20;
constexpr uint64_t kFileHeaderLen = 24;
constexpr uint64_t kRecordHeaderLen = 16;

struct FileFormat {
  TimestampPrecision precision = TimestampPrecision::kMicro;
  bool pcapng = false;
};

// What the magic number (either byte order) says about a file.
FileFormat sniff_format(const std::string& path) {
  FileFormat fmt;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    uint8_t m[4];
    if (std::fread(m, 1, 4, f) == 4) {
      const uint32_t be = uint32_t{m[0]} << 24 | uint32_t{m[1]} << 16 | uint32_t{m[2]} << 8 | m[3];
      const uint32_t le = uint32_t{m[3]} << 24 | uint32_t{m[2]} << 16 | uint32_t{m[1]} << 8 | m[0];
      fmt.pcapng = be == 0x0a0d0d0a;
      if (be == 0xa1b23c4d || le == 0xa1b23c4d || fmt.pcapng)
        fmt.precision = TimestampPrecision::kNano;
    }
    std::fclose(f);
  }
  return fmt;
}

}  // namespace

// ---------------------------------------------------------------- reader

Expected<PcapReader> PcapReader::open(const std::string& path) {
  // The stream is opened here rather than by libpcap so that it gets a large
  // buffer and no per-fread locking: libpcap reads each record with two freads.
  FILE* f = nullptr;
  if (path == "-") {
    const int fd = ::dup(STDIN_FILENO);
    if (fd >= 0 && !(f = ::fdopen(fd, "rb"))) ::close(fd);
  } else {
    f = std::fopen(path.c_str(), "rb");
  }
  if (!f) return errorf("cannot read pcap file {}: {}", path, std::strerror(errno));
  PcapReader r;
  r.buffer_ = std::make_unique<char[]>(kReadBuffer);
  std::setvbuf(f, r.buffer_.get(), _IOFBF, kReadBuffer);
  __fsetlocking(f, FSETLOCKING_BYCALLER);
  char errbuf[PCAP_ERRBUF_SIZE] = "";
  pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (!p) {
    std::fclose(f);  // libpcap leaves the stream open when it fails
    return errorf("cannot read pcap file {}: {}", path, errbuf);
  }
  r.pcap_ = p;
  r.path_ = path;
  const FileFormat fmt = path == "-" ? FileFormat{} : sniff_format(path);
  r.precision_ = fmt.precision;
  // pcap records sit back to back after the file header, so their offsets are
  // counted rather than asked of the stream (ftell is a system call per record);
  // pcapng blocks vary, so there the stream is asked.
  r.offset_ = fmt.pcapng ? -1 : static_cast<int64_t>(kFileHeaderLen);
  return r;
}

PcapReader::PcapReader(PcapReader&& o) noexcept
    : pcap_(std::exchange(o.pcap_, nullptr)),
      buffer_(std::move(o.buffer_)),
      path_(std::move(o.path_)),
      precision_(o.precision_),
      records_(o.records_),
      offset_(o.offset_) {}

PcapReader& PcapReader::operator=(PcapReader&& o) noexcept {
  if (this != &o) {
    if (pcap_) pcap_close(pcap_);
    pcap_ = std::exchange(o.pcap_, nullptr);
    buffer_ = std::move(o.buffer_);
    path_ = std::move(o.path_);
    precision_ = o.precision_;
    records_ = o.records_;
    offset_ = o.offset_;
  }
  return *this;
}

PcapReader::~PcapReader() {
  if (pcap_) pcap_close(pcap_);
}

int PcapReader::linktype() const {
  return pcap_datalink(pcap_);
}
uint32_t PcapReader::snaplen() const {
  return static_cast<uint32_t>(pcap_snapshot(pcap_));
}

Expected<std::optional<PcapPacket>> PcapReader::next() {
  int64_t offset = offset_;
  if (offset < 0) {
    FILE* f = pcap_file(pcap_);
    offset = f ? std::ftell(f) : -1;
  }
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(pcap_, &hdr, &data);
  if (rc == PCAP_ERROR_BREAK) return std::optional<PcapPacket>();  // end of file
  if (rc != 1) {
    const std::string where = offset >= 0 ? fmt::format(" at byte {}", offset) : std::string();
    return errorf("{}: record {}{}: {}", path_, records_ + 1, where, pcap_geterr(pcap_));
  }
  ++records_;
  if (offset_ >= 0) offset_ += static_cast<int64_t>(kRecordHeaderLen + hdr->caplen);
  PcapPacket pkt;
  // Opened with nanosecond precision, tv_usec holds nanoseconds.
  pkt.timestamp_ns = static_cast<uint64_t>(hdr->ts.tv_sec) * 1'000'000'000ULL +
                     static_cast<uint64_t>(hdr->ts.tv_usec);
  pkt.original_length = hdr->len;
  pkt.data = {data, hdr->caplen};
  return std::optional<PcapPacket>(pkt);
}

Expected<PacketTrace> read_pcap(const std::string& path, uint64_t max_packets) {
  auto reader = PcapReader::open(path);
  if (!reader) return reader.error();
  PacketTrace trace;
  trace.linktype = reader->linktype();
  trace.precision = reader->file_precision();
  // The file size bounds the data; reserving it avoids regrowing a large arena.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    trace.data.reserve(static_cast<size_t>(st.st_size));
    trace.records.reserve(static_cast<size_t>(st.st_size) / (kRecordHeaderLen + 60));
  }
  while (trace.records.size() < max_packets) {
    auto pkt = reader->next();
    if (!pkt) return pkt.error();
    if (!*pkt) break;
    const PcapPacket& p = **pkt;
    trace.records.push_back(PacketTrace::Record{p.timestamp_ns, trace.data.size(),
                                                static_cast<uint32_t>(p.data.size()),
                                                p.original_length});
    trace.data.insert(trace.data.end(), p.data.begin(), p.data.end());
  }
  return trace;
}

// ---------------------------------------------------------------- writer

Expected<PcapWriter> PcapWriter::create(const std::string& path, const PcapWriterOptions& options) {
  PcapWriter w;
  w.path_ = path;
  w.options_ = options;
  FILE* f = nullptr;
  if (path == "-") {
    // A duplicate, so that closing the capture leaves standard output open.
    const int fd = ::dup(STDOUT_FILENO);
    if (fd < 0 || !(f = ::fdopen(fd, "wb"))) {
      if (fd >= 0) ::close(fd);
      return errorf("cannot write pcap to standard output: {}", std::strerror(errno));
    }
  } else {
    struct stat st {};
    const bool in_place = ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
    if (!in_place) w.tmp_path_ = path + ".tmp." + std::to_string(::getpid());
    const std::string& target = in_place ? path : w.tmp_path_;
    f = std::fopen(target.c_str(), "wb");
    if (!f) {
      w.tmp_path_.clear();
      return errorf("cannot create pcap file {}: {}", path, std::strerror(errno));
    }
  }
  w.buffer_ = std::make_unique<char[]>(kWriteBuffer);
  std::setvbuf(f, w.buffer_.get(), _IOFBF, kWriteBuffer);
  // The writer owns the stream and is used by one thread at a time: skip the
  // lock that every fwrite inside pcap_dump would otherwise take.
  __fsetlocking(f, FSETLOCKING_BYCALLER);
  w.pcap_ = pcap_open_dead_with_tstamp_precision(
      options.linktype, static_cast<int>(options.snaplen),
      options.precision == TimestampPrecision::kNano ? PCAP_TSTAMP_PRECISION_NANO
                                                     : PCAP_TSTAMP_PRECISION_MICRO);
  if (!w.pcap_) {
    std::fclose(f);
    return errorf("cannot create pcap file {}: libpcap cannot describe link type {}", path,
                  options.linktype);
  }
  w.dumper_ = pcap_dump_fopen(w.pcap_, f);  // writes the file header
  w.file_ = f;
  if (!w.dumper_) {
    Error e = errorf("cannot create pcap file {}: {}", path, pcap_geterr(w.pcap_));
    std::fclose(f);
    return e;
  }
  return w;
}

PcapWriter::PcapWriter(PcapWriter&& o) noexcept {
  *this = std::move(o);
}

PcapWriter& PcapWriter::operator=(PcapWriter&& o) noexcept {
  if (this != &o) {
    release();
    pcap_ = std::exchange(o.pcap_, nullptr);
    dumper_ = std::exchange(o.dumper_, nullptr);
    file_ = std::exchange(o.file_, nullptr);
    write_errno_ = o.write_errno_;
    buffer_ = std::move(o.buffer_);
    path_ = std::move(o.path_);
    tmp_path_ = std::exchange(o.tmp_path_, std::string());
    options_ = o.options_;
    packets_ = o.packets_;
    frame_bytes_ = o.frame_bytes_;
  }
  return *this;
}

PcapWriter::~PcapWriter() {
  release();
}

void PcapWriter::release() {
  if (dumper_) pcap_dump_close(dumper_);
  dumper_ = nullptr;
  file_ = nullptr;
  if (pcap_) pcap_close(pcap_);
  pcap_ = nullptr;
  buffer_.reset();
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  tmp_path_.clear();
}

void PcapWriter::write(uint64_t timestamp_ns, std::span<const uint8_t> frame,
                       std::optional<uint32_t> original_length) {
  pcap_pkthdr h{};
  h.ts.tv_sec = static_cast<time_t>(timestamp_ns / 1'000'000'000ULL);
  const uint64_t ns = timestamp_ns % 1'000'000'000ULL;
  // With a nanosecond-precision handle, pcap_dump writes tv_usec as given.
  h.ts.tv_usec =
      static_cast<suseconds_t>(options_.precision == TimestampPrecision::kNano ? ns : ns / 1000);
  h.caplen = static_cast<uint32_t>(std::min<size_t>(frame.size(), options_.snaplen));
  h.len = original_length.value_or(static_cast<uint32_t>(frame.size()));
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
  // pcap_dump cannot report a failure; errno still names it right after.
  if (write_errno_ == 0 && ferror_unlocked(file_)) write_errno_ = errno ? errno : EIO;
  ++packets_;
  frame_bytes_ += h.caplen;
}

Status PcapWriter::check() const {
  if (!dumper_) return errorf("{}: the capture is closed", path_);
  if (write_errno_ != 0)
    return errorf("cannot write pcap file {}: {}", path_, std::strerror(write_errno_));
  return {};
}

uint64_t PcapWriter::file_bytes_written() const {
  return kFileHeaderLen + packets_ * kRecordHeaderLen + frame_bytes_;
}

Status PcapWriter::close() {
  if (!dumper_) return errorf("{}: the capture is already closed", path_);
  if (Status st = check(); !st) {
    release();
    return st;
  }
  if (pcap_dump_flush(dumper_) != 0) {
    Error e = errorf("cannot write pcap file {}: {}", path_, std::strerror(errno));
    release();
    return e;
  }
  // No fsync: a capture is regenerable, and syncing hundreds of megabytes would
  // dominate the time of `ebpfaas gen`; the rename still keeps a failed write
  // from replacing a good file.
  pcap_dump_close(dumper_);
  dumper_ = nullptr;
  file_ = nullptr;
  if (!tmp_path_.empty()) {
    if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
      Error e = errorf("cannot rename {} into {}: {}", tmp_path_, path_, std::strerror(errno));
      release();
      return e;
    }
    tmp_path_.clear();
  }
  release();
  return {};
}

}  // namespace ebpfaas::dataplane
