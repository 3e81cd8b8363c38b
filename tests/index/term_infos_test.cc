// The 2.x term layout: packed term infos round-trip exactly, a whole field
// written by IndexBuilder reads back as the brute-force postings of its
// input (singletons, one-block and multi-block terms, ids), and damaged
// records end in Corruption, never in an out-of-range read (ASan).
#include "index/term_infos.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "index/postings_writer.h"
#include "libsearch/index_builder.h"
#include "testing/test_util.h"
#include "util/coding.h"

namespace libsearch::internal {
namespace {

// (An inline term has no payload, so no postings offset to compare.)
bool SameInfo(const TermInfo& a, const TermInfo& b) {
  return a.doc_freq == b.doc_freq && a.first_block == b.first_block &&
         (a.inline_tf != 0 || a.postings_offset == b.postings_offset) &&
         a.positions_offset == b.positions_offset && a.inline_doc == b.inline_doc &&
         a.inline_tf == b.inline_tf && a.corrupt == b.corrupt;
}

// Term infos as WritePostings produces them: offsets grow with the payload,
// singletons are inline, terms of 2+ blocks take consecutive block entries.
std::vector<TermInfo> RandomInfos(std::mt19937_64* rng, size_t n) {
  std::vector<TermInfo> infos;
  uint64_t postings = 0, positions = 0, entries = 0;
  const uint32_t boundary[] = {1, 2, 127, 128, 129, 255, 256, 257};
  for (size_t i = 0; i < n; ++i) {
    TermInfo t;
    const uint32_t kind = (*rng)() % 10;
    t.doc_freq = kind < 5 ? 1 : kind < 7 ? boundary[(*rng)() % 8] : 2 + (*rng)() % 5000;
    if (i == n / 2 && n >= 1000) t.doc_freq = 0x7ffffff0u - (*rng)() % 1000;  // Near the cap.
    t.postings_offset = postings;
    t.positions_offset = positions;
    if (t.doc_freq == 1) {
      t.inline_doc = static_cast<uint32_t>((*rng)() % 0x7ffffff0u);
      t.inline_tf = (*rng)() % 8 == 0 ? 1 + static_cast<uint32_t>((*rng)() % 100000) : 1;
    } else {
      postings += 1 + (*rng)() % 4000;
      if ((*rng)() % 200 == 0) postings += uint64_t{1} << (30 + (*rng)() % 9);  // A huge list.
      const uint64_t blocks = (t.doc_freq + 127) / 128;
      if (blocks >= 2) {
        t.first_block = static_cast<uint32_t>(entries);
        entries += blocks;
      }
    }
    positions += (*rng)() % 3 == 0 ? 0 : (*rng)() % 9000;
    infos.push_back(t);
  }
  return infos;
}

TEST(TermInfos, PackedRoundTripsExactly) {
  std::mt19937_64 rng(77);
  for (size_t n :
       {size_t{0}, size_t{1}, size_t{31}, size_t{32}, size_t{33}, size_t{1000}, size_t{20000}}) {
    const std::vector<TermInfo> infos = RandomInfos(&rng, n);
    std::string section;
    ASSERT_OK(WritePackedTermInfos(infos, &section));
    ASSERT_OK_AND_ASSIGN(TermInfoTable table, TermInfoTable::OpenPacked(section));
    ASSERT_EQ(table.num_terms(), n);
    for (uint32_t ord = 0; ord < n; ++ord) {
      const TermInfo got = table.Get(ord);
      ASSERT_TRUE(SameInfo(got, infos[ord]))
          << "n " << n << " ord " << ord << ": df " << got.doc_freq << "/" << infos[ord].doc_freq
          << " first_block " << got.first_block << "/" << infos[ord].first_block << " postings "
          << got.postings_offset << "/" << infos[ord].postings_offset << " positions "
          << got.positions_offset << "/" << infos[ord].positions_offset << " inline "
          << got.inline_doc << "," << got.inline_tf << "/" << infos[ord].inline_doc << ","
          << infos[ord].inline_tf << " corrupt " << got.corrupt;
      ASSERT_EQ(table.DocFreq(ord), infos[ord].doc_freq);
    }
  }
}

TEST(TermInfos, TooManyBlockEntriesIsAnError) {
  std::vector<TermInfo> infos(300);
  for (uint32_t i = 0; i < infos.size(); ++i) {
    infos[i].doc_freq = 0x7ffffff0u;
    infos[i].first_block = i * (0x7ffffff0u / 128 + 1);  // Wraps: the writer must notice.
  }
  std::string section;
  EXPECT_EQ(WritePackedTermInfos(infos, &section).code(), StatusCode::kResourceExhausted);
}

TEST(TermInfos, SmallerThanTheOldLayout) {
  std::mt19937_64 rng(5);
  const std::vector<TermInfo> infos = RandomInfos(&rng, 10000);
  std::string section;
  ASSERT_OK(WritePackedTermInfos(infos, &section));
  EXPECT_LT(section.size(), infos.size() * sizeof(TermInfoV1) / 3);
}

// Truncation and damaged group headers or records: Get reports corrupt (or
// a value that cursors then check), and nothing reads outside the section.
TEST(TermInfos, DamageIsReportedNeverReadOutOfBounds) {
  std::mt19937_64 rng(11);
  const std::vector<TermInfo> infos = RandomInfos(&rng, 300);
  std::string good;
  ASSERT_OK(WritePackedTermInfos(infos, &good));
  // Truncated: refused at open, or the cut-off records are corrupt. Each
  // copy is its own allocation, so ASan sees any read past the end.
  for (size_t size = 0; size < good.size(); size += 1 + size / 7) {
    const std::string cut = good.substr(0, size);
    auto table = TermInfoTable::OpenPacked(cut);
    if (!table.ok()) {
      EXPECT_EQ(table.status().code(), StatusCode::kCorruption);
      continue;
    }
    size_t corrupt = 0;
    for (uint32_t ord = 0; ord < table->num_terms(); ++ord) {
      corrupt += table->Get(ord).corrupt;
      (void)table->DocFreq(ord);
    }
    EXPECT_GT(corrupt, 0u) << "truncated to " << size;
  }
  // Wrong header.
  {
    std::string bad = good;
    bad[8] = 1;  // The reserved word.
    EXPECT_EQ(TermInfoTable::OpenPacked(bad).status().code(), StatusCode::kCorruption);
    bad = good;
    bad[0] = static_cast<char>(bad[0] + 1);  // One term more than the groups hold... or fewer.
    auto t = TermInfoTable::OpenPacked(bad);
    if (t.ok()) {
      for (uint32_t ord = 0; ord < t->num_terms(); ++ord) (void)t->Get(ord);
    }
  }
  // Group fields out of range.
  const size_t group0 = 16;
  auto damaged_group = [&](size_t field_offset, uint64_t value, size_t width) {
    std::string bad = good;
    std::memcpy(bad.data() + group0 + field_offset, &value, width);
    return bad;
  };
  for (const std::string& bad :
       {damaged_group(offsetof(TermInfoGroup, code_bits), 58, 1),
        damaged_group(offsetof(TermInfoGroup, slot_bits), 200, 1),
        damaged_group(offsetof(TermInfoGroup, pos_bits), 255, 1),
        damaged_group(offsetof(TermInfoGroup, data_offset), uint64_t{1} << 62, 8),
        damaged_group(offsetof(TermInfoGroup, data_offset), good.size(), 8)}) {
    ASSERT_OK_AND_ASSIGN(TermInfoTable t, TermInfoTable::OpenPacked(bad));
    for (uint32_t ord = 0; ord < kTermsPerInfoGroup; ++ord) {
      EXPECT_TRUE(t.Get(ord).corrupt) << ord;
      EXPECT_EQ(t.DocFreq(ord), 0u);
    }
  }
  // Random byte flips anywhere: never a crash.
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 + rng() % 255);
    auto t = TermInfoTable::OpenPacked(bad);
    if (!t.ok()) continue;
    for (uint32_t ord = 0; ord < t->num_terms(); ++ord) (void)t->Get(ord);
  }
}

