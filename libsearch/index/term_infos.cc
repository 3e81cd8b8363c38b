#include "index/term_infos.h"

#include <algorithm>
#include <cstring>

#include "util/bitpack.h"
#include "util/coding.h"

namespace libsearch::internal {
namespace {

constexpr uint64_t kHeaderBytes = 16;  // u64 num_terms, u64 0.

uint64_t NumGroups(uint64_t num_terms) {
  return (num_terms + kTermsPerInfoGroup - 1) / kTermsPerInfoGroup;
}

// Block-array entries of a term with this doc_freq (one-block terms have none).
uint64_t BlockEntries(uint64_t doc_freq) {
  const uint64_t blocks = (doc_freq + kBlockSize - 1) / kBlockSize;
  return blocks >= 2 ? blocks : 0;
}

}  // namespace

TermInfoPacker::TermInfoPacker(uint64_t num_terms, std::string* out) : out_(out) {
  PutFixed64(out, num_terms);
  PutFixed64(out, 0);
  groups_at_ = out->size();
  out->append(NumGroups(num_terms) * sizeof(TermInfoGroup), '\0');
  pending_.reserve(kTermsPerInfoGroup);
}

Status TermInfoPacker::Add(const TermInfo& info) {
  pending_.push_back(info);
  return pending_.size() == kTermsPerInfoGroup ? FlushGroup() : Status::Ok();
}

Status TermInfoPacker::FlushGroup() {
  const size_t n = pending_.size();
  TermInfoGroup group{};
  group.postings_base = pending_[0].postings_offset;
  group.positions_base = pending_[0].positions_offset;
  group.data_offset = data_.size();
  if (entries_ > 0xffffffffull) return Status::ResourceExhausted("too many postings blocks");
  group.first_block = static_cast<uint32_t>(entries_);
  uint64_t code[kTermsPerInfoGroup], slot[kTermsPerInfoGroup], pos[kTermsPerInfoGroup];
  uint64_t max_code = 0, max_slot = 0, max_pos = 0;
  for (size_t k = 0; k < n; ++k) {
    const TermInfo& t = pending_[k];
    if (t.inline_tf != 0) {
      code[k] = (uint64_t{t.inline_tf} - 1) << 1 | 1;
      slot[k] = t.inline_doc;
    } else {
      if (t.doc_freq < 2 || t.postings_offset < group.postings_base) {
        return Status::Internal("term infos out of order");
      }
      code[k] = (uint64_t{t.doc_freq} - 2) << 1;
      slot[k] = t.postings_offset - group.postings_base;
    }
    if (t.positions_offset < group.positions_base) {
      return Status::Internal("term infos out of order");
    }
    pos[k] = t.positions_offset - group.positions_base;
    entries_ += BlockEntries(t.doc_freq);
    max_code = std::max(max_code, code[k]);
    max_slot = std::max(max_slot, slot[k]);
    max_pos = std::max(max_pos, pos[k]);
  }
  group.code_bits = static_cast<uint8_t>(BitWidth64(max_code));
  group.slot_bits = static_cast<uint8_t>(BitWidth64(max_slot));
  group.pos_bits = static_cast<uint8_t>(BitWidth64(max_pos));
  if (group.code_bits > kMaxBitsWidth || group.slot_bits > kMaxBitsWidth ||
      group.pos_bits > kMaxBitsWidth) {
    return Status::ResourceExhausted("a field's postings are too large for the term infos");
  }
  BitWriter bits(&data_);
  for (size_t k = 0; k < n; ++k) {
    bits.Put(code[k], group.code_bits);
    bits.Put(slot[k], group.slot_bits);
    bits.Put(pos[k], group.pos_bits);
  }
  bits.Finish();  // Each group starts on a byte.
  std::memcpy(out_->data() + groups_at_ + group_ * sizeof(TermInfoGroup), &group, sizeof(group));
  ++group_;
  pending_.clear();
  return Status::Ok();
}

Status TermInfoPacker::Finish() {
  if (!pending_.empty()) LIBSEARCH_RETURN_IF_ERROR(FlushGroup());
  if (entries_ > 0xffffffffull) return Status::ResourceExhausted("too many postings blocks");
  data_.append(8, '\0');  // Every record field is one 8-byte load.
  out_->append(data_);
  data_ = {};
  return Status::Ok();
}

Status WritePackedTermInfos(const std::vector<TermInfo>& infos, std::string* out) {
  TermInfoPacker packer(infos.size(), out);
  for (const TermInfo& info : infos) LIBSEARCH_RETURN_IF_ERROR(packer.Add(info));
  return packer.Finish();
}

Result<TermInfoTable> TermInfoTable::OpenPacked(std::string_view section) {
  if (section.size() < kHeaderBytes) return Status::Corruption("term infos too short");
  TermInfoTable t;
  t.num_terms_ = DecodeFixed64(section.data());
  const uint64_t groups_bytes = NumGroups(t.num_terms_) * sizeof(TermInfoGroup);
  if (t.num_terms_ > 0xffffffffull || DecodeFixed64(section.data() + 8) != 0 ||
      section.size() - kHeaderBytes < groups_bytes + 8) {
    return Status::Corruption("term infos header does not match the section size");
  }
  t.groups_ = section.data() + kHeaderBytes;
  t.data_ = t.groups_ + groups_bytes;
  t.data_size_ = section.size() - kHeaderBytes - groups_bytes;
  return t;
}

Result<TermInfoTable> TermInfoTable::OpenV1(std::string_view section) {
  if (section.size() % sizeof(TermInfoV1) != 0 ||
      section.size() / sizeof(TermInfoV1) > 0xffffffffull) {
    return Status::Corruption("term infos have a size that is not a whole number of entries");
  }
  TermInfoTable t;
  t.v1_ = section.data();
  t.num_terms_ = section.size() / sizeof(TermInfoV1);
  return t;
}

bool TermInfoTable::Locate(uint32_t ord, TermInfoGroup* group, uint64_t* bit,
                           uint32_t* width) const {
  const uint64_t group_at = kHeaderBytes + uint64_t{ord / kTermsPerInfoGroup} * sizeof *group;
  chunks_.Use(group_at, group_at + sizeof *group);
  std::memcpy(group, groups_ + uint64_t{ord / kTermsPerInfoGroup} * sizeof(TermInfoGroup),
              sizeof(TermInfoGroup));
  if (group->code_bits > kMaxBitsWidth || group->slot_bits > kMaxBitsWidth ||
      group->pos_bits > kMaxBitsWidth || group->data_offset >= data_size_) {
    return false;
  }
  *width = uint32_t{group->code_bits} + group->slot_bits + group->pos_bits;
  *bit = group->data_offset * 8 + uint64_t{ord % kTermsPerInfoGroup} * *width;
  // The last field's 8-byte load must stay inside the section.
  if ((*bit + *width) / 8 + 8 > data_size_) return false;
  // The group's records up to this one's (Get reads the earlier codes).
  const uint64_t data_at = static_cast<uint64_t>(data_ - groups_) + kHeaderBytes;
  chunks_.Use(data_at + group->data_offset, data_at + (*bit + *width) / 8 + 8);
  return true;
}

uint32_t TermInfoTable::DocFreq(uint32_t ord) const {
  if (v1_ != nullptr) {
    TermInfoV1 v;
    std::memcpy(&v, v1_ + uint64_t{ord} * sizeof(v), sizeof(v));
    return v.doc_freq;
  }
  TermInfoGroup g;
  uint64_t bit;
  uint32_t width;
  if (!Locate(ord, &g, &bit, &width)) return 0;
  const uint64_t code = ReadBits(data_, bit, g.code_bits);
  if (code & 1) return 1;
  return (code >> 1) + 2 < kNoMoreDocs ? static_cast<uint32_t>((code >> 1) + 2) : 0;
}

TermInfo TermInfoTable::Get(uint32_t ord) const {
  TermInfo t;
  if (v1_ != nullptr) {
    TermInfoV1 v;
    std::memcpy(&v, v1_ + uint64_t{ord} * sizeof(v), sizeof(v));
    t.doc_freq = v.doc_freq;
    t.first_block = v.first_block;  // Every 1.x term has block entries.
    t.postings_offset = v.postings_offset;
    t.positions_offset = v.positions_offset;
    t.corrupt = v.first_block == kNoBlockEntries;
    return t;
  }
  TermInfoGroup g;
  uint64_t bit;
  uint32_t width;
  t.corrupt = true;
  if (!Locate(ord, &g, &bit, &width)) return t;
  const uint64_t code = ReadBits(data_, bit, g.code_bits);
  const uint64_t slot = ReadBits(data_, bit + g.code_bits, g.slot_bits);
  const uint64_t pos = ReadBits(data_, bit + g.code_bits + g.slot_bits, g.pos_bits);
  if (pos > ~uint64_t{0} - g.positions_base) return t;
  t.positions_offset = g.positions_base + pos;
  if (code & 1) {  // Inline singleton.
    if ((code >> 1) >= 0xffffffffull || slot >= kNoMoreDocs) return t;
    t.doc_freq = 1;
    t.inline_tf = static_cast<uint32_t>((code >> 1) + 1);
    t.inline_doc = static_cast<uint32_t>(slot);
  } else {
    if ((code >> 1) + 2 >= kNoMoreDocs || slot > ~uint64_t{0} - g.postings_base) return t;
    t.doc_freq = static_cast<uint32_t>((code >> 1) + 2);
    t.postings_offset = g.postings_base + slot;
    if (BlockEntries(t.doc_freq) > 0) {
      // Entries of the group's earlier terms come first.
      uint64_t first = g.first_block;
      const uint64_t group_bit = bit - uint64_t{ord % kTermsPerInfoGroup} * width;
      for (uint32_t k = 0; k < ord % kTermsPerInfoGroup; ++k) {
        const uint64_t c = ReadBits(data_, group_bit + uint64_t{k} * width, g.code_bits);
        if (!(c & 1)) first += BlockEntries((c >> 1) + 2);
      }
      if (first >= kNoBlockEntries) return t;
      t.first_block = static_cast<uint32_t>(first);
    }
  }
  t.corrupt = false;
  return t;
}

}  // namespace libsearch::internal
