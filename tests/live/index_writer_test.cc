// IndexWriter: what each operation leaves on disk, read back with the
// internal readers (manifest, segments, delete files, tombstones).
#include "libsearch/index_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>

#include "index/index_reader.h"
#include "libsearch/index.h"
#include "live/live_state.h"
#include "live/merge_policy.h"
#include "storage/manifest.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using ::libsearch::testing::DirState;
using ::libsearch::testing::LiveIds;
using ::libsearch::testing::Model;
using ::libsearch::testing::ReadDirState;
using ::libsearch::testing::SameDocs;
using ::libsearch::testing::TempDir;
using ::libsearch::testing::WriteFile;
using Json = nlohmann::json;
using Strings = std::vector<std::string>;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "title": {"type": "text", "stored": true, "index_prefixes": 2},
  "brand": {"type": "keyword", "stored": true},
  "price": {"type": "float", "stored": true}}})";

Schema TestSchema() { return *Schema::FromJson(kSchema); }

IndexWriterOptions NoMerge() {
  IndexWriterOptions o;
  o.merge_on_commit = false;
  return o;
}

std::string Doc(const std::string& id, const std::string& title, double price = 1.0) {
  return Json{{"id", id}, {"title", title}, {"brand", "acme"}, {"price", price}}.dump();
}

DirState State(const std::string& dir) {
  auto st = ReadDirState(dir);
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return st.ok() ? std::move(*st) : DirState{};
}

std::set<std::string> DirFiles(const std::string& dir) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    names.insert(e.path().filename().string());
  }
  return names;
}

TEST(IndexWriter, CreateWritesAnEmptyFirstGeneration) {
  TempDir tmp;
  const std::string dir = tmp.File("idx");
  {
    ASSERT_OK_AND_ASSIGN(auto w,
                         IndexWriter::Create(dir, TestSchema(), {}, {{"tv", "television"}}));
    const DirState st = State(dir);
    EXPECT_EQ(st.manifest.generation, 1u);
    EXPECT_TRUE(st.manifest.segments.empty());
    EXPECT_EQ(st.manifest.schema_json, TestSchema().ToJson());
    EXPECT_EQ(Json::parse(st.manifest.synonyms_json), Json::parse(R"([["tv","television"]])"));
  }
  auto again = IndexWriter::Create(dir, TestSchema());
  EXPECT_EQ(again.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(again.status().message().find("already an index directory"), std::string::npos);
  WriteFile(tmp.File("file"), "x");
  EXPECT_EQ(IndexWriter::Create(tmp.File("file"), TestSchema()).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(IndexWriter, OpenRefusesSingleFilesAndNonIndexes) {
  TempDir tmp;
  ASSERT_OK(testing::BuildIndex(TestSchema(), {Doc("a", "tea")}, tmp.File("one.idx")));
  auto w = IndexWriter::Open(tmp.File("one.idx"));
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w.status().message(),
            "'" + tmp.File("one.idx") +
                "' is a single-file index, which cannot change; rebuild it as an index directory "
                "with `libsearch index --output DIR/ ...`");
  EXPECT_EQ(IndexWriter::Open(tmp.path()).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(tmp.File("LOCK")));  // No lock left in a non-index.
  EXPECT_EQ(IndexWriter::Open(tmp.File("missing")).status().code(), StatusCode::kNotFound);
}

TEST(IndexWriter, OneWriterAtATime) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema()));
  auto second = IndexWriter::Open(tmp.path());
  EXPECT_EQ(second.status().code(), StatusCode::kIOError);
  EXPECT_NE(second.status().message().find("locked by another writer (pid"), std::string::npos)
      << second.status().message();
  w.reset();
  EXPECT_OK(IndexWriter::Open(tmp.path()).status());
}

