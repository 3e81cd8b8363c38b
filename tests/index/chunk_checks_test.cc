// First-use checks by chunk (format 2.5, index/chunk_checks.h): a damaged
// byte of postings, positions or the document store is reported by the
// first read that covers it, and only by such reads; Verify() reports it
// regardless. Answers with checks by chunk equal those without checks.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "index/index_reader.h"
#include "libsearch/json.h"
#include "testing/reseal.h"
#include "testing/test_util.h"
#include "util/coding.h"

namespace libsearch {
namespace {

using internal::IndexReader;
using internal::PostingsCursor;
using internal::SectionEntry;
using internal::SectionKind;
using internal::TermInfo;

constexpr char kSchema[] = R"({"id": "id", "fields": {
  "body": {"type": "text", "stored": true},
  "tag": {"type": "keyword", "stored": true}}})";

// Random words over a skewed vocabulary, and a word of its own per doc:
// many chunks of every chunked section, and terms of every list shape.
std::vector<std::string> RandomDocs(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> vocab;
  for (int i = 0; i < 3000; ++i) {
    std::string w;
    for (int v = i + 1; v > 0; v /= 20) w += static_cast<char>('b' + v % 20);
    vocab.push_back(w + "x");
  }
  std::vector<std::string> docs;
  for (size_t d = 0; d < n; ++d) {
    std::string body;
    const int len = 5 + static_cast<int>(rng() % 30);
    for (int i = 0; i < len; ++i) {
      const double u = std::uniform_real_distribution<double>(0, 1)(rng);
      body += (i ? " " : "") + vocab[static_cast<size_t>(u * u * u * vocab.size())];
    }
    // A word of this doc only: a large dictionary of inline terms.
    body += " q";
    for (size_t v = d + 1; v > 0; v /= 20) body += static_cast<char>('b' + v % 20);
    nlohmann::json j = {
        {"id", "d" + std::to_string(d)}, {"body", body}, {"tag", "t" + std::to_string(rng() % 7)}};
    docs.push_back(j.dump());
  }
  return docs;
}

class ChunkCorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto schema = Schema::FromJson(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    ASSERT_OK(testing::BuildIndex(*schema, RandomDocs(30000, 22), dir_->File("good.idx")));
    good_ = new std::string(testing::ReadFile(dir_->File("good.idx")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete good_;
  }

  static const SectionEntry& Find(SectionKind kind, uint32_t field) {
    static std::vector<SectionEntry> table = testing::SectionTable(*good_);
    for (const SectionEntry& e : table) {
      if (e.kind == static_cast<uint32_t>(kind) && e.field == field) return e;
    }
    ADD_FAILURE() << "no section " << static_cast<uint32_t>(kind);
    return table[0];
  }

  // Reads every doc of term `ord` of `field` (and its positions, if the
  // field has them) through a cursor.
  // A copy of the good index with the byte at `offset` XOR-ed with `mask`,
  // written to `name` in the test directory; returns its path.
  static std::string WriteFlipped(const std::string& name, uint64_t offset, uint8_t mask) {
    std::string bytes = *good_;
    bytes[offset] = static_cast<char>(static_cast<uint8_t>(bytes[offset]) ^ mask);
    const std::string path = dir_->File(name);
    testing::WriteFile(path, bytes);
    return path;
  }
  static void ReadTerm(const IndexReader& r, uint32_t field, uint32_t ord) {
    const internal::FieldReader* fr = r.field(field);
    ASSERT_NE(fr, nullptr);
    PostingsCursor c(&fr->postings, fr->Term(ord));
    std::vector<uint32_t> pos;
    for (; c.doc() != internal::kNoMoreDocs; c.Next()) {
      if (!fr->postings.positions.empty()) c.Positions(&pos);
    }
  }

  // The byte range term `ord` reads in `kind` (postings or positions): from
  // its offset to the next term's with a payload there.
  static std::pair<uint64_t, uint64_t> TermRange(const IndexReader& r, uint32_t field, uint32_t ord,
                                                 SectionKind kind) {
    const internal::FieldReader* fr = r.field(field);
    auto offset = [&](const TermInfo& t) {
      return kind == SectionKind::kPostings ? t.postings_offset : t.positions_offset;
    };
    const uint64_t begin = offset(fr->Term(ord));
    uint64_t end = kind == SectionKind::kPostings ? fr->postings.postings.size()
                                                  : fr->postings.positions.size();
    for (uint32_t o = ord + 1; o < fr->stats.num_terms; ++o) {
      const TermInfo t = fr->Term(o);
      if (kind == SectionKind::kPostings && t.inline_tf != 0) continue;
      end = offset(t);
      break;
    }
    return {begin, end};
  }

  // The term whose range in `kind` holds byte `at` of the section, or -1.
  static int64_t TermAt(const IndexReader& r, uint32_t field, SectionKind kind, uint64_t at) {
    const internal::FieldReader* fr = r.field(field);
    for (uint32_t o = 0; o < fr->stats.num_terms; ++o) {
      if (kind == SectionKind::kPostings && fr->Term(o).inline_tf != 0) continue;
      const auto [begin, end] = TermRange(r, field, o, kind);
      if (begin <= at && at < end) return o;
    }
    return -1;
  }

  static testing::TempDir* dir_;
  static std::string* good_;
};
testing::TempDir* ChunkCorruptionTest::dir_ = nullptr;
std::string* ChunkCorruptionTest::good_ = nullptr;

constexpr uint32_t kBody = 1;  // Field ids in schema order: id, body, tag.

TEST_F(ChunkCorruptionTest, LargeSectionsHaveManyChunks) {
  EXPECT_GT(Find(SectionKind::kPostings, kBody).length, 8 * internal::kChunkBytes);
  EXPECT_GT(Find(SectionKind::kPositions, kBody).length, 8 * internal::kChunkBytes);
  EXPECT_GT(Find(SectionKind::kDocStore, internal::kNoField).length, 8 * internal::kChunkBytes);
  ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(dir_->File("good.idx")));
  EXPECT_EQ(r->header().format_minor, 5);
  ASSERT_OK(r->Verify());
}

