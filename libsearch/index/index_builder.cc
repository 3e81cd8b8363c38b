// IndexBuilder: checks each document, keeps its stored JSON and inverts it
// in memory (Inverter); Build() writes the file (IndexFileWriter). With
// threads > 1, once a build has a batch of documents, their text fields are
// inverted on worker threads (ParallelInverter) and merged before writing:
// the file is byte for byte the one a single thread writes.
#include "libsearch/index_builder.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "index/doc_store.h"
#include "index/document.h"
#include "index/file_writer.h"
#include "index/index_reader.h"
#include "index/ingest.h"
#include "index/inverter.h"
#include "index/parallel_inverter.h"
#include "storage/file.h"

namespace libsearch {
namespace {

constexpr uint32_t kMaxDocs = 0x7ffffff0u;  // Below kNoMoreDocs.
constexpr uint32_t kMaxThreads = 256;

class IndexBuilderImpl : public IndexBuilder {
 public:
  IndexBuilderImpl(Schema schema, const IndexBuilderOptions& options)
      : schema_(std::move(schema)),
        options_(options),
        threads_(options.threads != 0 ? options.threads
                                      : std::max(1u, std::thread::hardware_concurrency())),
        store_(options.docstore_zstd_level, options.docstore_block_bytes),
        source_(options.docstore_zstd_level, options.docstore_block_bytes) {
    doc_.keep_source = options.keep_source;
  }

  Status Init() { return inverter_.Init(schema_, options_.surface_words); }