// Cursors refuse what a damaged record can claim: a corrupt flag, an
// inline doc beyond the doc count, a one-block doc_freq above 128 without
// block entries, block entries past the arrays.
TEST(TermInfos, CursorsFailOnImpossibleInfos) {
  const std::vector<uint32_t> docs = {3, 9, 20}, tfs = {1, 2, 1};
  PostingsSink sink;
  const NormInverseTable table = MakeNormInverseTable({}, 1.0f);
  const TermInfo good =
      WritePostings({docs.data(), tfs.data(), nullptr, 3}, nullptr, 1.0f, table, &sink);
  FieldPostingsView view{sink.postings, "", nullptr, nullptr, nullptr, 0, 50};
  {
    PostingsCursor c(&view, good);
    EXPECT_EQ(c.doc(), 3u);
    EXPECT_FALSE(c.has_block_entries());
    EXPECT_EQ(c.ShallowAdvance(10), 20u);  // The one block's last doc.
    EXPECT_EQ(c.ShallowAdvance(21), kNoMoreDocs);
  }
  TermInfo t = good;
  t.corrupt = true;
  EXPECT_TRUE(PostingsCursor(&view, t).corrupt());
  t = good;
  t.doc_freq = 129;  // Two blocks need entries.
  EXPECT_TRUE(PostingsCursor(&view, t).corrupt());
  t = good;
  t.doc_freq = 4;  // Runs past the payload.
  EXPECT_TRUE(PostingsCursor(&view, t).corrupt());
  t = good;
  t.first_block = 0;  // No entries exist.
  EXPECT_TRUE(PostingsCursor(&view, t).corrupt());
  TermInfo single;
  single.doc_freq = 1;
  single.inline_tf = 1;
  single.inline_doc = 49;
  {
    PostingsCursor c(&view, single);
    EXPECT_EQ(c.doc(), 49u);
    EXPECT_FALSE(c.corrupt());
  }
  single.inline_doc = 50;  // == num_docs.
  EXPECT_TRUE(PostingsCursor(&view, single).corrupt());
  // Gaps that wrap around 2^32 back below num_docs: 5, 5 + 2^31, 10.
  std::string wrapped;
  for (uint32_t v : {5u << 1 | 1, 0x7fffffffu << 1 | 1, 0x7fffffffu << 1 | 1})
    PutVarint32(&wrapped, v);
  FieldPostingsView wrapped_view{wrapped, "", nullptr, nullptr, nullptr, 0, 50};
  TermInfo three;
  three.doc_freq = 3;
  EXPECT_TRUE(PostingsCursor(&wrapped_view, three).corrupt());
  // 129 well-formed entries, but a term of two blocks needs block entries:
  // decoding them as one block would overrun the cursor's 128-doc buffers.
  std::string long_block;
  for (uint32_t i = 0; i < 129; ++i) PutVarint32(&long_block, 1);
  FieldPostingsView long_view{long_block, "", nullptr, nullptr, nullptr, 0, 500};
  TermInfo t129;
  t129.doc_freq = 129;
  EXPECT_TRUE(PostingsCursor(&long_view, t129).corrupt());
}

