// The service's durable state: a SQLite database (WAL, synchronous=FULL, one
// connection serialised by a mutex) and content-addressed artifact files.
//   artifacts  (digest PK, kind, size, created)
//   functions  (name PK, version, labels, annotations, env_vars [JSON], replicas,
//               created, updated)
//   versions   (function, version, image, section, program, verified_insns,
//               object [digest of the compiled object], created; PK function+version)
//   executions (call_id PK, function, version, status, queued, started, ended,
//               result [the record's JSON])
// Every write is one transaction, so a crash (kill -9, power loss) leaves
// either all of it or none. Artifact files are written to a temporary file,
// fsync'd and renamed before their row is inserted.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "control/records.h"
#include "control/result.h"

struct sqlite3;

namespace ebpfaas::control {

// The digest's hex of an image "sha256:<hex>" (validated), for paths.
Result<std::string> image_digest(std::string_view image);
// "sha256:" + hex SHA-256 of bytes.
std::string image_of(std::span<const uint8_t> bytes);
std::string sha256_hex(std::span<const uint8_t> bytes);

// Writes a file so that a crash or a full disk never leaves a partial file in
// its place: a uniquely named temporary file (threads may write the same path
// at once), fsync, rename, fsync of the directory. Errors name the path
// (ENOSPC: "cannot write PATH.tmp...: No space left on device").
Outcome write_file_durable(const std::string& path, std::span<const uint8_t> data);

struct FunctionRow {
  std::string name;
  uint64_t version = 1;
  StringMap labels, annotations, env_vars;
  uint32_t replicas = 1;
  TimePoint created, updated;
};

struct VersionRow {
  std::string function;
  uint64_t version = 1;
  std::string image;   // what the user uploaded
  std::string object;  // the compiled ELF's image (= image for ELF artifacts)
  std::string section, program;
  uint64_t verified_insns = 0;
  TimePoint created;
};

class Store {
 public:
  // Creates STATE, STATE/artifacts/sha256 and the schema when missing.
  static Result<std::unique_ptr<Store>> open(const std::string& state_dir);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& state_dir() const { return dir_; }
  std::string artifact_path(std::string_view digest_hex) const;

  // Content-addressed: the same bytes give the same image (created_now false
  // the second time). The kind is detected: ELF magic, else C.
  Result<ArtifactInfo> put_artifact(std::span<const uint8_t> bytes);
  Result<ArtifactInfo> artifact(std::string_view image) const;
  Result<std::vector<uint8_t>> read_artifact(std::string_view image) const;

  // kAlreadyExists when the name is taken.
  Outcome insert_function(const FunctionRow& f, const VersionRow& v);
  // f.version must be the stored version + 1 (kAlreadyExists otherwise: a
  // concurrent update won); kNotFound when the function is gone.
  Outcome add_version(const FunctionRow& f, const VersionRow& v);
  Outcome set_replicas(std::string_view name, uint32_t replicas, TimePoint updated);
  // Deletes the function and its versions (executions stay). kNotFound.
  Outcome delete_function(std::string_view name);
  Result<std::vector<FunctionRow>> functions() const;
  Result<FunctionRow> function(std::string_view name) const;
  Result<VersionRow> version(std::string_view name, uint64_t version) const;

  // Insert or replace by call id.
  Outcome put_execution(const ExecutionRecord& r);
  // kAlreadyExists when the call id is taken.
  Outcome insert_execution(const ExecutionRecord& r);
  Result<ExecutionRecord> execution(std::string_view call_id) const;
  // Newest (queued time) first; function "" : all.
  Result<std::vector<ExecutionRecord>> executions(std::string_view function, size_t limit) const;
  // Records left queued or running by a service that died: status
  // "interrupted", ended now. Returns how many.
  Result<size_t> mark_interrupted(TimePoint now);
  // Records per function and final status.
  Result<std::map<std::string, std::map<std::string, uint64_t>>> execution_counts() const;

 private:
  Store() = default;
  std::string dir_;
  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
};

}  // namespace ebpfaas::control
