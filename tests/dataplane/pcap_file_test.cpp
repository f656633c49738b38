#include "dataplane/pcap_file.h"

#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <filesystem>

#include "dataplane/random.h"
#include "dataplane/traffic_pcap.h"
#include "tests/dataplane/frame_check.h"
#include "tests/dataplane/temp_dir.h"

namespace ebpfaas::dataplane {
namespace {

struct Sample {
  uint64_t ts;
  std::vector<uint8_t> bytes;
};

std::vector<Sample> samples(int n) {
  Random rng(1);
  std::vector<Sample> out;
  uint64_t ts = 1'700'000'000'123'456'789ULL;
  for (int i = 0; i < n; ++i) {
    Sample s;
    s.ts = ts;
    ts += 1 + rng.below(5'000'000'000ULL);  // crosses second boundaries
    s.bytes.resize(14 + rng.below(1500));
    for (auto& b : s.bytes) b = static_cast<uint8_t>(rng.next());
    out.push_back(std::move(s));
  }
  return out;
}

class PcapFile : public testing::TempDirTest {
 protected:
  std::string write_samples(const std::vector<Sample>& s, const std::string& name,
                            PcapWriterOptions opt = {}) {
    auto w = PcapWriter::create(path(name), opt);
    EXPECT_TRUE(w) << (w ? "" : w.error().message());
    for (const Sample& x : s) w->write(x.ts, x.bytes);
    EXPECT_TRUE(w->close());
    return path(name);
  }
};

TEST_F(PcapFile, NanosecondRoundTripThroughLibpcap) {
  auto s = samples(200);
  const std::string file = write_samples(s, "ns.pcap");
  auto raw = slurp(file);
  ASSERT_GE(raw.size(), 4u);
  EXPECT_EQ(testing::be32(raw, 0), 0x4d3cb2a1u);  // nanosecond magic, little-endian host
  EXPECT_EQ(raw[20], 1);                          // LINKTYPE_ETHERNET

  // Read back with libpcap directly, not through the reader under test.
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p =
      pcap_open_offline_with_tstamp_precision(file.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  ASSERT_NE(p, nullptr) << errbuf;
  EXPECT_EQ(pcap_get_tstamp_precision(p), PCAP_TSTAMP_PRECISION_NANO);
  pcap_pkthdr* h;
  const u_char* d;
  for (const Sample& x : s) {
    ASSERT_EQ(pcap_next_ex(p, &h, &d), 1);
    ASSERT_EQ(h->caplen, x.bytes.size());
    ASSERT_EQ(h->len, x.bytes.size());
    ASSERT_EQ(static_cast<uint64_t>(h->ts.tv_sec), x.ts / 1'000'000'000);
    ASSERT_EQ(static_cast<uint64_t>(h->ts.tv_usec), x.ts % 1'000'000'000);
    ASSERT_EQ(std::vector<uint8_t>(d, d + h->caplen), x.bytes);
  }
  EXPECT_EQ(pcap_next_ex(p, &h, &d), PCAP_ERROR_BREAK);
  pcap_close(p);

  auto trace = read_pcap(file);
  ASSERT_TRUE(trace) << trace.error().message();
  ASSERT_EQ(trace->size(), s.size());
  EXPECT_EQ(trace->precision, TimestampPrecision::kNano);
  EXPECT_EQ(trace->linktype, kLinktypeEthernet);
  for (size_t i = 0; i < s.size(); ++i) {
    auto pkt = (*trace)[i];
    ASSERT_EQ(pkt.timestamp_ns, s[i].ts);
    ASSERT_EQ(std::vector<uint8_t>(pkt.data.begin(), pkt.data.end()), s[i].bytes);
  }
}

TEST_F(PcapFile, MicrosecondFiles) {
  auto s = samples(50);
  const std::string file = write_samples(s, "us.pcap", {.precision = TimestampPrecision::kMicro});
  EXPECT_EQ(testing::be32(slurp(file), 0), 0xd4c3b2a1u);
  char errbuf[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(file.c_str(), errbuf);
  ASSERT_NE(p, nullptr) << errbuf;
  pcap_pkthdr* h;
  const u_char* d;
  for (const Sample& x : s) {
    ASSERT_EQ(pcap_next_ex(p, &h, &d), 1);
    ASSERT_EQ(static_cast<uint64_t>(h->ts.tv_sec) * 1'000'000 + h->ts.tv_usec, x.ts / 1000);
  }
  pcap_close(p);
  auto trace = read_pcap(file);
  ASSERT_TRUE(trace);
  EXPECT_EQ(trace->precision, TimestampPrecision::kMicro);
  for (size_t i = 0; i < s.size(); ++i) ASSERT_EQ((*trace)[i].timestamp_ns, s[i].ts / 1000 * 1000);
}

TEST_F(PcapFile, ReadsWhatLibpcapWrites) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  const std::string file = path("libpcap.pcap");
  pcap_dumper_t* dumper = pcap_dump_open(dead, file.c_str());
  ASSERT_NE(dumper, nullptr);
  std::vector<uint8_t> frame(60, 0xab);
  for (int i = 0; i < 10; ++i) {
    pcap_pkthdr h{};
    h.ts.tv_sec = 100 + i;
    h.ts.tv_usec = 999999 - i;
    h.caplen = h.len = 60 - static_cast<uint32_t>(i);
    frame[0] = static_cast<uint8_t>(i);
    pcap_dump(reinterpret_cast<u_char*>(dumper), &h, frame.data());
  }
  pcap_dump_close(dumper);
  pcap_close(dead);
  auto reader = PcapReader::open(file);
  ASSERT_TRUE(reader);
  EXPECT_EQ(reader->snaplen(), 65535u);
  for (int i = 0; i < 10; ++i) {
    auto pkt = reader->next();
    ASSERT_TRUE(pkt);
    ASSERT_TRUE(*pkt);
    EXPECT_EQ((*pkt)->timestamp_ns, (100ULL + i) * 1'000'000'000 + (999999ULL - i) * 1000);
    EXPECT_EQ((*pkt)->data.size(), 60u - i);
    EXPECT_EQ((*pkt)->data[0], i);
  }
  auto end = reader->next();
  ASSERT_TRUE(end);
  EXPECT_FALSE(*end);
  EXPECT_EQ(reader->records_read(), 10u);
}

TEST_F(PcapFile, SnapLengthCutsFramesAndKeepsTheirLength) {
  auto w = PcapWriter::create(path("snap.pcap"), {.snaplen = 100});
  ASSERT_TRUE(w);
  w->write(5, std::vector<uint8_t>(300, 1));
  w->write(6, std::vector<uint8_t>(40, 2), 1000);
  ASSERT_TRUE(w->close());
  auto trace = read_pcap(path("snap.pcap"));
  ASSERT_TRUE(trace);
  ASSERT_EQ(trace->size(), 2u);
  EXPECT_EQ((*trace)[0].data.size(), 100u);
  EXPECT_EQ((*trace)[0].original_length, 300u);
  EXPECT_EQ((*trace)[1].original_length, 1000u);
}

TEST_F(PcapFile, CorruptFilesGiveErrorsNamingFileRecordAndOffset) {
  std::vector<Sample> s(3);
  for (auto& x : s) x.bytes.assign(64, 0x5a);
  const std::string good = write_samples(s, "good.pcap");
  const auto bytes = slurp(good);
  ASSERT_EQ(bytes.size(), 24u + 3 * (16 + 64));

  // Truncated inside the data of the third record.
  const std::string cut_data = path("cut-data.pcap");
  spit(cut_data, {bytes.begin(), bytes.end() - 10});
  auto trace = read_pcap(cut_data);
  ASSERT_FALSE(trace);
  EXPECT_EQ(trace.error().message(),
            cut_data +
                ": record 3 at byte 184: truncated dump file; tried to read 64 captured "
                "bytes, only got 54");

  // The streaming reader returns the good records before the error.
  auto reader = PcapReader::open(cut_data);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->next());
  EXPECT_TRUE(reader->next());
  EXPECT_FALSE(reader->next());

  // Truncated inside the header of the third record.
  const std::string cut_header = path("cut-header.pcap");
  spit(cut_header, {bytes.begin(), bytes.begin() + 184 + 7});
  trace = read_pcap(cut_header);
  ASSERT_FALSE(trace);
  EXPECT_EQ(trace.error().message(),
            cut_header +
                ": record 3 at byte 184: truncated dump file; tried to read 16 header "
                "bytes, only got 7");

  // A record claiming an impossible capture length.
  auto huge = bytes;
  const size_t rec2 = 24 + 16 + 64;
  huge[rec2 + 8] = 0xff, huge[rec2 + 9] = 0xff, huge[rec2 + 10] = 0xff, huge[rec2 + 11] = 0x7f;
  const std::string bad_len = path("bad-len.pcap");
  spit(bad_len, huge);
  trace = read_pcap(bad_len);
  ASSERT_FALSE(trace);
  EXPECT_NE(trace.error().message().find(
                bad_len + ": record 2 at byte 104: invalid packet capture length 2147483647"),
            std::string::npos)
      << trace.error().message();

  // Not a capture at all, empty, missing.
  const std::string text = path("text.pcap");
  spit(text, {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n', 0,
              0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0});
  EXPECT_EQ(read_pcap(text).error().message(),
            "cannot read pcap file " + text + ": unknown file format");
  const std::string empty = path("empty.pcap");
  spit(empty, {});
  auto e = read_pcap(empty);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message().rfind("cannot read pcap file " + empty + ": ", 0), 0u)
      << e.error().message();
  auto missing = read_pcap(path("missing.pcap"));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message().find("missing.pcap"), std::string::npos);
  EXPECT_NE(missing.error().message().find("No such file"), std::string::npos);
}

TEST_F(PcapFile, WriterReplacesTheFileOnlyWhenClosed) {
  const std::string file = path("out.pcap");
  spit(file, {1, 2, 3});
  {
    auto w = PcapWriter::create(file);
    ASSERT_TRUE(w);
    w->write(1, std::vector<uint8_t>(60, 0));
    EXPECT_EQ(slurp(file), (std::vector<uint8_t>{1, 2, 3}));  // untouched while writing
    // Abandoned without close(): no temporary file is left behind.
  }
  EXPECT_EQ(slurp(file), (std::vector<uint8_t>{1, 2, 3}));
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir_)) ++entries;
  EXPECT_EQ(entries, 1u);

  auto w = PcapWriter::create(file);
  ASSERT_TRUE(w);
  w->write(1, std::vector<uint8_t>(60, 0));
  EXPECT_EQ(w->file_bytes_written(), 24u + 16 + 60);
  ASSERT_TRUE(w->close());
  EXPECT_EQ(slurp(file).size(), 24u + 16 + 60);
  auto again = w->close();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message(), file + ": the capture is already closed");

