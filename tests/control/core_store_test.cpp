// The store: SQLite rows and content-addressed artifact files survive a crash.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "control/store.h"
#include "tests/control/core_test_util.h"

namespace ebpfaas::control {
namespace {

using testing::StateDirTest;

class CoreStoreTest : public StateDirTest {};

FunctionRow function_row(const std::string& name, uint64_t version) {
  FunctionRow f;
  f.name = name;
  f.version = version;
  f.labels = {{"team", "net"}};
  f.annotations = {{"com.ebpfaas.time", "7"}};
  f.env_vars = {{"A", "1"}};
  f.replicas = 1;
  f.created = f.updated = Clock::now();
  return f;
}

VersionRow version_row(const std::string& name, uint64_t version, const std::string& image) {
  VersionRow v;
  v.function = name;
  v.version = version;
  v.image = image;
  v.object = image;
  v.section = "xdp";
  v.program = "prog";
  v.verified_insns = 42 + version;
  v.created = Clock::now();
  return v;
}

ExecutionRecord record(const std::string& id, const std::string& fn, ExecutionStatus st) {
  ExecutionRecord r;
  r.call_id = id;
  r.function = fn;
  r.version = 1;
  r.status = st;
  r.queued_at = Clock::now();
  if (st != ExecutionStatus::kQueued) r.started_at = r.queued_at;
  if (is_final(st)) r.ended_at = r.queued_at + std::chrono::seconds(5);
  r.seconds = 5;
  r.elapsed = 5.001;
  r.ports = {"in", "out"};
  r.packets.in = 1000;
  r.packets.out = 990;
  r.packets.dropped = 10;
  r.bytes.in = 64000;
  r.verdicts = {0, 10, 0, 990, 0};
  r.latency_ns.p50 = 1200;
  r.maps = {{"mac_table", "hash", 3}};
  return r;
}

TEST_F(CoreStoreTest, RoundTrips) {
  auto store = Store::open(state());
  ASSERT_TRUE(store) << store.error().message();
  auto a = (*store)->put_artifact(bytes("int x;"));
  ASSERT_TRUE(a) << a.error().message();
  EXPECT_EQ(a->kind, ArtifactKind::kC);
  EXPECT_TRUE(a->created_now);
  ASSERT_TRUE((*store)->insert_function(function_row("fw", 1), version_row("fw", 1, a->image)));
  ASSERT_TRUE((*store)->add_version(function_row("fw", 2), version_row("fw", 2, a->image)));
  auto f = (*store)->function("fw");
  ASSERT_TRUE(f) << f.error().message();
  EXPECT_EQ(f->version, 2u);
  EXPECT_EQ(f->labels.at("team"), "net");
  EXPECT_EQ(f->annotations.at("com.ebpfaas.time"), "7");
  EXPECT_EQ(f->env_vars.at("A"), "1");
  auto v = (*store)->version("fw", 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->verified_insns, 44u);
  EXPECT_EQ(v->image, a->image);
  // A stale update (version not current + 1) loses.
  auto stale = (*store)->add_version(function_row("fw", 2), version_row("fw", 2, a->image));
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.kind(), ErrorKind::kAlreadyExists);

  ExecutionRecord r = record("c1", "fw", ExecutionStatus::kFinished);
  ASSERT_TRUE((*store)->insert_execution(r));
  auto dup = (*store)->insert_execution(r);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.kind(), ErrorKind::kAlreadyExists);
  auto back = (*store)->execution("c1");
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(to_json(*back).dump(), to_json(r).dump());
  EXPECT_EQ(rfc3339(back->ended_at), rfc3339(r.ended_at));

  ASSERT_TRUE((*store)->delete_function("fw"));
  EXPECT_EQ((*store)->function("fw").kind(), ErrorKind::kNotFound);
  EXPECT_EQ((*store)->delete_function("fw").kind(), ErrorKind::kNotFound);
  // Finished records stay.
  EXPECT_TRUE((*store)->execution("c1"));
}