// A flipped byte in one chunk of postings: reading the term that covers it
// reports it; reading terms in other chunks does not; Verify() does.
TEST_F(ChunkCorruptionTest, PostingsChunkReportedOnlyWhenRead) {
  const SectionEntry& e = Find(SectionKind::kPostings, kBody);
  ASSERT_OK_AND_ASSIGN(auto good, IndexReader::Open(dir_->File("good.idx")));
  const uint64_t at = e.length / 2;
  const int64_t hit = TermAt(*good, kBody, SectionKind::kPostings, at);
  ASSERT_GE(hit, 0);
  const uint64_t chunk = at / internal::kChunkBytes;
  // A term whose whole range lies in chunks before the damaged one.
  int64_t miss = -1;
  for (uint32_t o = 0; o < good->field(kBody)->stats.num_terms; ++o) {
    const auto [begin, end] = TermRange(*good, kBody, o, SectionKind::kPostings);
    if (good->field(kBody)->Term(o).inline_tf == 0 && end > begin &&
        (end + 4096) / internal::kChunkBytes < chunk) {
      miss = o;
    }
  }
  ASSERT_GE(miss, 0);
  const std::string path = WriteFlipped("postings.idx", e.offset + at, 0x04);

  ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(path));
  ReadTerm(*r, kBody, static_cast<uint32_t>(miss));
  EXPECT_OK(r->Intact());  // The damaged chunk was not read.
  ReadTerm(*r, kBody, static_cast<uint32_t>(hit));
  const Status s = r->Intact();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("postings of field 'body'"), std::string::npos) << s.ToString();
  EXPECT_EQ(r->Verify().code(), StatusCode::kCorruption);

  // Not read at all: only Verify() sees it.
  ASSERT_OK_AND_ASSIGN(auto fresh, IndexReader::Open(path));
  EXPECT_OK(fresh->Intact());
  EXPECT_EQ(fresh->Verify().code(), StatusCode::kCorruption);
  // Without checks nothing is reported.
  ASSERT_OK_AND_ASSIGN(auto off, IndexReader::Open(path, ChecksumPolicy::kOff));
  ReadTerm(*off, kBody, static_cast<uint32_t>(hit));
  EXPECT_OK(off->Intact());
}

