#include "index/chunk_checks.h"

#include <bit>
#include <cstring>

#include "util/coding.h"
#include "util/hash.h"

namespace libsearch::internal {

void ChunkedSectionChecks::Check(uint64_t chunk) const {
  const uint64_t begin = chunk << shift_;
  const uint64_t n = std::min<uint64_t>(uint64_t{1} << shift_, length_ - begin);
  file_->WillReadAll(offset_ + begin, n);
  if (Checksum64(file_->data().data() + offset_ + begin, n) == DecodeFixed64(sums_ + 8 * chunk)) {
    checked_[chunk].store(true, std::memory_order_release);
    return;
  }
  // Never marked: each later use comes back here and finds the damage.
  int64_t none = -1;
  damaged_->compare_exchange_strong(none, section_);
}

Result<std::unique_ptr<ChunkChecks>> ChunkChecks::Open(std::string_view table,
                                                       const std::vector<SectionEntry>& sections,
                                                       const MappedFile* file,
                                                       std::atomic<int64_t>* damaged) {
  auto bad = [](const std::string& why) { return Status::Corruption("chunk_checksums: " + why); };
  ChunkTableHeader h;
  if (table.size() < sizeof h) return bad("too short");
  std::memcpy(&h, table.data(), sizeof h);
  if (!std::has_single_bit(h.chunk_bytes) || h.chunk_bytes < 4096 ||
      h.num_sections > sections.size() ||
      sizeof h + uint64_t{h.num_sections} * sizeof(ChunkedSection) > table.size()) {
    return bad("bad header");
  }
  const uint32_t shift = static_cast<uint32_t>(std::countr_zero(h.chunk_bytes));
  const char* sums = table.data() + sizeof h + uint64_t{h.num_sections} * sizeof(ChunkedSection);
  const uint64_t num_sums = (table.size() - (sums - table.data())) / 8;
  if ((table.size() - (sums - table.data())) % 8 != 0) return bad("bad size");
  auto checks = std::make_unique<ChunkChecks>();
  checks->by_section_.assign(sections.size(), nullptr);
  uint64_t next = 0;  // Each section's checksums follow the previous one's.
  for (uint32_t s = 0; s < h.num_sections; ++s) {
    ChunkedSection cs;
    std::memcpy(&cs, table.data() + sizeof h + s * sizeof cs, sizeof cs);
    uint32_t i = 0;
    while (i < sections.size() && (sections[i].kind != cs.kind || sections[i].field != cs.field)) {
      ++i;
    }
    if (i == sections.size() || checks->by_section_[i] != nullptr || cs.first != next) {
      return bad("entry " + std::to_string(s) + " names no section, or out of order");
    }
    const SectionEntry& e = sections[i];
    const uint64_t chunks = (e.length + h.chunk_bytes - 1) >> shift;
    if (chunks > num_sums - next) return bad("too few checksums");
    auto c = std::make_unique<ChunkedSectionChecks>();
    c->file_ = file;
    c->offset_ = e.offset;
    c->length_ = e.length;
    c->shift_ = shift;
    c->sums_ = sums + 8 * next;
    c->section_ = i;
    c->damaged_ = damaged;
    c->checked_.reset(new std::atomic<bool>[chunks]);
    for (uint64_t k = 0; k < chunks; ++k) c->checked_[k].store(false, std::memory_order_relaxed);
    next += chunks;
    checks->by_section_[i] = c.get();
    checks->sections_.push_back(std::move(c));
  }
  if (next != num_sums) return bad("too many checksums");
  return checks;
}

int64_t ChunkChecks::CheckAll() const {
  for (const auto& s : sections_) {
    s->Use(0, s->length_);
    if (s->damaged_->load(std::memory_order_acquire) >= 0) return s->damaged_->load();
  }
  return -1;
}

void ChunkChecks::AdoptFrom(const ChunkChecks& other) {
  if (other.sections_.size() != sections_.size()) return;
  for (size_t s = 0; s < sections_.size(); ++s) {
    ChunkedSectionChecks& mine = *sections_[s];
    const ChunkedSectionChecks& theirs = *other.sections_[s];
    if (mine.length_ != theirs.length_ || mine.offset_ != theirs.offset_) continue;
    const uint64_t chunks = (mine.length_ + (uint64_t{1} << mine.shift_) - 1) >> mine.shift_;
    for (uint64_t k = 0; k < chunks; ++k) {
      if (theirs.checked_[k].load(std::memory_order_acquire)) {
        mine.checked_[k].store(true, std::memory_order_release);
      }
    }
  }
}

}  // namespace libsearch::internal