TEST(IndexWriter, UpsertsKeepTheOrderOfEachIdsLastUpsert) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  ASSERT_OK(w->Upsert(Doc("a", "apple")));
  ASSERT_OK(w->Upsert(Doc("b", "banana")));
  ASSERT_OK(w->Upsert(Doc("c", "cherry")));
  ASSERT_OK(w->Upsert(Doc("a", "apricot")));  // a moves after c.
  ASSERT_OK(w->Upsert(Doc("d", "date")));
  ASSERT_OK(w->Delete("d"));  // Upserted then deleted: gone.
  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Commit());
  EXPECT_TRUE(info.changed);
  EXPECT_EQ(info.generation, 2u);
  EXPECT_EQ(info.docs_added, 3u);
  EXPECT_EQ(info.live_docs, 3u);
  const DirState st = State(tmp.path());
  ASSERT_EQ(st.segments.size(), 1u);
  EXPECT_EQ(st.segments[0].name, "s000001");
  EXPECT_EQ(st.segments[0].ids, (Strings{"b", "c", "a"}));
  EXPECT_EQ(st.live[2].source["title"], "apricot");
}

TEST(IndexWriter, ReplacingACommittedDocDeletesItsOldCopy) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  for (const char* id : {"a", "b", "c", "d"}) ASSERT_OK(w->Upsert(Doc(id, std::string("x ") + id)));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Upsert(Doc("c", "new c")));
  ASSERT_OK(w->Delete("a"));
  ASSERT_OK(w->Delete("zzz"));
  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Commit());
  EXPECT_EQ(info.docs_added, 1u);
  EXPECT_EQ(info.docs_deleted, 2u);
  EXPECT_EQ(info.not_found, 1u);
  EXPECT_EQ(info.generation, 3u);
  const DirState st = State(tmp.path());
  ASSERT_EQ(st.segments.size(), 2u);
  const auto& s1 = st.manifest.segments[0];
  EXPECT_EQ(s1.num_deleted, 2u);
  ASSERT_EQ(s1.deletes.size(), 1u);
  EXPECT_EQ(s1.deletes[0].deletes, "s000001_3.del");
  EXPECT_EQ(s1.deletes[0].tombstone, "s000001_3.tomb");
  EXPECT_EQ(st.segments[0].tomb_ids, (std::vector<Strings>{{"a", "c"}}));  // Local doc order.
  EXPECT_EQ(LiveIds(st), (Strings{"b", "d", "c"}));
  EXPECT_EQ(st.live[2].source["title"], "new c");

  // More deletes add a delete generation of their own; the earlier one stays
  // as it was (nothing of it is written again).
  ASSERT_OK(w->Delete("b"));
  ASSERT_OK(w->Commit().status());
  const DirState st2 = State(tmp.path());
  ASSERT_EQ(st2.manifest.segments[0].deletes.size(), 2u);
  EXPECT_EQ(st2.manifest.segments[0].deletes[0].deletes, "s000001_3.del");
  EXPECT_EQ(st2.manifest.segments[0].deletes[1].deletes, "s000001_4.del");
  EXPECT_EQ(st2.manifest.segments[0].num_deleted, 3u);
  EXPECT_EQ(st2.segments[0].tomb_ids, (std::vector<Strings>{{"a", "c"}, {"b"}}));
  const auto files = DirFiles(tmp.path());
  EXPECT_EQ(files.count("s000001_3.del"), 1u);
  EXPECT_EQ(files.count("s000001_3.tomb"), 1u);

  // A segment whose docs are all deleted leaves the index.
  ASSERT_OK(w->Delete("d"));
  ASSERT_OK(w->Commit().status());
  const DirState st3 = State(tmp.path());
  ASSERT_EQ(st3.manifest.segments.size(), 1u);
  EXPECT_EQ(st3.manifest.segments[0].name, "s000002");
  EXPECT_EQ(DirFiles(tmp.path()).count("s000001.seg"), 0u);
}

