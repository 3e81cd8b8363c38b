// Test support: Status assertions, temporary directories, tiny index builds.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "libsearch/libsearch.h"

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    const ::libsearch::Status _s = (expr);                    \
    ASSERT_TRUE(_s.ok()) << #expr << " -> " << _s.ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                       \
  do {                                                        \
    const ::libsearch::Status _s = (expr);                    \
    EXPECT_TRUE(_s.ok()) << #expr << " -> " << _s.ToString(); \
  } while (0)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(LIBSEARCH_CONCAT_(_t_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)                     \
  auto tmp = (expr);                                                   \
  ASSERT_TRUE(tmp.ok()) << #expr << " -> " << tmp.status().ToString(); \
  lhs = std::move(*tmp)

namespace libsearch::testing {

// A fresh directory under $TMPDIR, removed with everything in it on scope exit.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "libsearch-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::string SourcePath(const std::string& rel) {
  return std::string(LIBSEARCH_SOURCE_DIR) + "/" + rel;
}

// Builds an index from JSON documents; fails the test on any error.
inline Status BuildIndex(const Schema& schema, const std::vector<std::string>& docs,
                         const std::string& path) {
  auto builder = IndexBuilder::Create(schema);
  if (!builder.ok()) return builder.status();
  for (const std::string& d : docs) LIBSEARCH_RETURN_IF_ERROR((*builder)->AddJson(d));
  return (*builder)->Build(path);
}

// The first `n` bundled products (examples/products), as JSON lines.
inline std::vector<std::string> FirstBundledProducts(size_t n) {
  std::vector<std::string> docs;
  gzFile f = gzopen(SourcePath("examples/products/products.jsonl.gz").c_str(), "rb");
  EXPECT_NE(f, nullptr);
  std::string line;
  char buf[1 << 16];
  while (f != nullptr && docs.size() < n && gzgets(f, buf, sizeof(buf)) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      docs.push_back(line);
      line.clear();
    }
  }
  if (f != nullptr) gzclose(f);
  return docs;
}

// Indexes the bundled catalogue (examples/products) with its schema.
inline Status BuildBundledCatalogue(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(Schema schema,
                             Schema::FromFile(SourcePath("examples/products/schema.json")));
  LIBSEARCH_ASSIGN_OR_RETURN(auto builder, IndexBuilder::Create(schema));
  auto stats = builder->AddJsonl(SourcePath("examples/products/products.jsonl.gz"), {});
  if (!stats.ok()) return stats.status();
  return builder->Build(path);
}

// A suite whose tests share one index of the bundled catalogue, built once.
class BundledCatalogueTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ASSERT_OK(BuildBundledCatalogue(dir_->File("p.idx")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Path() { return dir_->File("p.idx"); }

 private:
  inline static TempDir* dir_ = nullptr;
};

}  // namespace libsearch::testing
