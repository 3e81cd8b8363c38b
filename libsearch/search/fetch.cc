// Stage 4: the page's ids and stored documents, then (after highlighting,
// which reads the whole stored document) the documents as the request
// returns them, and the next-page cursor.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "search/index_impl.h"

namespace libsearch::internal {
namespace {

// The stored object with only the `retrieve` fields, in stored order.
std::string Retrieve(const SearchRequest& req, const std::string& doc_json) {
  const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(doc_json, nullptr, false);
  if (!doc.is_object()) return doc_json;
  nlohmann::ordered_json kept = nlohmann::ordered_json::object();
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (std::find(req.retrieve.begin(), req.retrieve.end(), it.key()) != req.retrieve.end()) {
      kept[it.key()] = it.value();
    }
  }
  return kept.dump();
}

}  // namespace

Result<std::vector<std::string>> IndexImpl::FetchStored(const SearchRequest& req,
                                                        SearchResponse* resp) const {
  if (req.include_ids) {
    std::vector<uint32_t> docs;
    for (const Hit& hit : resp->hits) docs.push_back(hit.doc);
    std::vector<std::string> ids = reader_->DocIds(docs);
    for (size_t i = 0; i < ids.size(); ++i) resp->hits[i].id = std::move(ids[i]);
  }
  std::vector<std::string> stored(resp->hits.size());
  if (!req.include_docs && req.highlight.fields.empty()) return stored;
  for (size_t i = 0; i < resp->hits.size(); ++i) {
    auto doc = reader_->StoredDocument(resp->hits[i].doc);
    if (!doc.ok()) return doc.status().WithContext("index '" + reader_->path() + "'");
    stored[i] = std::move(*doc);
  }
  return stored;
}

void IndexImpl::FillDocuments(const SearchRequest& req, std::vector<std::string> stored,
                              SearchResponse* resp) const {
  if (req.include_docs) {
    for (size_t i = 0; i < resp->hits.size(); ++i) {
      resp->hits[i].doc_json =
          req.retrieve.empty() ? std::move(stored[i]) : Retrieve(req, stored[i]);
    }
  }
  if (!resp->hits.empty()) {
    resp->next_cursor = HitOrder::Cursor(resp->hits.back().doc, resp->hits.back().score);
  }
}

}  // namespace libsearch::internal