  auto nodir = PcapWriter::create(path("no/such/dir/x.pcap"));
  ASSERT_FALSE(nodir);
  EXPECT_EQ(nodir.error().message(), "cannot create pcap file " + path("no/such/dir/x.pcap") +
                                         ": No such file or directory");
}

TEST_F(PcapFile, FullDiskIsReported) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "SKIPPED: no /dev/full";
  auto w = PcapWriter::create("/dev/full");
  ASSERT_TRUE(w);
  for (int i = 0; i < 20000; ++i) w->write(i, std::vector<uint8_t>(100, 0));
  auto st = w->close();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message(), "cannot write pcap file /dev/full: No space left on device");
}

TEST_F(PcapFile, GeneratedTrafficIntoAFile) {
  TrafficOptions o;
  o.flows = 100;
  o.size = SizeSpec::imix();
  o.vlan = 9;
  o.timing = {Timing::Kind::kPacketsPerSecond, 1e6, 5'000'000'000};
  auto r = write_traffic_pcap(o, 5000, path("gen.pcap"));
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->packets, 5000u);
  EXPECT_EQ(r->first_timestamp_ns, 5'000'000'000u);
  EXPECT_EQ(r->last_timestamp_ns, 5'000'000'000u + 4999 * 1000);
  EXPECT_EQ(std::filesystem::file_size(path("gen.pcap")), r->file_bytes);
  auto trace = read_pcap(path("gen.pcap"));
  ASSERT_TRUE(trace);
  ASSERT_EQ(trace->size(), 5000u);
  uint64_t bytes = 0;
  for (size_t i = 0; i < trace->size(); ++i) {
    auto pkt = (*trace)[i];
    bytes += pkt.data.size();
    ASSERT_EQ(pkt.timestamp_ns, 5'000'000'000u + i * 1000);
    auto p = testing::parse_frame(pkt.data);
    ASSERT_EQ(p.error, "");
    ASSERT_TRUE(p.ip_checksum_ok && p.l4_checksum_ok);
    ASSERT_EQ(p.vlan_tcis, std::vector<uint16_t>{9});
  }
  EXPECT_EQ(bytes, r->frame_bytes);

  auto bad = write_traffic_pcap(o, 1, path("no/dir.pcap"));
  ASSERT_FALSE(bad);
  o.flows = 0;
  auto invalid = write_traffic_pcap(o, 1, path("never.pcap"));
  ASSERT_FALSE(invalid);
  EXPECT_FALSE(std::filesystem::exists(path("never.pcap")));
}

}  // namespace
}  // namespace ebpfaas::dataplane
