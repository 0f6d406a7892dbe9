#include "inflow/delivery_rules.h"

namespace inflow {

namespace {

constexpr DeliveryRule kDeliveryRules[] = {
    {200, 299, "", WriteOutcome::kDelivered, "2xx",
     "Delivered: the batch's points are acknowledged in the spool, whose segments are deleted "
     "once all their points are."},
    {400, 400, "", WriteOutcome::kRejected,
     "400 (partial write, unable to parse, field type conflict)",
     "InfluxDB stored the good points. The lines it refused go to the dead-letter file, each "
     "with its reason, session and time, and are counted; never retried. For points it "
     "dropped without naming them, every line it did not name is kept, marked when some "
     "of them may be stored."},
    {404, 404, "database not found", WriteOutcome::kDatabaseNotFound, "404 database not found",
     "With influxdb.create_database (the default): CREATE DATABASE, then the batch is written "
     "again. Without: the batch goes to the dead-letter file."},
    {401, 401, "", WriteOutcome::kUnauthorized, "401 unauthorized",
     "The batch is kept and retried slowly (at least every 10 s), logged as an error at each "
     "attempt: it goes through once InfluxDB takes the credentials (fixed on the server, or "
     "in influxdb.url and inflowd restarted: there is no reload yet)."},
    {403, 403, "", WriteOutcome::kUnauthorized, "403 forbidden",
     "As 401."},
    {413, 413, "", WriteOutcome::kTooLarge, "413 request entity too large",
     "The batch is split in halves of whole points, until each fits; a single point too large "
     "goes to the dead-letter file."},
    {429, 429, "", WriteOutcome::kRetry, "429 too many requests",
     "The batch is kept and written again after Retry-After when given, else after the "
     "backoff."},
    {503, 503, "", WriteOutcome::kRetry, "503 service unavailable", "As 429."},
    {0, 599, "", WriteOutcome::kRetry,
     "other 5xx, other answers, connection failures, timeouts",
     "The batch is kept and written again after a capped exponential backoff with full jitter "
     "(influxdb.retry_initial_interval, doubling up to retry_max_interval). After "
     "influxdb.max_attempts failures InfluxDB answered (connection failures and timeouts do "
     "not count), the next batch is written: if it gets through, the failing batch is written "
     "once more, and quarantined to the dead-letter file if it fails again; if not, InfluxDB "
     "is at fault and the batch is retried. A batch failing for longer than "
     "retry_max_elapsed (unless 0) goes to the dead-letter file."},
};

}  // namespace

std::span<const DeliveryRule> DeliveryRules() { return kDeliveryRules; }

std::string_view WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kDelivered:
      return "delivered";
    case WriteOutcome::kRejected:
      return "rejected";
    case WriteOutcome::kDatabaseNotFound:
      return "database not found";
    case WriteOutcome::kUnauthorized:
      return "unauthorized";
    case WriteOutcome::kTooLarge:
      return "too large";
    case WriteOutcome::kRetry:
      return "retry";
  }
  return "retry";
}

}  // namespace inflow