// The reader's contract: a segment's statistics minus its tombstones' equal
// those of a fresh build of the segment's live docs (field doc counts, sums
// of lengths, doc frequencies of every term, prefix-index terms included).
void ExpectStatsMatch(const internal::FieldReader* seg,
                      const std::vector<const internal::FieldReader*>& tombs,
                      const internal::FieldReader* fresh, const std::string& what) {
  ASSERT_NE(seg, nullptr) << what;
  uint64_t tomb_docs = 0, tomb_tf = 0;
  for (const internal::FieldReader* tomb : tombs) {
    tomb_docs += tomb ? tomb->stats.doc_count : 0;
    tomb_tf += tomb ? tomb->stats.sum_total_tf : 0;
  }
  const uint64_t fresh_docs = fresh ? fresh->stats.doc_count : 0;
  const uint64_t fresh_tf = fresh ? fresh->stats.sum_total_tf : 0;
  EXPECT_EQ(seg->stats.doc_count - tomb_docs, fresh_docs) << what;
  EXPECT_EQ(seg->stats.sum_total_tf - tomb_tf, fresh_tf) << what;
  std::vector<std::string> terms;
  ASSERT_OK(seg->dict.Terms(0, static_cast<uint32_t>(seg->stats.num_terms), &terms));
  for (uint32_t ord = 0; ord < terms.size(); ++ord) {
    auto df = [&terms, ord](const internal::FieldReader* f) -> uint64_t {
      if (f == nullptr) return 0;
      const auto o = f->dict.Find(terms[ord]);
      return o ? f->DocFreq(*o) : 0;
    };
    uint64_t tomb_df = 0;
    for (const internal::FieldReader* tomb : tombs) tomb_df += df(tomb);
    EXPECT_EQ(seg->DocFreq(ord) - tomb_df, df(fresh)) << what << " term " << terms[ord];
  }
}

// ExpectStatsMatch for every field of every segment of the directory;
// *checked counts the tombstones seen.
void ExpectDirStatsMatch(const TempDir& tmp, int* checked) {
  const DirState st = State(tmp.path());
  const Schema schema = TestSchema();
  for (size_t s = 0; s < st.manifest.segments.size(); ++s) {
    const internal::SegmentEntry& e = st.manifest.segments[s];
    ASSERT_OK_AND_ASSIGN(auto seg, internal::IndexReader::Open(tmp.File(e.SegmentFile())));
    std::vector<std::unique_ptr<internal::IndexReader>> tombs;
    for (const internal::DeleteGeneration& g : e.deletes) {
      ASSERT_OK_AND_ASSIGN(tombs.emplace_back(),
                           internal::IndexReader::Open(tmp.File(g.tombstone)));
      ++*checked;
    }
    auto tomb_fields = [&tombs](size_t f, bool prefix) {
      std::vector<const internal::FieldReader*> out;
      for (const auto& t : tombs) out.push_back(prefix ? t->prefix_field(f) : t->field(f));
      return out;
    };
    std::vector<std::string> live;
    for (uint32_t d = 0; d < e.num_docs; ++d) {
      if (st.segments[s].deleted[d]) continue;
      ASSERT_OK_AND_ASSIGN(std::string src, seg->Source(d));
      live.push_back(src);
    }
    const std::string fresh_path = tmp.File("fresh.idx");
    ASSERT_OK(testing::BuildIndex(schema, live, fresh_path));
    ASSERT_OK_AND_ASSIGN(auto fresh, internal::IndexReader::Open(fresh_path));
    for (size_t f = 0; f < schema.fields().size(); ++f) {
      if (seg->field(f) == nullptr) continue;
      const std::string what = e.name + " field " + schema.fields()[f].name;
      ExpectStatsMatch(seg->field(f), tomb_fields(f, false), fresh->field(f), what);
      if (seg->prefix_field(f) != nullptr) {
        ExpectStatsMatch(seg->prefix_field(f), tomb_fields(f, true), fresh->prefix_field(f),
                         what + " prefixes");
      }
    }
  }
}

