// The corruption matrix (issue 19): every section of an index that has every
// section kind, damaged by truncation, bit flips and re-sealed edits (the
// checksums recomputed, so the damage reaches the decoders), from a fixed
// seed. With the default options:
// - damage the checksums can see: Verify() and Open(kAtOpen) report it, and
//   every call gives Corruption or exactly the undamaged index's answer;
// - re-sealed damage: every call gives a clean Status or a well-formed
//   answer (valid JSON); never a crash (ASan + UBSan in CI) or a hang (a
//   watchdog names the variant).
// The CLI runs on a sample of the variants, each command under `timeout`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "libsearch/json.h"
#include "testing/cli_run.h"
#include "testing/reseal.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using internal::SectionEntry;
using Json = nlohmann::json;

// The bundled products with a multi-valued keyword (keyword_ords) and an
// int field; text fields with prefix indexes and surface words; stored
// synonyms and sources: every section kind of format 2.4.
constexpr char kSchema[] = R"({"id": "barcode", "fields": {
  "product_name": {"type": "text", "boost": 2.0, "language": "en", "stored": true,
                   "split_codes": true, "index_prefixes": 3},
  "ingredients": {"type": "text", "language": "en", "stored": true, "index_prefixes": 2},
  "image_url": {"type": "keyword", "stored": true, "indexed": false},
  "sugars_100g": {"type": "float", "stored": true},
  "rank": {"type": "int", "stored": true},
  "is_healthy": {"type": "keyword", "stored": true},
  "country": {"type": "keyword", "stored": true},
  "tags": {"type": "keyword", "stored": true}}})";
constexpr size_t kDocs = 600;

std::vector<std::string> MatrixDocs() {
  std::vector<std::string> docs;
  const char* kTags[] = {"red", "green", "blue", "vegan", "bio"};
  for (const std::string& line : testing::FirstBundledProducts(kDocs)) {
    Json in = Json::parse(line);
    Json out = Json::object();
    for (const char* key : {"barcode", "product_name", "ingredients", "image_url", "sugars_100g",
                            "is_healthy", "country"}) {
      out[key] = in[key];
    }
    const size_t i = docs.size();
    out["rank"] = static_cast<int64_t>(i * 7919 % 1000) - 100;
    out["tags"] = Json::array();
    for (size_t t = 0; t < 5; ++t) {
      if ((i + t) % (t + 2) == 0) out["tags"].push_back(kTags[t]);
    }
    docs.push_back(out.dump());
  }
  return docs;
}

// What each variant is asked: every search feature, then a document, Info.
std::vector<SearchRequest> MatrixRequests() {
  std::vector<SearchRequest> reqs;
  auto add = [&](const char* query, size_t k) -> SearchRequest& {
    SearchRequest& r = reqs.emplace_back();
    r.query = query;
    r.k = k;
    return r;
  };
  add("sugar", 20);  // Multi-block postings, block maxima.
  add("salt OR water", 10).total_hits_threshold = SearchRequest::kExactTotal;
  add("\"wheat flour\"", 10);  // Positions.
  add("milk -chocolate", 5).include_docs = false;
  SearchRequest& typos = add("choclate", 10);  // Surface words.
  typos.typos = true;
  typos.highlight.fields = {"ingredients", "product_name"};
  add("org", 10).prefix_last = true;  // Prefix index.
  add("ch", 10).prefix_last = true;   // A prefix longer than the index's.
  SearchRequest& facets = add("", 10);
  facets.facets = {*ParseFacetSpec("country:5"), *ParseFacetSpec("tags"),
                   *ParseFacetSpec("is_healthy"), *ParseFacetSpec("sugars_100g:0..5,5..20,20..*"),
                   *ParseFacetSpec("rank:..0,0..500,500..")};
  facets.sort = {{"sugars_100g", true}};
  SearchRequest& filtered = add("sugar", 10);
  filtered.filters = {"sugars_100g:<5", "tags:(vegan OR bio)", "rank:[0 TO 700]"};
  add("", 10).sort = {{"country", false}, {"tags", true}, {"_score", true}};
  add("chocolat chip cookiez", 10);  // No match: a suggestion.
  add("yoghurt", 10);                // Stored synonyms.
  add("barcode:0000000018555 OR tags:red", 10);
  SearchRequest& page = add("water", 3);
  page.offset = 2;
  page.retrieve = {"product_name", "rank"};
  return reqs;
}

// A response as the JSON model prints it, without the time it took.
std::string Canonical(SearchResponse resp, const SearchRequest& req) {
  resp.took_us = 0;
  return SearchResponseToJson(resp, req);
}

