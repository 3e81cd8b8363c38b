// libsearch side of bench/live/update_peers.py (issue 17): the same update
// batches as the Lucene and Tantivy drivers' live-update, through the public
// IndexWriter. Public API only.
//
//   libsearch_update_peer index SCHEMA.json CORPUS.jsonl DIR
//       an index directory of the corpus, one segment; prints JSON stats
//   libsearch_update_peer update DIR BATCH.jsonl...
//       opens one IndexWriter (not timed), then per batch file applies every
//       line (ApplyJsonl: upserts, `_set`, `_delete`) and commits, timed
//       together; after each commit, Reopen() of an Index opened before the
//       batches, timed alone (wall and this thread's CPU time). Prints
//       {"batches_ms": [...], "reopen_ms": [...], "reopen_cpu_ms": [...]}.
#include <libsearch/libsearch.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int Fail(const libsearch::Status& s) {
  std::fprintf(stderr, "libsearch_update_peer: %s\n", s.ToString().c_str());
  return 1;
}

double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Ms(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string List(const std::vector<double>& v) {
  std::string out;
  for (double x : v) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%s%.3f", out.empty() ? "" : ", ", x);
    out += buf;
  }
  return "[" + out + "]";
}

int Index(const std::string& schema_path, const std::string& corpus, const std::string& dir) {
  const auto t0 = Clock::now();
  auto schema = libsearch::Schema::FromFile(schema_path);
  if (!schema.ok()) return Fail(schema.status());
  libsearch::IndexWriterOptions options;
  options.merge_on_commit = false;
  auto writer = libsearch::IndexWriter::Create(dir, *schema, options);
  if (!writer.ok()) return Fail(writer.status());
  auto stats = (*writer)->ApplyJsonl(corpus, {});
  if (!stats.ok()) return Fail(stats.status());
  auto info = (*writer)->Commit();
  if (!info.ok()) return Fail(info.status());
  std::printf("{\"docs\": %llu, \"libsearch\": \"%s\", \"seconds\": %.3f}\n",
              static_cast<unsigned long long>(info->live_docs), libsearch::Version(), Ms(t0) / 1e3);
  return 0;
}

int Update(const std::string& dir, const std::vector<std::string>& batches) {
  auto index = libsearch::Index::Open(dir);
  if (!index.ok()) return Fail(index.status());
  auto writer = libsearch::IndexWriter::Open(dir);
  if (!writer.ok()) return Fail(writer.status());
  std::vector<double> batch_ms, reopen_ms, reopen_cpu_ms;
  for (const std::string& batch : batches) {
    const auto t0 = Clock::now();
    auto stats = (*writer)->ApplyJsonl(batch, {});
    if (!stats.ok()) return Fail(stats.status());
    auto info = (*writer)->Commit();
    if (!info.ok()) return Fail(info.status());
    batch_ms.push_back(Ms(t0));
    const auto t1 = Clock::now();
    const double cpu = CpuMs();
    auto next = (*index)->Reopen();
    reopen_ms.push_back(Ms(t1));
    reopen_cpu_ms.push_back(CpuMs() - cpu);
    if (!next.ok()) return Fail(next.status());
    *index = std::move(*next);
  }
  std::printf("{\"batches_ms\": %s, \"reopen_ms\": %s, \"reopen_cpu_ms\": %s}\n",
              List(batch_ms).c_str(), List(reopen_ms).c_str(), List(reopen_cpu_ms).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "index" && argc == 5) return Index(argv[2], argv[3], argv[4]);
  if (cmd == "update" && argc >= 4) return Update(argv[2], {argv + 3, argv + argc});
  std::fprintf(stderr,
               "usage: libsearch_update_peer index SCHEMA.json CORPUS.jsonl DIR | update DIR "
               "BATCH.jsonl...\n");
  return 2;
}
