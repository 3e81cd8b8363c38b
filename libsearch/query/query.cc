#include "query/query.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace libsearch::internal {
namespace {

std::string FormatBoost(float boost) {
  if (boost == 1.0f) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "^%g", static_cast<double>(boost));
  return buf;
}

// ------------------------------------------------------------------- Lexer

enum class Tok {
  kWord,
  kPhrase,
  kLParen,
  kRParen,
  kPlus,
  kMinus,
  kOr,
  kAnd,
  kNot,
  kField,
  kNumeric,
  kEnd
};

struct Token {
  Tok kind;
  // Word, phrase body, field name, or an operator as written (read as a
  // word when the simple syntax demotes it).
  std::string text;
  size_t pos;  // Byte offset in the query, for error messages.
};

bool IsOperator(Tok t) {
  return t == Tok::kPlus || t == Tok::kMinus || t == Tok::kOr || t == Tok::kAnd || t == Tok::kNot;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsBreak(char c) { return IsSpace(c) || c == '(' || c == ')' || c == '"'; }

bool LooksLikeFieldName(std::string_view s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_')) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

Status QueryError(size_t pos, const std::string& msg) {
  return Status::InvalidArgument("query position " + std::to_string(pos) + ": " + msg);
}

// num:5, num:[lo TO hi], num:{lo TO hi}, num:>=x, num:>x, num:<=x, num:<x.
Result<std::unique_ptr<Query>> ParseNumeric(uint32_t field, const FieldSpec& spec,
                                            std::string_view t, size_t pos) {
  auto q = std::make_unique<Query>();
  q->kind = Query::Kind::kRange;
  q->field = field;
  constexpr double kInf = std::numeric_limits<double>::infinity();
  auto number = [&](std::string_view text, double open_value) -> Result<double> {
    if (text == "*") return open_value;
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || std::isnan(v)) {
      std::string msg = "'";
      msg.append(text).append("' is not a number (field '").append(spec.name);
      msg.append("' has type ").append(FieldTypeName(spec.type)).append(")");
      return QueryError(pos, msg);
    }
    return v;
  };
  if (!t.empty() && (t[0] == '[' || t[0] == '{')) {
    const char close = t.back();
    if (close != ']' && close != '}') return QueryError(pos, "range must end with ']' or '}'");
    std::string_view body = t.substr(1, t.size() - 2);
    const size_t to = body.find(" TO ");
    if (to == std::string_view::npos) {
      return QueryError(pos, "a range is written [low TO high] (use * for an open end)");
    }
    auto trim = [](std::string_view v) {
      while (!v.empty() && IsSpace(v.front())) v.remove_prefix(1);
      while (!v.empty() && IsSpace(v.back())) v.remove_suffix(1);
      return v;
    };
    LIBSEARCH_ASSIGN_OR_RETURN(q->lo, number(trim(body.substr(0, to)), -kInf));
    LIBSEARCH_ASSIGN_OR_RETURN(q->hi, number(trim(body.substr(to + 4)), kInf));
    q->lo_inclusive = t[0] == '[';
    q->hi_inclusive = close == ']';
    return q;
  }
  double v;
  if (t.rfind(">=", 0) == 0 || t.rfind("<=", 0) == 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(v, number(t.substr(2), kInf));
    (t[0] == '>' ? q->lo : q->hi) = v;
    (t[0] == '>' ? q->hi : q->lo) = t[0] == '>' ? kInf : -kInf;
  } else if (!t.empty() && (t[0] == '>' || t[0] == '<')) {
    LIBSEARCH_ASSIGN_OR_RETURN(v, number(t.substr(1), kInf));
    if (t[0] == '>') {
      q->lo = v;
      q->lo_inclusive = false;
      q->hi = kInf;
    } else {
      q->hi = v;
      q->hi_inclusive = false;
      q->lo = -kInf;
    }
  } else {
    LIBSEARCH_ASSIGN_OR_RETURN(v, number(t, kInf));
    q->lo = q->hi = v;
  }
  return q;
}

// The number of '"' in `s`.
size_t CountQuotes(std::string_view s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '"'));
}

