// Change events applied to a remote index (libsearch/updates.h).
#include "libsearch/updates.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>

#include "api/json_text.h"
#include "util/json_parse.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (line.find_first_not_of(" \t") != std::string_view::npos) out.emplace_back(line);
  }
  return out;
}

const Json* Member(const Json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string StringMember(const Json& object, const char* key) {
  const Json* v = Member(object, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

std::string EventName(const ChangeEvent& e, size_t i) {
  return e.id.empty() ? "#" + std::to_string(i + 1) : e.id;
}

// One attempt: a writer on the remote's last commit, every event that
// applies cleanly, one publish.
Result<UpdateReport> ApplyOnce(const std::vector<ChangeEvent>& events,
                               const UpdateOptions& options) {
  LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<RemoteWriter> writer,
                             RemoteWriter::Open(options.index_url, options.writer));
  UpdateReport report;
  report.events = events.size();
  std::vector<bool> skip(events.size(), false);
  std::set<std::string> ids_in_batch;
  for (size_t i = 0; i < events.size(); ++i) {
    const std::string& id = events[i].id;
    // A redelivered event, or the same event twice in one batch.
    if (!id.empty() && (writer->Applied(id) || !ids_in_batch.insert(id).second)) {
      skip[i] = true;
      ++report.duplicates;
    }
  }
  // Apply all events; an event with a bad line is dropped whole by starting
  // over without it (the writer has no savepoints; bad events are rare).
  for (bool clean = false; !clean;) {
    clean = true;
    for (size_t i = 0; i < events.size() && clean; ++i) {
      if (skip[i]) continue;
      for (const std::string& line : events[i].lines) {
        const Status s = writer->writer().Apply(line);
        if (!s.ok()) {
          report.failed.emplace_back(EventName(events[i], i), s.ToString());
          skip[i] = true;
          clean = false;
          break;
        }
      }
    }
    if (!clean) writer->writer().Rollback();
  }
  for (size_t i = 0; i < events.size(); ++i) {
    if (skip[i]) continue;
    ++report.applied;
    if (!events[i].id.empty()) writer->MarkApplied(events[i].id);
    writer->LogChanges(events[i].lines);  // For a rebuild to replay.
  }
  LIBSEARCH_ASSIGN_OR_RETURN(report.publish, writer->Commit());
  return report;
}

std::string ReportJson(const UpdateReport& r) {
  Json failed = Json::array();
  for (const auto& [id, why] : r.failed) failed.push_back({{"id", id}, {"error", why}});
  Json j = {{"events", r.events},
            {"applied", r.applied},
            {"duplicates", r.duplicates},
            {"failed", failed},
            {"attempts", r.attempts},
            {"published", r.publish.published},
            {"generation", r.publish.commit.generation},
            {"live_docs", r.publish.commit.live_docs}};
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

JsonReply StatusReply(const Status& s) {
  // The store unreachable is worth retrying later: 503, not 500.
  const int status = s.code() == StatusCode::kIOError ? 503 : HttpStatusOf(s.code());
  return ErrorReply(status, ErrorCodeName(s.code()), s.message());
}

JsonReply ReplyFor(const std::vector<ChangeEvent>& events, const UpdateOptions& options) {
  const Result<UpdateReport> report = ApplyChangeEvents(events, options);
  if (!report.ok()) return StatusReply(report.status());
  const bool all_failed = !report->failed.empty() && report->applied == 0;
  return {all_failed ? 400 : 200, ReportJson(*report)};
}

std::string HttpEnvelope(const JsonReply& r) {
  return "{\"statusCode\":" + std::to_string(r.status) +
         ",\"headers\":{\"content-type\":\"application/json\"},\"body\":" + JsonQuote(r.body) +
         ",\"isBase64Encoded\":false}";
}

// Applies change-log lines; counts those that do not apply.
void Replay(IndexWriter& writer, const std::vector<std::string>& lines, RebuildReport* report) {
  for (const std::string& line : lines) {
    if (writer.Apply(line).ok()) {
      ++report->replayed;
    } else {
      ++report->replay_failed;
    }
  }
}

}  // namespace

Result<RebuildReport> RebuildIndex(const RebuildOptions& options) {
  if (options.index_url.empty() || options.export_url.empty()) {
    return Status::InvalidArgument("RebuildOptions: index_url and export_url are required");
  }
  if (options.writer.cache_dir.empty()) {
    return Status::InvalidArgument("RebuildOptions: writer.cache_dir is required");
  }
  RebuildReport report;
  std::string local = options.writer.cache_dir;
  while (local.size() > 1 && local.back() == '/') local.pop_back();
  const size_t dot = options.export_url.find(".jsonl");
  local += ".export" + (dot == std::string::npos ? std::string() : options.export_url.substr(dot));
  LIBSEARCH_RETURN_IF_ERROR(DownloadObject(options.export_url, local));
  int64_t since = options.export_started_unix_ms;
  if (since == 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(const int64_t modified, ObjectModifiedUnixMs(options.export_url));
    since = modified - static_cast<int64_t>(options.replay_margin_seconds * 1000);
  }
  report.replayed_since_unix_ms = since;

  RemoteWriterOptions w = options.writer;
  w.rebuild = true;
  LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<RemoteWriter> writer,
                             RemoteWriter::Open(options.index_url, w));
  IngestOptions ingest;
  ingest.skip_bad = true;
  LIBSEARCH_ASSIGN_OR_RETURN(report.ingest, writer->writer().ApplyJsonl(local, ingest));
  std::remove(local.c_str());
  std::string cursor;
  LIBSEARCH_ASSIGN_OR_RETURN(auto lines, ReadChangeLog(options.index_url, since, &cursor));
  Replay(writer->writer(), lines, &report);
  for (int attempt = 1;; ++attempt) {
    report.attempts = attempt;
    // One segment the first time; a lost race adds only what it missed.
    Result<PublishInfo> published = attempt == 1 ? writer->Compact() : writer->Commit();
    if (published.ok()) {
      report.publish = *published;
      break;
    }
    if (published.status().code() != StatusCode::kAborted || attempt >= options.max_attempts) {
      return published.status().WithContext("rebuild, attempt " + std::to_string(attempt));
    }
    LIBSEARCH_RETURN_IF_ERROR(writer->Rebase());
    LIBSEARCH_ASSIGN_OR_RETURN(lines, ReadChangeLog(options.index_url, since, &cursor));
    Replay(writer->writer(), lines, &report);
  }
  // Entries well before this replay's start will never be replayed again.
  (void)PruneChangeLog(options.index_url, since - int64_t{86400} * 1000);
  return report;
}

LambdaReply HandleRebuildEvent(std::string_view event, const RebuildOptions& defaults) {
  Json parsed;
  if (const Status s = internal::ParseJson(event, "the event", internal::kMaxJsonDepth, &parsed);
      !s.ok()) {
    return {true, "Runtime.UnmarshalError", "Unable to unmarshal input: " + s.message()};
  }
  RebuildOptions options = defaults;
  if (const std::string url = StringMember(parsed, "export"); !url.empty()) {
    options.export_url = url;
  }
  if (const Json* t = Member(parsed, "export_started"); t != nullptr && t->is_number_integer()) {
    options.export_started_unix_ms = t->get<int64_t>();
  }
  const Result<RebuildReport> r = RebuildIndex(options);
  if (!r.ok()) return {true, "Libsearch.RebuildFailed", r.status().ToString()};
  const Json j = {{"docs", r->ingest.docs_added},
                  {"lines_skipped", r->ingest.lines_skipped},
                  {"replayed", r->replayed},
                  {"replay_failed", r->replay_failed},
                  {"replayed_since_unix_ms", r->replayed_since_unix_ms},
                  {"attempts", r->attempts},
                  {"generation", r->publish.commit.generation},
                  {"live_docs", r->publish.commit.live_docs},
                  {"objects_removed", r->publish.objects_removed}};
  return {false, "", j.dump()};
}

Result<UpdateReport> ApplyChangeEvents(const std::vector<ChangeEvent>& events,
                                       const UpdateOptions& options) {
  if (options.index_url.empty()) {
    return Status::InvalidArgument("UpdateOptions::index_url is required");
  }
  if (options.max_attempts < 1) return Status::InvalidArgument("max_attempts must be >= 1");
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1;; ++attempt) {
    Result<UpdateReport> r = ApplyOnce(events, options);
    if (r.ok()) {
      r->attempts = attempt;
      return r;
    }
    if (r.status().code() != StatusCode::kAborted || attempt >= options.max_attempts) {
      return r.status().WithContext("after " + std::to_string(attempt) + " attempt(s)");
    }
    // Another writer published first: back off a little, then redo the
    // batch on its commit.
    std::this_thread::sleep_for(std::chrono::milliseconds(20 * attempt + jitter() % 50));
  }
}