std::string RandomTitle(std::mt19937_64& rng) {
  const char* words[] = {"red", "green", "apple", "apricot", "banana", "bandana", "cherry"};
  std::string title;
  for (int k = 0, n = 1 + static_cast<int>(rng() % 5); k < n; ++k) {
    title += std::string(k ? " " : "") + words[rng() % 7];
  }
  return title;
}

TEST(IndexWriter, TombstonesMakeStatisticsEqualAFreshBuild) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  std::mt19937_64 rng(11);
  for (int round = 0; round < 6; ++round) {
    for (int i = 0; i < 30; ++i) {
      const std::string id = "p" + std::to_string(rng() % 50);
      if (rng() % 4 == 0) {
        ASSERT_OK(w->Delete(id));
      } else {
        ASSERT_OK(w->Upsert(Doc(id, RandomTitle(rng))));
      }
    }
    ASSERT_OK(w->Commit().status());
  }
  int checked = 0;
  ExpectDirStatsMatch(tmp, &checked);
  EXPECT_GT(checked, 2);
}

// A commit indexes only its own deletes into a new delete generation; the
// newest generations merge by tiers of 8, so a segment deleted from one doc
// per commit keeps few of them, and their tombstones still sum to the
// deleted docs' statistics.
TEST(IndexWriter, DeleteGenerationsMergeByTiersAndStayFew) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  std::mt19937_64 rng(12);
  for (int i = 0; i < 100; ++i)
    ASSERT_OK(w->Upsert(Doc("p" + std::to_string(i), RandomTitle(rng))));
  ASSERT_OK(w->Commit().status());
  size_t most = 0;
  for (int i = 0; i < 64; ++i) {
    ASSERT_OK(w->Delete("p" + std::to_string((i * 37) % 100)));
    ASSERT_OK(w->Commit().status());
    const DirState st = State(tmp.path());
    ASSERT_EQ(st.manifest.segments.size(), 1u);
    const internal::SegmentEntry& e = st.manifest.segments[0];
    EXPECT_EQ(e.num_deleted, static_cast<uint64_t>(i + 1));
    // Tiers 0 (1-7 docs) and 1 (8-63): at most 7 generations each.
    EXPECT_LE(e.deletes.size(), 14u) << "after " << i + 1 << " deletes";
    most = std::max(most, e.deletes.size());
    // The newest generation is this commit's: its delete file's generation.
    EXPECT_EQ(e.deletes.back().deletes,
              "s000001_" + std::to_string(st.manifest.generation) + ".del");
    if (i + 1 == 8) {  // Eight single deletes merged into one generation.
      ASSERT_EQ(e.deletes.size(), 1u);
      EXPECT_EQ(e.deletes[0].num_docs, 8u);
    }
    if (i + 1 == 60) {  // 7 generations of 8, 4 of 1.
      ASSERT_EQ(e.deletes.size(), 11u);
      EXPECT_EQ(e.deletes[6].num_docs, 8u);
      EXPECT_EQ(e.deletes[7].num_docs, 1u);
    }
  }
  EXPECT_EQ(most, 14u);  // After 63: 7 of 8 and 7 of 1.
  const DirState st = State(tmp.path());
  ASSERT_EQ(st.manifest.segments[0].deletes.size(), 1u);  // 8 x 8 merged at the 64th.
  EXPECT_EQ(st.segments[0].tomb_ids[0].size(), 64u);
  int checked = 0;
  ExpectDirStatsMatch(tmp, &checked);
  EXPECT_EQ(checked, 1);
  // A reader of the directory sees the 36 live docs.
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(tmp.path()));
  EXPECT_EQ(index->num_docs(), 36u);
  ASSERT_OK(index->Verify());
}

