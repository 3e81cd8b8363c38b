#include "index/term_dict.h"

#include <algorithm>
#include <cstring>

#include "util/coding.h"

namespace libsearch::internal {

uint64_t KeyPrefix(std::string_view key) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i)
    v = (v << 8) | (i < key.size() ? static_cast<uint8_t>(key[i]) : 0u);
  return v;
}

TermDictWriter::TermDictWriter(std::string* blocks, std::string* index, std::string* prefixes)
    : blocks_(blocks), index_(index), prefixes_(prefixes) {
  blocks->clear();
  index->clear();
  prefixes->clear();
}

void TermDictWriter::Add(std::string_view term) {
  size_t shared = 0;
  if (count_ % kTermsPerBlock == 0) {
    PutFixed64(index_, blocks_->size());
    PutFixed64(prefixes_, KeyPrefix(term));
  } else {
    const size_t limit = std::min(prev_.size(), term.size());
    while (shared < limit && prev_[shared] == term[shared]) ++shared;
  }
  PutVarint32(blocks_, static_cast<uint32_t>(shared));
  PutVarint32(blocks_, static_cast<uint32_t>(term.size() - shared));
  blocks_->append(term.substr(shared));
  prev_.assign(term);
  ++count_;
}

void TermDictWriter::Finish() { PutFixed64(index_, blocks_->size()); }

void WriteTermDict(const std::vector<std::string_view>& terms, std::string* blocks,
                   std::string* index, std::string* prefixes) {
  TermDictWriter writer(blocks, index, prefixes);
  for (std::string_view term : terms) writer.Add(term);
  writer.Finish();
}

Result<TermDictReader> TermDictReader::Open(std::string_view blocks, std::string_view index,
                                            std::string_view prefixes, uint64_t num_terms) {
  const uint64_t num_blocks = (num_terms + kTermsPerBlock - 1) / kTermsPerBlock;
  if (index.size() != 8 * (num_blocks + 1)) {
    return Status::Corruption("term index has " + std::to_string(index.size()) +
                              " bytes, expected " + std::to_string(8 * (num_blocks + 1)));
  }
  if (!prefixes.empty() && prefixes.size() != 8 * num_blocks) {
    return Status::Corruption("term key prefixes have " + std::to_string(prefixes.size()) +
                              " bytes, expected " + std::to_string(8 * num_blocks));
  }
  TermDictReader r;
  r.blocks_ = blocks;
  r.offsets_ = index.data();
  if (!prefixes.empty()) r.prefixes_ = prefixes.data();
  r.num_blocks_ = num_blocks;
  r.num_terms_ = num_terms;
  return r;
}

bool TermDictReader::BlockRange(uint64_t b, const char** begin, const char** end) const {
  // Offsets are checked on use rather than at open: opening must not touch
  // data proportional to the vocabulary.
  const uint64_t lo = DecodeFixed64(offsets_ + 8 * b);
  const uint64_t hi = DecodeFixed64(offsets_ + 8 * (b + 1));
  if (lo > hi || hi > blocks_.size()) return false;
  chunks_.Use(lo, hi);
  *begin = blocks_.data() + lo;
  *end = blocks_.data() + hi;
  return true;
}

std::string_view TermDictReader::BlockKey(uint64_t b) const {
  const char *p, *limit;
  if (!BlockRange(b, &p, &limit)) return {};
  uint32_t shared, len;
  p = GetVarint32(p, limit, &shared);
  if (p == nullptr) return {};
  p = GetVarint32(p, limit, &len);
  if (p == nullptr || len > static_cast<size_t>(limit - p)) return {};
  return {p, len};
}

