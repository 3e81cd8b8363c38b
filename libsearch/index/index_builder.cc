// IndexBuilder: checks each document, keeps its stored JSON and inverts it
// in memory (Inverter); Build() writes the file (IndexFileWriter).
#include "libsearch/index_builder.h"

#include <filesystem>

#include "index/doc_store.h"
#include "index/document.h"
#include "index/file_writer.h"
#include "index/index_reader.h"
#include "index/ingest.h"
#include "index/inverter.h"
#include "storage/file.h"

namespace libsearch {
namespace {

constexpr uint32_t kMaxDocs = 0x7ffffff0u;  // Below kNoMoreDocs.

class IndexBuilderImpl : public IndexBuilder {
 public:
  IndexBuilderImpl(Schema schema, const IndexBuilderOptions& options)
      : schema_(std::move(schema)),
        options_(options),
        store_(options.docstore_zstd_level, options.docstore_block_bytes),
        source_(options.docstore_zstd_level, options.docstore_block_bytes) {
    doc_.keep_source = options.keep_source;
  }

  Status Init() { return inverter_.Init(schema_, options_.surface_words); }

  Status AddJson(std::string_view json) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, json, &doc_));
    return AddParsed();
  }

  Status Add(const Document& doc) override {
    if (built_) return Status::InvalidArgument("IndexBuilder::Build() was already called");
    LIBSEARCH_RETURN_IF_ERROR(internal::ConvertDocument(schema_, doc, &doc_));
    return AddParsed();
  }

  // Adds doc_, checked against the schema.
  Status AddParsed() {
    if (inverter_.HasId(doc_.id)) {
      return Status::InvalidArgument("duplicate id '" + doc_.id + "' in field '" +
                                     schema_.id_field() + "' (ids must be unique)");
    }
    if (num_docs() >= kMaxDocs) {
      return Status::ResourceExhausted("an index holds at most " + std::to_string(kMaxDocs) +
                                       " documents");
    }
    // Validated: from here on nothing can fail except the doc store.
    const uint32_t doc = static_cast<uint32_t>(num_docs());
    LIBSEARCH_RETURN_IF_ERROR(store_.Add(doc_.stored_json));
    if (options_.keep_source) LIBSEARCH_RETURN_IF_ERROR(source_.Add(doc_.source_json));
    ++num_docs_;
    inverter_.Add(doc_, doc);
    return Status::Ok();
  }

  Result<IngestStats> AddJsonl(const std::string& path, const IngestOptions& options) override {
    return internal::IngestJsonl(
        path, options, [this](std::string_view line) { return AddJson(line); },
        [](const Status& s) { return s.code() == StatusCode::kInvalidArgument; });
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
    LIBSEARCH_RETURN_IF_ERROR(store_.Finish());
    if (options_.keep_source) LIBSEARCH_RETURN_IF_ERROR(source_.Finish());
    internal::IndexFileWriter writer(schema_, options_, num_docs(), out.get());
    LIBSEARCH_RETURN_IF_ERROR(
        writer.Write(&inverter_.fields(), store_, options_.keep_source ? &source_ : nullptr));
    return out->Commit();
  }

 private:
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

  Schema schema_;
  IndexBuilderOptions options_;
  internal::Inverter inverter_;
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
  auto builder = std::make_unique<IndexBuilderImpl>(schema, options);
  LIBSEARCH_RETURN_IF_ERROR(builder->Init());
  return std::unique_ptr<IndexBuilder>(std::move(builder));
}

}  // namespace libsearch