std::string Canonical(const IndexInfo& info) {
  std::string out = std::to_string(info.num_docs) + ";";
  for (const FieldInfo& f : info.fields) {
    out += f.name + ":" + std::to_string(f.doc_count) + "," + std::to_string(f.num_terms) + "," +
           std::to_string(f.total_terms) + "," + std::to_string(f.min_value) + "," +
           std::to_string(f.max_value) + ";";
  }
  return out;
}

struct Variant {
  std::string name;
  std::string bytes;
  bool sealed = false;  // Checksums recomputed: the damage reaches the decoders.
};

// Eight variants per section (fixed seed): a truncation inside it, two bit
// flips, and five re-sealed edits (two bit flips, random bytes, zeroed
// bytes, a shorter length; an empty section gets a longer one instead).
std::vector<Variant> MakeVariants(const std::string& good) {
  std::mt19937_64 rng(19);
  const std::vector<SectionEntry> table = testing::SectionTable(good);
  internal::FileHeader header;
  std::memcpy(&header, good.data(), sizeof header);
  std::vector<Variant> out;
  for (size_t s = 0; s < table.size(); ++s) {
    const SectionEntry& e = table[s];
    const std::string where = "section " + std::to_string(s) + " (kind " + std::to_string(e.kind) +
                              ", field " + std::to_string(e.field) + ", " +
                              std::to_string(e.length) + " bytes): ";
    auto pos = [&] { return e.offset + rng() % e.length; };
    auto add = [&](std::string what, std::string bytes, bool sealed) {
      out.push_back({where + what, std::move(bytes), sealed});
    };
    add("truncated", good.substr(0, e.offset + e.length / 2), false);
    for (int sealed = 0; sealed < 2; ++sealed) {
      for (int i = 0; i < 2; ++i) {
        std::string bytes = good;
        std::string what;
        if (e.length > 0) {
          const uint64_t p = pos();
          bytes[p] = static_cast<char>(bytes[p] ^ (1 << (rng() % 8)));
          what = "bit flip at " + std::to_string(p);
        } else {  // Nothing to flip: the entry's length instead.
          const uint64_t p =
              header.table_offset + s * sizeof(SectionEntry) + offsetof(SectionEntry, length) + i;
          bytes[p] = static_cast<char>(bytes[p] ^ 1);
          what = "length bit flip";
        }
        if (sealed) testing::Reseal(&bytes);
        add((sealed ? "re-sealed " : "") + what, std::move(bytes), sealed);
      }
    }
    if (e.length == 0) {
      for (uint64_t grow : {8, 64, 1000}) {
        std::vector<SectionEntry> t = table;
        t[s].length = std::min<uint64_t>(grow, header.table_offset - e.offset);
        std::string bytes = good;
        testing::Reseal(t, &bytes);
        add("re-sealed length " + std::to_string(t[s].length), std::move(bytes), true);
      }
      continue;
    }
    {
      std::string bytes = good;
      const uint64_t p = pos();
      const uint64_t n = std::min<uint64_t>(1 + rng() % 8, e.offset + e.length - p);
      for (uint64_t i = 0; i < n; ++i) bytes[p + i] = static_cast<char>(rng());
      testing::Reseal(&bytes);
      add("re-sealed random bytes at " + std::to_string(p), std::move(bytes), true);
    }
    {
      std::string bytes = good;
      const uint64_t p = pos();
      const uint64_t n = std::min<uint64_t>(64, e.offset + e.length - p);
      std::memset(bytes.data() + p, 0, n);
      testing::Reseal(&bytes);
      add("re-sealed zeros at " + std::to_string(p), std::move(bytes), true);
    }
    {
      std::vector<SectionEntry> t = table;
      t[s].length = rng() % e.length;
      std::string bytes = good;
      testing::Reseal(t, &bytes);
      add("re-sealed length " + std::to_string(t[s].length), std::move(bytes), true);
    }
  }
  return out;
}

// Aborts the process, naming the variant, if one runs longer than this:
// a hang fails fast and says where.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          auto last_change = std::chrono::steady_clock::now();
          int64_t last = -1;
          while (!stop_.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const int64_t now_at = at_.load();
            if (now_at != last) {
              last = now_at;
              last_change = std::chrono::steady_clock::now();
            } else if (now_at >= 0 && std::chrono::steady_clock::now() - last_change > limit) {
              std::fprintf(stderr, "HANG: variant %lld (%s) ran longer than %lld s\n",
                           static_cast<long long>(now_at), name_.load()->c_str(),
                           static_cast<long long>(limit.count()));
              std::abort();
            }
          }
        }) {}
  ~Watchdog() {
    stop_ = true;
    thread_.join();
  }
  void At(int64_t i, const std::string* name) {
    name_ = name;
    at_ = i;
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> at_{-1};
  std::atomic<const std::string*> name_{nullptr};
  std::thread thread_;
};

class CorruptionMatrixTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto schema = Schema::FromJson(kSchema);
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    IndexBuilderOptions options;
    options.keep_source = true;
    options.synonyms = {{"yoghurt", "yogurt"}, {"choc", "chocolate"}};
    ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(*schema, options));
    for (const std::string& doc : MatrixDocs()) ASSERT_OK(builder->AddJson(doc));
    ASSERT_OK(builder->Build(dir_->File("good.idx")));
    good_ = new std::string(testing::ReadFile(dir_->File("good.idx")));
    requests_ = new std::vector<SearchRequest>(MatrixRequests());
    ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("good.idx")));
    baseline_ = new std::vector<std::string>();
    for (const SearchRequest& req : *requests_) {
      ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
      baseline_->push_back(Canonical(std::move(resp), req));
    }
    ASSERT_OK_AND_ASSIGN(std::string first, index->StoredDocument(0));
    ASSERT_OK_AND_ASSIGN(std::string last, index->StoredDocument(kDocs - 1));
    ASSERT_OK_AND_ASSIGN(IndexInfo info, index->Info());
    baseline_->push_back(first);
    baseline_->push_back(last);
    baseline_->push_back(Canonical(info));
    variants_ = new std::vector<Variant>(MakeVariants(*good_));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete good_;
    delete requests_;
    delete baseline_;
    delete variants_;
  }

  static testing::TempDir* dir_;
  static std::string* good_;
  static std::vector<SearchRequest>* requests_;
  static std::vector<std::string>* baseline_;  // Per request, then docs 0 and last, Info.
  static std::vector<Variant>* variants_;
};
testing::TempDir* CorruptionMatrixTest::dir_ = nullptr;
std::string* CorruptionMatrixTest::good_ = nullptr;
std::vector<SearchRequest>* CorruptionMatrixTest::requests_ = nullptr;
std::vector<std::string>* CorruptionMatrixTest::baseline_ = nullptr;
std::vector<Variant>* CorruptionMatrixTest::variants_ = nullptr;

TEST_F(CorruptionMatrixTest, CoversEverySectionKind) {
  std::set<uint32_t> kinds;
  for (const SectionEntry& e : testing::SectionTable(*good_)) kinds.insert(e.kind);
  // Every kind this version writes (1.x kinds 3 and 6 are read, not written).
  for (uint32_t k = 1; k < internal::kNumSectionKinds; ++k) {
    if (k == 3 || k == 6) continue;
    EXPECT_TRUE(kinds.count(k)) << "kind " << k << " missing from the matrix index";
  }
  EXPECT_GE(variants_->size(), 500u);
}

// Every variant in process, with the default options (first-use checks).
TEST_F(CorruptionMatrixTest, DamageGivesCorruptionOrTheRightAnswer) {
  const std::string path = dir_->File("damaged.idx");
  Watchdog watchdog(std::chrono::seconds(60));
  size_t refused = 0, corrupt_calls = 0, right_answers = 0, sealed_answers = 0;
  for (size_t v = 0; v < variants_->size(); ++v) {
    const Variant& variant = (*variants_)[v];
    watchdog.At(static_cast<int64_t>(v), &variant.name);
    SCOPED_TRACE(variant.name);
    testing::WriteFile(path, variant.bytes);
    auto index = Index::Open(path);
    if (!index.ok()) {
      EXPECT_EQ(index.status().code(), StatusCode::kCorruption) << index.status().ToString();
      ++refused;
      continue;
    }
    // Each call: Corruption, or (damage the checksums see) the right
    // answer, or (re-sealed) some well-formed answer.
    auto check = [&](const Status& status, const std::string& got, size_t i) {
      if (!status.ok()) {
        EXPECT_EQ(status.code(), StatusCode::kCorruption)
            << "call " << i << ": " << status.ToString();
        ++corrupt_calls;
      } else if (!variant.sealed) {
        EXPECT_EQ(got, (*baseline_)[i]) << "call " << i << " answered differently";
        ++right_answers;
      } else {
        ++sealed_answers;
      }
    };
    for (size_t i = 0; i < requests_->size(); ++i) {
      auto resp = (*index)->Search((*requests_)[i]);
      const std::string got = resp.ok() ? Canonical(*resp, (*requests_)[i]) : "";
      if (resp.ok() && variant.sealed) {
        EXPECT_TRUE(Json::accept(got)) << "call " << i << ": invalid JSON " << got;
        EXPECT_EQ(got.find("<corrupt id>"), std::string::npos) << "call " << i << ": " << got;
      }
      check(resp.status(), got, i);
    }
    const size_t n = requests_->size();
    for (uint32_t doc : {uint32_t{0}, uint32_t{kDocs - 1}}) {
      auto stored = (*index)->StoredDocument(doc);
      if (stored.ok() && variant.sealed) {
        EXPECT_TRUE(Json::accept(*stored)) << *stored;
      }
      check(stored.status(), stored.ok() ? *stored : "", n + (doc == 0 ? 0 : 1));
    }
    auto info = (*index)->Info();
    check(info.status(), info.ok() ? Canonical(*info) : "", n + 2);
    if (!variant.sealed) {
      EXPECT_EQ((*index)->Verify().code(), StatusCode::kCorruption);
      OpenOptions at_open;
      at_open.checksums = ChecksumPolicy::kAtOpen;
      EXPECT_EQ(Index::Open(path, at_open).status().code(), StatusCode::kCorruption);
    }
  }
  std::printf(
      "corruption matrix: %zu variants: %zu refused at open; calls: %zu Corruption, %zu right "
      "answers (checksummed damage), %zu answers (re-sealed damage)\n",
      variants_->size(), refused, corrupt_calls, right_answers, sealed_answers);
}

