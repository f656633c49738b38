#include "control/store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "support/file.h"
#include "support/hex.h"

namespace ebpfaas::control {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string sqlite_message(sqlite3* db) {
  return db ? sqlite3_errmsg(db) : "out of memory";
}

// One prepared statement; binds by position from 1.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  bool prepared() const { return rc_ == SQLITE_OK; }
  Stmt& bind(int i, std::string_view text) {
    sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return rc_ = sqlite3_step(s_); }
  std::string text(int col) const {
    const unsigned char* t = sqlite3_column_text(s_, col);
    return t ? std::string(reinterpret_cast<const char*>(t),
                           static_cast<size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(s_, col); }
  int rc() const { return rc_; }
  Failure failure(std::string_view what) const {
    return fail(ErrorKind::kInternal, "state database: {}: {}", what, sqlite_message(db_));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
  int rc_ = SQLITE_OK;
};

Outcome exec(sqlite3* db, const char* sql, std::string_view what) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite_message(db);
    sqlite3_free(err);
    return fail(ErrorKind::kInternal, "state database: {}: {}", what, msg);
  }
  return {};
}

// BEGIN IMMEDIATE .. COMMIT, rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    began_ = exec(db, "BEGIN IMMEDIATE", "begin transaction");
  }
  ~Transaction() {
    if (began_ && !done_) (void)exec(db_, "ROLLBACK", "rollback");
  }
  const Outcome& began() const { return began_; }
  Outcome commit() {
    done_ = true;
    auto r = exec(db_, "COMMIT", "commit");
    if (!r) (void)exec(db_, "ROLLBACK", "rollback");
    return r;
  }

 private:
  sqlite3* db_;
  Outcome began_;
  bool done_ = false;
};

std::string map_json(const StringMap& m) {
  return json(m).dump();
}
StringMap json_map(const std::string& text) {
  StringMap m;
  json j = json::parse(text, nullptr, false);
  if (j.is_object())
    for (const auto& [k, v] : j.items())
      if (v.is_string()) m[k] = v.get<std::string>();
  return m;
}
TimePoint time_of(const std::string& text) {
  if (text.empty()) return {};
  auto t = parse_rfc3339(text);
  return t ? *t : TimePoint{};
}

std::atomic<uint64_t> temp_counter{0};

Outcome sys_failure(const char* what, const std::string& path) {
  return fail(ErrorKind::kInternal, "{} {}: {}", what, path, std::strerror(errno));
}

}  // namespace

Outcome write_file_durable(const std::string& path, std::span<const uint8_t> data) {
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(), ++temp_counter);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return sys_failure("cannot create", tmp);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      auto e = sys_failure("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return e;
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    auto e = sys_failure("cannot sync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto e = sys_failure("cannot rename into", path);
    ::unlink(tmp.c_str());
    return e;
  }
  // The rename itself must reach the disk before the row that names the file.
  const std::string dir = fs::path(path).parent_path().string();
  int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}

std::string sha256_hex(std::span<const uint8_t> bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  return to_hex(std::span<const uint8_t>(md, len));
}

std::string image_of(std::span<const uint8_t> bytes) {
  return "sha256:" + sha256_hex(bytes);
}

Result<std::string> image_digest(std::string_view image) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!image.starts_with(kPrefix) || image.size() != kPrefix.size() + 64)
    return fail(ErrorKind::kInvalidArgument,
                "invalid image \"{}\": expected sha256:<64 hex digits> of an uploaded artifact",
                image);
  std::string hex(image.substr(kPrefix.size()));
  for (char& c : hex) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return fail(ErrorKind::kInvalidArgument,
                  "invalid image \"{}\": expected sha256:<64 hex digits> of an uploaded artifact",
                  image);
  }
  return hex;
}

Store::~Store() {
  if (db_) sqlite3_close_v2(db_);
}