// Open checks what steers every later read: the doc-id width against the
// section size, the term count against the field statistics.
TEST(TermLayoutOracle, OpenRefusesInconsistentSections) {
  testing::TempDir dir;
  std::vector<std::string> docs;
  for (int d = 0; d < 300; ++d) {
    docs.push_back(R"({"id": "doc)" + std::to_string(d) + R"(", "body": "common word)" +
                   std::to_string(d % 7) + "\"}");
  }
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "id", "fields": {
      "body": {"type": "text", "language": "none"}}})"));
  ASSERT_OK(testing::BuildIndex(schema, docs, dir.File("a.idx")));
  const std::string good = testing::ReadFile(dir.File("a.idx"));
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir.File("a.idx")));
  std::vector<uint64_t> patch_at;
  for (const SectionEntry& e : reader->sections()) {
    if (e.kind == static_cast<uint32_t>(SectionKind::kDocIdOrds) ||
        e.kind == static_cast<uint32_t>(SectionKind::kTermInfosPacked)) {
      patch_at.push_back(e.offset);  // The width / num_terms word.
    }
  }
  ASSERT_EQ(patch_at.size(), 3u);  // doc ids, and the term infos of id and body.
  for (uint64_t at : patch_at) {
    for (char delta : {1, -1, 16}) {
      std::string bad = good;
      bad[at] = static_cast<char>(bad[at] + delta);
      testing::WriteFile(dir.File("b.idx"), bad);
      auto r = IndexReader::Open(dir.File("b.idx"));
      ASSERT_FALSE(r.ok()) << "patched byte " << at << " by " << int{delta};
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
    }
  }
}