TEST_F(CoreStoreTest, ContentAddressing) {
  auto store = Store::open(state());
  ASSERT_TRUE(store);
  const std::vector<uint8_t> elf = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
  auto a = (*store)->put_artifact(elf);
  auto b = (*store)->put_artifact(elf);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->image, b->image);
  EXPECT_TRUE(a->created_now);
  EXPECT_FALSE(b->created_now);
  EXPECT_EQ(a->kind, ArtifactKind::kElf);
  EXPECT_EQ(a->image, image_of(elf));
  EXPECT_EQ(a->image.size(), 7u + 64u);
  auto c = (*store)->put_artifact(bytes("other"));
  EXPECT_NE(c->image, a->image);
  auto data = (*store)->read_artifact(a->image);
  ASSERT_TRUE(data);
  EXPECT_EQ(*data, elf);
  // The file is named by its digest.
  const std::string path = (*store)->artifact_path(a->image.substr(7));
  EXPECT_EQ(slurp(path), elf);
  // Unknown and malformed images.
  EXPECT_EQ((*store)->artifact("sha256:" + std::string(64, '0')).kind(), ErrorKind::kNotFound);
  auto bad = (*store)->artifact("latest");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.kind(), ErrorKind::kInvalidArgument);
  EXPECT_NE(bad.error().message().find("sha256:"), std::string::npos);
  // A file whose bytes changed on disk is reported, not served.
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << "tampered";
  }
  auto corrupt = (*store)->read_artifact(a->image);
  ASSERT_FALSE(corrupt);
  EXPECT_NE(corrupt.error().message().find("corrupt"), std::string::npos);
}

// Write, abandon without closing (as a crash would), reopen: everything
// committed is there, the open executions become "interrupted".
TEST_F(CoreStoreTest, ReopenAfterAbandon) {
  std::string image;
  std::unique_ptr<Store> abandoned;
  {
    auto store = Store::open(state());
    ASSERT_TRUE(store);
    auto a = (*store)->put_artifact(bytes("source"));
    image = a->image;
    ASSERT_TRUE((*store)->insert_function(function_row("fw", 1), version_row("fw", 1, image)));
    ASSERT_TRUE((*store)->put_execution(record("done", "fw", ExecutionStatus::kFinished)));
    ASSERT_TRUE((*store)->put_execution(record("run", "fw", ExecutionStatus::kRunning)));
    ASSERT_TRUE((*store)->put_execution(record("wait", "fw", ExecutionStatus::kQueued)));
    abandoned = std::move(*store);  // never closed before the reopen
  }
  auto store = Store::open(state());
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_TRUE((*store)->function("fw"));
  EXPECT_TRUE((*store)->read_artifact(image));
  auto n = (*store)->mark_interrupted(Clock::now());
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ((*store)->execution("done")->status, ExecutionStatus::kFinished);
  EXPECT_EQ((*store)->execution("run")->status, ExecutionStatus::kInterrupted);
  EXPECT_EQ((*store)->execution("wait")->status, ExecutionStatus::kInterrupted);
  auto list = (*store)->executions("fw", 10);
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 3u);
}

// A process killed with SIGKILL in the middle of writing: every committed row
// and every artifact file stays whole.
TEST_F(CoreStoreTest, SurvivesKill) {
  const std::string dir = state();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto store = Store::open(dir);
    if (!store) _exit(2);
    for (int i = 0;; ++i) {
      auto a = (*store)->put_artifact(bytes("artifact " + std::to_string(i)));
      if (!a) _exit(3);
      if (!(*store)->put_execution(
              record("c" + std::to_string(i), "fw", ExecutionStatus::kFinished)))
        _exit(4);
      if (i == 200) ::kill(::getpid(), SIGKILL);
    }
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);
  auto store = Store::open(dir);
  ASSERT_TRUE(store) << store.error().message();
  for (int i = 0; i <= 200; ++i) {
    auto a = (*store)->artifact(image_of(bytes("artifact " + std::to_string(i))));
    ASSERT_TRUE(a) << i;
    auto data = (*store)->read_artifact(a->image);
    ASSERT_TRUE(data) << data.error().message();
    EXPECT_EQ(*data, bytes("artifact " + std::to_string(i)));
    EXPECT_TRUE((*store)->execution("c" + std::to_string(i))) << i;
  }
}