// An index directory: each section of each segment and tombstone file with
// a bit flipped. The first-use checks cover segments and tombstones alike.
TEST_F(CorruptionMatrixTest, DirectorySegmentsAndTombstones) {
  testing::TempDir tmp;
  const std::string dir = tmp.File("live");
  {
    IndexWriterOptions options;
    options.merge_on_commit = false;
    ASSERT_OK_AND_ASSIGN(auto writer, IndexWriter::Create(dir, *Schema::FromJson(kSchema), options,
                                                          {{"yoghurt", "yogurt"}}));
    const std::vector<std::string> docs = MatrixDocs();
    for (size_t i = 0; i < docs.size(); ++i) {
      ASSERT_OK(writer->Upsert(docs[i]));
      if (i == 299 || i + 1 == docs.size()) ASSERT_OK(writer->Commit().status());
    }
    for (size_t i = 0; i < docs.size(); i += 7) {
      ASSERT_OK(writer->Delete(Json::parse(docs[i])["barcode"].get<std::string>()));
    }
    ASSERT_OK(writer->Commit().status());
  }
  std::vector<std::string> want;
  {
    ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir));
    for (const SearchRequest& req : *requests_) {
      ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
      want.push_back(Canonical(std::move(resp), req));
    }
  }
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.ends_with(".seg") || name.ends_with(".tomb")) files.push_back(e.path().string());
  }
  ASSERT_EQ(files.size(), 4u);  // Two segments, each with deletes.
  Watchdog watchdog(std::chrono::seconds(60));
  size_t variants = 0, refused = 0, corrupt = 0, right = 0;
  for (const std::string& file : files) {
    const std::string good = testing::ReadFile(file);
    for (const SectionEntry& e : testing::SectionTable(good)) {
      if (e.length == 0) continue;
      const std::string name = file + " section " + std::to_string(e.kind) + "/" +
                               std::to_string(e.field) + ": bit flip";
      watchdog.At(static_cast<int64_t>(variants++), &name);
      SCOPED_TRACE(name);
      std::string bytes = good;
      bytes[e.offset + e.length / 2] ^= 0x10;
      testing::WriteFile(file, bytes);
      auto index = Index::Open(dir);
      if (!index.ok()) {
        EXPECT_EQ(index.status().code(), StatusCode::kCorruption) << index.status().ToString();
        ++refused;
      } else {
        for (size_t i = 0; i < requests_->size(); ++i) {
          auto resp = (*index)->Search((*requests_)[i]);
          if (!resp.ok()) {
            EXPECT_EQ(resp.status().code(), StatusCode::kCorruption) << resp.status().ToString();
            ++corrupt;
          } else {
            EXPECT_EQ(Canonical(*resp, (*requests_)[i]), want[i]) << "request " << i;
            ++right;
          }
        }
        EXPECT_EQ((*index)->Verify().code(), StatusCode::kCorruption);
      }
      testing::WriteFile(file, good);
    }
  }
  std::printf("directory: %zu variants: %zu refused at open; %zu Corruption, %zu right answers\n",
              variants, refused, corrupt, right);
}