TEST(IndexWriter, SetMergesFieldsIntoTheCurrentVersion) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  ASSERT_OK(w->Upsert(Doc("a", "apple", 1.5)));
  ASSERT_OK(w->Upsert(Doc("b", "banana", 2.5)));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Set("a", R"({"price": 2.49, "brand": null})"));  // Committed doc.
  ASSERT_OK(w->Upsert(Doc("c", "cherry", 3)));
  ASSERT_OK(w->Set("c", R"({"title": "sour cherry"})"));  // Pending doc.
  EXPECT_EQ(w->Set("zzz", R"({"price": 1})").code(), StatusCode::kNotFound);
  EXPECT_EQ(w->Set("a", R"({"id": "a2"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Set("a", R"({"colour": "red"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Set("a", R"({"price": "cheap"})").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Set("a", R"([1])").code(), StatusCode::kInvalidArgument);
  ASSERT_OK(w->Commit().status());
  const DirState st = State(tmp.path());
  ASSERT_EQ(LiveIds(st), (Strings{"b", "a", "c"}));
  EXPECT_EQ(st.live[1].source, Json::parse(R"({"id": "a", "title": "apple", "price": 2.49})"));
  EXPECT_EQ(st.live[2].source["title"], "sour cherry");
  // Deleted then _set: not live.
  ASSERT_OK(w->Delete("b"));
  EXPECT_EQ(w->Set("b", R"({"price": 1})").code(), StatusCode::kNotFound);
}

TEST(IndexWriter, ApplyReadsTheChangeFormat) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  ASSERT_OK(w->Apply(Doc("a", "apple")));
  ASSERT_OK(w->Apply(Doc("b", "banana")));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Apply(R"({"id": "a", "_set": {"price": 9}})"));
  ASSERT_OK(w->Apply(R"({"id": "b", "_delete": true})"));
  for (const char* bad :
       {R"({"id": "a", "_delete": true, "_set": {"price": 1}})", R"({"id": "a", "_upsert": true})",
        R"({"id": "a", "_delete": false})", R"({"id": "a", "_delete": true, "title": "x"})",
        R"({"id": "a", "_set": 5})", R"({"_delete": true})", R"([1, 2])",
        R"({"id": "a", "title": 5})", "not json"}) {
    EXPECT_EQ(w->Apply(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(w->Apply(R"({"id": "q", "_set": {"price": 1}})").code(), StatusCode::kNotFound);
  // Values the JSON library throws on or would recurse into 100,000 levels:
  // each is a clear InvalidArgument, never an abort or a stack overflow.
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string& bad : {std::string(R"({"id": "a", "x": 1e400})"),
                                 std::string(R"({"id": "a", "_set": {"price": 1e400}})"),
                                 std::string(R"({"id": "a", "_set": {"tags": )") + deep + "}}",
                                 std::string(R"({"id": "a", "title": )") + deep + "}",
                                 std::string(R"({"id": )") + deep + R"(, "_delete": true})"}) {
    const Status s = w->Apply(bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad.substr(0, 60);
    EXPECT_LT(s.message().size(), 300u) << s.message().substr(0, 300);
  }
  EXPECT_EQ(w->Set("a", R"({"title": )" + deep + "}").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(w->Set("a", R"({"price": 1e400})").code(), StatusCode::kInvalidArgument);
  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Commit());
  EXPECT_EQ(info.docs_deleted, 1u);
  EXPECT_EQ(info.docs_updated, 1u);  // The price, in place.
  const DirState st = State(tmp.path());
  ASSERT_EQ(LiveIds(st), (Strings{"a"}));
  EXPECT_EQ(st.live[0].source["price"], 9);
}

TEST(IndexWriter, ApplyJsonlLocatesAndSkipsBadLines) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  const std::string path = tmp.File("changes.jsonl");
  WriteFile(path, Doc("a", "apple") + "\n\n" + R"({"id": "a", "_bogus": 1})" + "\n" +
                      R"({"id": "zz", "_set": {"price": 1}})" + "\n" + Doc("b", "banana") + "\n");
  auto strict = w->ApplyJsonl(path, {});
  EXPECT_EQ(strict.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(strict.status().message().find(path + ":3: unknown key '_bogus'"), std::string::npos)
      << strict.status().message();
  w->Rollback();
  IngestOptions skip;
  skip.skip_bad = true;
  ASSERT_OK_AND_ASSIGN(IngestStats stats, w->ApplyJsonl(path, skip));
  EXPECT_EQ(stats.lines, 4u);
  EXPECT_EQ(stats.docs_added, 2u);
  EXPECT_EQ(stats.lines_skipped, 2u);
  ASSERT_EQ(stats.errors.size(), 2u);
  EXPECT_EQ(stats.errors[1].rfind(path + ":4: ", 0), 0u) << stats.errors[1];
  ASSERT_OK(w->Commit().status());
  EXPECT_EQ(LiveIds(State(tmp.path())), (Strings{"a", "b"}));
}

TEST(IndexWriter, CommitWithNothingPendingWritesNothing) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema()));
  ASSERT_OK(w->Upsert(Doc("a", "apple")));
  ASSERT_OK(w->Commit().status());
  const std::string manifest = testing::ReadFile(tmp.File("MANIFEST"));
  const auto files = DirFiles(tmp.path());
  ASSERT_OK(w->Delete("nope"));
  ASSERT_OK(w->Upsert(Doc("n", "new")));
  ASSERT_OK(w->Delete("n"));
  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Commit());
  EXPECT_FALSE(info.changed);
  EXPECT_EQ(info.not_found, 1u);
  EXPECT_EQ(info.generation, 2u);
  EXPECT_EQ(testing::ReadFile(tmp.File("MANIFEST")), manifest);
  EXPECT_EQ(DirFiles(tmp.path()), files);
}

