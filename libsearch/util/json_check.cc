#include "util/json_check.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#include "util/utf8.h"

namespace libsearch::internal {
namespace {

class Checker {
 public:
  explicit Checker(std::string_view s) : s_(s) {}

  bool Run() {
    SkipSpace();
    if (Peek() != '{') return false;
    std::vector<char> open;  // '{' or '[' per enclosing level.
    while (true) {
      // At the start of a value.
      const char c = Peek();
      if (c == '{' || c == '[') {
        ++i_;
        SkipSpace();
        if (Peek() == (c == '{' ? '}' : ']')) {
          ++i_;
        } else {
          open.push_back(c);
          if (c == '{' && !Key()) return false;
          continue;
        }
      } else if (!Scalar()) {
        return false;
      }
      // After a value: close levels until one continues with ','.
      while (true) {
        SkipSpace();
        if (open.empty()) return i_ == s_.size();
        const char close = open.back() == '{' ? '}' : ']';
        if (Peek() == close) {
          ++i_;
          open.pop_back();
          continue;
        }
        if (Peek() != ',') return false;
        ++i_;
        SkipSpace();
        if (open.back() == '{' && !Key()) return false;
        break;
      }
    }
  }

 private:
  char Peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }

  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }

  // "key" ':' and the space before the value.
  bool Key() {
    if (Peek() != '"' || !String()) return false;
    SkipSpace();
    if (Peek() != ':') return false;
    ++i_;
    SkipSpace();
    return true;
  }

  bool Scalar() {
    switch (Peek()) {
      case '"': return String();
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number();
    }
  }

  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }

  static bool IsHex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  // A "\\uXXXX" escape at i_: its code unit, and i_ past it; or -1.
  int Escape() {
    if (s_.substr(i_, 2) != "\\u" || i_ + 6 > s_.size()) return -1;
    int unit = 0;
    for (size_t k = i_ + 2; k < i_ + 6; ++k) {
      const char c = s_[k];
      if (!IsHex(c)) return -1;
      unit = unit * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    i_ += 6;
    return unit;
  }

  bool String() {
    ++i_;  // The opening quote.
    while (i_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        const char e = i_ + 1 < s_.size() ? s_[i_ + 1] : '\0';
        if (e == 'u') {
          // A surrogate only as a high + low pair, as JSON writers emit them.
          const int unit = Escape();
          if (unit < 0 || (unit >= 0xdc00 && unit <= 0xdfff)) return false;
          if (unit >= 0xd800 && unit <= 0xdbff) {
            const int low = Escape();
            if (low < 0xdc00 || low > 0xdfff) return false;
          }
        } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                   e == 'r' || e == 't') {
          i_ += 2;
        } else {
          return false;
        }
      } else if (c < 0x80) {
        ++i_;
      } else {
        const size_t len = Utf8SequenceLength(s_, i_);
        if (len == 0) return false;
        i_ += len;
      }
    }
    return false;
  }

  bool Digits() {
    const size_t start = i_;
    while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  bool Number() {
    if (Peek() == '-') ++i_;
    if (Peek() == '0') {
      ++i_;
    } else if (!Digits()) {
      return false;
    }
    if (Peek() == '.') {
      ++i_;
      if (!Digits()) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++i_;
      if (Peek() == '+' || Peek() == '-') ++i_;
      if (!Digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

bool IsJsonObject(std::string_view text) { return Checker(text).Run(); }

}  // namespace libsearch::internal
