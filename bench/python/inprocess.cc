// The C++ baseline again, as a C ABI shared library that bench_python.py
// loads with ctypes, so C++ and Python searches run in the same process (same
// heap, same shared-object code model) and only the binding differs.
#include <libsearch/libsearch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t Since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
}

// Reads what the Python side reads: ids and scores.
size_t Consume(const libsearch::SearchResponse& r) {
  size_t n = r.total;
  for (const libsearch::Hit& h : r.hits) {
    n += h.id.size() + h.doc_json.size() + static_cast<size_t>(h.score);
  }
  return n;
}

size_t g_sink = 0;

}  // namespace

extern "C" {

// Returns an Index*, or nullptr.
void* lsb_open(const char* path) {
  auto index = libsearch::Index::Open(path);
  return index.ok() ? index->release() : nullptr;
}

void lsb_close(void* index) { delete static_cast<libsearch::Index*>(index); }

// The least ns of `reps` top-10 searches for `query`, or -1 on error.
int64_t lsb_search_ns(void* index, const char* query, int reps) {
  const auto* ix = static_cast<const libsearch::Index*>(index);
  libsearch::SearchRequest req;
  req.query = query;
  std::vector<int64_t> times(static_cast<size_t>(reps));
  for (int64_t& t : times) {
    const Clock::time_point start = Clock::now();
    auto resp = ix->Search(req);
    if (!resp.ok()) return -1;
    g_sink += Consume(*resp);
    t = Since(start);
  }
  return *std::min_element(times.begin(), times.end());
}

// ns for one pass over `n` queries: SearchBatch if `batch`, else a Search()
// loop. -1 on error.
int64_t lsb_pass_ns(void* index, const char** queries, int n, int batch) {
  const auto* ix = static_cast<const libsearch::Index*>(index);
  std::vector<libsearch::SearchRequest> requests(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    requests[static_cast<size_t>(i)].query = queries[i];
  }
  const Clock::time_point start = Clock::now();
  if (batch != 0) {
    for (const auto& resp : ix->SearchBatch(requests)) {
      if (!resp.ok()) return -1;
      g_sink += Consume(*resp);
    }
  } else {
    for (const libsearch::SearchRequest& req : requests) {
      auto resp = ix->Search(req);
      if (!resp.ok()) return -1;
      g_sink += Consume(*resp);
    }
  }
  return Since(start);
}

}  // extern "C"
