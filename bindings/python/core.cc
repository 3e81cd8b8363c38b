// libsearch._core: the Python extension. It converts arguments, results and
// errors between Python and the public C++ API and holds no search logic; the
// typed facade users import is the package bindings/python/libsearch/.
//
// Errors: a non-OK Status becomes the Python exception class that
// libsearch._errors.BY_CODE lists for its code, with the C++ message.
// The GIL is released around every call that builds, reads or searches.
#include <libsearch/index_writer.h>
#include <libsearch/lambda_event.h>
#include <libsearch/libsearch.h>
#include <libsearch/request_log.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "binding_util.h"

namespace py = pybind11;

namespace {

using libsearch::Status;
using libsearch_py::Check;
using libsearch_py::CommitDict;
using libsearch_py::StatusError;
using libsearch_py::Unwrap;

// Python classes for each StatusCode, indexed by its value; filled once at
// import. The references are kept for the life of the process.
constexpr size_t kNumCodes = 10;
std::array<PyObject*, kNumCodes> g_error_classes = {};

PyObject* ErrorClass(libsearch::StatusCode code) {
  const auto i = static_cast<size_t>(code);
  return i < kNumCodes && g_error_classes[i] != nullptr
             ? g_error_classes[i]
             : g_error_classes[static_cast<size_t>(libsearch::StatusCode::kInternal)];
}

// The options of a plain search (Index.search_basic); the rest keep their
// defaults. Every option is a field of the SearchRequest class otherwise.
libsearch::SearchRequest MakeBasicRequest(std::string query, size_t k, size_t offset,
                                          std::vector<std::string> fields,
                                          std::vector<std::string> filters, libsearch::Operator op,
                                          bool include_docs, std::optional<uint64_t> threshold) {
  libsearch::SearchRequest req;
  req.query = std::move(query);
  req.k = k;
  req.offset = offset;
  req.fields = std::move(fields);
  req.filters = std::move(filters);
  req.default_operator = op;
  req.include_docs = include_docs;
  // None: count every match.
  req.total_hits_threshold = threshold.value_or(libsearch::SearchRequest::kExactTotal);
  return req;
}

using Response = libsearch::SearchResponse;

// A Unix time in milliseconds (Lambda's deadline) as handler options.
libsearch::HandleOptions HandleOptionsFor(std::optional<double> deadline_ms) {
  libsearch::HandleOptions o;
  if (deadline_ms) {
    o.deadline = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double, std::milli>(*deadline_ms)));
  }
  return o;
}

py::tuple Reply(const libsearch::JsonReply& r) { return py::make_tuple(r.status, r.body); }

const libsearch::Hit& HitAt(const Response& r, size_t i) {
  if (i >= r.hits.size()) throw py::index_error("hit index out of range");
  return r.hits[i];
}

void BindSchema(py::module_& m) {
  py::enum_<libsearch::FieldType>(m, "FieldType")
      .value("TEXT", libsearch::FieldType::kText)
      .value("KEYWORD", libsearch::FieldType::kKeyword)
      .value("INT", libsearch::FieldType::kInt)
      .value("FLOAT", libsearch::FieldType::kFloat);
  py::class_<libsearch::FieldSpec>(m, "FieldSpec")
      .def_readonly("name", &libsearch::FieldSpec::name)
      .def_property_readonly("type",
                             [](const libsearch::FieldSpec& f) {
                               return std::string(libsearch::FieldTypeName(f.type));
                             })
      .def_readonly("stored", &libsearch::FieldSpec::stored)
      .def_readonly("indexed", &libsearch::FieldSpec::indexed)
      .def_readonly("boost", &libsearch::FieldSpec::boost)
      .def_readonly("language", &libsearch::FieldSpec::language)
      .def_readonly("stopwords", &libsearch::FieldSpec::stopwords)
      .def_readonly("fold_accents", &libsearch::FieldSpec::fold_accents);
  py::class_<libsearch::Schema>(m, "Schema")
      .def_static("from_json",
                  [](const std::string& json) { return Unwrap(libsearch::Schema::FromJson(json)); })
      .def_static(
          "from_file",
          [](const std::string& path) { return Unwrap(libsearch::Schema::FromFile(path)); },
          py::call_guard<py::gil_scoped_release>())
      .def("to_json", &libsearch::Schema::ToJson)
      .def_property_readonly("search_defaults_json", &libsearch::Schema::search_defaults_json)
      .def_property_readonly("id_field", &libsearch::Schema::id_field)
      .def_property_readonly("fields", &libsearch::Schema::fields);
}