// The same through the public API: a search for the damaged term fails
// with Corruption, and so does every call after it.
TEST_F(ChunkCorruptionTest, SearchThatReadsTheChunkFails) {
  const SectionEntry& e = Find(SectionKind::kPostings, kBody);
  ASSERT_OK_AND_ASSIGN(auto good, IndexReader::Open(dir_->File("good.idx")));
  const uint64_t at = e.length / 3;
  const int64_t hit = TermAt(*good, kBody, SectionKind::kPostings, at);
  ASSERT_GE(hit, 0);
  std::string term;
  ASSERT_TRUE(good->field(kBody)->dict.Term(static_cast<uint32_t>(hit), &term));
  const std::string path = WriteFlipped("search.idx", e.offset + at, 0x80);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(path));
  SearchRequest req;
  req.query = "body:" + term;
  req.k = 5;
  EXPECT_EQ(index->Search(req).status().code(), StatusCode::kCorruption) << term;
  req.query = "tag:t1";
  EXPECT_EQ(index->Search(req).status().code(), StatusCode::kCorruption);
}

// A flipped byte in the document store: fetching a doc of another chunk
// works, fetching one of the damaged block's docs is Corruption.
TEST_F(ChunkCorruptionTest, DocStoreChunkReportedOnlyWhenRead) {
  const SectionEntry& e = Find(SectionKind::kDocStore, internal::kNoField);
  const SectionEntry& ix = Find(SectionKind::kDocStoreIndex, internal::kNoField);
  const uint64_t at = e.length / 2;
  // The block holding `at`, and a doc of a block at least two chunks away.
  std::vector<internal::DocStoreIndexEntry> entries(ix.length /
                                                    sizeof(internal::DocStoreIndexEntry));
  std::memcpy(entries.data(), good_->data() + ix.offset, ix.length);
  size_t b = 0;
  while (b + 1 < entries.size() && entries[b + 1].offset <= at) ++b;
  ASSERT_LT(2 * internal::kChunkBytes, entries[b].offset);
  const std::string path = WriteFlipped("store.idx", e.offset + at, 0x01);
  ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(path));
  ASSERT_OK(r->StoredDocument(entries[0].first_doc).status());
  EXPECT_OK(r->Intact());
  (void)r->StoredDocument(entries[b].first_doc);
  EXPECT_EQ(r->Intact().code(), StatusCode::kCorruption);
}

// A flipped byte in the term blocks: looking up a term of another chunk
// works, decoding the damaged block reports it.
TEST_F(ChunkCorruptionTest, TermBlocksChunkReportedOnlyWhenRead) {
  const SectionEntry& blocks = Find(SectionKind::kTermBlocks, kBody);
  const SectionEntry& index = Find(SectionKind::kTermIndex, kBody);
  ASSERT_GT(blocks.length, 3 * internal::kChunkBytes);
  const uint64_t at = blocks.length - internal::kChunkBytes / 2;  // In the last chunk.
  // The block of 32 terms holding `at` (term_index: u64 offsets per block).
  uint64_t b = 0;
  while (internal::DecodeFixed64(good_->data() + index.offset + 8 * (b + 1)) <= at) ++b;
  const std::string path = WriteFlipped("blocks.idx", blocks.offset + at, 0x20);
  ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(path));
  std::string term;
  ASSERT_TRUE(r->field(kBody)->dict.Term(0, &term));
  EXPECT_TRUE(r->field(kBody)->dict.Find(term).has_value());
  EXPECT_OK(r->Intact());
  (void)r->field(kBody)->dict.Term(static_cast<uint32_t>(32 * b), &term);
  EXPECT_EQ(r->Intact().code(), StatusCode::kCorruption);
}