// A file written over in place under an open Index (`cp` onto it) is
// reported, not read; one replaced by rename is not noticed, and need not
// be (the mapping keeps the old file).
TEST_F(CorruptionMatrixTest, FileChangedUnderAReader) {
  testing::TempDir tmp;
  const std::string path = tmp.File("p.idx");
  testing::WriteFile(path, *good_);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(path));
  const SearchRequest& req = (*requests_)[0];
  ASSERT_OK(index->Search(req).status());
  // Replaced by rename: the open index keeps answering from its own file.
  testing::WriteFile(tmp.File("new.idx"), *good_);
  ASSERT_EQ(std::rename(tmp.File("new.idx").c_str(), path.c_str()), 0);
  ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
  EXPECT_EQ(Canonical(resp, req), (*baseline_)[0]);

  ASSERT_OK_AND_ASSIGN(auto reader, Index::Open(path));
  ASSERT_OK(reader->Search(req).status());
  // Truncated in place, as `cp` does first: reading the mapping past the
  // new end would raise SIGBUS. Every call says so instead.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(good_->size() / 3)), 0);
  for (const Status& s : {reader->Search(req).status(), reader->StoredDocument(1).status(),
                          reader->Info().status()}) {
    EXPECT_EQ(s.code(), StatusCode::kCorruption);
    EXPECT_NE(s.message().find("changed under this reader"), std::string::npos) << s.ToString();
  }
  // Rewritten in place to its full size (the end of a `cp`): still
  // reported, since the bytes may differ (the modification time changed).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // A new mtime tick.
  testing::WriteFile(tmp.File("other.idx"), *good_);
  ASSERT_OK_AND_ASSIGN(auto fresh, Index::Open(tmp.File("other.idx")));
  testing::WriteFile(path, *good_);
  EXPECT_EQ(reader->Search(req).status().code(), StatusCode::kCorruption);
  // Opened again, it answers.
  ASSERT_OK_AND_ASSIGN(auto reopened, reader->Reopen());
  ASSERT_OK_AND_ASSIGN(resp, reopened->Search(req));
  EXPECT_EQ(Canonical(resp, req), (*baseline_)[0]);
}

// A sample of the variants through the CLI, each command under `timeout`:
// exit 4, or exit 0 with the undamaged index's output; never a signal or
// a hang (timeout's 124).
TEST_F(CorruptionMatrixTest, CliOnASample) {
  const std::string path = dir_->File("cli.idx");
  // The limit is generous for slow sanitizer builds; a search takes ms.
  auto run = [&](const std::string& args) {
    testing::CliRun r = testing::Cli(args, 60);
    // took_us varies; the rest must not.
    r.out = std::regex_replace(r.out, std::regex("\"took_us\":[0-9]+"), "\"took_us\":0");
    r.out = std::regex_replace(r.out, std::regex("in [0-9]+ us"), "in 0 us");
    return r;
  };
  const std::vector<std::string> commands = {
      "search " + path +
          " 'sugar' --json --k 5 --facet country --facet tags --highlight ingredients",
      "search " + path + " 'choclate' --typos --k 5",
      "search " + path + " 'org' --prefix --sort sugars_100g:desc --k 5",
      "info " + path,
  };
  testing::WriteFile(path, *good_);
  std::vector<std::string> want;
  for (const std::string& c : commands) {
    const testing::CliRun r = run(c);
    ASSERT_EQ(r.exit_code, 0) << c << "\n" << r.out;
    want.push_back(r.out);
  }
  size_t runs = 0;
  for (size_t v = 0; v < variants_->size(); v += 13) {
    const Variant& variant = (*variants_)[v];
    SCOPED_TRACE(variant.name);
    testing::WriteFile(path, variant.bytes);
    const testing::CliRun verify = testing::Cli("verify " + path, 60);
    if (!variant.sealed) {
      EXPECT_EQ(verify.exit_code, 4) << verify.out;
    }
    EXPECT_TRUE(verify.exit_code == 0 || verify.exit_code == 4) << verify.out;
    for (size_t c = 0; c < commands.size(); ++c) {
      const testing::CliRun r = run(commands[c]);
      ++runs;
      EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 4)
          << commands[c] << " -> " << r.exit_code << "\n"
          << r.out;
      if (r.exit_code == 0 && !variant.sealed) {
        EXPECT_EQ(r.out, want[c]) << commands[c];
      }
    }
  }
  std::printf("corruption matrix, CLI: %zu commands on %zu variants\n", runs,
              (variants_->size() + 12) / 13);
}

}  // namespace
}  // namespace libsearch
