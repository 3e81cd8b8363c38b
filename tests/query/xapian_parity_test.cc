// Differential test: libsearch's BM25 ranking against Xapian 1.4.
//
// The bundled sample is indexed twice: into libsearch (one text field) and
// into a Xapian database fed exactly the same analysed terms and positions
// (one Xapian document per libsearch document, in the same order, so
// Xapian docid = libsearch doc + 1). Xapian's document length is the sum of
// wdf over all terms, which equals the field length because there is only one
// field. Xapian scores with LuceneBM25Weight below, a Xapian::Weight written
// from Lucene's BM25Similarity (not from libsearch's code), so Xapian is an
// independent matcher (posting lists, AND/OR, phrase positions) and an
// independent source of collection statistics.
//
// Seeded random AND, OR and phrase queries drawn from the corpus vocabulary
// must give the same top-10 docs in the same order with scores within 1e-4
// (relative), and the same number of matching documents.
#include <gtest/gtest.h>
#include <unistd.h>
#include <xapian.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "analysis/analyzer.h"
#include "libsearch/libsearch.h"
#include "util/small_float.h"

namespace libsearch {
namespace {

constexpr float kK1 = 1.2f;  // Lucene's defaults, also libsearch's.
constexpr float kB = 0.75f;
constexpr size_t kTopK = 10;
constexpr int kQueriesPerKind = 100;
constexpr double kMaxRelativeError = 1e-4;
constexpr double kMinFractionWithHits = 0.9;

// ------------------------------------------------- Lucene BM25Similarity
// Transcribed from Lucene 9/10 BM25Similarity: float arithmetic throughout,
// idf computed in double then rounded to float.

float LuceneIdf(uint64_t doc_freq, uint64_t doc_count) {
  return static_cast<float>(
      std::log(1 + (static_cast<double>(doc_count) - static_cast<double>(doc_freq) + 0.5) /
                       (static_cast<double>(doc_freq) + 0.5)));
}

// avgFieldLength: (float) (sumTotalTermFreq / (double) docCount).
float LuceneAvgdl(double average_length) { return static_cast<float>(average_length); }

// cache[norm] = 1f / (k1 * ((1 - b) + b * LENGTH_TABLE[norm] / avgdl)).
std::array<float, 256> LuceneNormInverseCache(float avgdl) {
  std::array<float, 256> cache;
  for (int i = 0; i < 256; ++i) {
    const float length = static_cast<float>(internal::NormToLength(static_cast<uint8_t>(i)));
    cache[static_cast<size_t>(i)] = 1.0f / (kK1 * ((1 - kB) + kB * length / avgdl));
  }
  return cache;
}

// BM25Scorer.score: weight - weight / (1f + freq * normInverse).
float LuceneScore(float weight, uint32_t freq, float norm_inverse) {
  return weight - weight / (1.0f + static_cast<float>(freq) * norm_inverse);
}

// Lucene's BM25 as a Xapian weighting scheme (1.4 API). The per-term part is
// returned as the exact float Lucene computes; Xapian then adds the parts of
// a document in double, which for a handful of floats is exact.
class LuceneBM25Weight : public Xapian::Weight {
 public:
  LuceneBM25Weight() {
    need_stat(COLLECTION_SIZE);
    need_stat(TERMFREQ);
    need_stat(AVERAGE_LENGTH);
    need_stat(DOC_LENGTH);
    need_stat(DOC_LENGTH_MIN);
    need_stat(WDF);
    need_stat(WDF_MAX);
    need_stat(WQF);
  }

  void init(double factor) override {
    // factor is 0 for the term-independent object, 1 for plain terms.
    factor_ = factor;
    weight_ = LuceneIdf(get_termfreq(), get_collection_size());
    cache_ = LuceneNormInverseCache(LuceneAvgdl(get_average_length()));
  }

  LuceneBM25Weight* clone() const override { return new LuceneBM25Weight(); }
  std::string name() const override { return "LuceneBM25Weight"; }
  std::string serialise() const override { return std::string(); }
  LuceneBM25Weight* unserialise(const std::string&) const override {
    return new LuceneBM25Weight();
  }