// The file records the BM25 parameters of its block maxima, and a search
// with exactly those trusts the maxima without recomputing them. That is
// only right if every stored maximum is what this reader computes: checked
// here for every term with block entries of every field and prefix index
// of 3,000 bundled products, built with default and with other k1, b.
TEST(TermLayoutOracle, RecordedBm25ParamsHoldEveryStoredMaximum) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema,
                       Schema::FromFile(testing::SourcePath("examples/products/schema.json")));
  const std::vector<std::string> products = testing::FirstBundledProducts(3000);
  for (const Bm25Params params : {Bm25Params{1.2f, 0.75f}, Bm25Params{0.6f, 0.3f}}) {
    IndexBuilderOptions options;
    options.bm25 = params;
    auto builder = IndexBuilder::Create(schema, options);
    ASSERT_OK(builder.status());
    for (const std::string& d : products) ASSERT_OK((*builder)->AddJson(d));
    ASSERT_OK((*builder)->Build(dir.File("p.idx")));
    ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir.File("p.idx")));
    uint64_t checked = 0;
    for (size_t f = 0; f < reader->schema().fields().size(); ++f) {
      for (const FieldReader* field : {reader->field(f), reader->prefix_field(f)}) {
        if (field == nullptr) continue;
        const Bm25Params* recorded = field->postings.max_score_params;
        ASSERT_NE(recorded, nullptr);
        ASSERT_EQ(recorded->k1, params.k1);
        ASSERT_EQ(recorded->b, params.b);
        const float avgdl = Bm25AvgFieldLength(field->stats.sum_total_tf, field->stats.doc_count);
        const NormInverseTable table = MakeNormInverseTable(params, avgdl);
        for (uint32_t ord = 0; ord < field->dict.num_terms(); ++ord) {
          const TermInfo info = field->Term(ord);
          if (info.first_block == kNoBlockEntries) continue;
          const float idf = Bm25Idf(info.doc_freq, field->stats.doc_count);
          ASSERT_TRUE(StoredMaximaExact(&field->postings, info, field->norms, idf, table))
              << reader->schema().fields()[f].name << " ord " << ord;
          ++checked;
        }
      }
    }
    EXPECT_GT(checked, 100u);
  }
}

// A damaged bm25_params section is refused at open (it decides whether
// pruning trusts the stored maxima).
TEST(TermLayoutOracle, DamagedBm25ParamsAreCorruption) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "id", "fields": {
      "body": {"type": "text", "language": "none"}}})"));
  ASSERT_OK(testing::BuildIndex(schema, {R"({"id": "a", "body": "x y"})"}, dir.File("a.idx")));
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir.File("a.idx")));
  uint64_t at = 0;
  for (const SectionEntry& e : reader->sections()) {
    if (e.kind == static_cast<uint32_t>(SectionKind::kBm25Params)) at = e.offset;
  }
  ASSERT_GT(at, 0u);
  std::string bad = testing::ReadFile(dir.File("a.idx"));
  bad[at] ^= 1;  // k1's low bit.
  testing::WriteFile(dir.File("b.idx"), bad);
  auto r = IndexReader::Open(dir.File("b.idx"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("bm25_params"), std::string::npos) << r.status().ToString();
}

// term -> doc -> positions (tf = their number; {0} per doc without positions).
using Inverted = std::map<std::string, std::map<uint32_t, std::vector<uint32_t>>>;

// Every term of `field` in order, with exactly the docs, tfs and positions
// of `want` (tfs from `tfs` if given, for lists without positions).
void ExpectPostings(const FieldReader* field, const Inverted& want,
                    const std::map<std::string, std::map<uint32_t, uint32_t>>* tfs = nullptr) {
  ASSERT_NE(field, nullptr);
  std::vector<std::string> terms;
  ASSERT_OK(field->dict.Terms(0, static_cast<uint32_t>(field->dict.num_terms()), &terms));
  ASSERT_EQ(terms.size(), want.size());
  uint32_t ord = 0;
  for (const auto& [term, postings] : want) {
    ASSERT_EQ(terms[ord], term);
    ASSERT_EQ(field->dict.Find(term), ord);
    const TermInfo info = field->Term(ord);
    ASSERT_EQ(info.doc_freq, postings.size()) << term;
    ASSERT_EQ(field->DocFreq(ord), postings.size());
    EXPECT_EQ(info.inline_tf != 0, postings.size() == 1);
    EXPECT_EQ(info.first_block != kNoBlockEntries, postings.size() > 128);
    PostingsCursor c(&field->postings, info);
    std::vector<uint32_t> got;
    for (const auto& [doc, positions] : postings) {
      ASSERT_EQ(c.doc(), doc) << term;
      ASSERT_EQ(c.freq(), tfs != nullptr ? tfs->at(term).at(doc) : positions.size()) << term;
      if (!field->postings.positions.empty()) {
        c.Positions(&got);
        ASSERT_EQ(got, positions) << term << " doc " << doc;
      }
      c.Next();
    }
    EXPECT_EQ(c.doc(), kNoMoreDocs);
    EXPECT_FALSE(c.corrupt());
    ++ord;
  }
}