TEST_F(CoreStoreTest, DiskErrorNamesThePath) {
  auto store = Store::open(state());
  ASSERT_TRUE(store);
  // The artifacts directory replaced by a file: writes fail with the path.
  std::filesystem::remove_all(std::filesystem::path(state()) / "artifacts" / "sha256");
  std::ofstream(std::filesystem::path(state()) / "artifacts" / "sha256") << "x";
  auto a = (*store)->put_artifact(bytes("data"));
  ASSERT_FALSE(a);
  EXPECT_EQ(a.kind(), ErrorKind::kInternal);
  EXPECT_NE(a.error().message().find("artifacts/sha256"), std::string::npos) << a.error().message();
  // Nothing half-stored: no row for the failed artifact.
  EXPECT_EQ((*store)->artifact(image_of(bytes("data"))).kind(), ErrorKind::kNotFound);
}

// A full disk (a 256 KiB tmpfs in a private mount namespace): the error names
// the path and says why; what was stored before stays readable.
TEST_F(CoreStoreTest, DiskFull) {
  const std::string dir = state();
  std::filesystem::create_directories(dir);
  int pipefd[2];
  ASSERT_EQ(pipe(pipefd), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipefd[0]);
    auto report = [&](const std::string& text, int code) {
      (void)!write(pipefd[1], text.data(), text.size());
      _exit(code);
    };
    if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr))
      report("cannot make a private mount namespace", 10);
    if (mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=256k") != 0)
      report("cannot mount a tmpfs", 10);
    auto store = Store::open(dir);
    if (!store) report("open: " + store.error().message(), 1);
    auto small = (*store)->put_artifact(bytes("small"));
    if (!small) report("small: " + small.error().message(), 1);
    auto big = (*store)->put_artifact(std::vector<uint8_t>(1 << 20, 'x'));
    if (big) report("a 1 MiB artifact fit in 256 KiB", 1);
    if (big.kind() != ErrorKind::kInternal) report("kind", 1);
    const std::string msg = big.error().message();
    if (auto back = (*store)->read_artifact(small->image); !back) report("lost: " + msg, 1);
    if ((*store)->artifact(image_of(std::vector<uint8_t>(1 << 20, 'x'))).kind() !=
        ErrorKind::kNotFound)
      report("half-stored: " + msg, 1);
    report(msg, 0);
  }
  close(pipefd[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = read(pipefd[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(pipefd[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 10) GTEST_SKIP() << "SKIPPED: " << out << " (needs root)";
  ASSERT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_NE(out.find("No space left on device"), std::string::npos) << out;
  EXPECT_NE(out.find("artifacts/sha256/"), std::string::npos) << out;
}

TEST(CoreRecordsTest, Rfc3339) {
  auto t = parse_rfc3339("2024-05-01T12:34:56.789Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(rfc3339(*t), "2024-05-01T12:34:56.789Z");
  EXPECT_EQ(rfc3339(*parse_rfc3339("2024-05-01T14:34:56+02:00")), "2024-05-01T12:34:56.000Z");
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_EQ(rfc3339(TimePoint{}), "");
}

TEST(CoreRecordsTest, FunctionNames) {
  EXPECT_TRUE(validate_function_name("fw-1.v_2"));
  auto bad = validate_function_name("a b");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message(), "invalid function name \"a b\": must match [-a-zA-Z_0-9.]+");
  EXPECT_FALSE(validate_function_name(std::string(64, 'a')));
  EXPECT_TRUE(validate_function_name(std::string(63, 'a')));
  EXPECT_FALSE(validate_function_name(""));
  EXPECT_FALSE(validate_function_name("../x"));
}

}  // namespace
}  // namespace ebpfaas::control