// Simple syntax: a ')' with no '(' before it, and a '(' never closed, are
// left out (both are mostly typing slips, "alpha (+)- thal", "usb (c").
void DropUnmatchedParens(std::vector<Token>* toks) {
  std::vector<size_t> open, drop;
  for (size_t k = 0; k < toks->size(); ++k) {
    if ((*toks)[k].kind == Tok::kLParen) {
      open.push_back(k);
    } else if ((*toks)[k].kind == Tok::kRParen) {
      if (open.empty()) {
        drop.push_back(k);
      } else {
        open.pop_back();
      }
    }
  }
  if (drop.empty() && open.empty()) return;
  drop.insert(drop.end(), open.begin(), open.end());
  std::sort(drop.begin(), drop.end());
  size_t out = 0, d = 0;
  for (size_t k = 0; k < toks->size(); ++k) {
    if (d < drop.size() && drop[d] == k) {
      ++d;
      continue;
    }
    if (out != k) (*toks)[out] = std::move((*toks)[k]);
    ++out;
  }
  toks->resize(out);
}

// `lenient` (QuerySyntax::kSimple) reads what would be an error as words.
Result<std::vector<Token>> Lex(std::string_view q, const Schema& schema, bool lenient) {
  std::vector<Token> out;
  out.reserve(q.size() / 4 + 2);  // About a word per four bytes, and kEnd.
  size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == '(') {
      out.push_back({Tok::kLParen, "(", i++});
      continue;
    }
    if (c == ')') {
      out.push_back({Tok::kRParen, ")", i++});
      continue;
    }
    if (c == '"') {
      const size_t start = i++;
      const size_t close = q.find('"', i);
      // Simple syntax: an unpaired quote opens nothing. With an odd number
      // left, an inch mark (48") is the likelier stray than the last quote.
      if (lenient && (close == std::string_view::npos ||
                      (start > 0 && std::isdigit(static_cast<unsigned char>(q[start - 1])) &&
                       CountQuotes(q.substr(start)) % 2 == 1))) {
        continue;  // A separator, as a space.
      }
      // Full syntax: an unterminated quote runs to the end of the query, which
      // is what a user typing a phrase as-you-type means.
      const size_t end = close == std::string_view::npos ? q.size() : close;
      out.push_back({Tok::kPhrase, std::string(q.substr(i, end - i)), start});
      i = close == std::string_view::npos ? q.size() : close + 1;
      continue;
    }
    // A '+' or '-' that starts a word is an operator; inside a word it is text.
    if ((c == '+' || c == '-') && i + 1 < q.size() && !IsSpace(q[i + 1])) {
      out.push_back({c == '+' ? Tok::kPlus : Tok::kMinus, std::string(1, c), i++});
      continue;
    }
    const size_t start = i;
    while (i < q.size() && !IsBreak(q[i])) ++i;
    std::string_view word = q.substr(start, i - start);
    if (word == "OR" || word == "||") {
      out.push_back({Tok::kOr, std::string(word), start});
      continue;
    }
    if (word == "AND" || word == "&&") {
      out.push_back({Tok::kAnd, std::string(word), start});
      continue;
    }
    if (word == "NOT") {
      out.push_back({Tok::kNot, std::string(word), start});
      continue;
    }
    const size_t colon = word.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      const std::string_view name = word.substr(0, colon);
      // Simple syntax: a prefix that is no field query is the word `name`,
      // and what follows the colon is read again ("wars:the" -> wars the).
      auto name_as_word = [&] {
        out.push_back({Tok::kWord, std::string(name), start});
        i = start + colon + 1;
      };
      if (const auto f = schema.FieldIndex(name)) {
        // The value follows the colon directly: a word, a quote or a '('.
        i = start + colon + 1;
        if (i >= q.size() || IsSpace(q[i]) || q[i] == ')') {
          if (lenient) {
            name_as_word();
            continue;
          }
          return Status::InvalidArgument("query position " + std::to_string(start) + ": '" +
                                         std::string(name) + ":' needs a value after the colon");
        }
        const FieldSpec& spec = schema.fields()[*f];
        if (spec.type != FieldType::kInt && spec.type != FieldType::kFloat) {
          out.push_back({Tok::kField, std::string(name), start});
          continue;
        }
        // Numeric values are read raw: "[1 TO 5]" holds spaces, ">=2.5" is no word.
        const size_t vstart = i;
        if (q[i] == '[' || q[i] == '{') {
          const size_t close = q.find_first_of("]}", i);
          if (close == std::string_view::npos) {
            if (lenient) {
              name_as_word();
              continue;
            }
            return Status::InvalidArgument("query position " + std::to_string(i) +
                                           ": range is never closed with ']' or '}'");
          }
          i = close + 1;
        } else {
          while (i < q.size() && !IsBreak(q[i])) ++i;
        }
        const std::string_view value = q.substr(vstart, i - vstart);
        if (lenient && !ParseNumeric(static_cast<uint32_t>(*f), spec, value, vstart).ok()) {
          name_as_word();  // "price:abc", "price:[1 5]": the words.
          continue;
        }
        out.push_back({Tok::kField, std::string(name), start});
        out.push_back({Tok::kNumeric, std::string(value), vstart});
        continue;
      }
      // "ratio: 1" is prose, not a field query: only a value right after the
      // colon makes an unknown name an error.
      const bool has_value = colon + 1 < word.size();
      if (LooksLikeFieldName(name) && has_value) {
        if (lenient) {
          name_as_word();
          continue;
        }
        std::string known;
        for (const FieldSpec& f : schema.fields()) known += (known.empty() ? "" : ", ") + f.name;
        return Status::InvalidArgument(
            "query position " + std::to_string(start) + ": unknown field '" + std::string(name) +
            "' (fields: " + known + "; put the word in quotes to search for it as text)");
      }
    }
    out.push_back({Tok::kWord, std::string(word), start});
  }
  out.push_back({Tok::kEnd, "", q.size()});
  if (lenient) DropUnmatchedParens(&out);
  return out;
}

