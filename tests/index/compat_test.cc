// This reader still reads older files: tests/data/products400-v1.4.idx.gz
// (format 1.4) and products400-v2.0.idx.gz (format 2.0, no bitmap blocks)
// hold the first 400 bundled products (examples/products/schema.json),
// written by libsearch 0.1.0 before each format change (2.1 added bitmap
// blocks, 2.2 term key prefixes). Every request must
// answer exactly as on a fresh build of the same products: hits, ids, scores
// bit for bit, totals (COUNT too), facets, stored docs.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <set>

#include "index/index_reader.h"
#include "storage/format.h"
#include "testing/test_util.h"
#include "util/hash.h"

namespace libsearch {
namespace {

using testing::TempDir;

std::string Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  EXPECT_NE(f, nullptr) << path;
  std::string out;
  char buf[1 << 16];
  for (int n; (n = gzread(f, buf, sizeof(buf))) > 0;) out.append(buf, n);
  gzclose(f);
  return out;
}

std::string Describe(const SearchResponse& r) {
  std::string s = std::to_string(r.total) + (r.total_exact ? "" : "+") + " [" + r.suggestion + "]";
  for (const Hit& h : r.hits) {
    char score[32];
    std::snprintf(score, sizeof(score), "%a", h.score);
    s += " " + h.id + ":" + std::to_string(h.doc) + ":" + score + ":" + h.doc_json;
  }
  for (const FacetResult& f : r.facets) {
    s += " | " + f.field;
    for (const FacetValue& v : f.values) s += " " + v.value + "=" + std::to_string(v.count);
  }
  return s;
}

// Bitmap postings blocks (2.1) in the file.
uint64_t BitmapBlocks(const std::string& path) {
  auto reader = internal::IndexReader::Open(path);
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return 0;
  uint64_t n = 0;
  for (size_t f = 0; f < (*reader)->schema().fields().size(); ++f) {
    const internal::FieldReader* field = (*reader)->field(f);
    if (field == nullptr) continue;
    for (uint64_t b = 0; b < field->postings.num_blocks; ++b) {
      n += field->postings.info[b].flags == internal::kBlockBitmap;
    }
  }
  return n;
}

// Sections of `kind` in the file.
uint64_t SectionsOfKind(const std::string& path, internal::SectionKind kind) {
  auto reader = internal::IndexReader::Open(path);
  EXPECT_TRUE(reader.ok());
  if (!reader.ok()) return 0;
  uint64_t n = 0;
  for (const auto& e : (*reader)->sections()) n += e.kind == static_cast<uint32_t>(kind);
  return n;
}

// Opens the checked-in `fixture` (format major.minor) and a fresh build of
// the same products, and compares them on a few hundred requests.
void ExpectReadsLikeFreshBuild(const std::string& fixture, uint32_t major, uint32_t minor) {
  TempDir dir;
  testing::WriteFile(dir.File("old.idx"), Gunzip(testing::SourcePath("tests/data/" + fixture)));
  ASSERT_OK_AND_ASSIGN(auto old_index, Index::Open(dir.File("old.idx")));
  // The bundled schema as it was when the fixture was written (its boosts
  // have changed since), from the fixture itself.
  ASSERT_OK_AND_ASSIGN(Schema schema, Schema::FromJson(old_index->schema().ToJson()));
  const std::vector<std::string> products = testing::FirstBundledProducts(400);
  ASSERT_OK(testing::BuildIndex(schema, products, dir.File("new.idx")));
  ASSERT_OK_AND_ASSIGN(auto new_index, Index::Open(dir.File("new.idx")));
  EXPECT_OK(old_index->Verify());
  EXPECT_EQ(old_index->Info()->format_major, major);
  EXPECT_EQ(old_index->Info()->format_minor, minor);
  EXPECT_EQ(new_index->Info()->format_major, internal::kFormatMajor);
  EXPECT_EQ(new_index->Info()->format_minor, internal::kFormatMinor);
  ASSERT_EQ(old_index->Info()->num_docs, 400u);
  // The old file has packed blocks where the fresh one has bitmaps (2.1),
  // and no term key prefixes (2.2): its lookups search the blocks.
  EXPECT_EQ(BitmapBlocks(dir.File("old.idx")), 0u);
  EXPECT_GT(BitmapBlocks(dir.File("new.idx")), 0u);
  EXPECT_EQ(SectionsOfKind(dir.File("old.idx"), internal::SectionKind::kTermKeyPrefixes), 0u);
  EXPECT_GT(SectionsOfKind(dir.File("new.idx"), internal::SectionKind::kTermKeyPrefixes), 0u);

  // Every word of the first products' names, alone, in pairs, as phrases
  // and prefixes, plus exact ids and filters.
  std::vector<std::string> words;
  for (size_t i = 0; i < 60; ++i) {
    const std::string& line = products[i];
    const size_t at = line.find("\"product_name\": \"");
    if (at == std::string::npos) continue;
    const size_t start = at + 17, end = line.find('"', start);
    std::string w;
    for (size_t k = start; k <= end; ++k) {
      const char c = k < end ? line[k] : ' ';
      if (std::isalpha(static_cast<unsigned char>(c))) {
        w += c;
      } else if (!w.empty()) {
        words.push_back(w);
        w.clear();
      }
    }
  }
  ASSERT_GT(words.size(), 50u);
  std::mt19937 rng(14);
  std::vector<SearchRequest> requests;
  for (size_t i = 0; i < 300; ++i) {
    SearchRequest r;
    const std::string& a = words[rng() % words.size()];
    const std::string& b = words[rng() % words.size()];
    switch (i % 8) {
      case 0: r.query = a; break;
      case 1:
        r.query = a + " " + b;
        r.default_operator = Operator::kOr;
        break;
      case 2: r.query = "\"" + a + " " + b + "\""; break;
      case 3:
        r.query = a.substr(0, 1 + i % 3);
        r.prefix_last = true;
        break;
      case 4:  // Typos: below.
        r.query = a + " " + b;
        r.filters.push_back("sugars_100g:<20");
        break;
      case 5:
        r.query = a + " -" + b;
        r.total_hits_threshold = SearchRequest::kExactTotal;
        break;
      case 6:
        r.query = "salt OR sugar OR " + a;
        r.default_operator = Operator::kOr;
        r.facets.push_back({"country", 5, {}, false});
        break;
      case 7:
        r.query = a;
        r.filters.push_back("sugars_100g:<10");
        r.k = 0;
        break;
    }
    r.k = r.k == 0 ? 0 : 10 + i % 20;
    requests.push_back(r);
  }
  for (size_t i = 0; i < 60; ++i) {  // COUNT of unions (bitsets; bitmap blocks by words).
    SearchRequest r;
    r.query = std::string(i % 2 ? "salt " : "sugar ") + words[rng() % words.size()] + " " +
              words[rng() % words.size()];
    r.default_operator = Operator::kOr;
    r.k = 0;
    requests.push_back(r);
  }
  for (size_t d = 0; d < 400; d += 37) {
    SearchRequest r;
    ASSERT_OK_AND_ASSIGN(std::string doc, new_index->StoredDocument(static_cast<uint32_t>(d)));
    const size_t at = doc.find("\"barcode\":\"");
    ASSERT_NE(at, std::string::npos) << doc;
    r.query = "barcode:" + doc.substr(at + 11, doc.find('"', at + 11) - at - 11);
    requests.push_back(r);
  }
  for (SearchRequest& r : requests) {
    r.suggest = false;  // Files before 2.4 have no surface words to suggest from.
    ASSERT_OK_AND_ASSIGN(SearchResponse want, new_index->Search(r));
    ASSERT_OK_AND_ASSIGN(SearchResponse got, old_index->Search(r));
    ASSERT_EQ(Describe(got), Describe(want)) << r.query;
  }
  for (uint32_t d = 0; d < 400; ++d) {
    ASSERT_EQ(old_index->StoredDocument(d).value(), new_index->StoredDocument(d).value());
  }
  // Files before 2.4 have no surface words: typos are matched on stems
  // there, so results differ from a fresh build's by design; they still
  // hold every doc that matches without typos.
  for (size_t i = 0; i < 40; ++i) {
    SearchRequest r;
    r.query = words[rng() % words.size()];
    r.k = 1000;
    r.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, old_index->Search(r));
    r.typos = true;
    ASSERT_OK_AND_ASSIGN(SearchResponse typos, old_index->Search(r));
    std::set<uint32_t> found;
    for (const Hit& h : typos.hits) found.insert(h.doc);
    for (const Hit& h : exact.hits) EXPECT_TRUE(found.count(h.doc)) << r.query;
  }
}

