// Files at the input boundary: special files are refused without blocking,
// compressed inputs are read to their end or reported damaged, and outputs
// never replace links or devices nor leave a dead writer's files behind.
#include "storage/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

using ::libsearch::testing::ReadFile;
using ::libsearch::testing::TempDir;
using ::libsearch::testing::WriteFile;

std::string SomeLines(int n) {
  std::string text;
  std::mt19937_64 rng(3);
  for (int i = 0; i < n; ++i) {
    text += "{\"id\": " + std::to_string(i) + ", \"v\": " + std::to_string(rng()) + "}\n";
  }
  return text;
}

std::string Gzip(const std::string& text, const std::string& scratch) {
  gzFile f = gzopen(scratch.c_str(), "wb");
  gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
  gzclose(f);
  return ReadFile(scratch);
}

std::string Zstd(const std::string& text) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), 3);
  out.resize(n);
  return out;
}

// All lines of `path`, and the reader's final status.
Status ReadAll(const std::string& path, std::string* text) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  std::string line;
  text->clear();
  while (reader->Next(&line)) *text += line + "\n";
  return reader->status();
}

TEST(SpecialFiles, APipeIsRefusedWithoutBlocking) {
  TempDir dir;
  const std::string fifo = dir.File("f");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  auto mapped = MappedFile::Open(fifo);
  ASSERT_FALSE(mapped.ok());
  EXPECT_NE(mapped.status().message().find("not a regular file (a pipe)"), std::string::npos)
      << mapped.status().ToString();
  auto lines = LineReader::Open(fifo);
  ASSERT_FALSE(lines.ok());
  EXPECT_EQ(lines.status().code(), StatusCode::kInvalidArgument);
  std::string text;
  EXPECT_EQ(ReadFileToString(fifo, &text).code(), StatusCode::kInvalidArgument);
  auto gz = LineReader::Open(fifo + ".gz");  // Missing: NotFound, not a hang.
  EXPECT_EQ(gz.status().code(), StatusCode::kNotFound);
}

TEST(SpecialFiles, ADirectoryIsRefused) {
  TempDir dir;
  auto mapped = MappedFile::Open(dir.path());
  ASSERT_FALSE(mapped.ok());
  EXPECT_NE(mapped.status().message().find("a directory"), std::string::npos);
  EXPECT_FALSE(LineReader::Open(dir.path()).ok());
}

TEST(CompressedInput, ATruncatedGzipFileIsReportedAtEveryCut) {
  TempDir dir;
  const std::string text = SomeLines(3000);
  const std::string gz = Gzip(text, dir.File("whole.gz"));
  std::string got;
  ASSERT_OK(ReadAll(dir.File("whole.gz"), &got));
  EXPECT_EQ(got, text);
  std::mt19937_64 rng(11);
  std::vector<size_t> cuts = {
      1, 10, 18, gz.size() / 2, gz.size() - 8, gz.size() - 4, gz.size() - 1};
  for (int i = 0; i < 40; ++i) cuts.push_back(1 + rng() % (gz.size() - 1));
  for (size_t cut : cuts) {
    WriteFile(dir.File("cut.gz"), gz.substr(0, cut));
    const Status st = ReadAll(dir.File("cut.gz"), &got);
    EXPECT_FALSE(st.ok()) << "cut at " << cut << " of " << gz.size();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << st.ToString();
  }
}

TEST(CompressedInput, AGzNameOnPlainTextIsReported) {
  TempDir dir;
  WriteFile(dir.File("plain.gz"), SomeLines(5));
  std::string got;
  const Status st = ReadAll(dir.File("plain.gz"), &got);
  EXPECT_NE(st.message().find("not gzip-compressed"), std::string::npos) << st.ToString();
  WriteFile(dir.File("empty.gz"), "");
  EXPECT_FALSE(ReadAll(dir.File("empty.gz"), &got).ok());
}

TEST(CompressedInput, AGzipChecksumMismatchIsReported) {
  TempDir dir;
  const std::string text = SomeLines(200);
  std::string gz = Gzip(text, dir.File("whole.gz"));
  gz[gz.size() - 6] ^= 0x5a;  // The CRC-32 in the trailer.
  WriteFile(dir.File("bad.gz"), gz);
  std::string got;
  const Status st = ReadAll(dir.File("bad.gz"), &got);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("not valid gzip"), std::string::npos) << st.ToString();
}

TEST(CompressedInput, ATruncatedZstdFileIsReportedAtEveryCut) {
  TempDir dir;
  const std::string text = SomeLines(3000);
  const std::string zst = Zstd(text);
  WriteFile(dir.File("whole.zst"), zst);
  std::string got;
  ASSERT_OK(ReadAll(dir.File("whole.zst"), &got));
  EXPECT_EQ(got, text);
  std::mt19937_64 rng(12);
  std::vector<size_t> cuts = {1, 4, zst.size() / 2, zst.size() - 1};
  for (int i = 0; i < 40; ++i) cuts.push_back(1 + rng() % (zst.size() - 1));
  for (size_t cut : cuts) {
    WriteFile(dir.File("cut.zst"), zst.substr(0, cut));
    const Status st = ReadAll(dir.File("cut.zst"), &got);
    EXPECT_FALSE(st.ok()) << "cut at " << cut << " of " << zst.size();
  }
}

TEST(AtomicFileWriter, RefusesToReplaceALinkOrADirectory) {
  TempDir dir;
  WriteFile(dir.File("real.idx"), "keep me");
  std::filesystem::create_symlink(dir.File("real.idx"), dir.File("link.idx"));
  auto w = AtomicFileWriter::Create(dir.File("link.idx"));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("symbolic link"), std::string::npos) << w.status().ToString();
  EXPECT_TRUE(std::filesystem::is_symlink(dir.File("link.idx")));
  EXPECT_EQ(ReadFile(dir.File("real.idx")), "keep me");
  std::filesystem::create_directory(dir.File("sub"));
  auto d = AtomicFileWriter::Create(dir.File("sub"));
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("a directory"), std::string::npos);
}

TEST(AtomicFileWriter, RemovesTemporariesOfDeadWritersOnly) {
  TempDir dir;
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);  // Now a pid that no longer runs.
  const std::string dead = dir.File("out.idx.tmp." + std::to_string(child) + ".42");
  const std::string live = dir.File("out.idx.tmp." + std::to_string(::getpid()) + ".7");
  const std::string other = dir.File("other.idx.tmp." + std::to_string(child) + ".1");
  for (const std::string& p : {dead, live, other}) WriteFile(p, "partial");
  ASSERT_OK_AND_ASSIGN(auto w, AtomicFileWriter::Create(dir.File("out.idx")));
  ASSERT_OK(w->Append("new"));
  ASSERT_OK(w->Commit());
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other));
  EXPECT_EQ(ReadFile(dir.File("out.idx")), "new");
}

}  // namespace
}  // namespace libsearch::internal
