// Crash safety: a child process runs batches of changes, commits and merges
// in a loop and is killed with SIGKILL at random moments (fixed seed). After
// each kill the directory must hold exactly the state after some committed
// batch, at or after the one seen before; the next writer's commit removes
// what the dead ones left behind.
//
// Every batch upserts a marker doc whose price is the batch number, so the
// directory says which batch it is at; batches are a function of their
// number, so the test replays them into a Model and compares.
//
// `make test` runs 30 kills. The full run: LIBSEARCH_CRASH_KILLS=1000
// build/tests/live_test --gtest_filter='CrashTest.*'
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "live/live_state.h"
#include "storage/manifest.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using ::libsearch::testing::DirState;
using ::libsearch::testing::Model;
using ::libsearch::testing::ReadDirState;
using ::libsearch::testing::SameDocs;
using ::libsearch::testing::TempDir;
using Json = nlohmann::json;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true, "index_prefixes": 1},
  "price": {"type": "float", "stored": true}}})";
constexpr char kMarker[] = "~batch";

IndexWriterOptions CrashOptions() {
  IndexWriterOptions o;  // Merges on most commits.
  o.merge_policy.segments_per_tier = 2;
  o.merge_policy.max_merge_at_once = 3;
  o.merge_policy.floor_segment_docs = 1;
  o.merge_policy.max_deleted_fraction = 0.25;
  return o;
}

enum class Op { kUpsert, kDelete, kSet };
struct Change {
  Op op;
  std::string id;
  Json doc;  // Upsert: the document; Set: the fields.
};

// Batch `k` (k >= 1): a function of k only.
std::vector<Change> Batch(uint64_t k) {
  std::mt19937_64 rng(1000003 * k + 7);
  std::vector<Change> out;
  const int n = 1 + static_cast<int>(rng() % 15);
  for (int i = 0; i < n; ++i) {
    const std::string id = "d" + std::to_string(rng() % 80);
    const int kind = static_cast<int>(rng() % 10);
    if (kind < 5) {
      out.push_back({Op::kUpsert, id,
                     Json{{"id", id},
                          {"title", "t" + std::to_string(rng() % 9) + " w" + std::to_string(k)},
                          {"price", static_cast<double>(rng() % 1000) / 8}}});
    } else if (kind < 8) {
      out.push_back({Op::kDelete, id, {}});
    } else if (kind < 9) {  // In place: an update file.
      out.push_back({Op::kSet, id, Json{{"price", static_cast<double>(rng() % 1000)}}});
    } else {  // Text: re-indexed as an upsert.
      out.push_back({Op::kSet, id, Json{{"title", "s" + std::to_string(k)}}});
    }
  }
  out.push_back({Op::kUpsert, kMarker,
                 Json{{"id", kMarker}, {"title", "marker"}, {"price", static_cast<double>(k)}}});
  return out;
}

// The batch the directory is at (0 before the first).
uint64_t BatchOf(const DirState& st) {
  for (const auto& d : st.live) {
    if (d.id == kMarker) return static_cast<uint64_t>(d.source["price"].get<double>());
  }
  return 0;
}

// The child: batches from where the directory is, forever (until killed).
[[noreturn]] void RunWriter(const std::string& dir) {
  auto st = ReadDirState(dir);
  if (!st.ok()) _exit(10);
  uint64_t k = BatchOf(*st);
  auto w = IndexWriter::Open(dir, CrashOptions());
  if (!w.ok()) _exit(11);
  for (int i = 0; i < 100000; ++i) {
    ++k;
    for (const Change& c : Batch(k)) {
      Status s;
      switch (c.op) {
        case Op::kUpsert: s = (*w)->Upsert(c.doc.dump()); break;
        case Op::kDelete: s = (*w)->Delete(c.id); break;
        case Op::kSet:
          s = (*w)->Set(c.id, c.doc.dump());
          if (s.code() == StatusCode::kNotFound) s = Status::Ok();
          break;
      }
      if (!s.ok()) _exit(12);
    }
    // Every 9th batch compacts (a merge of everything) instead of committing.
    auto info = k % 9 == 0 ? (*w)->Compact() : (*w)->Commit();
    if (!info.ok()) _exit(13);
  }
  _exit(0);
}

