#include "index/parallel_inverter.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace libsearch::internal {
namespace {

// Worker k's share of n items: a contiguous slice, so that each inverter
// sees its docs in increasing order across batches.
std::pair<size_t, size_t> Slice(size_t n, size_t k, size_t workers) {
  return {n * k / workers, n * (k + 1) / workers};
}

}  // namespace

Status ParallelInverter::Init(const Schema& schema, bool surface_words, bool keep_source,
                              size_t threads) {
  schema_ = &schema;
  keep_source_ = keep_source;
  inverters_.resize(threads);
  for (Inverter& inv : inverters_) {
    LIBSEARCH_RETURN_IF_ERROR(inv.Init(schema, surface_words, InvertedFields::kText));
  }
  pool_ = std::make_unique<WorkerPool>(threads);
  return Status::Ok();
}

ParsedDocument* ParallelInverter::NextSlot() {
  Batch& b = *current();
  const size_t slot = b.accepted.size();
  if (b.docs.size() <= slot) b.docs.resize(slot + 1);
  b.docs[slot].keep_source = keep_source_;
  return &b.docs[slot];
}

void ParallelInverter::Accept(uint32_t slot, uint32_t doc, size_t bytes) {
  Batch& b = *current();
  if (b.accepted.empty()) b.first_doc = doc;
  b.accepted.push_back(slot);
  b.bytes += bytes;
}

void ParallelInverter::Parse(std::vector<std::string>* lines) {
  Batch& b = *current();
  b.lines.swap(*lines);
  const size_t n = b.lines.size();
  if (b.docs.size() < n) b.docs.resize(n);
  for (size_t i = 0; i < n; ++i) b.docs[i].keep_source = keep_source_;
  b.parsed.assign(n, Status::Ok());
  const size_t workers = pool_->size();
  b.ticket = pool_->RunOnEach([this, &b, n, workers](size_t k) {
    const auto [lo, hi] = Slice(n, k, workers);
    for (size_t i = lo; i < hi; ++i) b.parsed[i] = ParseDocument(*schema_, b.lines[i], &b.docs[i]);
  });
  const uint64_t parsed = b.ticket;
  Dispatch();  // Behind the parse: the workers invert while this thread checks the batch.
  pool_->WaitFor(parsed);
}

void ParallelInverter::EndBatch() {
  Batch& b = *current();
  if (b.accepted.empty()) return;
  Dispatch();  // At most one ended batch waits.
  ended_ = &b;
  cur_ = (cur_ + 1) % 3;
  Batch& next = *current();
  pool_->WaitFor(next.ticket);
  next.accepted.clear();
  next.bytes = 0;
}

void ParallelInverter::Dispatch() {
  if (ended_ == nullptr) return;
  Batch& b = *ended_;
  ended_ = nullptr;
  const size_t workers = pool_->size();
  b.ticket = pool_->RunOnEach([this, &b, workers](size_t k) {
    const auto [lo, hi] = Slice(b.accepted.size(), k, workers);
    for (size_t j = lo; j < hi; ++j) {
      inverters_[k].Add(b.docs[b.accepted[j]], b.first_doc + static_cast<uint32_t>(j));
    }
  });
}

void ParallelInverter::Finish(Inverter* into) {
  EndBatch();
  Dispatch();
  for (const Batch& b : batches_) pool_->WaitFor(b.ticket);
  pool_.reset();
  for (Inverter& inv : inverters_) into->MergeTextFieldsFrom(&inv);
  inverters_.clear();
#if defined(__GLIBC__)
  // The workers' lists and tables were allocated in their threads' malloc
  // arenas, which keep freed memory resident: returning it now keeps it out
  // of the write's peak (402 -> 346 MB on the 818k peer corpus, 2 threads).
  malloc_trim(0);
#endif
}

}  // namespace libsearch::internal