// A whole index through IndexBuilder and IndexReader: every term's postings,
// tfs and positions equal the brute-force inverted input, for words with
// doc_freq at the block boundaries, and every doc's id comes back.
TEST(TermLayoutOracle, IndexReadsBackItsInput) {
  testing::TempDir dir;
  std::mt19937 rng(2027);
  constexpr uint32_t kDocs = 1500;
  std::vector<std::string> vocab;
  for (int i = 0; i < 400; ++i) {
    std::string w;
    for (int k = 0, len = 3 + i % 5; k < len; ++k) w += static_cast<char>('a' + rng() % 26);
    vocab.push_back(w + "x" + std::string(1, static_cast<char>('a' + i % 26)));
  }
  std::vector<double> weights;
  for (size_t i = 0; i < vocab.size(); ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<size_t> zipf(weights.begin(), weights.end());
  // Words with exact doc frequencies (letters only, so analysis keeps them).
  const uint32_t exact[] = {1, 2, 127, 128, 129, 255, 256, 257, 1000};
  std::vector<std::vector<std::string>> words(kDocs);
  for (uint32_t df : exact) {
    std::string w = "exact";
    for (uint32_t v = df; v > 0; v /= 10) w += static_cast<char>('a' + v % 10);
    std::vector<uint32_t> all(kDocs);
    for (uint32_t d = 0; d < kDocs; ++d) all[d] = d;
    std::shuffle(all.begin(), all.end(), rng);
    for (uint32_t i = 0; i < df; ++i) {
      for (uint32_t k = 0, tf = rng() % 5 == 0 ? 2 + rng() % 4 : 1; k < tf; ++k)
        words[all[i]].push_back(w);
    }
  }
  std::vector<std::string> docs, ids;
  Inverted text;
  std::map<std::string, std::vector<uint32_t>> tags;  // term -> docs
  for (uint32_t d = 0; d < kDocs; ++d) {
    for (int k = 0, n = static_cast<int>(rng() % 30); k < n; ++k)
      words[d].push_back(vocab[zipf(rng)]);
    std::shuffle(words[d].begin(), words[d].end(), rng);
    std::string body;
    for (uint32_t p = 0; p < words[d].size(); ++p) {
      body += (p ? " " : "") + words[d][p];
      text[words[d][p]][d].push_back(p);
    }
    const std::string tag = "t" + std::to_string(rng() % 300);
    tags[tag].push_back(d);
    ids.push_back("id-" + std::to_string(rng() % 1000) + "-" + std::to_string(d));
    docs.push_back(R"({"id": ")" + ids.back() + R"(", "body": ")" + body + R"(", "tag": ")" + tag +
                   "\"}");
  }
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "id", "fields": {
      "body": {"type": "text", "language": "none", "fold_accents": false},
      "tag": {"type": "keyword"}}})"));
  ASSERT_OK(testing::BuildIndex(schema, docs, dir.File("a.idx")));
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir.File("a.idx")));
  EXPECT_EQ(reader->header().format_major, 2);
  for (uint32_t d = 0; d < kDocs; ++d) ASSERT_EQ(reader->DocId(d), ids[d]);

  auto field = [&](const char* name) { return reader->field(*reader->schema().FieldIndex(name)); };
  ExpectPostings(field("body"), text);
  Inverted want_tags, want_ids;
  for (const auto& [t, ds] : tags) {
    for (uint32_t d : ds) want_tags[t][d] = {0};
  }
  ExpectPostings(field("tag"), want_tags);
  for (uint32_t d = 0; d < kDocs; ++d) want_ids[ids[d]][d] = {0};
  ExpectPostings(field("id"), want_ids);
}