// Front coding lets the scan compare only each term's new bytes, without
// building the terms: `m` is the length of the common prefix of the key and
// the previous term, which sorts below the key. A term sharing more than m
// bytes with the previous one agrees with it at byte m, so it sorts below
// the key too; one sharing fewer first differs from the previous term at a
// byte where that term equals the key, and is greater there, so it sorts
// above. (Shared lengths are maximal: WriteTermDict makes them so.)
uint32_t TermDictReader::ScanBlock(uint64_t b, std::string_view key, bool* exact) const {
  *exact = false;
  const uint64_t first = b * kTermsPerBlock;
  const char *p, *limit;
  if (!BlockRange(b, &p, &limit)) return static_cast<uint32_t>(first);
  const uint64_t count = std::min<uint64_t>(kTermsPerBlock, num_terms_ - first);
  size_t m = 0, prev_len = 0;
  for (uint64_t i = 0; i < count; ++i) {
    uint32_t shared, len;
    p = GetVarint32(p, limit, &shared);
    if (p == nullptr) break;
    p = GetVarint32(p, limit, &len);
    if (p == nullptr || len > static_cast<size_t>(limit - p) || shared > prev_len) break;
    const char* suffix = p;
    p += len;
    prev_len = shared + size_t{len};
    if (shared > m) continue;
    if (shared < m) return static_cast<uint32_t>(first + i);
    const size_t rest = key.size() - m;
    size_t j = 0;
    while (j < len && j < rest && suffix[j] == key[m + j]) ++j;
    if (j == len && j == rest) {
      *exact = true;
      return static_cast<uint32_t>(first + i);
    }
    if (j == rest || (j<len&& static_cast<uint8_t>(suffix[j])> static_cast<uint8_t>(key[m + j]))) {
      return static_cast<uint32_t>(first + i);
    }
    m += j;  // Below the key: a proper prefix of it, or smaller at byte m + j.
  }
  return static_cast<uint32_t>(first + count);
}