// The same for term infos and doc ids: a far record reads clean, the
// damaged one is reported.
TEST_F(ChunkCorruptionTest, TermInfosAndDocIdsChunksReportedOnlyWhenRead) {
  const SectionEntry& infos = Find(SectionKind::kTermInfosPacked, kBody);
  const SectionEntry& ids = Find(SectionKind::kDocIdOrds, internal::kNoField);
  ASSERT_OK_AND_ASSIGN(auto good, IndexReader::Open(dir_->File("good.idx")));
  const uint32_t num_terms = static_cast<uint32_t>(good->field(kBody)->stats.num_terms);
  const uint32_t width = internal::DecodeFixed32(good_->data() + ids.offset);
  ASSERT_GT(ids.length, 2 * internal::kChunkBytes);
  {  // Doc ids: damage in the last chunk; doc 0 is in the first.
    std::string bytes = *good_;
    const uint64_t at = ids.length - 100;
    bytes[ids.offset + at] ^= 0x01;
    testing::WriteFile(dir_->File("ids.idx"), bytes);
    ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(dir_->File("ids.idx")));
    EXPECT_EQ(r->DocId(0), good->DocId(0));
    EXPECT_OK(r->Intact());
    const uint32_t doc = static_cast<uint32_t>((at - 8) * 8 / width);
    (void)r->DocIds({0, doc});
    EXPECT_EQ(r->Intact().code(), StatusCode::kCorruption);
  }
  ASSERT_GT(infos.length, 2 * internal::kChunkBytes);
  {  // Term infos: the last term's record.
    std::string bytes = *good_;
    bytes[infos.offset + infos.length - 12] ^= 0x40;
    testing::WriteFile(dir_->File("infos.idx"), bytes);
    ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(dir_->File("infos.idx")));
    (void)r->field(kBody)->Term(0);
    EXPECT_OK(r->Intact());
    (void)r->field(kBody)->Term(num_terms - 1);
    EXPECT_EQ(r->Intact().code(), StatusCode::kCorruption);
  }
}

// Random flips in postings and positions (fixed seed): a read of the
// covering term always reports the damage, through any number of threads.
TEST_F(ChunkCorruptionTest, RandomFlipsAreReportedByTheTermThatCoversThem) {
  ASSERT_OK_AND_ASSIGN(auto good, IndexReader::Open(dir_->File("good.idx")));
  std::mt19937_64 rng(2207);
  const std::string path = dir_->File("flip.idx");
  int reported = 0;
  for (int round = 0; round < 40; ++round) {
    const SectionKind kind = round % 2 ? SectionKind::kPositions : SectionKind::kPostings;
    const SectionEntry& e = Find(kind, kBody);
    const uint64_t at = rng() % e.length;
    const int64_t hit = TermAt(*good, kBody, kind, at);
    if (hit < 0) continue;  // Padding after the last list (none expected).
    std::string bytes = *good_;
    bytes[e.offset + at] ^= static_cast<char>(1 << (rng() % 8));
    testing::WriteFile(path, bytes);
    ASSERT_OK_AND_ASSIGN(auto r, IndexReader::Open(path));
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&] { ReadTerm(*r, kBody, static_cast<uint32_t>(hit)); });
    }
    for (std::thread& t : threads) t.join();
    EXPECT_EQ(r->Intact().code(), StatusCode::kCorruption)
        << "round " << round << ": byte " << at << " of kind " << static_cast<int>(kind);
    ++reported;
  }
  EXPECT_GE(reported, 35);
}

// Random queries answer the same with checks by chunk as without checks.
TEST_F(ChunkCorruptionTest, AnswersEqualThoseWithoutChecks) {
  OpenOptions off;
  off.checksums = ChecksumPolicy::kOff;
  ASSERT_OK_AND_ASSIGN(auto checked, Index::Open(dir_->File("good.idx")));
  ASSERT_OK_AND_ASSIGN(auto unchecked, Index::Open(dir_->File("good.idx"), off));
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir_->File("good.idx")));
  const internal::FieldReader* fr = reader->field(kBody);
  std::mt19937_64 rng(99);
  auto word = [&] {
    std::string w;
    EXPECT_TRUE(fr->dict.Term(static_cast<uint32_t>(rng() % fr->stats.num_terms), &w));
    return w;
  };
  for (int i = 0; i < 300; ++i) {
    SearchRequest req;
    switch (i % 4) {
      case 0: req.query = word(); break;
      case 1: req.query = word() + " " + word(); break;
      case 2: req.query = word() + " OR " + word() + " OR tag:t3"; break;
      default: req.query = "\"" + word() + " " + word() + "\""; break;
    }
    req.k = 1 + rng() % 20;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse a, checked->Search(req));
    ASSERT_OK_AND_ASSIGN(SearchResponse b, unchecked->Search(req));
    a.took_us = b.took_us = 0;
    EXPECT_EQ(SearchResponseToJson(a, req), SearchResponseToJson(b, req)) << req.query;
  }
}

}  // namespace
}  // namespace libsearch
