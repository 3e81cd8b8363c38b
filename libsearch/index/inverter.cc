#include "index/inverter.h"

#include "util/small_float.h"

namespace libsearch::internal {
namespace {

// Gap between values of a multi-valued text field, so phrases never match
// across two values (Lucene's position increment gap).
constexpr uint32_t kValuePositionGap = 100;

}  // namespace

Status Inverter::Init(const Schema& schema, bool surface_words, InvertedFields which) {
  schema_ = &schema;
  which_ = which;
  fields_.resize(schema.fields().size());
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    const FieldSpec& spec = schema.fields()[i];
    if (spec.type != FieldType::kText) continue;
    analysis::AnalyzerOptions ao;
    ao.language = spec.language;
    ao.stopwords = spec.stopwords;
    ao.fold_accents = spec.fold_accents;
    ao.split_codes = spec.split_codes;
    ao.keep_surface = surface_words;
    auto analyzer = analysis::Analyzer::Create(ao);
    if (!analyzer.ok()) return analyzer.status().WithContext("field '" + spec.name + "'");
    fields_[i].analyzer = std::move(*analyzer);
    fields_[i].text = true;
    fields_[i].surface = surface_words;
    fields_[i].prefix_chars = spec.index_prefixes;
  }
  for (size_t i = 0; i < schema.fields().size(); ++i) {
    const FieldSpec& spec = schema.fields()[i];
    if (spec.name == schema.id_field()) {
      id_field_ = i;
      fields_[i].unique_ids = true;
    }
    fields_[i].keep_ords =
        spec.type == FieldType::kKeyword && spec.indexed && spec.name != schema.id_field();
  }
  return Status::Ok();
}

void Inverter::Add(const ParsedDocument& parsed, uint32_t doc) {
  for (size_t f = 0; f < fields_.size(); ++f) {
    const FieldSpec& spec = schema_->fields()[f];
    if (!Inverts(spec)) continue;
    if (spec.type == FieldType::kInt || spec.type == FieldType::kFloat) {
      AddNumeric(&fields_[f], spec, parsed.values[f], doc);
      continue;
    }
    if (!spec.indexed) continue;
    IndexField(&fields_[f], parsed.values[f], doc);
  }
}

void Inverter::AddNumeric(FieldAccum* fa, const FieldSpec& spec, const FieldValue& value,
                          uint32_t doc) {
  if ((doc >> 6) >= fa->present.size()) fa->present.push_back(0);
  uint64_t raw = 0;
  if (value.present) {
    fa->present[doc >> 6] |= uint64_t{1} << (doc & 63);
    if (spec.type == FieldType::kFloat) {
      std::memcpy(&raw, &value.number, 8);
    } else {
      std::memcpy(&raw, &value.integer, 8);
    }
  }
  fa->values.push_back(raw);
}

// Appends each token's position to its term as the tokens come, with no
// per-doc sort: the analyzer emits positions in non-decreasing order, so each
// term's positions come out sorted; then the doc and its tf go to each of the
// doc's terms (tests/index/term_infos_test.cc checks this against
// analyse + group + sort).
void Inverter::IndexField(FieldAccum* fa, const FieldValue& value, uint32_t doc) {
  doc_terms_.clear();
  const bool text = fa->text;
  uint32_t length = 0;
  auto intern = [fa](std::string_view term, uint64_t hash) {
    bool inserted;
    const uint32_t id = fa->term_ids.Insert(term, hash, &inserted);
    if (inserted) fa->terms.emplace_back();
    return id;
  };
  auto add = [&](uint32_t id, uint32_t position) {
    TermAccum& acc = fa->terms[id];
    if (acc.last_doc != doc) {
      acc.last_doc = doc;
      acc.doc_tf = 0;
      acc.last_position = 0;
      doc_terms_.push_back(id);
    } else if (!text) {
      return;  // Keyword: each distinct value once, tf 1.
    }
    ++acc.doc_tf;
    if (text) acc.AddPosition(position);
  };
  if (text) {
    uint32_t next_position = 0;
    for (const std::string& s : value.strings) {
      tokens_.clear();
      fa->analyzer->Analyze(s, &tokens_, next_position);
      // Term ids first, then the accumulators, each looking kAhead tokens
      // ahead, so that the cache misses of several tokens overlap.
      const size_t n = tokens_.size();
      hashes_.resize(n);
      ids_.resize(n);
      for (size_t i = 0; i < n; ++i) hashes_[i] = TermTable::Hash(tokens_[i].term);
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) fa->term_ids.Prefetch(hashes_[i + kAhead]);
        ids_[i] = intern(tokens_[i].term, hashes_[i]);
      }
      for (size_t i = 0; i < n; ++i) {
        if (i + kAhead < n) __builtin_prefetch(&fa->terms[ids_[i + kAhead]]);
        add(ids_[i], tokens_[i].position);
        if (fa->surface) AddSurface(fa, tokens_[i], ids_[i], doc);
        length += !tokens_[i].joined;  // Joined code words overlap their parts.
      }
      if (!tokens_.empty()) next_position = tokens_.back().position + kValuePositionGap;
    }
    if (fa->norms.size() < doc) fa->norms.resize(doc, 0);
    fa->norms.push_back(LengthToNorm(length));
  } else if (fa->unique_ids) {
    for (const std::string& s : value.strings) {
      bool inserted;
      fa->term_ids.Insert(s, TermTable::Hash(s), &inserted);
      if (inserted) fa->id_docs.push_back(doc);
    }
    if (value.strings.empty()) return;
    ++fa->doc_count;
    fa->sum_total_tf += value.strings.size();
    return;
  } else {
    for (const std::string& s : value.strings) add(intern(s, TermTable::Hash(s)), 0);
    length = static_cast<uint32_t>(doc_terms_.size());  // The number of distinct values.
    if (fa->keep_ords) {                                // Sorted into ordinals when written.
      fa->doc_terms.insert(fa->doc_terms.end(), doc_terms_.begin(), doc_terms_.end());
      fa->doc_offsets.push_back(static_cast<uint32_t>(fa->doc_terms.size()));
    }
  }
  if (doc_terms_.empty()) return;
  ++fa->doc_count;
  fa->sum_total_tf += length;
  for (uint32_t id : doc_terms_) {
    TermAccum& acc = fa->terms[id];
    acc.EndDoc();
    if (fa->prefix_chars > 0) AddPrefixes(fa, fa->term_ids.Term(id), acc.doc_tf, doc);
  }
}