  double get_sumpart(Xapian::termcount wdf, Xapian::termcount doclen,
                     Xapian::termcount /*uniqterms*/) const override {
    const float score = LuceneScore(weight_, wdf, cache_[internal::LengthToNorm(doclen)]);
    // Lucene sums duplicate clauses, i.e. multiplies by the query frequency.
    return factor_ * get_wqf() * static_cast<double>(score);
  }

  // The score rises with wdf and falls with length (Lucene keeps it monotone
  // in float), so the bound is the score at the extreme statistics.
  double get_maxpart() const override {
    return get_sumpart(get_wdf_upper_bound(), get_doclength_lower_bound(), 0);
  }

  double get_sumextra(Xapian::termcount, Xapian::termcount) const override { return 0; }
  double get_maxextra() const override { return 0; }

 private:
  double factor_ = 0;
  float weight_ = 0;
  std::array<float, 256> cache_{};
};

// ----------------------------------------------------------------- Corpus

struct CorpusDoc {
  std::string text;
  std::vector<analysis::Token> tokens;
};

std::vector<std::string> ReadGzipLines(const std::string& path) {
  std::vector<std::string> lines;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return lines;
  std::vector<char> buf(1 << 16);
  std::string line;
  while (gzgets(file, buf.data(), static_cast<int>(buf.size())) != nullptr) {
    line += buf.data();
    if (!line.empty() && line.back() == '\n') {  // Long lines span several reads.
      line.pop_back();
      if (!line.empty()) lines.push_back(std::move(line));
      line.clear();
    }
  }
  if (!line.empty()) lines.push_back(std::move(line));
  gzclose(file);
  return lines;
}

std::string StringOrEmpty(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Both indexes, built once per test process.
struct Env {
  std::filesystem::path dir;
  std::unique_ptr<analysis::Analyzer> analyzer;
  std::vector<CorpusDoc> docs;  // docs[i] is libsearch doc i, Xapian docid i + 1.
  std::unique_ptr<Index> index;
  std::unique_ptr<Xapian::Database> db;
  float avgdl = 0;
  std::array<float, 256> norm_inverse{};
};

// ---------------------------------------------------------------- Queries

enum class Kind { kAnd, kOr, kPhrase };

const char* KindName(Kind kind) {
  return kind == Kind::kAnd ? "AND" : kind == Kind::kOr ? "OR" : "phrase";
}

struct TestQuery {
  std::string text;                // libsearch query: the documents' own words.
  std::vector<std::string> terms;  // The analysed terms, for Xapian.
};

// The word as written in the document, if the query parser will turn it
// back into exactly `token.term`. Stemming is not idempotent, so libsearch is
// queried with surface words; each is quoted so that words such as "AND",
// "-free" or "a:b" are never taken for query syntax.
bool SurfaceWord(const Env& env, const CorpusDoc& doc, const analysis::Token& token,
                 std::string* word) {
  *word = doc.text.substr(token.start, token.end - token.start);
  if (word->find('"') != std::string::npos) return false;
  const std::vector<std::string> terms = env.analyzer->Terms(*word);
  return terms.size() == 1 && terms[0] == token.term;
}

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

class QueryGenerator {
 public:
  QueryGenerator(const Env& env, uint32_t seed) : env_(env), rng_(seed) {}

  // 1-4 distinct terms of one random document (so the AND matches it).
  TestQuery And() {
    while (true) {
      const CorpusDoc& doc = RandomDoc();
      const size_t want = Uniform(1, 4);
      std::vector<size_t> order(doc.tokens.size());
      for (size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::shuffle(order.begin(), order.end(), rng_);
      TestQuery q;
      for (size_t i : order) {
        if (q.terms.size() == want) break;
        std::string word;
        const analysis::Token& t = doc.tokens[i];
        if (Contains(q.terms, t.term) || !SurfaceWord(env_, doc, t, &word)) continue;
        Add(&q, t.term, word);
      }
      if (!q.terms.empty()) return q;
    }
  }

  // 1-4 distinct terms, each from a different random document.
  TestQuery Or() {
    const size_t want = Uniform(1, 4);
    TestQuery q;
    while (q.terms.size() < want) {
      const CorpusDoc& doc = RandomDoc();
      const analysis::Token& t = doc.tokens[Uniform(0, doc.tokens.size() - 1)];
      std::string word;
      if (Contains(q.terms, t.term) || !SurfaceWord(env_, doc, t, &word)) continue;
      Add(&q, t.term, word);
    }
    return q;
  }

  // 2-3 consecutive tokens of a random document; libsearch gets the source
  // text they span, so the phrase is tokenised as it was in the document.
  TestQuery Phrase() {
    while (true) {
      const CorpusDoc& doc = RandomDoc();
      const size_t len = Uniform(2, 3);
      if (doc.tokens.size() < len) continue;
      const size_t first = Uniform(0, doc.tokens.size() - len);
      const analysis::Token& a = doc.tokens[first];
      const analysis::Token& z = doc.tokens[first + len - 1];
      if (z.position != a.position + len - 1) continue;  // Not adjacent.
      const std::string span = doc.text.substr(a.start, z.end - a.start);
      if (span.find('"') != std::string::npos) continue;
      std::vector<analysis::Token> reparsed;
      env_.analyzer->Analyze(span, &reparsed);
      bool same = reparsed.size() == len;
      for (size_t i = 0; same && i < len; ++i) {
        same = reparsed[i].term == doc.tokens[first + i].term && reparsed[i].position == i;
      }
      if (!same) continue;
      TestQuery q;
      q.text = Quote(span);
      for (size_t i = 0; i < len; ++i) q.terms.push_back(doc.tokens[first + i].term);
      return q;
    }
  }

 private:
  size_t Uniform(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }
  const CorpusDoc& RandomDoc() { return env_.docs[Uniform(0, env_.docs.size() - 1)]; }
  static bool Contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  }
  static void Add(TestQuery* q, const std::string& term, const std::string& word) {
    if (!q->text.empty()) q->text += ' ';
    q->text += Quote(word);
    q->terms.push_back(term);
  }

  const Env& env_;
  std::mt19937 rng_;
};

// ---------------------------------------------------------- Xapian oracle

struct Ranked {
  uint32_t doc;  // libsearch numbering.
  float score;
};

struct Reference {
  std::vector<Ranked> top;  // Best first, ties by ascending doc.
  uint64_t total = 0;
};

// Keeps the best kTopK of `all` in libsearch's order: score desc, doc asc.
std::vector<Ranked> TopOf(std::vector<Ranked> all) {
  std::sort(all.begin(), all.end(), [](const Ranked& a, const Ranked& b) {
    return a.score > b.score || (a.score == b.score && a.doc < b.doc);
  });
  if (all.size() > kTopK) all.resize(kTopK);
  return all;
}

std::vector<Xapian::termpos> Positions(const Xapian::Database& db, Xapian::docid did,
                                       const std::string& term) {
  return {db.positionlist_begin(did, term), db.positionlist_end(did, term)};
}

// Lucene ExactPhraseMatcher's freq: start positions where every term follows.
uint32_t ExactPhraseFreq(const Xapian::Database& db, Xapian::docid did,
                         const std::vector<std::string>& terms) {
  std::vector<std::vector<Xapian::termpos>> pos;
  for (const std::string& t : terms) pos.push_back(Positions(db, did, t));
  uint32_t freq = 0;
  for (Xapian::termpos start : pos[0]) {
    bool all = true;
    for (size_t i = 1; i < terms.size() && all; ++i) {
      all =
          std::binary_search(pos[i].begin(), pos[i].end(), start + static_cast<Xapian::termpos>(i));
    }
    freq += all ? 1 : 0;
  }
  return freq;
}

// Every match, so totals are exact and the float re-ranking below sees all
// candidates (a top-10 cut in double could drop a float tie).
Xapian::MSet AllMatches(const Xapian::Database& db, const Xapian::Query& query,
                        const Xapian::Weight& weight) {
  Xapian::Enquire enquire(db);
  enquire.set_query(query);
  enquire.set_weighting_scheme(weight);
  enquire.set_docid_order(Xapian::Enquire::ASCENDING);
  return enquire.get_mset(0, db.get_doccount(), db.get_doccount());
}

// AND / OR: Xapian matches and scores with LuceneBM25Weight. Its document
// weight is the exact double sum of per-term float scores; libsearch rounds
// that same sum to float before ranking, so the reference does too and then
// re-ranks, which breaks float-equal scores by doc id like libsearch.
Reference BooleanReference(const Env& env, const std::vector<std::string>& terms, Kind kind) {
  const Xapian::Query query(kind == Kind::kAnd ? Xapian::Query::OP_AND : Xapian::Query::OP_OR,
                            terms.begin(), terms.end());
  const Xapian::MSet mset = AllMatches(*env.db, query, LuceneBM25Weight());
  EXPECT_EQ(mset.get_matches_lower_bound(), mset.get_matches_upper_bound());
  EXPECT_EQ(mset.get_matches_estimated(), mset.size());
  std::vector<Ranked> all;
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    all.push_back({*it - 1, static_cast<float>(it.get_weight())});
  }
  return {TopOf(std::move(all)), mset.get_matches_estimated()};
}

// Phrase: Xapian's phrase scoring is not Lucene's (it sums the terms'
// weights), so Xapian's OP_PHRASE with window = #terms (an exact phrase)
// decides only the match set. The reference score is Lucene's PhraseQuery
// BM25 computed from Xapian's stored data: freq = number of exact-phrase
// start positions in the doc's Xapian position lists, weight = the terms'
// idfs (from Xapian's term frequencies) summed in double and rounded to float
// as BM25Similarity.idfExplain does, length from Xapian's document length.
// (libsearch's CreateScorer sums the idfs in float, so some 3-term phrase
// scores differ from Lucene's by an ulp or two: inside the tolerance, and
// visible in the "bit-identical" count this test prints.)
Reference PhraseReference(const Env& env, const std::vector<std::string>& terms) {
  const Xapian::Database& db = *env.db;
  const Xapian::Query query(Xapian::Query::OP_PHRASE, terms.begin(), terms.end(),
                            static_cast<Xapian::termcount>(terms.size()));
  const Xapian::MSet mset = AllMatches(db, query, Xapian::BoolWeight());
  double idf_sum = 0;
  for (const std::string& t : terms) idf_sum += LuceneIdf(db.get_termfreq(t), db.get_doccount());
  const float weight = static_cast<float>(idf_sum);
  std::vector<Ranked> all;
  for (auto it = mset.begin(); it != mset.end(); ++it) {
    const uint32_t freq = ExactPhraseFreq(db, *it, terms);
    EXPECT_GT(freq, 0u) << "OP_PHRASE matched docid " << *it << " without an exact phrase";
    const uint8_t norm = internal::LengthToNorm(db.get_doclength(*it));
    all.push_back({*it - 1, LuceneScore(weight, freq, env.norm_inverse[norm])});
  }
  return {TopOf(std::move(all)), mset.size()};
}

// ------------------------------------------------------------------ Tests

struct KindStats {
  int queries = 0;
  int with_hits = 0;
  int hits_compared = 0;
  int scores_bit_equal = 0;
  double max_relative_error = 0;
};

class XapianParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new Env();
    if (!BuildIndexes(env_)) {
      TearDownTestSuite();
    }
  }

