// The commit point and the files around it: the manifest's round trip and
// damage detection, the writer lock across processes, delete files, and the
// removal of files no commit refers to.
#include "storage/index_dir.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "storage/manifest.h"
#include "testing/test_util.h"
#include "util/hash.h"

namespace libsearch::internal {
namespace {

using ::libsearch::testing::ReadFile;
using ::libsearch::testing::TempDir;
using ::libsearch::testing::WriteFile;

Manifest RandomManifest(std::mt19937_64& rng) {
  Manifest m;
  m.generation = 1 + rng() % 1000;
  m.schema_json = R"({"id":"id","fields":{"name":{"type":"text"}}})";
  if (rng() % 2 == 0) m.synonyms_json = R"([["tv","television"]])";
  const int n = static_cast<int>(rng() % 6);
  for (int i = 0; i < n; ++i) {
    SegmentEntry s;
    s.name = Manifest::SegmentName(m.next_segment++);
    s.num_docs = rng() % 100000;
    if (s.num_docs > 0 && rng() % 2 == 0) {
      s.num_deleted = 1 + rng() % s.num_docs;
      // One delete generation (version 1's form) or several (version 3's).
      const uint64_t gens = std::min<uint64_t>(s.num_deleted, 1 + rng() % 3);
      for (uint64_t g = 0; g < gens; ++g) {
        const std::string gen = std::to_string(m.generation - gens + g + 1000);
        s.deletes.push_back({s.name + "_" + gen + ".del", s.name + "_" + gen + ".tomb",
                             g + 1 < gens ? 1 : s.num_deleted - (gens - 1)});
      }
    }
    m.segments.push_back(s);
  }
  return m;
}

void ExpectSame(const Manifest& a, const Manifest& b) {
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.next_segment, b.next_segment);
  EXPECT_EQ(a.schema_json, b.schema_json);
  EXPECT_EQ(a.synonyms_json, b.synonyms_json);
  ASSERT_EQ(a.segments.size(), b.segments.size());
  for (size_t i = 0; i < a.segments.size(); ++i) {
    EXPECT_EQ(a.segments[i].name, b.segments[i].name);
    EXPECT_EQ(a.segments[i].num_docs, b.segments[i].num_docs);
    EXPECT_EQ(a.segments[i].num_deleted, b.segments[i].num_deleted);
    ASSERT_EQ(a.segments[i].deletes.size(), b.segments[i].deletes.size());
    for (size_t g = 0; g < a.segments[i].deletes.size(); ++g) {
      EXPECT_EQ(a.segments[i].deletes[g].deletes, b.segments[i].deletes[g].deletes);
      EXPECT_EQ(a.segments[i].deletes[g].tombstone, b.segments[i].deletes[g].tombstone);
      EXPECT_EQ(a.segments[i].deletes[g].num_docs, b.segments[i].deletes[g].num_docs);
    }
  }
}

TEST(Manifest, RoundTripsRandomCommits) {
  std::mt19937_64 rng(17);
  for (int round = 0; round < 200; ++round) {
    const Manifest m = RandomManifest(rng);
    auto parsed = Manifest::Parse(m.Serialize(), "MANIFEST");
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ExpectSame(m, *parsed);
  }
}

TEST(Manifest, EveryChangedOrMissingByteIsDetected) {
  std::mt19937_64 rng(5);
  Manifest m = RandomManifest(rng);
  while (m.segments.size() < 2) m = RandomManifest(rng);
  const std::string text = m.Serialize();
  for (size_t i = 0; i < text.size(); ++i) {
    for (char c : {'x', '7', '"', '}'}) {
      if (text[i] == c) continue;
      std::string bad = text;
      bad[i] = c;
      auto parsed = Manifest::Parse(bad, "MANIFEST");
      EXPECT_FALSE(parsed.ok()) << "byte " << i << " -> " << c;
      if (!parsed.ok()) {
        EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption) << parsed.status().ToString();
      }
    }
  }
  for (size_t len = 0; len + 1 < text.size(); ++len) {
    EXPECT_FALSE(Manifest::Parse(text.substr(0, len), "MANIFEST").ok()) << "length " << len;
  }
}