void Inverter::AddSurface(FieldAccum* fa, const analysis::Token& token, uint32_t term_id,
                          uint32_t doc) {
  bool inserted;
  const uint32_t id =
      fa->surface_ids.Insert(token.surface, TermTable::Hash(token.surface), &inserted);
  if (inserted) fa->surfaces.push_back({term_id, 0xffffffffu, 0, doc});
  SurfaceAccum& acc = fa->surfaces[id];
  if (acc.last_doc != doc) {
    acc.last_doc = doc;
    ++acc.doc_freq;
  }
}

// Adds `tf` to the doc's tf for each of the first 1..prefix_chars code
// points of `term` (the whole term counts as its own prefix).
void Inverter::AddPrefixes(FieldAccum* fa, std::string_view term, uint32_t tf, uint32_t doc) {
  size_t end = 0;
  for (uint32_t chars = 0; chars < fa->prefix_chars && end < term.size(); ++chars) {
    ++end;  // Past the lead byte, then its continuation bytes.
    while (end < term.size() && (static_cast<unsigned char>(term[end]) & 0xc0) == 0x80) ++end;
    bool inserted;
    const std::string_view prefix = term.substr(0, end);
    const uint32_t id = fa->prefix_ids.Insert(prefix, TermTable::Hash(prefix), &inserted);
    if (inserted) fa->prefix_terms.emplace_back();
    TermAccum& acc = fa->prefix_terms[id];
    if (acc.last_doc != doc) {  // The previous doc is complete.
      if (acc.last_doc != acc.prev_doc) acc.EndDoc();
      acc.last_doc = doc;
      acc.doc_tf = 0;
    }
    acc.doc_tf += tf;
  }
}