// ------------------------------------------------------------------ Parser

enum class Occur { kMust, kShould, kMustNot };

class Parser {
 public:
  Parser(const Schema& schema, const std::vector<const analysis::Analyzer*>& analyzers,
         const ParseOptions& options, std::vector<Token> tokens, size_t query_size)
      : schema_(schema),
        analyzers_(analyzers),
        options_(options),
        toks_(std::move(tokens)),
        query_size_(query_size),
        lenient_(options.syntax == QuerySyntax::kSimple) {}

  Result<std::unique_ptr<Query>> Parse() {
    LIBSEARCH_ASSIGN_OR_RETURN(auto q, ParseClauses(options_.default_fields, 0));
    if (Peek().kind == Tok::kRParen) {
      return Error(Peek().pos, "')' has no matching '('");
    }
    if (q == nullptr) q = std::make_unique<Query>();  // Empty query: match all.
    return q;
  }

 private:
  const Token& Peek() const { return toks_[i_]; }
  const Token& Take() { return toks_[i_ < toks_.size() - 1 ? i_++ : i_]; }
  static Status Error(size_t pos, const std::string& msg) { return QueryError(pos, msg); }

  // Simple syntax: token k is read as the word it is written as from now on
  // ("OR" -> or; '+' and '-' analyse to nothing).
  void Demote(size_t k) { toks_[k].kind = Tok::kWord; }

  // Simple syntax, a group nested deeper than max_depth: the parentheses
  // inside it (up to its ')') are left out, so parsing recurses no further.
  void FlattenGroup() {
    size_t open = 0, end = i_;
    for (; toks_[end].kind != Tok::kEnd; ++end) {
      if (toks_[end].kind == Tok::kLParen) {
        ++open;
      } else if (toks_[end].kind == Tok::kRParen) {
        if (open == 0) break;
        --open;
      }
    }
    const auto first = toks_.begin() + static_cast<std::ptrdiff_t>(i_);
    const auto last = toks_.begin() + static_cast<std::ptrdiff_t>(end);
    toks_.erase(std::remove_if(first, last,
                               [](const Token& t) {
                                 return t.kind == Tok::kLParen || t.kind == Tok::kRParen;
                               }),
                last);
  }