// The builder's per-token accumulation (no per-doc sort) against the simple
// path: analyse each value, group the tokens by term, sort the positions.
// Multi-valued text with stop words, split codes, stemming and non-ASCII
// words, its prefix index (tf summed over completions), and multi-valued
// keywords with repeated values.
TEST(TermLayoutOracle, MultiValuedFieldsReadBack) {
  testing::TempDir dir;
  std::mt19937 rng(4099);
  std::vector<std::string> pool = {"the",     "of",    "and",    "iPhone15", "500ml",  "a1a",
                                   "sd500x2", "Crème", "brûlée", "running",  "runs",   "wi-fi",
                                   "co-op",   "2.5",   "3,000",  "naïve",    "ÉCOLE",  "食品添加剂",
                                   "x",       "_",     "Über",   "straße",   "ﬁsh",    "Fish",
                                   "FISH",    "don't", "U.S.A.", "e-mail",   "résumé", "12ab34"};
  for (int i = 0; i < 200; ++i) {  // Random words, some with digits.
    std::string w;
    for (int k = 0, len = 1 + static_cast<int>(rng() % 7); k < len; ++k)
      w += static_cast<char>('a' + rng() % 8);
    if (rng() % 4 == 0) w += std::to_string(rng() % 100);
    pool.push_back(w);
  }
  const char* seps[] = {" ", "  ", ", ", ". ", " - ", "/", "\n"};
  constexpr uint32_t kDocs = 1200;
  std::vector<std::string> docs;
  std::vector<std::vector<std::string>> bodies(kDocs), tag_lists(kDocs);
  auto quoted = [](const std::string& v) {
    std::string q = "\"";
    for (char c : v) q += c == '\n' ? std::string("\\n") : std::string(1, c);
    return q + "\"";
  };
  for (uint32_t d = 0; d < kDocs; ++d) {
    std::string body, tags;
    for (int v = 0, nv = static_cast<int>(rng() % 4); v < nv; ++v) {
      std::string value;
      for (int k = 0, n = static_cast<int>(rng() % 14); k < n; ++k) {
        value +=
            (k ? seps[rng() % 7] : "") + pool[rng() % 3 != 0 ? rng() % 30 : rng() % pool.size()];
      }
      bodies[d].push_back(value);
      body += (v ? ", " : "") + quoted(value);
    }
    for (int v = 0, nv = static_cast<int>(rng() % 5); v < nv; ++v) {
      tag_lists[d].push_back("k" + std::to_string(rng() % 12));  // Repeats too.
      tags += (v ? ", " : "") + quoted(tag_lists[d].back());
    }
    docs.push_back(R"({"id": "d)" + std::to_string(d) + R"(", "body": [)" + body +
                   R"(], "tags": [)" + tags + "]}");
  }
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(R"({"id": "id", "fields": {
      "body": {"type": "text", "language": "en", "stopwords": true, "split_codes": true,
               "index_prefixes": 2},
      "tags": {"type": "keyword"}}})"));
  ASSERT_OK(testing::BuildIndex(schema, docs, dir.File("m.idx")));
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir.File("m.idx")));

  analysis::AnalyzerOptions ao;
  ao.language = "en";
  ao.stopwords = true;
  ao.split_codes = true;
  ASSERT_OK_AND_ASSIGN(auto analyzer, analysis::Analyzer::Create(ao));
  Inverted text, prefixes, tags;
  std::map<std::string, std::map<uint32_t, uint32_t>> prefix_tfs;
  for (uint32_t d = 0; d < kDocs; ++d) {
    uint32_t next = 0;
    for (const std::string& value : bodies[d]) {
      std::vector<analysis::Token> tokens;
      analyzer->Analyze(value, &tokens, next);
      for (const analysis::Token& t : tokens) text[t.term][d].push_back(t.position);
      if (!tokens.empty()) next = tokens.back().position + 100;  // The value gap.
    }
    for (const std::string& t : tag_lists[d]) tags[t][d] = {0};
  }
  for (auto& [term, postings] : text) {
    for (auto& [d, positions] : postings) {
      std::sort(positions.begin(), positions.end());
      for (size_t end = 0, chars = 0; chars < 2 && end < term.size(); ++chars) {
        ++end;
        while (end < term.size() && (static_cast<unsigned char>(term[end]) & 0xc0) == 0x80) ++end;
        prefixes[term.substr(0, end)][d] = {0};
        prefix_tfs[term.substr(0, end)][d] += static_cast<uint32_t>(positions.size());
      }
    }
  }
  const size_t body = *reader->schema().FieldIndex("body");
  ASSERT_GT(text.size(), 150u);
  ExpectPostings(reader->field(body), text);
  ExpectPostings(reader->prefix_field(body), prefixes, &prefix_tfs);
  ExpectPostings(reader->field(*reader->schema().FieldIndex("tags")), tags);
}

}  // namespace
}  // namespace libsearch::internal
