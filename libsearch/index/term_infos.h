// Term infos of one field, by term ordinal: the 2.x packed layout (groups of
// 32 fixed-width bit-packed records, docs/format.md) or the 1.x array of
// 32-byte TermInfoV1. Either decodes to a TermInfo.
//
// A packed record costs a few bytes instead of 32, and a doc_freq-1 term
// (most of a catalogue's vocabulary, every id) keeps its doc and tf in the
// record, so it has no postings payload and no block-array entries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/chunk_checks.h"
#include "index/postings_format.h"
#include "libsearch/status.h"
#include "storage/format.h"

namespace libsearch::internal {

// Writes the kTermInfosPacked section one record at a time, holding one
// group: a build's field can have a record per id (818k of them at 40
// bytes each as TermInfo).
class TermInfoPacker {
 public:
  // Appends the section's header to *out, which must outlive the packer.
  TermInfoPacker(uint64_t num_terms, std::string* out);
  // The next record, in ordinal order, as WritePostings returned it. Fails
  // if an offset or count does not fit the layout.
  [[nodiscard]] Status Add(const TermInfo& info);
  // Completes the section. REQUIRES: num_terms records were added.
  [[nodiscard]] Status Finish();

 private:
  Status FlushGroup();

  std::string* out_;
  size_t groups_at_;
  uint64_t group_ = 0;    // The group being filled.
  uint64_t entries_ = 0;  // Block-array entries of the records before it.
  std::vector<TermInfo> pending_;
  std::string data_;
};

// Appends the kTermInfosPacked section for `infos` (in ordinal order, as
// WritePostings returned them) to *out. Fails if an offset or count does
// not fit the layout.
Status WritePackedTermInfos(const std::vector<TermInfo>& infos, std::string* out);

// Thread-safety: immutable; safe from any thread.
class TermInfoTable {
 public:
  TermInfoTable() = default;
  // Checks the header and the group array's size; records are checked
  // lazily on each read (opening must not touch the whole vocabulary).
  static Result<TermInfoTable> OpenPacked(std::string_view section);
  static Result<TermInfoTable> OpenV1(std::string_view section);

  uint64_t num_terms() const { return num_terms_; }
  // REQUIRES: ord < num_terms(). A damaged record gives `corrupt` set (and
  // doc_freq 0), which makes a cursor over it fail.
  TermInfo Get(uint32_t ord) const;
  // Cheaper than Get for expansions: 0 if the record is damaged.
  uint32_t DocFreq(uint32_t ord) const;
  // First-use checks by chunk (2.x): each read checks its group and the
  // group's records up to its own.
  void set_chunks(ChunkGuard chunks) { chunks_ = chunks; }

 private:
  // The group of `ord`, the bit offset of its record and the record width;
  // false if the group is damaged.
  bool Locate(uint32_t ord, TermInfoGroup* group, uint64_t* bit, uint32_t* width) const;

  ChunkGuard chunks_;
  const char* v1_ = nullptr;      // 1.x: TermInfoV1[num_terms_].
  const char* groups_ = nullptr;  // 2.x: TermInfoGroup[num groups].
  const char* data_ = nullptr;    // 2.x: records + 8 zero bytes.
  uint64_t data_size_ = 0;
  uint64_t num_terms_ = 0;
};

}  // namespace libsearch::internal