void BindBuilder(py::module_& m) {
  py::class_<libsearch::IngestStats>(m, "IngestStats")
      .def_readonly("lines", &libsearch::IngestStats::lines)
      .def_readonly("docs_added", &libsearch::IngestStats::docs_added)
      .def_readonly("lines_skipped", &libsearch::IngestStats::lines_skipped)
      .def_readonly("errors", &libsearch::IngestStats::errors);
  py::class_<libsearch::IndexBuilder>(m, "IndexBuilder")
      .def_static("create",
                  [](const libsearch::Schema& schema, float k1, float b, int zstd_level,
                     uint32_t block_bytes, bool allow_empty, uint32_t threads) {
                    libsearch::IndexBuilderOptions o;
                    o.allow_empty = allow_empty;
                    o.threads = threads;
                    o.bm25 = {k1, b};
                    o.docstore_zstd_level = zstd_level;
                    o.docstore_block_bytes = block_bytes;
                    return Unwrap(libsearch::IndexBuilder::Create(schema, o));
                  })
      .def(
          "add_json",
          [](libsearch::IndexBuilder& self, const std::string& json) { Check(self.AddJson(json)); },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "add_jsonl",
          [](libsearch::IndexBuilder& self, const std::string& path, bool skip_bad,
             size_t max_error_messages) {
            libsearch::IngestOptions o;
            o.skip_bad = skip_bad;
            o.max_error_messages = max_error_messages;
            return Unwrap(self.AddJsonl(path, o));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("num_docs", &libsearch::IndexBuilder::num_docs)
      .def(
          "build",
          [](libsearch::IndexBuilder& self, const std::string& path) { Check(self.Build(path)); },
          py::call_guard<py::gil_scoped_release>());
}

// IndexReplica and RemoteWriter (remote.h): calls that touch the network
// or files release the GIL.
void BindRemote(py::module_& m) {
  using libsearch::IndexReplica;
  using libsearch::RemoteWriter;
  py::class_<IndexReplica>(m, "IndexReplica")
      .def_static(
          "open",
          [](const std::string& url, const std::string& cache_dir, double refresh_seconds,
             const std::string& checksums, float k1, float b, size_t filter_cache_bytes,
             const std::vector<uint32_t>& shards) {
            libsearch::ReplicaOptions o;
            o.cache_dir = cache_dir;
            o.refresh_seconds = refresh_seconds;
            o.open.checksums = Unwrap(libsearch::ParseChecksumPolicy(checksums));
            o.open.bm25 = {k1, b};
            o.open.filter_cache_bytes = filter_cache_bytes;
            o.open.shards = shards;
            return Unwrap(IndexReplica::Open(url, o));
          },
          py::call_guard<py::gil_scoped_release>())
      .def("index",
           [](const IndexReplica& self) {
             // Every Index method is const: the snapshot is never changed.
             return std::const_pointer_cast<libsearch::Index>(self.index());
           })
      .def(
          "refresh", [](IndexReplica& self) { return Unwrap(self.Refresh()); },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "maybe_refresh", [](IndexReplica& self) { return Unwrap(self.MaybeRefresh()); },
          py::call_guard<py::gil_scoped_release>())
      .def("status", [](const IndexReplica& self) {
        const libsearch::ReplicaStatus s = self.status();
        py::dict d;
        d["generation"] = s.generation;
        d["checks"] = s.checks;
        d["refreshes"] = s.refreshes;
        d["failures"] = s.failures;
        d["files_downloaded"] = s.files_downloaded;
        d["bytes_downloaded"] = s.bytes_downloaded;
        d["last_check_age_seconds"] = s.last_check_age_seconds;
        d["last_error"] = s.last_error;
        return d;
      });
  auto publish_dict = [](const libsearch::PublishInfo& p) {
    py::dict d = CommitDict(p.commit);
    d["published"] = p.published;
    d["files_uploaded"] = p.files_uploaded;
    d["bytes_uploaded"] = p.bytes_uploaded;
    d["objects_removed"] = p.objects_removed;
    return d;
  };
  py::class_<RemoteWriter>(m, "RemoteWriter")
      .def_static(
          "open",
          [](const std::string& url, const std::string& cache_dir,
             std::optional<libsearch::Schema> schema,
             const std::vector<std::vector<std::string>>& synonyms, bool merge_on_commit,
             double gc_grace_seconds) {
            libsearch::RemoteWriterOptions o;
            o.cache_dir = cache_dir;
            o.schema = schema ? &*schema : nullptr;
            o.synonyms = synonyms;
            o.writer.merge_on_commit = merge_on_commit;
            o.gc_grace_seconds = gc_grace_seconds;
            return Unwrap(RemoteWriter::Open(url, o));
          },
          py::call_guard<py::gil_scoped_release>())
      .def("writer", &RemoteWriter::writer, py::return_value_policy::reference_internal)
      .def("applied",
           [](const RemoteWriter& self, const std::string& id) { return self.Applied(id); })
      .def("mark_applied",
           [](RemoteWriter& self, std::string id) { self.MarkApplied(std::move(id)); })
      .def("commit",
           [publish_dict](RemoteWriter& self) {
             libsearch::Result<libsearch::PublishInfo> r = [&] {
               py::gil_scoped_release release;
               return self.Commit();
             }();
             return publish_dict(Unwrap(std::move(r)));
           })
      .def("compact", [publish_dict](RemoteWriter& self) {
        libsearch::Result<libsearch::PublishInfo> r = [&] {
          py::gil_scoped_release release;
          return self.Compact();
        }();
        return publish_dict(Unwrap(std::move(r)));
      });
}

// The update function's handlers (updates.h): the index URL and the
// writer's working directory come from the caller's configuration.
void BindUpdates(py::module_& m) {
  auto options = [](const std::string& url, const std::string& cache_dir) {
    libsearch::UpdateOptions o;
    o.index_url = url;
    o.writer.cache_dir = cache_dir;
    return o;
  };
  m.def("handle_update_lambda_event",
        [options](const py::bytes& event, const std::string& url, const std::string& cache_dir) {
          std::string text = event;
          libsearch::LambdaReply r;
          {
            py::gil_scoped_release release;
            r = libsearch::HandleUpdateLambdaEvent(text, options(url, cache_dir));
          }
          return py::make_tuple(r.is_error, r.error_type, py::bytes(r.payload));
        });
  m.def("handle_rebuild_event", [](const py::bytes& event, const std::string& url,
                                   const std::string& cache_dir, const std::string& export_url) {
    std::string text = event;
    libsearch::RebuildOptions o;
    o.index_url = url;
    o.export_url = export_url;
    o.writer.cache_dir = cache_dir;
    libsearch::LambdaReply r;
    {
      py::gil_scoped_release release;
      r = libsearch::HandleRebuildEvent(text, o);
    }
    return py::make_tuple(r.is_error, r.error_type, py::bytes(r.payload));
  });
  m.def("handle_update_body", [options](const py::bytes& body, const std::string& key,
                                        const std::string& url, const std::string& cache_dir) {
    std::string text = body;
    py::gil_scoped_release release;
    return libsearch::HandleUpdateBody(text, key, options(url, cache_dir));
  });
}

void BindInfo(py::module_& m) {
  py::class_<libsearch::FieldInfo>(m, "FieldInfo")
      .def_readonly("name", &libsearch::FieldInfo::name)
      .def_property_readonly("type",
                             [](const libsearch::FieldInfo& f) {
                               return std::string(libsearch::FieldTypeName(f.type));
                             })
      .def_readonly("indexed", &libsearch::FieldInfo::indexed)
      .def_readonly("stored", &libsearch::FieldInfo::stored)
      .def_readonly("doc_count", &libsearch::FieldInfo::doc_count)
      .def_readonly("num_terms", &libsearch::FieldInfo::num_terms)
      .def_readonly("total_terms", &libsearch::FieldInfo::total_terms)
      .def_readonly("min_value", &libsearch::FieldInfo::min_value)
      .def_readonly("max_value", &libsearch::FieldInfo::max_value);
  py::class_<libsearch::SectionInfo>(m, "SectionInfo")
      .def_readonly("kind", &libsearch::SectionInfo::kind)
      .def_readonly("field", &libsearch::SectionInfo::field)
      .def_readonly("offset", &libsearch::SectionInfo::offset)
      .def_readonly("bytes", &libsearch::SectionInfo::bytes);
  py::class_<libsearch::SegmentInfo>(m, "SegmentInfo")
      .def_readonly("name", &libsearch::SegmentInfo::name)
      .def_readonly("docs", &libsearch::SegmentInfo::docs)
      .def_readonly("deleted", &libsearch::SegmentInfo::deleted)
      .def_readonly("updated", &libsearch::SegmentInfo::updated)
      .def_readonly("file_bytes", &libsearch::SegmentInfo::file_bytes);
  py::class_<libsearch::IndexInfo>(m, "IndexInfo")
      .def_readonly("path", &libsearch::IndexInfo::path)
      .def_readonly("generation", &libsearch::IndexInfo::generation)
      .def_readonly("segments", &libsearch::IndexInfo::segments)
      .def_readonly("format_major", &libsearch::IndexInfo::format_major)
      .def_readonly("format_minor", &libsearch::IndexInfo::format_minor)
      .def_readonly("num_docs", &libsearch::IndexInfo::num_docs)
      .def_readonly("file_bytes", &libsearch::IndexInfo::file_bytes)
      .def_readonly("id_field", &libsearch::IndexInfo::id_field)
      .def_readonly("fields", &libsearch::IndexInfo::fields)
      .def_readonly("sections", &libsearch::IndexInfo::sections);
}

// SearchRequest and its parts, field by field under their C++ names, each
// constructible with keywords (C++ defaults for the ones left out). Reading a
// list field (facets, sort, filters...) returns a copy: assign a whole list.
void BindRequest(py::module_& m) {
  using libsearch::FacetRequest;
  using libsearch::HighlightOptions;
  using libsearch::SearchRequest;
  using libsearch::SortField;
  using Range = FacetRequest::Range;
  py::enum_<libsearch::Operator>(m, "Operator")
      .value("AND", libsearch::Operator::kAnd)
      .value("OR", libsearch::Operator::kOr);
  py::enum_<libsearch::QuerySyntax>(m, "QuerySyntax")
      .value("SIMPLE", libsearch::QuerySyntax::kSimple)
      .value("FULL", libsearch::QuerySyntax::kFull);
  py::enum_<libsearch::FieldScoring>(m, "FieldScoring")
      .value("BM25F", libsearch::FieldScoring::kBm25f)
      .value("BM25F_COMBINED_LENGTH", libsearch::FieldScoring::kBm25fCombinedLength)
      .value("PER_FIELD", libsearch::FieldScoring::kPerField);

  const Range range;
  py::class_<Range>(m, "FacetRange")
      .def(py::init([](std::string label, double from, double to) {
             return Range{std::move(label), from, to};
           }),
           py::arg("label") = range.label, py::arg("from_") = range.from, py::arg("to") = range.to)
      .def_readwrite("label", &Range::label)
      .def_readwrite("from_", &Range::from)  // `from` is a Python keyword
      .def_readwrite("to", &Range::to);

  const FacetRequest facet;
  py::class_<FacetRequest>(m, "FacetRequest")
      .def(
          py::init([](std::string field, size_t size, std::vector<Range> ranges, bool disjunctive) {
            return FacetRequest{std::move(field), size, std::move(ranges), disjunctive};
          }),
          py::arg("field") = facet.field, py::arg("size") = facet.size,
          py::arg("ranges") = facet.ranges, py::arg("disjunctive") = facet.disjunctive)
      .def_readwrite("field", &FacetRequest::field)
      .def_readwrite("size", &FacetRequest::size)
      .def_readwrite("ranges", &FacetRequest::ranges)
      .def_readwrite("disjunctive", &FacetRequest::disjunctive);

  const SortField sort;
  py::class_<SortField>(m, "SortField")
      .def(py::init([](std::string field, bool descending) {
             return SortField{std::move(field), descending};
           }),
           py::arg("field") = sort.field, py::arg("descending") = sort.descending)
      .def_readwrite("field", &SortField::field)
      .def_readwrite("descending", &SortField::descending);

  const HighlightOptions highlight;
  py::class_<HighlightOptions>(m, "HighlightOptions")
      .def(py::init([](std::vector<std::string> fields, std::string pre_tag, std::string post_tag,
                       size_t fragment_bytes) {
             return HighlightOptions{std::move(fields), std::move(pre_tag), std::move(post_tag),
                                     fragment_bytes};
           }),
           py::arg("fields") = highlight.fields, py::arg("pre_tag") = highlight.pre_tag,
           py::arg("post_tag") = highlight.post_tag,
           py::arg("fragment_bytes") = highlight.fragment_bytes)
      .def_readwrite("fields", &HighlightOptions::fields)
      .def_readwrite("pre_tag", &HighlightOptions::pre_tag)
      .def_readwrite("post_tag", &HighlightOptions::post_tag)
      .def_readwrite("fragment_bytes", &HighlightOptions::fragment_bytes);

  py::class_<SearchRequest> request(m, "SearchRequest");
  request.def(py::init<>())
      .def_readwrite("query", &SearchRequest::query)
      .def_readwrite("k", &SearchRequest::k)
      .def_readwrite("offset", &SearchRequest::offset)
      .def_readwrite("filters", &SearchRequest::filters)
      .def_readwrite("prefix_last", &SearchRequest::prefix_last)
      .def_readwrite("typos", &SearchRequest::typos)
      .def_readwrite("suggest", &SearchRequest::suggest)
      .def_readwrite("max_expansions", &SearchRequest::max_expansions)
      .def_readwrite("syntax", &SearchRequest::syntax)
      .def_readwrite("field_scoring", &SearchRequest::field_scoring)
      .def_readwrite("synonyms", &SearchRequest::synonyms)
      .def_readwrite("fields", &SearchRequest::fields)
      .def_readwrite("default_operator", &SearchRequest::default_operator)
      .def_readwrite("include_docs", &SearchRequest::include_docs)
      .def_readwrite("retrieve", &SearchRequest::retrieve)
      .def_readwrite("include_ids", &SearchRequest::include_ids)
      .def_readwrite("total_hits_threshold", &SearchRequest::total_hits_threshold)
      .def_readwrite("facets", &SearchRequest::facets)
      .def_readwrite("sort", &SearchRequest::sort)
      .def_readwrite("highlight", &SearchRequest::highlight)
      .def_readwrite("search_after", &SearchRequest::search_after);
  // total_hits_threshold that counts every match.
  request.attr("EXACT_TOTAL") = SearchRequest::kExactTotal;

  // The spec syntax of the JSON model ("brands:5", "price:desc,_score").
  m.def("parse_facet_spec",
        [](const std::string& spec) { return Unwrap(libsearch::ParseFacetSpec(spec)); });
  m.def("parse_sort_spec",
        [](const std::string& spec) { return Unwrap(libsearch::ParseSortSpec(spec)); });
}

void BindSearch(py::module_& m) {
  m.def("error_reply", [](int status, const std::string& code, const std::string& message) {
    return Reply(libsearch::ErrorReply(status, code, message));
  });
  py::class_<libsearch::FacetValue>(m, "FacetValue")
      .def_readonly("value", &libsearch::FacetValue::value)
      .def_readonly("count", &libsearch::FacetValue::count);
  py::class_<libsearch::FacetResult>(m, "FacetResult")
      .def_readonly("field", &libsearch::FacetResult::field)
      .def_readonly("values", &libsearch::FacetResult::values);
  // Hits stay in C++ until asked for, one at a time.
  py::class_<Response>(m, "SearchResponse")
      .def_readonly("total", &Response::total)
      .def_readonly("total_exact", &Response::total_exact)
      .def_readonly("facets", &Response::facets)
      .def_readonly("next_cursor", &Response::next_cursor)
      .def_readonly("suggestion", &Response::suggestion)
      .def_readonly("took_us", &Response::took_us)
      .def("__len__", [](const Response& r) { return r.hits.size(); })
      .def("id", [](const Response& r, size_t i) { return HitAt(r, i).id; })
      .def("score", [](const Response& r, size_t i) { return HitAt(r, i).score; })
      .def("doc_number", [](const Response& r, size_t i) { return HitAt(r, i).doc; })
      .def("doc_json", [](const Response& r, size_t i) { return HitAt(r, i).doc_json; })
      .def("highlights", [](const Response& r, size_t i) { return HitAt(r, i).highlights; })
      .def("ids",
           [](const Response& r) {
             py::list out(r.hits.size());
             for (size_t i = 0; i < r.hits.size(); ++i) out[i] = r.hits[i].id;
             return out;
           })
      .def("scores", [](const Response& r) {
        py::list out(r.hits.size());
        for (size_t i = 0; i < r.hits.size(); ++i) out[i] = r.hits[i].score;
        return out;
      });

  // Shared: a replica hands out its snapshots as shared_ptr (remote.h).
  py::class_<libsearch::Index, std::shared_ptr<libsearch::Index>>(m, "Index")
      .def_static(
          "open",
          [](const std::string& path, const std::string& checksums, float k1, float b,
             size_t filter_cache_bytes) {
            libsearch::OpenOptions o;
            o.checksums = Unwrap(libsearch::ParseChecksumPolicy(checksums));
            o.bm25 = {k1, b};
            o.filter_cache_bytes = filter_cache_bytes;
            return std::shared_ptr<libsearch::Index>(Unwrap(libsearch::Index::Open(path, o)));
          },
          py::call_guard<py::gil_scoped_release>())
      .def_static(
          "open_sharded",
          [](const std::string& path, const std::string& checksums, float k1, float b,
             size_t filter_cache_bytes, size_t threads, const std::vector<uint32_t>& shards) {
            libsearch::OpenOptions o;
            o.checksums = Unwrap(libsearch::ParseChecksumPolicy(checksums));
            o.bm25 = {k1, b};
            o.filter_cache_bytes = filter_cache_bytes;
            o.shards = shards;
            libsearch::ShardedIndexOptions sharded;
            sharded.threads = threads;
            return std::shared_ptr<libsearch::Index>(
                Unwrap(libsearch::ShardedIndex::Open(path, o, sharded)));
          },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "reopen",
          [](const libsearch::Index& self) {
            return std::shared_ptr<libsearch::Index>(Unwrap(self.Reopen()));
          },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "search",
          [](const libsearch::Index& self, const libsearch::SearchRequest& request) {
            return std::make_unique<Response>(Unwrap(self.Search(request)));
          },
          py::call_guard<py::gil_scoped_release>())
      // The common case without building a SearchRequest object first.
      .def(
          "search_basic",
          [](const libsearch::Index& self, std::string query, size_t k, size_t offset,
             std::vector<std::string> fields, std::vector<std::string> filters,
             libsearch::Operator op, bool include_docs, std::optional<uint64_t> threshold) {
            return std::make_unique<Response>(Unwrap(
                self.Search(MakeBasicRequest(std::move(query), k, offset, std::move(fields),
                                             std::move(filters), op, include_docs, threshold))));
          },
          py::call_guard<py::gil_scoped_release>())
      // `request` with each query in turn. One entry per query: a
      // SearchResponse, or the exception (not raised) for a query that failed.
      .def("search_batch",
           [](const libsearch::Index& self, std::vector<std::string> queries,
              const libsearch::SearchRequest& request) {
             std::vector<libsearch::SearchRequest> requests(queries.size(), request);
             for (size_t i = 0; i < queries.size(); ++i) {
               requests[i].query = std::move(queries[i]);
             }
             std::vector<libsearch::Result<Response>> results;
             {
               py::gil_scoped_release release;
               results = self.SearchBatch(requests);
             }
             py::list out(results.size());
             for (size_t i = 0; i < results.size(); ++i) {
               if (results[i].ok()) {
                 out[i] = py::cast(std::move(*results[i]));
               } else {
                 const Status s = results[i].status();
                 out[i] = py::handle(ErrorClass(s.code()))(s.message());
               }
             }
             return out;
           })
      // The JSON model's handlers (libsearch/json.h, lambda_event.h): what the
      // Python Lambda handler and the Cloud Run function answer with.
      .def(
          "handle_json",
          [](const libsearch::Index& self, const py::bytes& body,
             std::optional<double> deadline_ms) {
            std::string text = body;
            py::gil_scoped_release release;
            return libsearch::HandleSearchJson(self, text, HandleOptionsFor(deadline_ms));
          },
          py::arg("body"), py::arg("deadline_ms") = py::none())
      .def(
          "handle_query_string",
          [](const libsearch::Index& self, const py::bytes& query,
             std::optional<double> deadline_ms) {
            std::string text = query;
            py::gil_scoped_release release;
            return libsearch::HandleSearchQueryString(self, text, HandleOptionsFor(deadline_ms));
          },
          py::arg("query"), py::arg("deadline_ms") = py::none())
      .def(
          "handle_lambda_event",
          [](const libsearch::Index& self, const py::bytes& event,
             std::optional<double> deadline_ms) {
            std::string text = event;
            libsearch::LambdaReply r;
            {
              py::gil_scoped_release release;
              r = libsearch::HandleLambdaEvent(self, text, HandleOptionsFor(deadline_ms));
            }
            return py::make_tuple(r.is_error, r.error_type, py::bytes(r.payload));
          },
          py::arg("event"), py::arg("deadline_ms") = py::none())
      .def(
          "explain",
          [](const libsearch::Index& self, const libsearch::SearchRequest& request) {
            return Unwrap(self.ExplainQuery(request));
          },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "document",
          [](const libsearch::Index& self, uint32_t doc) {
            return Unwrap(self.StoredDocument(doc));
          },
          py::call_guard<py::gil_scoped_release>())
      .def(
          "verify", [](const libsearch::Index& self) { Check(self.Verify()); },
          py::call_guard<py::gil_scoped_release>())
      .def("info", [](const libsearch::Index& self) { return Unwrap(self.Info()); })
      .def_property_readonly("num_docs", &libsearch::Index::num_docs)
      .def_property_readonly(
          "schema", [](const libsearch::Index& self) { return libsearch::Schema(self.schema()); });
}

// The C++ option defaults, so the facade's keyword defaults never disagree.
py::dict Defaults() {
  const libsearch::SearchRequest search;
  const libsearch::OpenOptions open;
  const libsearch::IndexBuilderOptions build;
  const libsearch::IngestOptions ingest;
  py::dict d;
  d["k"] = search.k;
  d["offset"] = search.offset;
  d["include_docs"] = search.include_docs;
  d["total_hits_threshold"] = search.total_hits_threshold;
  d["max_expansions"] = search.max_expansions;
  d["facet_size"] = libsearch::FacetRequest{}.size;
  d["pre_tag"] = search.highlight.pre_tag;
  d["post_tag"] = search.highlight.post_tag;
  d["fragment_bytes"] = search.highlight.fragment_bytes;
  d["checksums"] = libsearch::ChecksumPolicyName(open.checksums);
  d["bm25_k1"] = open.bm25.k1;
  d["bm25_b"] = open.bm25.b;
  d["filter_cache_bytes"] = open.filter_cache_bytes;
  d["build_bm25_k1"] = build.bm25.k1;
  d["build_bm25_b"] = build.bm25.b;
  d["docstore_zstd_level"] = build.docstore_zstd_level;
  d["docstore_block_bytes"] = build.docstore_block_bytes;
  d["skip_bad"] = ingest.skip_bad;
  d["allow_empty"] = build.allow_empty;
  d["threads"] = build.threads;
  d["max_error_messages"] = ingest.max_error_messages;
  d["merge_on_commit"] = libsearch::IndexWriterOptions{}.merge_on_commit;
  d["refresh_seconds"] = libsearch::ReplicaOptions{}.refresh_seconds;
  d["gc_grace_seconds"] = libsearch::RemoteWriterOptions{}.gc_grace_seconds;
  return d;
}

// The request log line (libsearch/request_log.h) of the Python surfaces.
void BindRequestLog(py::module_& m) {
  using libsearch::RequestLogger;
  const auto us = [](double took_us) {
    return std::chrono::microseconds(std::llround(std::max(took_us, 0.0)));
  };
  m.def("query_hash",
        [](const py::bytes& query) { return libsearch::QueryHash(std::string(query)); });
  py::class_<RequestLogger>(m, "RequestLogger")
      .def(py::init([](const std::string& surface, bool include_query) {
             return std::make_unique<RequestLogger>(
                 libsearch::RequestLogOptions{.surface = surface, .include_query = include_query});
           }),
           py::arg("surface"), py::arg("include_query") = false)
      .def("search_json",
           [us](RequestLogger& self, const py::bytes& body, int status, const std::string& reply,
                double took_us) {
             return self.SearchJson(std::string(body), {status, reply}, us(took_us));
           })
      .def("search_query_string",
           [us](RequestLogger& self, const py::bytes& query, int status, const std::string& reply,
                double took_us) {
             return self.SearchQueryString(std::string(query), {status, reply}, us(took_us));
           })
      .def("lambda_event",
           [us](RequestLogger& self, const py::bytes& event, bool is_error,
                const std::string& error_type, const py::bytes& payload, double took_us) {
             const libsearch::LambdaReply r{is_error, error_type, std::string(payload)};
             return self.LambdaEvent(std::string(event), r, us(took_us));
           })
      .def("refused", [us](RequestLogger& self, int status, double took_us) {
        return self.Refused(status, us(took_us));
      });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "libsearch C++ API (internal; import libsearch instead).";
  const py::tuple classes = py::module_::import("libsearch._errors").attr("BY_CODE");
  for (size_t i = 0; i < kNumCodes && i < classes.size(); ++i) {
    g_error_classes[i] = py::object(classes[i]).release().ptr();
  }
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const StatusError& e) {
      // A message may quote bytes that are not UTF-8 (a damaged file, a
      // bad input line): replaced, so the exception is still the library's.
      const std::string& message = e.status.message();
      PyObject* text =
          PyUnicode_DecodeUTF8(message.data(), static_cast<Py_ssize_t>(message.size()), "replace");
      if (text == nullptr) return;  // MemoryError is set.
      PyErr_SetObject(ErrorClass(e.status.code()), text);
      Py_DECREF(text);
    }
  });
  m.attr("__version__") = libsearch::Version();
  m.attr("DEFAULTS") = Defaults();
  const libsearch::JsonLimits limits;
  py::dict json_limits;
  json_limits["max_body_bytes"] = limits.max_body_bytes;
  json_limits["max_k"] = limits.max_k;
  json_limits["max_offset"] = limits.max_offset;
  json_limits["max_query_bytes"] = limits.max_query_bytes;
  m.attr("JSON_LIMITS") = json_limits;
  py::class_<libsearch::JsonReply>(m, "JsonReply")
      .def_readonly("status", &libsearch::JsonReply::status)
      .def_readonly("body", &libsearch::JsonReply::body);
  BindSchema(m);
  BindBuilder(m);
  libsearch_py::BindWriter(m);
  libsearch_py::BindFanOut(m);
  BindRemote(m);
  BindUpdates(m);
  BindInfo(m);
  BindRequest(m);
  BindSearch(m);
  BindRequestLog(m);
}