  // clauses := ( ['+'|'-'|NOT] or_group | AND )*   until ')' or end.
  Result<std::unique_ptr<Query>> ParseClauses(std::span<const uint32_t> fields, size_t depth) {
    if (depth > options_.max_depth) {
      if (!lenient_) return Error(Peek().pos, "parentheses nested too deeply");
      FlattenGroup();
    }
    std::vector<std::pair<Occur, std::unique_ptr<Query>>> clauses;
    clauses.reserve(4);  // One allocation for most queries, not one per doubling.
    while (Peek().kind != Tok::kEnd && Peek().kind != Tok::kRParen) {
      if (lenient_ && num_clauses_ >= options_.max_clauses) {
        // Simple syntax: one more clause would pass the cap (an error in
        // full syntax), so reading stops here, at every level.
        i_ = toks_.size() - 1;
        break;
      }
      if (Peek().kind == Tok::kAnd) {
        Take();
        continue;
      }
      const Occur default_occur =
          options_.default_operator == DefaultOperator::kAnd ? Occur::kMust : Occur::kShould;
      Occur occur = default_occur;
      const size_t op = i_;
      if (Peek().kind == Tok::kPlus) {
        Take();
        occur = Occur::kMust;
      } else if (Peek().kind == Tok::kMinus || Peek().kind == Tok::kNot) {
        Take();
        occur = Occur::kMustNot;
      }
      if (Peek().kind == Tok::kEnd || Peek().kind == Tok::kRParen || Peek().kind == Tok::kOr) {
        if (!lenient_) return Error(Peek().pos, "an operator is missing its operand");
        if (Peek().kind == Tok::kOr) {
          Demote(i_);  // Nothing before it to join: the word "or" ("+OR" keeps its '+').
        } else if (toks_[op].kind == Tok::kNot) {
          Demote(op);  // "tea NOT": the word "not".
          i_ = op;
          occur = default_occur;
        } else {
          continue;  // '+' or '-' before ')' or the end: punctuation.
        }
      }
      std::unique_ptr<Query> node;
      if (Peek().kind == Tok::kWord) {
        LIBSEARCH_ASSIGN_OR_RETURN(node, TrySynonyms(fields));
      }
      if (node == nullptr) {
        LIBSEARCH_ASSIGN_OR_RETURN(node, ParseOrGroup(fields, depth));
      }
      if (node != nullptr) clauses.emplace_back(occur, std::move(node));
      if (++num_clauses_ > options_.max_clauses && !lenient_) {
        return Status::ResourceExhausted("query has more than " +
                                         std::to_string(options_.max_clauses) + " clauses");
      }
    }
    return Combine(std::move(clauses));
  }

  // The longest run of bare words starting here that equals a synonym
  // alternative becomes "any alternative" (each a word or phrase leaf);
  // nullptr if none matches. Words inside an OR group are left alone.
  Result<std::unique_ptr<Query>> TrySynonyms(std::span<const uint32_t> fields) {
    const SynonymMap* map = options_.synonyms;
    if (map == nullptr || map->group_of.empty() || options_.synonym_analyzer == nullptr) {
      return std::unique_ptr<Query>();
    }
    size_t run = 0;
    while (run < map->max_words && toks_[i_ + run].kind == Tok::kWord) ++run;
    for (size_t len = run; len > 0; --len) {
      if (toks_[i_ + len].kind == Tok::kOr) continue;  // Last word belongs to an OR.
      std::string key;
      for (size_t k = 0; k < len; ++k) {
        for (const std::string& t : options_.synonym_analyzer->Terms(toks_[i_ + k].text)) {
          if (!key.empty()) key += ' ';
          key += t;
        }
      }
      auto it = map->group_of.find(key);
      if (it == map->group_of.end()) continue;
      i_ += len;
      auto group = std::make_unique<Query>();
      group->kind = Query::Kind::kBoolean;
      for (const std::string& alt : map->groups[it->second]) {
        LIBSEARCH_ASSIGN_OR_RETURN(auto leaf, Leaf(alt, fields, /*phrase=*/true));
        if (leaf) group->should.push_back(std::move(leaf));
      }
      group->combine_fields = options_.combine_fields;  // One word, its alternatives blended.
      group->combined_length = options_.combined_length;
      return Simplify(std::move(group));
    }
    return std::unique_ptr<Query>();
  }