void Replay(const Change& c, Model* model) {
  switch (c.op) {
    case Op::kUpsert: model->Upsert(c.id, c.doc); break;
    case Op::kDelete: model->Delete(c.id); break;
    case Op::kSet: model->Set(c.id, c.doc, /*in_place=*/!c.doc.contains("title")); break;
  }
}

TEST(CrashTest, KilledWritersLeaveACommittedState) {
  const char* env = std::getenv("LIBSEARCH_CRASH_KILLS");
  const int kills = env != nullptr ? std::atoi(env) : 30;
  TempDir tmp;
  const std::string dir = tmp.path();
  {
    auto schema = Schema::FromJson(kSchema);
    ASSERT_OK(schema.status());
    ASSERT_OK(IndexWriter::Create(dir, *schema).status());
  }
  std::mt19937_64 rng(20261206);
  Model model;
  uint64_t at = 0;  // The model is at batch `at`.
  uint64_t exited_early = 0;
  uint64_t with_updates = 0;  // States that have update files.
  for (int kill_no = 0; kill_no < kills; ++kill_no) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) RunWriter(dir);
    // Mostly short lives (kills during the first batch's open, update and
    // commit), some long ones (many commits and merges).
    const auto delay = std::chrono::microseconds(rng() % 3 == 0 ? rng() % 300000 : rng() % 30000);
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    if (!WIFSIGNALED(wstatus)) {
      ++exited_early;
      ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
          << "writer failed with exit code " << WEXITSTATUS(wstatus) << " at kill " << kill_no;
    }

    auto st = ReadDirState(dir);
    ASSERT_TRUE(st.ok()) << "kill " << kill_no << ": " << st.status().ToString();
    const uint64_t k = BatchOf(*st);
    ASSERT_GE(k, at) << "kill " << kill_no << ": the index went back in time";
    for (; at < k; ++at) {
      for (const Change& c : Batch(at + 1)) Replay(c, &model);
      model.Commit();
    }
    ASSERT_TRUE(SameDocs(model.docs(), st->live)) << "kill " << kill_no << " at batch " << k;
    for (const auto& seg : st->manifest.segments) with_updates += !seg.updates.empty();
    std::set<std::string> ids;
    for (const auto& d : st->live) ASSERT_TRUE(ids.insert(d.id).second) << "duplicate " << d.id;
    // What a reader sees: the same commit, every checksum good.
    auto index = Index::Open(dir);
    ASSERT_TRUE(index.ok()) << "kill " << kill_no << ": " << index.status().ToString();
    ASSERT_OK((*index)->Verify());
    SearchRequest all;
    all.k = 0;
    all.total_hits_threshold = SearchRequest::kExactTotal;
    auto counted = (*index)->Search(all);
    ASSERT_TRUE(counted.ok()) << counted.status().ToString();
    ASSERT_EQ(counted->total, st->live.size()) << "kill " << kill_no;
  }
  EXPECT_GT(at, 0u) << "no batch was ever committed";
  EXPECT_EQ(exited_early, 0u);
  EXPECT_GT(with_updates, 0u);

  // The next writer's commit leaves only the files its manifest names.
  {
    auto w = IndexWriter::Open(dir, CrashOptions());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->Upsert(R"({"id": "last", "title": "last"})"));
    ASSERT_OK((*w)->Commit().status());
  }
  auto m = internal::ReadManifest(dir);
  ASSERT_OK(m.status());
  std::set<std::string> expected = {"MANIFEST", "LOCK"};
  for (const std::string& f : m->Files()) expected.insert(f);
  std::set<std::string> actual;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    actual.insert(e.path().filename().string());
  }
  EXPECT_EQ(actual, expected);
  std::printf("crash test: %d kills, %llu batches committed\n", kills,
              static_cast<unsigned long long>(at));
}

}  // namespace
}  // namespace libsearch