Result<std::unique_ptr<Store>> Store::open(const std::string& state_dir) {
  std::error_code ec;
  fs::create_directories(fs::path(state_dir) / "artifacts" / "sha256", ec);
  if (ec)
    return fail(ErrorKind::kInternal, "cannot create state directory {}: {}", state_dir,
                ec.message());
  std::unique_ptr<Store> s(new Store());
  s->dir_ = state_dir;
  const std::string db_path = (fs::path(state_dir) / "ebpfaas.db").string();
  if (sqlite3_open_v2(db_path.c_str(), &s->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return fail(ErrorKind::kInternal, "cannot open {}: {}", db_path, sqlite_message(s->db_));
  sqlite3_busy_timeout(s->db_, 10000);
  static const char* kSchema = R"(
    PRAGMA journal_mode=WAL;
    PRAGMA synchronous=FULL;
    CREATE TABLE IF NOT EXISTS artifacts(
      digest TEXT PRIMARY KEY, kind TEXT NOT NULL, size INTEGER NOT NULL, created TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS functions(
      name TEXT PRIMARY KEY, version INTEGER NOT NULL, labels TEXT NOT NULL,
      annotations TEXT NOT NULL, env_vars TEXT NOT NULL, replicas INTEGER NOT NULL,
      created TEXT NOT NULL, updated TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS versions(
      function TEXT NOT NULL, version INTEGER NOT NULL, image TEXT NOT NULL,
      object TEXT NOT NULL, section TEXT NOT NULL, program TEXT NOT NULL,
      verified_insns INTEGER NOT NULL, created TEXT NOT NULL, PRIMARY KEY(function, version));
    CREATE TABLE IF NOT EXISTS executions(
      call_id TEXT PRIMARY KEY, function TEXT NOT NULL, version INTEGER NOT NULL,
      status TEXT NOT NULL, queued TEXT NOT NULL, started TEXT NOT NULL, ended TEXT NOT NULL,
      result TEXT NOT NULL);
    CREATE INDEX IF NOT EXISTS executions_by_function ON executions(function, queued);
    CREATE INDEX IF NOT EXISTS executions_by_status ON executions(status);
  )";
  auto r = exec(s->db_, kSchema, "create schema in " + db_path);
  if (!r) return failure_of(r);
  return s;
}

std::string Store::artifact_path(std::string_view digest_hex) const {
  return (fs::path(dir_) / "artifacts" / "sha256" / std::string(digest_hex)).string();
}

Result<ArtifactInfo> Store::put_artifact(std::span<const uint8_t> bytes) {
  ArtifactInfo a;
  const std::string hex = sha256_hex(bytes);
  a.image = "sha256:" + hex;
  a.size = bytes.size();
  a.kind =
      bytes.size() >= 4 && bytes[0] == 0x7f && bytes[1] == 'E' && bytes[2] == 'L' && bytes[3] == 'F'
          ? ArtifactKind::kElf
          : ArtifactKind::kC;
  a.created = Clock::now();
  const std::string path = artifact_path(hex);
  std::lock_guard lock(mu_);
  {
    Stmt q(db_, "SELECT created FROM artifacts WHERE digest = ?");
    q.bind(1, hex);
    if (q.step() == SQLITE_ROW && fs::exists(path)) {
      a.created = time_of(q.text(0));
      a.created_now = false;
      return a;
    }
  }
  // The file first: a row always names a complete file.
  EBPFAAS_CONTROL_TRY(write_file_durable(path, bytes));
  Stmt ins(db_,
           "INSERT INTO artifacts(digest, kind, size, created) VALUES(?, ?, ?, ?) "
           "ON CONFLICT(digest) DO NOTHING");
  ins.bind(1, hex)
      .bind(2, artifact_kind_name(a.kind))
      .bind(3, static_cast<int64_t>(a.size))
      .bind(4, rfc3339(a.created));
  if (ins.step() != SQLITE_DONE) return ins.failure("store artifact " + a.image);
  a.created_now = true;
  return a;
}

Result<ArtifactInfo> Store::artifact(std::string_view image) const {
  auto hex = image_digest(image);
  if (!hex) return failure_of(hex);
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT kind, size, created FROM artifacts WHERE digest = ?");
  q.bind(1, *hex);
  int rc = q.step();
  if (rc == SQLITE_DONE) return fail(ErrorKind::kNotFound, "unknown image \"{}\"", image);
  if (rc != SQLITE_ROW) return q.failure("read artifact");
  ArtifactInfo a;
  a.image = "sha256:" + *hex;
  a.kind = q.text(0) == "elf" ? ArtifactKind::kElf : ArtifactKind::kC;
  a.size = static_cast<uint64_t>(q.integer(1));
  a.created = time_of(q.text(2));
  return a;
}

Result<std::vector<uint8_t>> Store::read_artifact(std::string_view image) const {
  auto info = artifact(image);
  if (!info) return failure_of(info);
  auto hex = image_digest(image);
  auto bytes = read_file(artifact_path(*hex));
  if (!bytes) return Failure{ErrorKind::kInternal, bytes.error()};
  if (sha256_hex(*bytes) != *hex)
    return fail(ErrorKind::kInternal, "artifact {} is corrupt: its bytes no longer hash to it",
                artifact_path(*hex));
  return std::move(*bytes);
}

namespace {

Outcome insert_version(sqlite3* db, const VersionRow& v) {
  Stmt ins(db,
           "INSERT INTO versions(function, version, image, object, section, program, "
           "verified_insns, created) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, v.function)
      .bind(2, static_cast<int64_t>(v.version))
      .bind(3, v.image)
      .bind(4, v.object)
      .bind(5, v.section)
      .bind(6, v.program)
      .bind(7, static_cast<int64_t>(v.verified_insns))
      .bind(8, rfc3339(v.created));
  if (ins.step() != SQLITE_DONE)
    return ins.failure(fmt::format("store version {} of {}", v.version, v.function));
  return {};
}

FunctionRow read_function_row(const Stmt& q) {
  FunctionRow f;
  f.name = q.text(0);
  f.version = static_cast<uint64_t>(q.integer(1));
  f.labels = json_map(q.text(2));
  f.annotations = json_map(q.text(3));
  f.env_vars = json_map(q.text(4));
  f.replicas = static_cast<uint32_t>(q.integer(5));
  f.created = time_of(q.text(6));
  f.updated = time_of(q.text(7));
  return f;
}

constexpr const char* kFunctionColumns =
    "name, version, labels, annotations, env_vars, replicas, created, updated";

}  // namespace

Outcome Store::insert_function(const FunctionRow& f, const VersionRow& v) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  EBPFAAS_CONTROL_TRY(tx.began());
  Stmt ins(db_,
           "INSERT INTO functions(name, version, labels, annotations, env_vars, replicas, "
           "created, updated) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
  ins.bind(1, f.name)
      .bind(2, static_cast<int64_t>(f.version))
      .bind(3, map_json(f.labels))
      .bind(4, map_json(f.annotations))
      .bind(5, map_json(f.env_vars))
      .bind(6, static_cast<int64_t>(f.replicas))
      .bind(7, rfc3339(f.created))
      .bind(8, rfc3339(f.updated));
  int rc = ins.step();
  if (rc == SQLITE_CONSTRAINT)
    return fail(ErrorKind::kAlreadyExists, "function \"{}\" already exists", f.name);
  if (rc != SQLITE_DONE) return ins.failure("store function " + f.name);
  // Versions of an earlier function of the same name (deleted) are gone with it.
  Stmt del(db_, "DELETE FROM versions WHERE function = ?");
  del.bind(1, f.name);
  if (del.step() != SQLITE_DONE) return del.failure("store function " + f.name);
  EBPFAAS_CONTROL_TRY(insert_version(db_, v));
  return tx.commit();
}

Outcome Store::add_version(const FunctionRow& f, const VersionRow& v) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  EBPFAAS_CONTROL_TRY(tx.began());
  Stmt q(db_, "SELECT version FROM functions WHERE name = ?");
  q.bind(1, f.name);
  int rc = q.step();
  if (rc == SQLITE_DONE) return fail(ErrorKind::kNotFound, "function \"{}\" not found", f.name);
  if (rc != SQLITE_ROW) return q.failure("update function " + f.name);
  if (static_cast<uint64_t>(q.integer(0)) + 1 != f.version)
    return fail(ErrorKind::kAlreadyExists,
                "function \"{}\": version {} was stored meanwhile by another update", f.name,
                f.version);
  Stmt up(db_,
          "UPDATE functions SET version = ?, labels = ?, annotations = ?, env_vars = ?, "
          "replicas = ?, updated = ? WHERE name = ?");
  up.bind(1, static_cast<int64_t>(f.version))
      .bind(2, map_json(f.labels))
      .bind(3, map_json(f.annotations))
      .bind(4, map_json(f.env_vars))
      .bind(5, static_cast<int64_t>(f.replicas))
      .bind(6, rfc3339(f.updated))
      .bind(7, f.name);
  if (up.step() != SQLITE_DONE) return up.failure("update function " + f.name);
  EBPFAAS_CONTROL_TRY(insert_version(db_, v));
  return tx.commit();
}

Outcome Store::set_replicas(std::string_view name, uint32_t replicas, TimePoint updated) {
  std::lock_guard lock(mu_);
  Stmt up(db_, "UPDATE functions SET replicas = ?, updated = ? WHERE name = ?");
  up.bind(1, static_cast<int64_t>(replicas)).bind(2, rfc3339(updated)).bind(3, name);
  if (up.step() != SQLITE_DONE) return up.failure(fmt::format("scale function {}", name));
  if (sqlite3_changes(db_) == 0)
    return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
  return {};
}

Outcome Store::delete_function(std::string_view name) {
  std::lock_guard lock(mu_);
  Transaction tx(db_);
  EBPFAAS_CONTROL_TRY(tx.began());
  Stmt del(db_, "DELETE FROM functions WHERE name = ?");
  del.bind(1, name);
  if (del.step() != SQLITE_DONE) return del.failure(fmt::format("delete function {}", name));
  if (sqlite3_changes(db_) == 0)
    return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
  Stmt delv(db_, "DELETE FROM versions WHERE function = ?");
  delv.bind(1, name);
  if (delv.step() != SQLITE_DONE) return delv.failure(fmt::format("delete function {}", name));
  return tx.commit();
}

Result<std::vector<FunctionRow>> Store::functions() const {
  std::lock_guard lock(mu_);
  Stmt q(db_, fmt::format("SELECT {} FROM functions ORDER BY name", kFunctionColumns).c_str());
  std::vector<FunctionRow> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) out.push_back(read_function_row(q));
  if (rc != SQLITE_DONE) return q.failure("list functions");
  return out;
}

Result<FunctionRow> Store::function(std::string_view name) const {
  std::lock_guard lock(mu_);
  Stmt q(db_, fmt::format("SELECT {} FROM functions WHERE name = ?", kFunctionColumns).c_str());
  q.bind(1, name);
  int rc = q.step();
  if (rc == SQLITE_DONE) return fail(ErrorKind::kNotFound, "function \"{}\" not found", name);
  if (rc != SQLITE_ROW) return q.failure(fmt::format("read function {}", name));
  return read_function_row(q);
}

Result<VersionRow> Store::version(std::string_view name, uint64_t version) const {
  std::lock_guard lock(mu_);
  Stmt q(db_,
         "SELECT image, object, section, program, verified_insns, created FROM versions "
         "WHERE function = ? AND version = ?");
  q.bind(1, name).bind(2, static_cast<int64_t>(version));
  int rc = q.step();
  if (rc == SQLITE_DONE)
    return fail(ErrorKind::kNotFound, "function \"{}\" has no version {}", name, version);
  if (rc != SQLITE_ROW) return q.failure(fmt::format("read version {} of {}", version, name));
  VersionRow v;
  v.function = std::string(name);
  v.version = version;
  v.image = q.text(0);
  v.object = q.text(1);
  v.section = q.text(2);
  v.program = q.text(3);
  v.verified_insns = static_cast<uint64_t>(q.integer(4));
  v.created = time_of(q.text(5));
  return v;
}

namespace {

constexpr const char* kUpsertExecution =
    "INSERT INTO executions(call_id, function, version, status, queued, started, ended, result) "
    "VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(call_id) DO UPDATE SET function = "
    "excluded.function, version = excluded.version, status = excluded.status, queued = "
    "excluded.queued, started = excluded.started, ended = excluded.ended, result = "
    "excluded.result";
constexpr const char* kInsertExecution =
    "INSERT INTO executions(call_id, function, version, status, queued, started, ended, result) "
    "VALUES(?, ?, ?, ?, ?, ?, ?, ?)";

void bind_execution(Stmt& s, const ExecutionRecord& r) {
  s.bind(1, r.call_id)
      .bind(2, r.function)
      .bind(3, static_cast<int64_t>(r.version))
      .bind(4, execution_status_name(r.status))
      .bind(5, rfc3339(r.queued_at))
      .bind(6, rfc3339(r.started_at))
      .bind(7, rfc3339(r.ended_at))
      .bind(8, to_json(r).dump());
}

Result<ExecutionRecord> read_execution(const Stmt& q, int col) {
  json j = json::parse(q.text(col), nullptr, false);
  if (j.is_discarded())
    return fail(ErrorKind::kInternal, "state database: execution {}: result is not JSON",
                q.text(0));
  return execution_from_json(j);
}

}  // namespace

Outcome Store::put_execution(const ExecutionRecord& r) {
  std::lock_guard lock(mu_);
  Stmt s(db_, kUpsertExecution);
  bind_execution(s, r);
  if (s.step() != SQLITE_DONE) return s.failure("store execution " + r.call_id);
  return {};
}

Outcome Store::insert_execution(const ExecutionRecord& r) {
  std::lock_guard lock(mu_);
  Stmt s(db_, kInsertExecution);
  bind_execution(s, r);
  int rc = s.step();
  if (rc == SQLITE_CONSTRAINT)
    return fail(ErrorKind::kAlreadyExists, "call id \"{}\" is already used", r.call_id);
  if (rc != SQLITE_DONE) return s.failure("store execution " + r.call_id);
  return {};
}

Result<ExecutionRecord> Store::execution(std::string_view call_id) const {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT call_id, result FROM executions WHERE call_id = ?");
  q.bind(1, call_id);
  int rc = q.step();
  if (rc == SQLITE_DONE) return fail(ErrorKind::kNotFound, "execution \"{}\" not found", call_id);
  if (rc != SQLITE_ROW) return q.failure(fmt::format("read execution {}", call_id));
  return read_execution(q, 1);
}

Result<std::vector<ExecutionRecord>> Store::executions(std::string_view function,
                                                       size_t limit) const {
  std::lock_guard lock(mu_);
  Stmt q(db_, function.empty()
                  ? "SELECT call_id, result FROM executions ORDER BY queued DESC, rowid DESC "
                    "LIMIT ?"
                  : "SELECT call_id, result FROM executions WHERE function = ?2 ORDER BY "
                    "queued DESC, rowid DESC LIMIT ?1");
  q.bind(1, static_cast<int64_t>(limit));
  if (!function.empty()) q.bind(2, function);
  std::vector<ExecutionRecord> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW) {
    auto r = read_execution(q, 1);
    if (!r) return failure_of(r);
    out.push_back(std::move(*r));
  }
  if (rc != SQLITE_DONE) return q.failure("list executions");
  return out;
}

Result<size_t> Store::mark_interrupted(TimePoint now) {
  std::vector<ExecutionRecord> open;
  {
    std::lock_guard lock(mu_);
    Stmt q(db_, "SELECT call_id, result FROM executions WHERE status IN ('queued', 'running')");
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
      auto r = read_execution(q, 1);
      if (r) open.push_back(std::move(*r));
    }
    if (rc != SQLITE_DONE) return q.failure("find interrupted executions");
  }
  for (ExecutionRecord& r : open) {
    const bool ran = r.status == ExecutionStatus::kRunning;
    r.status = ExecutionStatus::kInterrupted;
    r.ended_at = now;
    if (ran && r.started_at != TimePoint{})
      r.elapsed = std::chrono::duration<double>(now - r.started_at).count();
    r.message = ran ? "interrupted: the service stopped while it ran"
                    : "interrupted: the service stopped while it was queued";
    EBPFAAS_CONTROL_TRY(put_execution(r));
  }
  return open.size();
}

Result<std::map<std::string, std::map<std::string, uint64_t>>> Store::execution_counts() const {
  std::lock_guard lock(mu_);
  Stmt q(db_, "SELECT function, status, COUNT(*) FROM executions GROUP BY function, status");
  std::map<std::string, std::map<std::string, uint64_t>> out;
  int rc;
  while ((rc = q.step()) == SQLITE_ROW)
    out[q.text(0)][q.text(1)] = static_cast<uint64_t>(q.integer(2));
  if (rc != SQLITE_DONE) return q.failure("count executions");
  return out;
}

}  // namespace ebpfaas::control