uint64_t TermDictReader::LastBlockAtMost(std::string_view key) const {
  // Blocks [lo, hi) are the candidates: all before lo have first key <= key.
  uint64_t lo = 0, hi = num_blocks_;
  if (prefixes_ != nullptr) {
    // Blocks whose prefix is below the key's start with a smaller key, those
    // above with a larger one: only ties need their keys decoded.
    const uint64_t kp = KeyPrefix(key);
    auto prefix = [&](uint64_t b) { return DecodeFixed64(prefixes_ + 8 * b); };
    uint64_t n = num_blocks_;  // lo = first block whose prefix is >= kp.
    while (n > 0) {
      const uint64_t half = n / 2;
      if (prefix(lo + half) < kp) {
        lo += half + 1;
        n -= half + 1;
      } else {
        n = half;
      }
    }
    // hi = first block whose prefix is > kp: usually lo itself; ties (long
    // shared starts, as in product codes) are galloped over.
    hi = lo;
    if (hi < num_blocks_ && prefix(hi) == kp) {
      uint64_t step = 1;
      while (hi + step < num_blocks_ && prefix(hi + step) == kp) {
        hi += step;
        step *= 2;
      }
      uint64_t end = std::min(hi + step, num_blocks_);  // prefix(hi) == kp; end is past the ties.
      while (end - hi > 1) {
        const uint64_t mid = hi + (end - hi) / 2;
        if (prefix(mid) == kp)
          hi = mid;
        else
          end = mid;
      }
      hi = end;
    }
  }
  while (lo < hi) {  // First block in [lo, hi) whose first key is > key.
    const uint64_t mid = lo + (hi - lo) / 2;
    if (BlockKey(mid) <= key)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo == 0 ? 0 : lo - 1;
}

uint32_t TermDictReader::LowerBound(std::string_view key) const {
  if (num_blocks_ == 0) return 0;
  bool exact;
  return ScanBlock(LastBlockAtMost(key), key, &exact);
}

std::optional<uint32_t> TermDictReader::Find(std::string_view term) const {
  if (num_blocks_ == 0) return std::nullopt;
  bool exact;
  const uint32_t ord = ScanBlock(LastBlockAtMost(term), term, &exact);
  if (!exact) return std::nullopt;
  return ord;
}

void TermDictReader::Prefetch(uint32_t ord) const {
  if (ord >= num_terms_) return;
  const uint64_t lo = DecodeFixed64(offsets_ + 8 * (ord / kTermsPerBlock));
  if (lo < blocks_.size()) __builtin_prefetch(blocks_.data() + lo);
}

bool TermDictReader::Term(uint32_t ord, std::string* out) const {
  const char *p, *limit;
  if (ord >= num_terms_ || !BlockRange(ord / kTermsPerBlock, &p, &limit)) return false;
  // Parse the entries up to `ord` without building the terms in between,
  // then fill the term from its own suffix backwards: each byte is copied
  // once, from the last entry that wrote it (ids come this way, per hit).
  const uint32_t last = ord % kTermsPerBlock;
  uint32_t shared[kTermsPerBlock], len[kTermsPerBlock];
  const char* suffix[kTermsPerBlock];
  size_t prev_len = 0;  // Length of the term before entry i.
  for (uint32_t i = 0; i <= last; ++i) {
    // Both lengths are almost always one byte.
    if (limit - p >= 2 && static_cast<uint8_t>(p[0]) < 0x80 && static_cast<uint8_t>(p[1]) < 0x80) {
      shared[i] = static_cast<uint8_t>(p[0]);
      len[i] = static_cast<uint8_t>(p[1]);
      p += 2;
    } else {
      p = GetVarint32(p, limit, &shared[i]);
      if (p != nullptr) p = GetVarint32(p, limit, &len[i]);
      if (p == nullptr) return false;
    }
    if (len[i] > static_cast<size_t>(limit - p) || shared[i] > prev_len) return false;
    suffix[i] = p;
    p += len[i];
    prev_len = size_t{shared[i]} + len[i];
  }
  out->resize(prev_len);
  size_t need = prev_len;  // Bytes [0, need) are still to fill.
  for (uint32_t i = last + 1; i-- > 0 && need > 0;) {
    if (shared[i] < need) {
      std::memcpy(out->data() + shared[i], suffix[i], need - shared[i]);
      need = shared[i];
    }
  }
  return true;
}

Status TermDictReader::Terms(uint32_t first, uint32_t count, std::vector<std::string>* out) const {
  if (static_cast<uint64_t>(first) + count > num_terms_) {
    return Status::InvalidArgument("term ordinal range out of bounds");
  }
  uint64_t ord = first - first % kTermsPerBlock;
  const uint64_t end = static_cast<uint64_t>(first) + count;
  std::string term;
  while (ord < end) {
    const uint64_t b = ord / kTermsPerBlock;
    const char *p, *limit;
    if (!BlockRange(b, &p, &limit)) {
      return Status::Corruption("term block " + std::to_string(b) + " has bad offsets");
    }
    const uint64_t block_end = std::min<uint64_t>((b + 1) * kTermsPerBlock, num_terms_);
    for (; ord < block_end && ord < end; ++ord) {
      uint32_t shared, len;
      p = GetVarint32(p, limit, &shared);
      if (p != nullptr) p = GetVarint32(p, limit, &len);
      if (p == nullptr || len > static_cast<size_t>(limit - p) || shared > term.size()) {
        return Status::Corruption("term block " + std::to_string(b) + " is malformed");
      }
      term.resize(shared);
      term.append(p, len);
      p += len;
      if (ord >= first) out->push_back(term);
    }
    ord = block_end;
  }
  return Status::Ok();
}

bool TermDictReader::Iterator::Decode() {
  uint32_t shared, len;
  const char* p = GetVarint32(p_, limit_, &shared);
  if (p != nullptr) p = GetVarint32(p, limit_, &len);
  if (p == nullptr || len > static_cast<size_t>(limit_ - p) || shared > term_.size()) {
    corrupt_ = true;
    return false;
  }
  term_.resize(shared);
  term_.append(p, len);
  p_ = p + len;
  shared_ = shared;
  return true;
}

bool TermDictReader::Iterator::Seek(uint32_t ord) {
  if (ord >= dict_->num_terms_) return false;
  const uint64_t b = ord / kTermsPerBlock;
  if (!dict_->BlockRange(b, &p_, &limit_)) {
    corrupt_ = true;
    return false;
  }
  term_.clear();
  for (ord_ = static_cast<uint32_t>(b * kTermsPerBlock);; ++ord_) {
    if (!Decode()) return false;
    if (ord_ == ord) break;
  }
  shared_ = 0;
  return true;
}

bool TermDictReader::Iterator::Next() {
  if (corrupt_ || ord_ + 1 >= dict_->num_terms_) return false;
  ++ord_;
  if (ord_ % kTermsPerBlock != 0) return Decode();
  // A block starts with a whole term; report what it shares with the last.
  previous_.swap(term_);  // Two buffers, no allocation once warm.
  if (!dict_->BlockRange(ord_ / kTermsPerBlock, &p_, &limit_)) {
    corrupt_ = true;
    return false;
  }
  term_.clear();
  if (!Decode()) return false;
  const size_t limit = std::min(previous_.size(), term_.size());
  size_t shared = 0;
  while (shared < limit && previous_[shared] == term_[shared]) ++shared;
  shared_ = shared;
  return true;
}

}  // namespace libsearch::internal
