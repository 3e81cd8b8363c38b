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
