#include "query/query.h"

#include <cctype>
#include <cstdio>

namespace libsearch::internal {
namespace {

std::string FormatBoost(float boost) {
  if (boost == 1.0f) return "";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "^%g", static_cast<double>(boost));
  return buf;
}

// ------------------------------------------------------------------- Lexer

enum class Tok { kWord, kPhrase, kLParen, kRParen, kPlus, kMinus, kOr, kAnd, kNot, kField, kEnd };

struct Token {
  Tok kind;
  std::string text;  // Word, phrase body, or field name.
  size_t pos;        // Byte offset in the query, for error messages.
};

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

Result<std::vector<Token>> Lex(std::string_view q, const Schema& schema) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (IsSpace(c)) {
      ++i;
      continue;
    }
    if (c == '(') {
      out.push_back({Tok::kLParen, "", i++});
      continue;
    }
    if (c == ')') {
      out.push_back({Tok::kRParen, "", i++});
      continue;
    }
    if (c == '"') {
      const size_t start = i++;
      const size_t close = q.find('"', i);
      // Lenient: an unterminated quote runs to the end of the query, which is
      // what a user typing a phrase as-you-type means.
      const size_t end = close == std::string_view::npos ? q.size() : close;
      out.push_back({Tok::kPhrase, std::string(q.substr(i, end - i)), start});
      i = close == std::string_view::npos ? q.size() : close + 1;
      continue;
    }
    // A '+' or '-' that starts a word is an operator; inside a word it is text.
    if ((c == '+' || c == '-') && i + 1 < q.size() && !IsSpace(q[i + 1])) {
      out.push_back({c == '+' ? Tok::kPlus : Tok::kMinus, "", i++});
      continue;
    }
    const size_t start = i;
    while (i < q.size() && !IsBreak(q[i])) ++i;
    std::string_view word = q.substr(start, i - start);
    if (word == "OR" || word == "||") {
      out.push_back({Tok::kOr, "", start});
      continue;
    }
    if (word == "AND" || word == "&&") {
      out.push_back({Tok::kAnd, "", start});
      continue;
    }
    if (word == "NOT") {
      out.push_back({Tok::kNot, "", start});
      continue;
    }
    const size_t colon = word.find(':');
    if (colon != std::string_view::npos && colon > 0) {
      const std::string_view name = word.substr(0, colon);
      if (schema.FieldIndex(name).has_value()) {
        out.push_back({Tok::kField, std::string(name), start});
        // The value follows the colon directly: a word, a quote or a '('.
        i = start + colon + 1;
        if (i >= q.size() || IsSpace(q[i]) || q[i] == ')') {
          return Status::InvalidArgument("query position " + std::to_string(start) + ": '" +
                                         std::string(name) + ":' needs a value after the colon");
        }
        continue;
      }
      // "ratio: 1" is prose, not a field query: only a value right after the
      // colon makes an unknown name an error.
      const bool has_value = colon + 1 < word.size();
      if (LooksLikeFieldName(name) && has_value) {
        std::string known;
        for (const FieldSpec& f : schema.fields()) known += (known.empty() ? "" : ", ") + f.name;
        return Status::InvalidArgument("query position " + std::to_string(start) +
                                       ": unknown field '" + std::string(name) +
                                       "' (fields: " + known +
                                       "; put the word in quotes to search for it as text)");
      }
    }
    out.push_back({Tok::kWord, std::string(word), start});
  }
  out.push_back({Tok::kEnd, "", q.size()});
  return out;
}

// ------------------------------------------------------------------ Parser

enum class Occur { kMust, kShould, kMustNot };

class Parser {
 public:
  Parser(const Schema& schema, const std::vector<const analysis::Analyzer*>& analyzers,
         const ParseOptions& options, std::vector<Token> tokens)
      : schema_(schema), analyzers_(analyzers), options_(options), toks_(std::move(tokens)) {}

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
  static Status Error(size_t pos, const std::string& msg) {
    return Status::InvalidArgument("query position " + std::to_string(pos) + ": " + msg);
  }

  // clauses := ( ['+'|'-'|NOT] or_group | AND )*   until ')' or end.
  Result<std::unique_ptr<Query>> ParseClauses(const std::vector<uint32_t>& fields, size_t depth) {
    if (depth > options_.max_depth) return Error(Peek().pos, "parentheses nested too deeply");
    std::vector<std::pair<Occur, std::unique_ptr<Query>>> clauses;
    while (Peek().kind != Tok::kEnd && Peek().kind != Tok::kRParen) {
      if (Peek().kind == Tok::kAnd) {
        Take();
        continue;
      }
      Occur occur = options_.default_operator == DefaultOperator::kAnd ? Occur::kMust
                                                                        : Occur::kShould;
      if (Peek().kind == Tok::kPlus) {
        Take();
        occur = Occur::kMust;
      } else if (Peek().kind == Tok::kMinus || Peek().kind == Tok::kNot) {
        Take();
        occur = Occur::kMustNot;
      }
      if (Peek().kind == Tok::kEnd || Peek().kind == Tok::kRParen || Peek().kind == Tok::kOr) {
        return Error(Peek().pos, "an operator is missing its operand");
      }
      LIBSEARCH_ASSIGN_OR_RETURN(auto node, ParseOrGroup(fields, depth));
      if (node != nullptr) clauses.emplace_back(occur, std::move(node));
      if (++num_clauses_ > options_.max_clauses) {
        return Status::ResourceExhausted("query has more than " +
                                         std::to_string(options_.max_clauses) + " clauses");
      }
    }
    return Combine(std::move(clauses));
  }