  // or_group := primary ('OR' primary)*
  Result<std::unique_ptr<Query>> ParseOrGroup(std::span<const uint32_t> fields, size_t depth) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto first, ParsePrimary(fields, depth));
    if (Peek().kind != Tok::kOr) return first;
    auto group = std::make_unique<Query>();
    group->kind = Query::Kind::kBoolean;
    if (first) group->should.push_back(std::move(first));
    while (Peek().kind == Tok::kOr) {
      const size_t at = i_;
      const size_t pos = Take().pos;
      const Tok next = Peek().kind;
      const bool no_operand =
          next == Tok::kEnd || next == Tok::kRParen || next == Tok::kOr || next == Tok::kAnd;
      const bool clause_op = next == Tok::kMinus || next == Tok::kPlus || next == Tok::kNot;
      if (lenient_ && (no_operand || clause_op)) {
        // Simple syntax: an OR that joins nothing is the word "or", which
        // starts the next clause ("tea OR", "tea OR -milk").
        Demote(at);
        i_ = at;
        break;
      }
      if (no_operand) return Error(pos, "'OR' needs a term on both sides");
      if (clause_op) {
        return Error(Peek().pos,
                     "'+', '-' and NOT apply to whole clauses, not inside OR; "
                     "use parentheses: a OR (b -c)");
      }
      LIBSEARCH_ASSIGN_OR_RETURN(auto n, ParsePrimary(fields, depth));
      if (n) group->should.push_back(std::move(n));
    }
    return Simplify(std::move(group));
  }

  Result<std::unique_ptr<Query>> ParsePrimary(std::span<const uint32_t> fields, size_t depth) {
    const Token tok = Take();
    switch (tok.kind) {
      case Tok::kLParen: {
        LIBSEARCH_ASSIGN_OR_RETURN(auto inner, ParseClauses(fields, depth + 1));
        if (Peek().kind != Tok::kRParen) {
          // Simple syntax: parentheses are paired by then, so only the
          // clause cap (which skips to the end) gets here.
          if (lenient_) return inner;
          return Error(tok.pos, "'(' is never closed");
        }
        Take();
        return inner;
      }
      case Tok::kField: {
        const uint32_t f = static_cast<uint32_t>(*schema_.FieldIndex(tok.text));
        const FieldSpec& spec = schema_.fields()[f];
        if (spec.type == FieldType::kInt || spec.type == FieldType::kFloat) {
          const Token value = Take();  // The lexer checked it in simple syntax.
          return ParseNumeric(f, spec, value.text, value.pos);
        }
        const Tok next = Peek().kind;
        const bool has_value = next == Tok::kWord || next == Tok::kPhrase || next == Tok::kLParen;
        if (lenient_ && (!spec.indexed || !has_value)) {
          // Simple syntax: no field query; the name is a word, and an
          // operator right after the colon too ("title:-x" -> title x).
          Demote(i_ - 1);
          if (IsOperator(next)) Demote(i_);
          --i_;
          return ParsePrimary(fields, depth);
        }
        if (!spec.indexed) {
          return Error(tok.pos, "field '" + spec.name + "' is stored but not indexed");
        }
        if (!has_value) {
          return Error(tok.pos, "'" + spec.name +
                                    ":' must be followed by a word, a \"phrase\" "
                                    "or (...)");
        }
        const uint32_t only[1] = {f};
        return ParsePrimary(only, depth + 1);
      }
      case Tok::kWord: {
        // The last word of a query still being typed (no trailing space).
        const bool prefix = options_.prefix_last && tok.pos + tok.text.size() == query_size_ &&
                            Peek().kind == Tok::kEnd;
        return Leaf(tok.text, fields, /*phrase=*/false, prefix);
      }
      case Tok::kPhrase: return Leaf(tok.text, fields, /*phrase=*/true);
      case Tok::kRParen: return Error(tok.pos, "')' has no matching '('");
      case Tok::kNumeric:  // Only ever produced right after a numeric field.
      default:
        if (lenient_ && IsOperator(tok.kind)) {
          Demote(i_ - 1);  // "OR" or "NOT" where no operator fits: the word.
          --i_;
          return ParsePrimary(fields, depth);
        }
        return Error(tok.pos, "unexpected operator");
    }
  }

  // One word or phrase over `fields`: a term or phrase per field, OR-ed.
  Result<std::unique_ptr<Query>> Leaf(const std::string& text, std::span<const uint32_t> fields,
                                      bool phrase, bool prefix = false) {
    // Without a field to search, a bare word would drop out of the query
    // and leave it matching every document.
    if (fields.empty()) {
      return Status::InvalidArgument(
          "'" + text.substr(0, 40) +
          "' has no field to search: the schema has no text field (name a field, e.g. "
          "brand:acme, or add a text field to the schema)");
    }
    // The OR over fields is built only from a second field's node on.
    std::unique_ptr<Query> first, group;
    auto add = [&](std::unique_ptr<Query> node) {
      if (first == nullptr && group == nullptr) {
        first = std::move(node);
        return;
      }
      if (group == nullptr) {
        group = std::make_unique<Query>();
        group->kind = Query::Kind::kBoolean;
        group->should.push_back(std::move(first));
      }
      group->should.push_back(std::move(node));
    };
    for (uint32_t f : fields) {
      const FieldSpec& spec = schema_.fields()[f];
      auto leaf = std::make_unique<Query>();
      leaf->field = f;
      leaf->boost = static_cast<float>(spec.boost);
      // Positions are kept only for a phrase (two or more terms): a term
      // never reads them, and most leaves are one term (an allocation saved).
      positions_.clear();
      if (spec.type == FieldType::kKeyword) {
        leaf->terms.push_back(text);  // Keywords match exactly, unanalysed.
      } else {
        tokens_.clear();
        // A word's tokens (a phrase's, a code's parts) without regrowing.
        if (tokens_.capacity() == 0) tokens_.reserve(8);
        analyzers_[f]->Analyze(text, &tokens_);
        leaf->terms.reserve(tokens_.size());  // A phrase's terms in one allocation.
        const analysis::Token* joined = nullptr;
        for (const analysis::Token& t : tokens_) {
          if (t.joined) {
            joined = &t;
            continue;
          }
          leaf->terms.push_back(t.term);
          positions_.push_back(t.position);
        }
        if (leaf->terms.size() > 1) leaf->offsets = positions_;
        if (joined != nullptr && tokens_.size() == leaf->terms.size() + 1 && !phrase) {
          // A lone code word: the joined form or its parts in a row.
          auto either = std::make_unique<Query>();
          either->kind = Query::Kind::kBoolean;
          auto whole = std::make_unique<Query>();
          whole->kind = Query::Kind::kTerm;
          whole->field = f;
          whole->boost = leaf->boost;
          whole->terms = {joined->term};
          leaf->kind = Query::Kind::kPhrase;
          leaf->offsets = positions_;
          either->should.push_back(std::move(whole));
          either->should.push_back(std::move(leaf));
          add(std::move(either));
          continue;
        }
      }
      if (leaf->terms.empty()) continue;  // Stop word or punctuation only.
      leaf->kind = leaf->terms.size() == 1 ? Query::Kind::kTerm : Query::Kind::kPhrase;
      if (leaf->kind == Query::Kind::kTerm && spec.type == FieldType::kText && !phrase &&
          (prefix || options_.typos) && f < options_.surface_analyzers.size() &&
          options_.surface_analyzers[f] != nullptr) {
        const std::vector<std::string> surface = options_.surface_analyzers[f]->Terms(text);
        if (surface.size() == 1) {
          leaf->surface = surface[0];
          leaf->prefix = prefix;
          leaf->max_expansions = options_.max_expansions;
          if (options_.typos) leaf->max_edits = TyposFor(surface[0]);
        }
      }
      (void)phrase;  // A one-term phrase is a term; several terms are a phrase.
      add(std::move(leaf));
    }
    if (group != nullptr) {
      group->combine_fields = options_.combine_fields;
      group->combined_length = options_.combined_length;
    }
    return group != nullptr ? Simplify(std::move(group)) : std::move(first);
  }

  // 0 typos up to 4 code points, 1 up to 8, then 2; none with digits.
  static uint32_t TyposFor(std::string_view word) {
    size_t chars = 0;
    for (unsigned char c : word) {
      if (c >= '0' && c <= '9') return 0;
      chars += (c & 0xc0) != 0x80;
    }
    return chars <= 4 ? 0 : chars <= 8 ? 1 : 2;
  }

  static std::unique_ptr<Query> Simplify(std::unique_ptr<Query> q) {
    if (q->kind != Query::Kind::kBoolean) return q;
    if (q->must.empty() && q->must_not.empty()) {
      if (q->should.empty()) return nullptr;
      if (q->should.size() == 1) return std::move(q->should[0]);
    }
    if (q->should.empty() && q->must_not.empty() && q->must.size() == 1) {
      return std::move(q->must[0]);
    }
    return q;
  }

  std::unique_ptr<Query> Combine(std::vector<std::pair<Occur, std::unique_ptr<Query>>> clauses) {
    // One positive clause is itself (what Simplify makes of it), without
    // building the node first: most queries are one or two words.
    if (clauses.size() == 1 && clauses[0].first != Occur::kMustNot) {
      return std::move(clauses[0].second);
    }
    auto q = std::make_unique<Query>();
    q->kind = Query::Kind::kBoolean;
    size_t counts[3] = {0, 0, 0};  // One allocation per list, not one per doubling.
    for (const auto& c : clauses) ++counts[static_cast<int>(c.first)];
    q->must.reserve(counts[static_cast<int>(Occur::kMust)]);
    q->should.reserve(counts[static_cast<int>(Occur::kShould)]);
    q->must_not.reserve(counts[static_cast<int>(Occur::kMustNot)]);
    for (auto& [occur, node] : clauses) {
      (occur == Occur::kMust     ? q->must
       : occur == Occur::kShould ? q->should
                                 : q->must_not)
          .push_back(std::move(node));
    }
    if (q->must.empty() && q->should.empty() && !q->must_not.empty()) {
      // Only exclusions: everything except them (useful with filters).
      q->must.push_back(std::make_unique<Query>());
    }
    return Simplify(std::move(q));
  }

  const Schema& schema_;
  const std::vector<const analysis::Analyzer*>& analyzers_;
  const ParseOptions& options_;
  std::vector<Token> toks_;
  size_t query_size_;
  const bool lenient_;  // QuerySyntax::kSimple: repair instead of failing.
  size_t i_ = 0;
  size_t num_clauses_ = 0;
  std::vector<analysis::Token> tokens_;
  std::vector<uint32_t> positions_;  // Leaf's scratch.
};

}  // namespace