JsonReply HandleUpdateBody(std::string_view body, std::string_view idempotency_key,
                           const UpdateOptions& options) {
  Json push;
  const bool is_json = internal::ParseJson(body, "the body", internal::kMaxJsonDepth, &push).ok();
  const Json* message = is_json ? Member(push, "message") : nullptr;
  if (message != nullptr && Member(push, "subscription") != nullptr) {
    // A Pub/Sub push: the message's data is the event's lines.
    const std::optional<std::string> data = Base64Decode(StringMember(*message, "data"));
    if (!data) return ErrorReply(400, "invalid_argument", "the Pub/Sub message data is not base64");
    JsonReply reply = ReplyFor({{StringMember(*message, "messageId"), SplitLines(*data)}}, options);
    // Pub/Sub redelivers anything but a 2xx: a bad event is acknowledged
    // (and reported in the body) so that it cannot come back forever.
    if (reply.status == 400) {
      std::fprintf(stderr, "libsearch update: Pub/Sub message left out: %s\n", reply.body.c_str());
      reply.status = 200;
    }
    return reply;
  }
  return ReplyFor({{std::string(idempotency_key), SplitLines(body)}}, options);
}

LambdaReply HandleUpdateLambdaEvent(std::string_view event, const UpdateOptions& options) {
  Json parsed;
  if (const Status s = internal::ParseJson(event, "the event", internal::kMaxJsonDepth, &parsed);
      !s.ok()) {
    return {true, "Runtime.UnmarshalError", "Unable to unmarshal input: " + s.message()};
  }
  if (const Json* records = Member(parsed, "Records"); records != nullptr && records->is_array()) {
    // SQS: every record is an event; the reply names those to deliver again.
    std::vector<ChangeEvent> events;
    for (const Json& record : *records) {
      events.push_back(
          {StringMember(record, "messageId"), SplitLines(StringMember(record, "body"))});
    }
    const Result<UpdateReport> report = ApplyChangeEvents(events, options);
    Json failures = Json::array();
    if (!report.ok()) {
      // Nothing was published: every record comes back.
      for (const ChangeEvent& e : events) failures.push_back({{"itemIdentifier", e.id}});
      std::fprintf(stderr, "libsearch update: %s\n", report.status().ToString().c_str());
    } else {
      for (const auto& [id, why] : report->failed) {
        failures.push_back({{"itemIdentifier", id}});
        std::fprintf(stderr, "libsearch update: event %s left out: %s\n", id.c_str(), why.c_str());
      }
    }
    return {false, "", Json{{"batchItemFailures", failures}}.dump()};
  }
  const Json* context = Member(parsed, "requestContext");
  if (StringMember(parsed, "version") == "2.0" && context != nullptr && Member(*context, "http")) {
    if (StringMember(*Member(*context, "http"), "method") != "POST") {
      return {
          false, "",
          HttpEnvelope(ErrorReply(405, "method_not_allowed", "POST the changes as JSON Lines"))};
    }
    std::string body = StringMember(parsed, "body");
    const Json* b64 = Member(parsed, "isBase64Encoded");
    if (b64 != nullptr && b64->is_boolean() && b64->get<bool>()) {
      std::optional<std::string> decoded = Base64Decode(body);
      if (!decoded) {
        return {false, "",
                HttpEnvelope(ErrorReply(400, "invalid_argument", "the body is not valid base64"))};
      }
      body = std::move(*decoded);
    }
    const Json* headers = Member(parsed, "headers");
    const std::string key = headers != nullptr ? StringMember(*headers, "idempotency-key") : "";
    return {false, "", HttpEnvelope(HandleUpdateBody(body, key, options))};
  }
  if (const Json* list = Member(parsed, "events"); list != nullptr && list->is_array()) {
    std::vector<ChangeEvent> events;
    for (const Json& e : *list) {
      ChangeEvent ev{StringMember(e, "id"), {}};
      if (const Json* changes = Member(e, "changes"); changes != nullptr && changes->is_array()) {
        for (const Json& c : *changes) ev.lines.push_back(c.dump());
      }
      events.push_back(std::move(ev));
    }
    const JsonReply reply = ReplyFor(events, options);
    if (reply.status >= 500 || reply.status == 409) {
      return {true, "Libsearch.UpdateFailed", reply.body};
    }
    return {false, "", reply.body};
  }
  return {true, "Libsearch.InvalidEvent",
          "the update function takes an SQS batch, an HTTP POST of JSON Lines, or "
          "{\"events\": [{\"id\": ..., \"changes\": [...]}]}"};
}

}  // namespace libsearch