  // or_group := primary ('OR' primary)*
  Result<std::unique_ptr<Query>> ParseOrGroup(const std::vector<uint32_t>& fields, size_t depth) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto first, ParsePrimary(fields, depth));
    if (Peek().kind != Tok::kOr) return first;
    auto group = std::make_unique<Query>();
    group->kind = Query::Kind::kBoolean;
    if (first) group->should.push_back(std::move(first));
    while (Peek().kind == Tok::kOr) {
      const size_t pos = Take().pos;
      const Tok next = Peek().kind;
      if (next == Tok::kEnd || next == Tok::kRParen || next == Tok::kOr || next == Tok::kAnd) {
        return Error(pos, "'OR' needs a term on both sides");
      }
      if (next == Tok::kMinus || next == Tok::kPlus || next == Tok::kNot) {
        return Error(Peek().pos, "'+', '-' and NOT apply to whole clauses, not inside OR; "
                                 "use parentheses: a OR (b -c)");
      }
      LIBSEARCH_ASSIGN_OR_RETURN(auto n, ParsePrimary(fields, depth));
      if (n) group->should.push_back(std::move(n));
    }
    return Simplify(std::move(group));
  }

  Result<std::unique_ptr<Query>> ParsePrimary(const std::vector<uint32_t>& fields, size_t depth) {
    const Token tok = Take();
    switch (tok.kind) {
      case Tok::kLParen: {
        LIBSEARCH_ASSIGN_OR_RETURN(auto inner, ParseClauses(fields, depth + 1));
        if (Peek().kind != Tok::kRParen) return Error(tok.pos, "'(' is never closed");
        Take();
        return inner;
      }
      case Tok::kField: {
        const uint32_t f = static_cast<uint32_t>(*schema_.FieldIndex(tok.text));
        const FieldSpec& spec = schema_.fields()[f];
        if (spec.type != FieldType::kText && spec.type != FieldType::kKeyword) {
          return Error(tok.pos, "field '" + spec.name + "' has type " +
                                    std::string(FieldTypeName(spec.type)) +
                                    " and cannot be searched for words (only text and "
                                    "keyword fields can)");
        }
        if (!spec.indexed) {
          return Error(tok.pos, "field '" + spec.name + "' is stored but not indexed");
        }
        const Tok next = Peek().kind;
        if (next != Tok::kWord && next != Tok::kPhrase && next != Tok::kLParen) {
          return Error(tok.pos, "'" + spec.name + ":' must be followed by a word, a \"phrase\" "
                                "or (...)");
        }
        return ParsePrimary({f}, depth + 1);
      }
      case Tok::kWord:
        return Leaf(tok.text, fields, /*phrase=*/false);
      case Tok::kPhrase:
        return Leaf(tok.text, fields, /*phrase=*/true);
      case Tok::kRParen:
        return Error(tok.pos, "')' has no matching '('");
      default:
        return Error(tok.pos, "unexpected operator");
    }
  }

  // One word or phrase over `fields`: a term or phrase per field, OR-ed.
  Result<std::unique_ptr<Query>> Leaf(const std::string& text, const std::vector<uint32_t>& fields,
                                      bool phrase) {
    auto group = std::make_unique<Query>();
    group->kind = Query::Kind::kBoolean;
    for (uint32_t f : fields) {
      const FieldSpec& spec = schema_.fields()[f];
      auto leaf = std::make_unique<Query>();
      leaf->field = f;
      leaf->boost = static_cast<float>(spec.boost);
      if (spec.type == FieldType::kKeyword) {
        leaf->terms.push_back(text);  // Keywords match exactly, unanalysed.
        leaf->offsets.push_back(0);
      } else {
        tokens_.clear();
        analyzers_[f]->Analyze(text, &tokens_);
        for (const analysis::Token& t : tokens_) {
          leaf->terms.push_back(t.term);
          leaf->offsets.push_back(t.position);
        }
      }
      if (leaf->terms.empty()) continue;  // Stop word or punctuation only.
      leaf->kind = leaf->terms.size() == 1 ? Query::Kind::kTerm : Query::Kind::kPhrase;
      (void)phrase;  // A one-term phrase is a term; several terms are a phrase.
      group->should.push_back(std::move(leaf));
    }
    return Simplify(std::move(group));
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
    auto q = std::make_unique<Query>();
    q->kind = Query::Kind::kBoolean;
    for (auto& [occur, node] : clauses) {
      (occur == Occur::kMust ? q->must : occur == Occur::kShould ? q->should : q->must_not)
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
  size_t i_ = 0;
  size_t num_clauses_ = 0;
  std::vector<analysis::Token> tokens_;
};

}  // namespace

std::string Query::ToString(const Schema& schema) const {
  switch (kind) {
    case Kind::kMatchAll:
      return "*:*";
    case Kind::kTerm:
      return schema.fields()[field].name + ":" + terms[0] + FormatBoost(boost);
    case Kind::kPhrase: {
      std::string s = schema.fields()[field].name + ":\"";
      for (size_t i = 0; i < terms.size(); ++i) s += (i ? " " : "") + terms[i];
      return s + "\"" + FormatBoost(boost);
    }
    case Kind::kBoolean: {
      std::string s = "(";
      auto add = [&](const char* prefix, const std::vector<std::unique_ptr<Query>>& v) {
        for (const auto& c : v) {
          if (s.size() > 1) s += " ";
          s += prefix + c->ToString(schema);
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
  LIBSEARCH_ASSIGN_OR_RETURN(auto tokens, Lex(text, schema));
  Parser parser(schema, analyzers, options, std::move(tokens));
  return parser.Parse();
}

}  // namespace libsearch::internal