TEST(Manifest, RejectsInconsistentEntriesWithAReason) {
  Manifest m;
  m.generation = 3;
  m.next_segment = 2;
  SegmentEntry s;
  s.name = "s000001";
  s.num_docs = 10;
  s.num_deleted = 2;  // But no delete file.
  m.segments.push_back(s);
  auto parsed = Manifest::Parse(m.Serialize(), "dir/MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("dir/MANIFEST"), std::string::npos);
  EXPECT_NE(parsed.status().message().find("disagree"), std::string::npos);

  m.segments[0].deletes = {{"s000002_3.del", "s000001_3.tomb", 2}};  // Another segment's file.
  parsed = Manifest::Parse(m.Serialize(), "MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("does not belong"), std::string::npos);

  // Delete generations whose counts do not add up to the deleted docs.
  m.segments[0].deletes = {{"s000001_3.del", "s000001_3.tomb", 1},
                           {"s000001_4.del", "s000001_4.tomb", 2}};
  parsed = Manifest::Parse(m.Serialize(), "MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("add up"), std::string::npos);

  // A file named twice.
  m.segments[0].deletes = {{"s000001_3.del", "s000001_3.tomb", 1},
                           {"s000001_3.del", "s000001_4.tomb", 1}};
  parsed = Manifest::Parse(m.Serialize(), "MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("repeated"), std::string::npos);

  m.segments[0].deletes = {{"s000001_3.del", "s000001_3.tomb", 2}};
  m.segments.push_back(m.segments[0]);  // The same segment twice.
  parsed = Manifest::Parse(m.Serialize(), "MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("repeated"), std::string::npos);
}

TEST(Manifest, NewerVersionSaysUpgrade) {
  Manifest m;
  m.generation = 1;
  // A manifest as a later version would write it: the checksum rule is the
  // same in every version.
  nlohmann::json j = nlohmann::json::parse(m.Serialize());
  j["version"] = 9;
  j.erase("checksum");
  const std::string content = j.dump();
  char sum[17];
  std::snprintf(sum, sizeof(sum), "%016llx",
                static_cast<unsigned long long>(Checksum64(content.data(), content.size())));
  j["checksum"] = sum;
  auto parsed = Manifest::Parse(j.dump(), "MANIFEST");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(parsed.status().message().find("upgrade libsearch"), std::string::npos);
}

TEST(Manifest, WriteReplacesAtomicallyAndLeavesNoTemporaryFile) {
  TempDir dir;
  auto missing = ReadManifest(dir.path());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("a directory without a MANIFEST: not an index"),
            std::string::npos);

  std::mt19937_64 rng(9);
  for (int i = 0; i < 5; ++i) {
    const Manifest m = RandomManifest(rng);
    ASSERT_OK(WriteManifest(dir.path(), m));
    ASSERT_OK_AND_ASSIGN(Manifest back, ReadManifest(dir.path()));
    ExpectSame(m, back);
  }
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"MANIFEST"});
}

TEST(IndexDirFiles, RecognisesOnlyWhatAWriterCreates) {
  for (const char* name : {"MANIFEST", "LOCK", "s000001.seg", "s1234567.seg", "s000001_4.del",
                           "s000012_10.tomb", "s000001.seg.tmp.123.456", "MANIFEST.tmp.9.9"}) {
    EXPECT_TRUE(IsIndexDirFile(name)) << name;
  }
  for (const char* name : {"products.idx", "s1.seg", "s000001.del", "s000001_.del", "s000001_4.txt",
                           "notes.txt", "manifest", "x.tmp.1.2", "s00000a.seg", ".seg"}) {
    EXPECT_FALSE(IsIndexDirFile(name)) << name;
  }
}

TEST(WriterLock, SecondWriterIsToldWhoHoldsTheLock) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(auto lock, WriterLock::Acquire(dir.path()));
  auto second = WriterLock::Acquire(dir.path());
  ASSERT_FALSE(second.ok());
  const std::string msg = second.status().message();
  EXPECT_NE(msg.find("locked by another writer"), std::string::npos) << msg;
  EXPECT_NE(msg.find("pid " + std::to_string(::getpid())), std::string::npos) << msg;
  lock.reset();
  ASSERT_OK_AND_ASSIGN(lock, WriterLock::Acquire(dir.path()));
}

TEST(WriterLock, AKilledHolderReleasesIt) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = WriterLock::Acquire(dir.path());
    const char c = lock.ok() ? 'y' : 'n';
    if (::write(ready[1], &c, 1) != 1) ::_exit(2);
    ::pause();
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ASSERT_EQ(c, 'y');
  auto held = WriterLock::Acquire(dir.path());
  ASSERT_FALSE(held.ok());
  EXPECT_NE(held.status().message().find("pid " + std::to_string(child)), std::string::npos)
      << held.status().message();
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_OK_AND_ASSIGN(auto lock, WriterLock::Acquire(dir.path()));
}