TEST(FormatCompat, Reads14FilesLikeFreshBuilds) {
  ExpectReadsLikeFreshBuild("products400-v1.4.idx.gz", 1, 4);
}

TEST(FormatCompat, Reads20FilesLikeFreshBuilds) {
  ExpectReadsLikeFreshBuild("products400-v2.0.idx.gz", 2, 0);
}

TEST(FormatCompat, OtherMajorsAreRefusedWithAClearError) {
  TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema,
                       Schema::FromFile(testing::SourcePath("examples/products/schema.json")));
  ASSERT_OK(testing::BuildIndex(schema, testing::FirstBundledProducts(5), dir.File("a.idx")));
  std::string bytes = testing::ReadFile(dir.File("a.idx"));
  for (uint16_t major : {uint16_t{0}, uint16_t{3}}) {
    internal::FileHeader h;
    std::memcpy(&h, bytes.data(), sizeof(h));
    h.format_major = major;
    h.header_checksum = internal::Checksum64(&h, offsetof(internal::FileHeader, header_checksum));
    std::memcpy(bytes.data(), &h, sizeof(h));
    testing::WriteFile(dir.File("b.idx"), bytes);
    auto index = Index::Open(dir.File("b.idx"));
    ASSERT_FALSE(index.ok());
    // Corruption, as a damaged file: the CLI exits 4, the service answers 500.
    EXPECT_EQ(index.status().code(), StatusCode::kCorruption);
    EXPECT_NE(index.status().message().find("rebuild the index with `libsearch index`"),
              std::string::npos)
        << index.status().message();
  }
}

}  // namespace
}  // namespace libsearch
