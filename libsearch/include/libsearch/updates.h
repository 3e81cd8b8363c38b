// File: libsearch/updates.h
//
// Change events applied to an index in object storage (remote.h), the work
// of an update function. An event is an id and some change lines (the
// format of `libsearch update`: a document, {"<id>": X, "_delete": true} or
// {"<id>": X, "_set": {...}}). A batch of events becomes one published
// commit:
//   * an event whose id a published commit recorded is skipped, so a
//     redelivered batch changes nothing;
//   * an event with a bad line is left out whole (none of its lines apply)
//     and reported, and never blocks the good ones;
//   * a commit that loses the race to another writer is redone on the
//     winner's commit, up to max_attempts times.
//
// The event shapes each surface receives:
//   * Amazon SQS batches ({"Records": [{"messageId", "body"}, ...]}): the
//     body holds the event's lines (JSON Lines), the messageId is its id; the
//     reply is SQS's partial batch response, {"batchItemFailures": [...]},
//     naming the records to retry (the function needs
//     ReportBatchItemFailures).
//   * HTTP (an API Gateway HTTP API / Function URL event, or a plain POST
//     to the Cloud Run function or the service): the body is JSON Lines, one
//     event; its id is the Idempotency-Key header, if any.
//   * Google Pub/Sub push ({"message": {"messageId", "data": base64}}).
//   * Direct invocation: {"events": [{"id": "...", "changes": [ {...} ]}]}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index_builder.h"
#include "libsearch/json.h"
#include "libsearch/lambda_event.h"
#include "libsearch/remote.h"
#include "libsearch/status.h"

namespace libsearch {

struct ChangeEvent {
  std::string id;  // Empty: not deduplicated.
  std::vector<std::string> lines;
};

struct UpdateOptions {
  // The index to change (s3://BUCKET/PREFIX or file:///DIR). Required.
  std::string index_url;
  // The writer's working copy (RemoteWriterOptions::cache_dir) and its
  // other options. Required: writer.cache_dir.
  RemoteWriterOptions writer;
  // Publishes lost to another writer and redone before giving up. Default 5.
  int max_attempts = 5;
};

struct UpdateReport {
  size_t events = 0;      // In the batch.
  size_t applied = 0;     // Events whose changes were published.
  size_t duplicates = 0;  // Events skipped: already applied.
  // Events left out: (id, why); an empty id is the event's position.
  std::vector<std::pair<std::string, std::string>> failed;
  int attempts = 0;  // Publishes tried (1 without a conflict).
  PublishInfo publish;
};

// Applies `events` as one commit (see above). A non-OK result means nothing
// was published (the store could not be reached, the conflicts went on);
// events that failed alone are in UpdateReport::failed.
LIBSEARCH_EXPORT Result<UpdateReport> ApplyChangeEvents(const std::vector<ChangeEvent>& events,
                                                        const UpdateOptions& options);

struct RebuildOptions {
  // The index to replace (s3://BUCKET/PREFIX or file:///DIR). Required.
  std::string index_url;
  // The full catalogue export: one object, JSON Lines (plain, .gz or .zst),
  // a document per line. Required.
  std::string export_url;
  // Changes logged at or after this time (Unix ms) are replayed over the
  // export. 0: the export object's modification time minus
  // replay_margin_seconds (a replay may then apply a change the export
  // already has, which changes nothing).
  int64_t export_started_unix_ms = 0;
  double replay_margin_seconds = 3600;
  // The writer: cache_dir required (the export is downloaded beside it);
  // `rebuild` is set by RebuildIndex. gc_grace_seconds must outlive every
  // serving snapshot's download (default 900 s).
  RemoteWriterOptions writer;
  // Publishes lost to update functions and redone (each replays what they
  // published). Default 10.
  int max_attempts = 10;
};

struct RebuildReport {
  IngestStats ingest;        // The export's lines.
  size_t replayed = 0;       // Change-log lines applied over it.
  size_t replay_failed = 0;  // Change-log lines that did not apply (e.g. `_set` of a gone id).
  int attempts = 0;
  int64_t replayed_since_unix_ms = 0;
  PublishInfo publish;
};

// Builds a fresh, compacted index from the export, replays the changes
// logged since the export started, and publishes it over the index at
// index_url; old objects go after the writer's grace period, and change-log
// entries more than a day older than the replay start go too.
LIBSEARCH_EXPORT Result<RebuildReport> RebuildIndex(const RebuildOptions& options);

// The scheduled rebuild function's handler: the event may name
// {"export": URL, "export_started": unix ms} (EventBridge Scheduler's or
// Cloud Scheduler's fixed input), else `defaults` hold them. The reply is
// the report as JSON; a failure is a Lambda error (the scheduler retries).
LIBSEARCH_EXPORT LambdaReply HandleRebuildEvent(std::string_view event,
                                                const RebuildOptions& defaults);

// The update function's Lambda handler: SQS, HTTP, direct events (above).
LIBSEARCH_EXPORT LambdaReply HandleUpdateLambdaEvent(std::string_view event,
                                                     const UpdateOptions& options);

// A POST of JSON Lines (the Cloud Run function, the service): one event,
// deduplicated by `idempotency_key` if not empty; or a Pub/Sub push body.
// 200 with the report as JSON; 400 if the event failed (200 for a Pub/Sub
// push, which would redeliver it forever); 409/500/503 if nothing could be
// published.
LIBSEARCH_EXPORT JsonReply HandleUpdateBody(std::string_view body, std::string_view idempotency_key,
                                            const UpdateOptions& options);

}  // namespace libsearch