TEST(IndexWriter, RollbackDropsPendingChanges) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  ASSERT_OK(w->Upsert(Doc("a", "apple")));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Delete("a"));
  ASSERT_OK(w->Upsert(Doc("b", "banana")));
  EXPECT_TRUE(w->has_pending());
  w->Rollback();
  EXPECT_FALSE(w->has_pending());
  ASSERT_OK(w->Set("a", R"({"price": 3})"));  // a is live again.
  ASSERT_OK(w->Commit().status());
  EXPECT_EQ(LiveIds(State(tmp.path())), (Strings{"a"}));
}

TEST(IndexWriter, ReopenSeesTheCommittedState) {
  TempDir tmp;
  {
    ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
    ASSERT_OK(w->Upsert(Doc("a", "apple")));
    ASSERT_OK(w->Upsert(Doc("b", "banana")));
    ASSERT_OK(w->Commit().status());
    ASSERT_OK(w->Upsert(Doc("c", "cherry")));  // Never committed.
  }
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Open(tmp.path(), NoMerge()));
  ASSERT_OK(w->Set("b", R"({"price": 7})"));
  EXPECT_EQ(w->Set("c", R"({"price": 7})").code(), StatusCode::kNotFound);
  ASSERT_OK(w->Commit().status());
  EXPECT_EQ(LiveIds(State(tmp.path())), (Strings{"a", "b"}));
}

TEST(IndexWriter, StrayFilesAreRemovedByTheNextCommit) {
  TempDir tmp;
  { ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema())); }
  for (const char* stray : {"s000009.seg", "s000009.seg.tmp.123.1", "MANIFEST.tmp.99.2",
                            "s000001_7.del", "s000001_7.tomb.tmp.5.5"}) {
    WriteFile(tmp.File(stray), "junk");
  }
  WriteFile(tmp.File("notes.txt"), "mine");
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Open(tmp.path()));
  ASSERT_OK(w->Upsert(Doc("a", "apple")));
  ASSERT_OK(w->Commit().status());
  EXPECT_EQ(DirFiles(tmp.path()),
            (std::set<std::string>{"LOCK", "MANIFEST", "notes.txt", "s000001.seg"}));
}

