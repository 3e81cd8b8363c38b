// The C++ baseline for bench/python/bench_python.py: the same queries through
// the C++ API, timed the way the Python script times them.
//
//   cpp_timing INDEX QUERIES_FILE single REPS   one line per query: the least
//                                               ns of REPS runs of Search()
//   cpp_timing INDEX QUERIES_FILE batch REPS    one line per rep: ns for one
//                                               SearchBatch() over all queries,
//                                               then ns for a Search() loop
//
// Queries: one per line. Every search is top-10 with stored documents (the
// SearchRequest defaults), and reads each hit's id and score, as the Python
// side does.
#include <libsearch/libsearch.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

int64_t Ns(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

// Reads ids and scores so the compiler cannot drop the work.
size_t Consume(const libsearch::SearchResponse& r) {
  size_t n = r.total;
  for (const libsearch::Hit& h : r.hits) {
    n += h.id.size() + h.doc_json.size() + static_cast<size_t>(h.score);
  }
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s INDEX QUERIES single|batch REPS\n", argv[0]);
    return 2;
  }
  auto index = libsearch::Index::Open(argv[1]);
  if (!index.ok()) {
    std::fprintf(stderr, "%s\n", index.status().ToString().c_str());
    return 1;
  }
  std::vector<libsearch::SearchRequest> requests;
  std::ifstream in(argv[2]);
  for (std::string line; std::getline(in, line);) {
    libsearch::SearchRequest req;
    req.query = line;
    requests.push_back(std::move(req));
  }
  const std::string mode = argv[3];
  const int reps = std::stoi(argv[4]);
  size_t sink = 0;
  if (mode == "single") {
    std::vector<int64_t> times(static_cast<size_t>(reps));
    for (const libsearch::SearchRequest& req : requests) {
      for (int64_t& t : times) {
        const Clock::time_point start = Clock::now();
        auto resp = (*index)->Search(req);
        if (!resp.ok()) return 1;
        sink += Consume(*resp);
        t = Ns(start, Clock::now());
      }
      const int64_t best = *std::min_element(times.begin(), times.end());
      std::printf("%lld\n", static_cast<long long>(best));
    }
  } else {
    for (int r = 0; r < reps; ++r) {
      Clock::time_point start = Clock::now();
      for (const auto& resp : (*index)->SearchBatch(requests)) {
        if (!resp.ok()) return 1;
        sink += Consume(*resp);
      }
      const int64_t batch_ns = Ns(start, Clock::now());
      start = Clock::now();
      for (const libsearch::SearchRequest& req : requests) {
        auto resp = (*index)->Search(req);
        if (!resp.ok()) return 1;
        sink += Consume(*resp);
      }
      std::printf("%lld %lld\n", static_cast<long long>(batch_ns),
                  static_cast<long long>(Ns(start, Clock::now())));
    }
  }
  std::fprintf(stderr, "checksum %zu\n", sink);
  return 0;
}