namespace {

// A varint the inverter wrote itself (ByteVec::PutVarint): no bounds.
const uint8_t* DecodeVarint(const uint8_t* p, uint32_t* v) {
  uint32_t result = 0;
  for (uint32_t shift = 0;; shift += 7) {
    const uint32_t byte = *p++;
    result |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  *v = result;
  return p;
}

// Decodes `acc`'s postings into `out`, ending its pending doc first.
void Decode(TermAccum* acc, DecodedPostings* out) {
  if (acc->last_doc != acc->prev_doc) acc->EndDoc();
  out->docs.resize(acc->doc_freq);
  out->tfs.resize(acc->doc_freq);
  const uint8_t* p = acc->docs.data();
  uint32_t doc = TermAccum::kNoDoc;
  uint64_t occurrences = 0;
  for (uint32_t i = 0; i < acc->doc_freq; ++i) {
    uint32_t gap, tf;
    p = DecodeVarint(p, &gap);
    p = DecodeVarint(p, &tf);
    doc += gap + 1;
    out->docs[i] = doc;
    out->tfs[i] = tf;
    occurrences += tf;
  }
  out->positions.clear();
  if (acc->positions.empty()) return;
  out->positions.resize(occurrences);
  p = acc->positions.data();
  size_t k = 0;
  for (uint32_t i = 0; i < acc->doc_freq; ++i) {
    uint32_t position = 0;
    for (uint32_t n = 0; n < out->tfs[i]; ++n) {
      uint32_t gap;
      p = DecodeVarint(p, &gap);
      position += gap;
      out->positions[k++] = position;
    }
  }
}

// Merges `b` into `a`; their docs are disjoint. Copies runs of docs from
// one side at a time: the lists of a parallel build interleave by slices
// of a batch.
void MergeDecoded(DecodedPostings* a, const DecodedPostings& b, DecodedPostings* scratch) {
  if (a->docs.empty()) {
    *a = b;
    return;
  }
  DecodedPostings& out = *scratch;
  out.docs.clear();
  out.tfs.clear();
  out.positions.clear();
  const bool positions = !a->positions.empty();
  size_t i = 0, j = 0, pi = 0, pj = 0;
  while (i < a->docs.size() || j < b.docs.size()) {
    const bool take_a = j == b.docs.size() || (i < a->docs.size() && a->docs[i] < b.docs[j]);
    const DecodedPostings& src = take_a ? *a : b;
    const DecodedPostings& other = take_a ? b : *a;
    size_t& k = take_a ? i : j;
    size_t& p = take_a ? pi : pj;
    const size_t other_k = take_a ? j : i;
    const uint32_t limit = other_k < other.docs.size() ? other.docs[other_k] : 0xffffffffu;
    size_t end = k, run_positions = 0;
    while (end < src.docs.size() && src.docs[end] < limit) run_positions += src.tfs[end++];
    out.docs.insert(out.docs.end(), src.docs.begin() + k, src.docs.begin() + end);
    out.tfs.insert(out.tfs.end(), src.tfs.begin() + k, src.tfs.begin() + end);
    if (positions) {
      out.positions.insert(out.positions.end(), src.positions.begin() + p,
                           src.positions.begin() + p + run_positions);
      p += run_positions;
    }
    k = end;
  }
  std::swap(*a, out);
}

// Interns every term of `from_ids` in `into_ids`: a new term takes `from`'s
// lists, a known one chains them (TermAccum::more) for the writer to merge.
// Returns each of `from`'s term ids' id in `into`.
std::vector<uint32_t> MergeTerms(FieldAccum* into, TermTable* into_ids,
                                 std::vector<TermAccum>* into_terms, TermTable* from_ids,
                                 std::vector<TermAccum>* from) {
  std::vector<uint32_t> id_map(from->size());
  for (uint32_t t = 0; t < from->size(); ++t) {
    const std::string_view term = from_ids->Term(t);
    bool inserted;
    const uint32_t id = into_ids->Insert(term, TermTable::Hash(term), &inserted);
    id_map[t] = id;
    if (inserted) {
      into_terms->push_back(std::move((*from)[t]));
      continue;
    }
    TermAccum* last = &(*into_terms)[id];
    while (last->more != nullptr) last = last->more;
    last->more = &(*from)[t];
  }
  *from_ids = TermTable();
  into->merged_from.push_back(std::move(*from));  // Keeps the chained lists where they are.
  return id_map;
}

}  // namespace

void TakeMerged(TermAccum* acc, DecodedPostings* out) {
  Decode(acc, out);
  if (acc->more != nullptr) {
    DecodedPostings more_postings, scratch;
    for (TermAccum* more = acc->more; more != nullptr;) {
      Decode(more, &more_postings);
      MergeDecoded(out, more_postings, &scratch);
      TermAccum* next = more->more;
      *more = TermAccum();
      more = next;
    }
  }
  *acc = TermAccum();
}

void Inverter::MergeTextFieldsFrom(Inverter* other) {
  for (size_t f = 0; f < fields_.size(); ++f) {
    FieldAccum& from = other->fields_[f];
    if (!from.text) continue;
    FieldAccum& into = fields_[f];
    if (into.terms.empty() && into.norms.empty()) {  // Nothing here yet: take it whole.
      into = std::move(from);
      from = FieldAccum();
      continue;
    }
    const std::vector<uint32_t> id_map =
        MergeTerms(&into, &into.term_ids, &into.terms, &from.term_ids, &from.terms);
    MergeTerms(&into, &into.prefix_ids, &into.prefix_terms, &from.prefix_ids, &from.prefix_terms);
    // Each doc's norm comes from the one inverter that had it; the other
    // holds 0 there (norms are padded with 0 up to the doc).
    if (into.norms.size() < from.norms.size()) into.norms.resize(from.norms.size(), 0);
    for (size_t d = 0; d < from.norms.size(); ++d) into.norms[d] |= from.norms[d];
    into.doc_count += from.doc_count;
    into.sum_total_tf += from.sum_total_tf;
    for (uint32_t s = 0; s < from.surfaces.size(); ++s) {
      const std::string_view word = from.surface_ids.Term(s);
      const SurfaceAccum& fs = from.surfaces[s];
      bool inserted;
      const uint32_t id = into.surface_ids.Insert(word, TermTable::Hash(word), &inserted);
      if (inserted) {
        into.surfaces.push_back({id_map[fs.term_id], 0xffffffffu, fs.doc_freq, fs.first_doc});
        continue;
      }
      SurfaceAccum& is = into.surfaces[id];
      is.doc_freq += fs.doc_freq;  // Disjoint docs.
      if (fs.first_doc < is.first_doc) {
        is.first_doc = fs.first_doc;
        is.term_id = id_map[fs.term_id];
      }
    }
    from = FieldAccum();
  }
}

}  // namespace libsearch::internal