std::string Query::ToString(const Schema& schema) const {
  return scored ? Describe(schema) : "#" + Describe(schema);  // '#': Lucene's FILTER.
}

std::string Query::Describe(const Schema& schema) const {
  switch (kind) {
    case Kind::kMatchAll: return "*:*";
    case Kind::kTerm: {
      std::string s = schema.fields()[field].name;
      s.append(":").append(terms[0]);
      if (prefix) s.append("|").append(surface).append("*");  // Also these prefixes.
      if (max_edits > 0) s.append("~").append(std::to_string(max_edits));
      return s + FormatBoost(boost);
    }
    case Kind::kPhrase: {
      std::string s = schema.fields()[field].name + ":\"";
      for (size_t i = 0; i < terms.size(); ++i) s += (i ? " " : "") + terms[i];
      return s + "\"" + FormatBoost(boost);
    }
    case Kind::kRange: {
      auto num = [](double v) {
        if (std::isinf(v)) return std::string("*");
        char buf[32];
        std::snprintf(buf, sizeof(buf), "%.17g", v);
        return std::string(buf);
      };
      // Built with append: GCC 12 warns falsely (-Wrestrict) on long operator+ chains.
      std::string s = schema.fields()[field].name;
      s.append(":").append(lo_inclusive ? "[" : "{").append(num(lo)).append(" TO ");
      s.append(num(hi)).append(hi_inclusive ? "]" : "}");
      return s;
    }
    case Kind::kDocSet: return surface;
    case Kind::kBoolean: {
      std::string s = "(";
      auto add = [&](const char* op, const std::vector<std::unique_ptr<Query>>& v) {
        for (const auto& c : v) {
          if (s.size() > 1) s += " ";
          s += op + c->ToString(schema);
        }
      };
      add("+", must);
      add("", should);
      add("-", must_not);
      return s + ")";
    }
  }
  return "?";
}

Result<std::unique_ptr<Query>> ParseQuery(std::string_view text, const Schema& schema,
                                          const std::vector<const analysis::Analyzer*>& analyzers,
                                          const ParseOptions& options) {
  if (text.size() > options.max_query_bytes) {
    return Status::InvalidArgument("query is " + std::to_string(text.size()) +
                                   " bytes; the limit is " +
                                   std::to_string(options.max_query_bytes));
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto tokens,
                             Lex(text, schema, options.syntax == QuerySyntax::kSimple));
  Parser parser(schema, analyzers, options, std::move(tokens), text.size());
  return parser.Parse();
}

}  // namespace libsearch::internal