  Status AddJson(std::string_view json) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    internal::ParsedDocument* doc = parallel_ == nullptr ? &doc_ : parallel_->NextSlot();
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, json, doc));
    return AddParsed(doc);
  }

  Status Add(const Document& doc) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    internal::ParsedDocument* parsed = parallel_ == nullptr ? &doc_ : parallel_->NextSlot();
    LIBSEARCH_RETURN_IF_ERROR(internal::ConvertDocument(schema_, doc, parsed));
    return AddParsed(parsed);
  }

  Result<IngestStats> AddJsonl(const std::string& path, const IngestOptions& options) override {
    auto is_bad_line = [](const Status& s) { return s.code() == StatusCode::kInvalidArgument; };
    if (threads_ < 2 || built_) {
      return internal::IngestJsonl(
          path, options, [this](std::string_view line) { return AddJson(line); }, is_bad_line);
    }
    LIBSEARCH_RETURN_IF_ERROR(StartParallel());
    parallel_->EndBatch();  // Documents given one by one before.
    internal::IngestBatchCalls calls;
    calls.prepare = [this](std::vector<std::string>* lines) { parallel_->Parse(lines); };
    calls.add = [this](size_t i) {
      internal::ParallelInverter::Batch& b = *parallel_->current();
      if (!b.parsed[i].ok()) return b.parsed[i];
      return AddParsed(&b.docs[i], static_cast<uint32_t>(i), /*end_batch=*/false);
    };
    calls.end_batch = [this] { parallel_->EndBatch(); };
    calls.is_bad_line = is_bad_line;
    auto stats = internal::IngestJsonlBatches(path, options, kBatchDocs, kBatchBytes, calls);
    parallel_->Dispatch();
    return stats;
  }

  uint64_t num_docs() const override { return num_docs_; }

  Status Build(const std::string& path) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    if (num_docs() == 0 && !options_.allow_empty)
      LIBSEARCH_RETURN_IF_ERROR(CheckEmptyMayReplace(path));
    // Open the output first: a bad path fails here with every document still
    // in the builder, so the caller can fix the path and call Build() again.
    LIBSEARCH_ASSIGN_OR_RETURN(auto out, internal::AtomicFileWriter::Create(path));
    built_ = true;  // From here on the accumulated state is consumed.
    if (parallel_ != nullptr) {
      parallel_->Finish(&inverter_);
      parallel_.reset();
    }
    LIBSEARCH_RETURN_IF_ERROR(store_.Finish());
    if (options_.keep_source) LIBSEARCH_RETURN_IF_ERROR(source_.Finish());
    internal::IndexFileWriter writer(schema_, options_, num_docs(), out.get());
    LIBSEARCH_RETURN_IF_ERROR(
        writer.Write(&inverter_.fields(), store_, options_.keep_source ? &source_ : nullptr));
    return out->Commit();
  }

 private:
  // A parallel build inverts text fields in batches of up to this many
  // docs, or this many bytes: enough work per batch to make the hand-over
  // cheap, few enough that three batches in memory cost little.
  static constexpr size_t kBatchDocs = 2048;
  static constexpr size_t kBatchBytes = 4 << 20;

  // Adds *doc, checked against the schema. In a parallel build `slot` is its
  // slot in the current batch (NextSlot() unless given), and a full batch
  // is handed to the workers unless `end_batch` is false (AddJsonl ends its
  // batches itself).
  Status AddParsed(internal::ParsedDocument* doc, uint32_t slot = kNextSlot,
                   bool end_batch = true) {
    if (inverter_.HasId(doc->id)) {
      return Status::InvalidArgument("duplicate id '" + doc->id + "' in field '" +
                                     schema_.id_field() + "' (ids must be unique)");
    }
    if (num_docs() >= kMaxDocs) {
      return Status::ResourceExhausted("an index holds at most " + std::to_string(kMaxDocs) +
                                       " documents");
    }
    // Validated: from here on nothing can fail except the doc store.
    const uint32_t num = static_cast<uint32_t>(num_docs());
    LIBSEARCH_RETURN_IF_ERROR(store_.Add(doc->stored_json));
    if (options_.keep_source) LIBSEARCH_RETURN_IF_ERROR(source_.Add(doc->source_json));
    ++num_docs_;
    inverter_.Add(*doc, num);  // All fields, or all but text in a parallel build.
    if (threads_ < 2) return Status::Ok();
    const size_t bytes = doc->stored_json.size() + doc->source_json.size() + TextBytes(*doc);
    if (parallel_ == nullptr) {
      serial_bytes_ += bytes;
      return num_docs_ >= kBatchDocs || serial_bytes_ >= kBatchBytes ? StartParallel()
                                                                     : Status::Ok();
    }
    internal::ParallelInverter::Batch& b = *parallel_->current();
    parallel_->Accept(slot != kNextSlot ? slot : static_cast<uint32_t>(b.accepted.size()), num,
                      bytes);
    if (end_batch && (b.accepted.size() >= kBatchDocs || b.bytes >= kBatchBytes)) {
      parallel_->EndBatch();
      parallel_->Dispatch();
    }
    return Status::Ok();
  }

  // From here on text fields are inverted on threads_ workers: small builds
  // (a live index's commits) never start them.
  Status StartParallel() {
    if (parallel_ != nullptr) return Status::Ok();
    auto parallel = std::make_unique<internal::ParallelInverter>();
    LIBSEARCH_RETURN_IF_ERROR(
        parallel->Init(schema_, options_.surface_words, options_.keep_source, threads_));
    parallel_ = std::move(parallel);
    inverter_.set_inverted_fields(internal::InvertedFields::kNonText);
    return Status::Ok();
  }

  static size_t TextBytes(const internal::ParsedDocument& doc) {
    size_t n = 0;
    for (const internal::FieldValue& v : doc.values) {
      for (const std::string& s : v.strings) n += s.size();
    }
    return n;
  }

  // An empty build may create `path` or replace an empty file or an empty
  // index, nothing else.
  static Status CheckEmptyMayReplace(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return Status::Ok();
    if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) == 0 &&
        !ec) {
      return Status::Ok();  // Nothing to lose (a temporary file made for it).
    }
    std::string what = "a file that is not an index";
    if (auto existing = internal::IndexReader::Open(path); existing.ok()) {
      if ((*existing)->num_docs() == 0) return Status::Ok();
      const uint32_t n = (*existing)->num_docs();
      what = "an index of " + std::to_string(n) + (n == 1 ? " document" : " documents");
    }
    return Status::InvalidArgument(
        "refusing to replace '" + path + "' (" + what +
        ") with an empty index: no document was added; set allow_empty (CLI: --allow-empty) to "
        "write it anyway");
  }

  static constexpr uint32_t kNextSlot = 0xffffffffu;

  Schema schema_;
  IndexBuilderOptions options_;
  const uint32_t threads_;
  internal::Inverter inverter_;  // In a parallel build, all but the text fields.
  std::unique_ptr<internal::ParallelInverter> parallel_;  // Once started.
  size_t serial_bytes_ = 0;                               // What the docs before parallel_ held.
  uint64_t num_docs_ = 0;
  internal::DocStoreWriter store_;
  internal::DocStoreWriter source_;  // Only with keep_source.
  internal::ParsedDocument doc_;     // Reused across AddJson calls.
  bool built_ = false;
};

}  // namespace

Result<std::unique_ptr<IndexBuilder>> IndexBuilder::Create(const Schema& schema,
                                                           const IndexBuilderOptions& options) {
  LIBSEARCH_RETURN_IF_ERROR(ValidateBm25Params(options.bm25));
  if (options.docstore_block_bytes == 0 || options.docstore_block_bytes > (64u << 20)) {
    return Status::InvalidArgument("docstore_block_bytes must be in [1, 64 MiB]");
  }
  if (options.threads > kMaxThreads) {
    return Status::InvalidArgument("threads must be at most " + std::to_string(kMaxThreads) +
                                   " (0: one per hardware thread)");
  }
  auto builder = std::make_unique<IndexBuilderImpl>(schema, options);
  LIBSEARCH_RETURN_IF_ERROR(builder->Init());
  return std::unique_ptr<IndexBuilder>(std::move(builder));
}

}  // namespace libsearch