  static void TearDownTestSuite() {
    if (env_ == nullptr) return;
    env_->db.reset();
    env_->index.reset();
    std::error_code ec;
    std::filesystem::remove_all(env_->dir, ec);
    delete env_;
    env_ = nullptr;
  }

  void SetUp() override { ASSERT_NE(env_, nullptr) << "index setup failed (see above)"; }

  static bool BuildIndexes(Env* env) {
    env->dir = std::filesystem::temp_directory_path() /
               ("libsearch_xapian_parity_" + std::to_string(getpid()));
    std::filesystem::remove_all(env->dir);
    std::filesystem::create_directories(env->dir);

    FieldSpec text;
    text.name = "text";
    text.type = FieldType::kText;
    text.language = "en";
    Result<Schema> schema = Schema::Create("barcode", {text});
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    if (!schema.ok()) return false;
    analysis::AnalyzerOptions ao;
    ao.language = text.language;
    ao.stopwords = text.stopwords;
    ao.fold_accents = text.fold_accents;
    auto analyzer = analysis::Analyzer::Create(ao);
    EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    if (!analyzer.ok()) return false;
    env->analyzer = std::move(*analyzer);

    const std::vector<std::string> lines =
        ReadGzipLines(LIBSEARCH_SOURCE_DIR "/examples/products/products.jsonl.gz");
    EXPECT_GT(lines.size(), 1000u) << "cannot read the bundled sample";
    auto builder = IndexBuilder::Create(*schema);
    EXPECT_TRUE(builder.ok()) << builder.status().ToString();
    if (!builder.ok()) return false;
    Xapian::WritableDatabase wdb((env->dir / "xapian").string(),
                                 Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
    std::unordered_set<std::string> ids;
    for (const std::string& line : lines) {
      const nlohmann::json product = nlohmann::json::parse(line);
      const std::string id = StringOrEmpty(product, "barcode");
      CorpusDoc doc;
      doc.text =
          StringOrEmpty(product, "product_name") + " " + StringOrEmpty(product, "ingredients");
      env->analyzer->Analyze(doc.text, &doc.tokens);
      // Docs without tokens would count in Xapian's N but not in Lucene's
      // docCount (docs with the field), so neither side gets them.
      if (id.empty() || doc.tokens.empty() || !ids.insert(id).second) continue;
      const Status added =
          (*builder)->AddJson(nlohmann::json{{"barcode", id}, {"text", doc.text}}.dump());
      EXPECT_TRUE(added.ok()) << added.ToString();
      if (!added.ok()) return false;
      // wdf = tf, doclen = field length, positions shifted by one (Xapian
      // positions start at 1 by convention; only differences matter).
      Xapian::Document xdoc;
      for (const analysis::Token& t : doc.tokens) xdoc.add_posting(t.term, t.position + 1);
      const Xapian::docid did = wdb.add_document(xdoc);
      EXPECT_EQ(did, env->docs.size() + 1);
      env->docs.push_back(std::move(doc));
    }
    wdb.commit();
    wdb.close();

    const std::string index_path = (env->dir / "products.idx").string();
    const Status built = (*builder)->Build(index_path);
    EXPECT_TRUE(built.ok()) << built.ToString();
    if (!built.ok()) return false;
    auto index = Index::Open(index_path);
    EXPECT_TRUE(index.ok()) << index.status().ToString();
    if (!index.ok()) return false;
    env->index = std::move(*index);
    env->db = std::make_unique<Xapian::Database>((env->dir / "xapian").string());
    env->avgdl = LuceneAvgdl(env->db->get_avlength());
    env->norm_inverse = LuceneNormInverseCache(env->avgdl);
    return true;
  }

  static void RunQueries(Kind kind, uint32_t seed) {
    QueryGenerator gen(*env_, seed);
    KindStats stats;
    for (int i = 0; i < kQueriesPerKind; ++i) {
      const TestQuery q = kind == Kind::kAnd  ? gen.And()
                          : kind == Kind::kOr ? gen.Or()
                                              : gen.Phrase();
      std::string terms;
      for (const std::string& t : q.terms) terms += (terms.empty() ? "" : " ") + t;
      SCOPED_TRACE(std::string(KindName(kind)) + " query #" + std::to_string(i) + ": " + q.text +
                   " (terms: " + terms + ")");
      const Reference want = kind == Kind::kPhrase ? PhraseReference(*env_, q.terms)
                                                   : BooleanReference(*env_, q.terms, kind);
      SearchRequest req;
      req.query = q.text;
      req.k = kTopK;
      req.include_docs = false;
      req.total_hits_threshold = SearchRequest::kExactTotal;  // Totals are compared too.
      req.default_operator = kind == Kind::kOr ? Operator::kOr : Operator::kAnd;
      const Result<SearchResponse> got = env_->index->Search(req);
      ASSERT_TRUE(got.ok()) << got.status().ToString();

      ++stats.queries;
      stats.with_hits += want.total > 0 ? 1 : 0;
      EXPECT_EQ(got->total, want.total);
      ASSERT_EQ(got->hits.size(), want.top.size());
      for (size_t r = 0; r < want.top.size(); ++r) {
        const Hit& hit = got->hits[r];
        EXPECT_EQ(hit.doc, want.top[r].doc) << "rank " << r;
        const double expected = want.top[r].score;
        const double diff = std::fabs(static_cast<double>(hit.score) - expected);
        const double relative = diff / std::max(std::fabs(expected), 1e-9);
        EXPECT_LE(relative, kMaxRelativeError)
            << "rank " << r << ": libsearch " << hit.score << ", reference " << expected;
        stats.max_relative_error = std::max(stats.max_relative_error, relative);
        stats.scores_bit_equal += hit.score == want.top[r].score ? 1 : 0;
        ++stats.hits_compared;
      }
      // The block-max pruned path (no counting) must give the same top k.
      req.total_hits_threshold = 0;
      const Result<SearchResponse> pruned = env_->index->Search(req);
      ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
      ASSERT_EQ(pruned->hits.size(), got->hits.size());
      for (size_t r = 0; r < got->hits.size(); ++r) {
        EXPECT_EQ(pruned->hits[r].doc, got->hits[r].doc) << "pruned rank " << r;
        EXPECT_EQ(pruned->hits[r].score, got->hits[r].score) << "pruned rank " << r;
      }
    }
    std::printf(
        "[ parity   ] %s: %d queries, %d with hits, %d top-%zu hits compared, "
        "%d scores bit-identical, max relative score error %.3g\n",
        KindName(kind), stats.queries, stats.with_hits, stats.hits_compared, kTopK,
        stats.scores_bit_equal, stats.max_relative_error);
    // The comparison must not pass vacuously on empty results.
    EXPECT_GE(stats.with_hits, static_cast<int>(kMinFractionWithHits * stats.queries));
  }

  static inline Env* env_ = nullptr;
};

// N, sum of lengths and avgdl must agree, or every score would differ.
TEST_F(XapianParityTest, CollectionStatisticsAgree) {
  const IndexInfo info = *env_->index->Info();
  const FieldInfo* text = nullptr;
  for (const FieldInfo& f : info.fields) {
    if (f.name == "text") text = &f;
  }
  ASSERT_NE(text, nullptr);
  const Xapian::Database& db = *env_->db;
  std::printf("[ parity   ] %zu docs, %llu tokens, avgdl %.4f\n", env_->docs.size(),
              static_cast<unsigned long long>(db.get_total_length()),
              static_cast<double>(env_->avgdl));
  EXPECT_GT(env_->docs.size(), 1000u);
  EXPECT_EQ(env_->index->num_docs(), env_->docs.size());
  EXPECT_EQ(db.get_doccount(), env_->docs.size());
  EXPECT_EQ(text->doc_count, db.get_doccount());
  EXPECT_EQ(text->total_terms, db.get_total_length());
  EXPECT_EQ(
      LuceneAvgdl(static_cast<double>(text->total_terms) / static_cast<double>(text->doc_count)),
      env_->avgdl);
}

TEST_F(XapianParityTest, AndQueriesMatchXapian) { RunQueries(Kind::kAnd, 20240601); }

TEST_F(XapianParityTest, OrQueriesMatchXapian) { RunQueries(Kind::kOr, 20240602); }

TEST_F(XapianParityTest, PhraseQueriesMatchXapian) { RunQueries(Kind::kPhrase, 20240603); }

}  // namespace
}  // namespace libsearch