// Random changes with merges after every commit (a policy that merges
// often): the live docs always equal the model's, in order.
TEST(IndexWriter, MergesPreserveLiveDocsInOrder) {
  TempDir tmp;
  IndexWriterOptions o;
  o.merge_policy.segments_per_tier = 2;
  o.merge_policy.max_merge_at_once = 3;
  o.merge_policy.floor_segment_docs = 1;
  o.merge_policy.max_deleted_fraction = 0.2;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), o));
  Model model;
  std::mt19937_64 rng(5);
  uint64_t merges = 0;
  for (int round = 0; round < 40; ++round) {
    const int ops = 1 + static_cast<int>(rng() % 12);
    for (int i = 0; i < ops; ++i) {
      const std::string id = "p" + std::to_string(rng() % 40);
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 5) {
        const Json doc = Json::parse(Doc(id, "word" + std::to_string(rng() % 7) + " thing",
                                         static_cast<double>(rng() % 100) / 4));
        ASSERT_OK(w->Upsert(doc.dump()));
        model.Upsert(id, doc);
      } else if (kind < 8) {
        ASSERT_OK(w->Delete(id));
        model.Delete(id);
      } else {
        // A price changes in place; a brand (indexed) re-indexes the doc.
        const bool in_place = rng() % 3 != 0;
        const Json fields = in_place ? Json{{"price", static_cast<double>(rng() % 100)}}
                                     : Json{{"brand", "b" + std::to_string(rng() % 3)}};
        const Status s = w->Set(id, fields.dump());
        ASSERT_EQ(s.ok(), model.Current(id).has_value()) << s.ToString();
        model.Set(id, fields, in_place);
      }
    }
    ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Commit());
    merges += info.merges;
    model.Commit();
    const DirState st = State(tmp.path());
    ASSERT_TRUE(SameDocs(model.docs(), st.live)) << "round " << round;
    EXPECT_EQ(info.live_docs, model.docs().size());
    // The policy keeps the count within its tiers' budget.
    EXPECT_LE(st.segments.size(), internal::AllowedSegmentCount(info.live_docs, o.merge_policy));
  }
  EXPECT_GT(merges, 5u);

  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Compact());
  const DirState st = State(tmp.path());
  ASSERT_EQ(st.manifest.segments.size(), 1u);
  EXPECT_EQ(st.manifest.segments[0].num_deleted, 0u);
  EXPECT_TRUE(SameDocs(model.docs(), st.live));
  EXPECT_EQ(info.segments, 1u);
  // Compacting a compact index does nothing.
  const uint64_t gen = st.manifest.generation;
  ASSERT_OK_AND_ASSIGN(info, w->Compact());
  EXPECT_FALSE(info.changed);
  EXPECT_EQ(info.generation, gen);
}

TEST(IndexWriter, CompactCommitsPendingChangesFirst) {
  TempDir tmp;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(tmp.path(), TestSchema(), NoMerge()));
  ASSERT_OK(w->Upsert(Doc("a", "apple")));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Upsert(Doc("b", "banana")));
  ASSERT_OK(w->Commit().status());
  ASSERT_OK(w->Delete("a"));
  ASSERT_OK(w->Upsert(Doc("c", "cherry")));
  ASSERT_OK_AND_ASSIGN(CommitInfo info, w->Compact());
  EXPECT_EQ(info.merges, 1u);
  EXPECT_EQ(info.generation, 5u);  // The pending changes' commit, then the merge.
  const DirState st = State(tmp.path());
  ASSERT_EQ(st.manifest.segments.size(), 1u);
  EXPECT_EQ(LiveIds(st), (Strings{"b", "c"}));
  EXPECT_EQ(DirFiles(tmp.path()),
            (std::set<std::string>{"LOCK", "MANIFEST", st.manifest.segments[0].SegmentFile()}));
}

}  // namespace
}  // namespace libsearch
