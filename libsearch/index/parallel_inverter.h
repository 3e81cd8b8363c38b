// A parallel build's text inversion: batches of checked, numbered documents
// whose text fields worker threads invert, each into its own Inverter, merged
// into the builder's at the end (docs/design-notes.md, "Parallel indexing").
// The builder keeps the rest in order on its own thread: the duplicate-id
// check, doc numbers, the document store, ids, keywords and numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/document.h"
#include "index/inverter.h"
#include "index/worker_pool.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch::internal {

// Thread-safety: one owner thread; the workers touch only the batches
// handed to them and their own inverters.
class ParallelInverter {
 public:
  struct Batch {
    std::vector<std::string> lines;    // Parse(): the lines being parsed.
    std::vector<ParsedDocument> docs;  // Slots.
    std::vector<Status> parsed;        // Parse(): each line's ParseDocument status.
    std::vector<uint32_t> accepted;    // Slots checked and numbered, in doc order.
    uint32_t first_doc = 0;            // The doc number of accepted[0].
    size_t bytes = 0;                  // About what the accepted docs hold.
    uint64_t ticket = 0;               // The last pool task that uses it.
  };

  ParallelInverter() = default;
  // Joins the workers (after the tasks queued) before the batches they read go.
  ~ParallelInverter() { pool_.reset(); }
  ParallelInverter(const ParallelInverter&) = delete;
  ParallelInverter& operator=(const ParallelInverter&) = delete;

  // `threads` >= 2 workers.
  Status Init(const Schema& schema, bool surface_words, bool keep_source, size_t threads);

  // The batch being filled, which no worker uses.
  Batch* current() { return &batches_[cur_]; }
  // A slot of the current batch to fill (the one after the accepted ones).
  ParsedDocument* NextSlot();
  // Records current()->docs[slot] as doc number `doc` (one more than the
  // last one recorded).
  void Accept(uint32_t slot, uint32_t doc, size_t bytes);

  // Parses `lines` (taken) into the current batch's slots on the workers,
  // queues the inversion of a batch ended before, and returns once parsed.
  void Parse(std::vector<std::string>* lines);
  // Ends the current batch (if it has accepted docs): its inversion is
  // queued by the next Parse() or Dispatch(); moves to a free batch.
  void EndBatch();
  // Queues the inversion of the batch ended last, if not yet queued.
  void Dispatch();
  // Waits for every worker, then merges their text fields into *into.
  void Finish(Inverter* into);

 private:
  const Schema* schema_ = nullptr;
  bool keep_source_ = false;
  std::vector<Inverter> inverters_;  // One per worker.
  std::unique_ptr<WorkerPool> pool_;
  Batch batches_[3];  // Filled, then waiting for Dispatch, then inverted.
  size_t cur_ = 0;
  Batch* ended_ = nullptr;  // Ended, not yet dispatched.
};

}  // namespace libsearch::internal