TEST(DeleteFile, RoundTripsRandomSetsAndCatchesDamage) {
  TempDir dir;
  std::mt19937_64 rng(23);
  for (int round = 0; round < 50; ++round) {
    const uint64_t num_docs = 1 + rng() % 200000;
    DocSet set;
    std::set<uint32_t> expected;
    const int n = static_cast<int>(rng() % 3000);
    for (int i = 0; i < n; ++i) {
      const uint32_t d = static_cast<uint32_t>(rng() % num_docs);
      set.Add(d);
      expected.insert(d);
    }
    const std::string path = dir.File("s000001_" + std::to_string(round) + ".del");
    ASSERT_OK(WriteDeleteFile(path, set, num_docs));
    ASSERT_OK_AND_ASSIGN(auto back, ReadDeleteFile(path, num_docs));
    std::vector<uint32_t> got;
    DocSet::Iterator it(*back);
    for (uint32_t d = it.doc(UINT32_MAX); d != UINT32_MAX; it.Next(), d = it.doc(UINT32_MAX)) {
      got.push_back(d);
    }
    EXPECT_EQ(got, std::vector<uint32_t>(expected.begin(), expected.end()));

    auto wrong_size = ReadDeleteFile(path, num_docs + 1);
    ASSERT_FALSE(wrong_size.ok());
    EXPECT_EQ(wrong_size.status().code(), StatusCode::kCorruption);

    std::string bytes = ReadFile(path);
    bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
    WriteFile(path, bytes);
    auto damaged = ReadDeleteFile(path, num_docs);
    ASSERT_FALSE(damaged.ok());
    EXPECT_EQ(damaged.status().code(), StatusCode::kCorruption) << damaged.status().ToString();
  }
  DocSet past;
  past.Add(10);
  EXPECT_FALSE(WriteDeleteFile(dir.File("s000001_1.del"), past, 10).ok());
}

TEST(RemoveUnreferencedFiles, KeepsTheCommitAndForeignFiles) {
  TempDir dir;
  Manifest m;
  m.generation = 3;
  m.next_segment = 3;
  SegmentEntry s;
  s.name = "s000001";
  s.num_docs = 5;
  s.num_deleted = 1;
  s.deletes = {{"s000001_3.del", "s000001_3.tomb", 1}};
  m.segments.push_back(s);
  ASSERT_OK(WriteManifest(dir.path(), m));
  for (const char* name :
       {"s000001.seg", "s000001_3.del", "s000001_3.tomb", "s000001_2.del", "s000002.seg",
        "s000003.seg.tmp.77.1234", "MANIFEST.tmp.77.99", "notes.txt", "LOCK"}) {
    WriteFile(dir.File(name), "x");
  }
  uint64_t removed = 0;
  ASSERT_OK(RemoveUnreferencedFiles(dir.path(), m, &removed));
  EXPECT_EQ(removed, 4u);
  std::set<std::string> left;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    left.insert(e.path().filename().string());
  }
  EXPECT_EQ(left, (std::set<std::string>{"MANIFEST", "LOCK", "notes.txt", "s000001.seg",
                                         "s000001_3.del", "s000001_3.tomb"}));
}

}  // namespace
}  // namespace libsearch::internal
