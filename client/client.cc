#include "inflow/client.h"

#include <cstdio>
#include <deque>
#include <utility>

#include "client/influx_transport.h"
#include "client/socket_transport.h"
#include "client/transport.h"
#include "inflow/batcher.h"
#include "inflow/influx_url.h"

namespace inflow {

std::string_view WriteErrorName(WriteError error) {
  switch (error) {
    case WriteError::kNone: return "none";
    case WriteError::kInvalid: return "invalid";
    case WriteError::kRejected: return "rejected";
    case WriteError::kUnauthorized: return "unauthorized";
    case WriteError::kForbidden: return "forbidden";
    case WriteError::kDatabaseNotFound: return "database not found";
    case WriteError::kFailed: return "failed";
  }
  return "unknown";
}

Status Timestamp::ToNanoseconds(Precision precision, int64_t* out) const {
  int64_t ns = value_;
  if (kind_ == Kind::kUnits &&
      __builtin_mul_overflow(value_, PrecisionMultiplier(precision), &ns)) {
    ns = INT64_MIN;
  }
  if (ns < kMinTimestampNs || ns > kMaxTimestampNs) {
    std::string what = "timestamp " + std::to_string(value_);
    if (kind_ == Kind::kUnits) {
      what += " (";
      what += PrecisionName(precision);
      what += ")";
    } else {
      what += " (ns)";
    }
    return Status::Error(what + " is outside InfluxDB's range, 1677-09-21 to 2262-04-11");
  }
  *out = ns;
  return Status::Ok();
}

struct Client::Core {
  Status status;
  ClientOptions options;
  std::unique_ptr<Transport> transport;

  Deadline deadline() const { return std::chrono::steady_clock::now() + options.timeout; }

  // Appends the point's line to *out, with its timestamp in ns, and the
  // retention policy's tag for a transport through inflowd. On failure,
  // *result says why (kInvalid) and *out is unchanged.
  bool BuildLine(std::string_view measurement, const std::vector<Field>& fields,
                 Timestamp timestamp, const std::vector<Tag>& tags,
                 const std::string& retention_policy, std::string* out,
                 WriteResult* result) const {
    Status problem = status;
    int64_t ns = 0;
    if (problem.ok() && timestamp.given()) {
      problem = timestamp.ToNanoseconds(options.precision, &ns);
    } else if (problem.ok()) {
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
    }
    std::vector<Tag> routed;
    const std::vector<Tag>* line_tags = &tags;
    if (problem.ok() && !retention_policy.empty() && !transport->writes_retention_policy()) {
      if (transport->retention_policy_tag().empty()) {
        problem = Status::Error("retention policy \"" + retention_policy +
                                "\" cannot reach inflowd without its routing tag: add "
                                "?retention_policy_tag=TAG to the URL, TAG being inflowd's "
                                "routing.retention_policy_tag");
      } else {
        routed = tags;
        routed.push_back({transport->retention_policy_tag(), retention_policy});
        line_tags = &routed;
      }
    }
    if (problem.ok()) {
      problem = AppendLine(measurement, *line_tags, fields, ns, Precision::kNanoseconds, out);
    }
    if (problem.ok()) return true;
    result->error = WriteError::kInvalid;
    result->message = problem.message();
    return false;
  }

  // Writes *batches (see Transport::Write); counts what is left unwritten.
  WriteResult Write(const std::string& retention_policy, std::deque<Batch>* batches) const {
    WriteResult result;
    transport->Write(retention_policy, batches, deadline(), &result);
    for (const Batch& batch : *batches) result.unwritten_points += batch.points;
    if (result.ok() && result.refused_points > 0) {
      result.error = WriteError::kRejected;
      result.message = "InfluxDB refused " + std::to_string(result.refused_points) + " of " +
                       std::to_string(result.refused_points + result.written_points) +
                       " points";
      if (!result.refused_lines.empty()) {
        result.message += ", first '" + result.refused_lines.front().line +
                          "': " + result.refused_lines.front().reason;
      }
    }
    return result;
  }
};

namespace {

Status MakeInfluxTransport(std::string_view url, const ClientOptions& options,
                           std::unique_ptr<Transport>* out) {
  InfluxEndpoint endpoint;
  Status status = ParseInfluxUrl(url, &endpoint.url);
  if (!status.ok()) return status;
  if (endpoint.url.tls) {
    return Status::Error("https:// is not supported yet: inflow does not speak TLS (" +
                         endpoint.url.Redacted() + ")");
  }
  if (endpoint.url.database.empty()) {
    return Status::Error("the URL names no database: " + endpoint.url.Redacted() +
                         " (write http://host:8086/DATABASE)");
  }
  endpoint.database = endpoint.url.database;
  endpoint.request_timeout = options.timeout;
  *out = std::make_unique<InfluxTransport>(std::move(endpoint), options);
  return Status::Ok();
}

}  // namespace

Client::Client(std::string_view url, ClientOptions options) : core_(std::make_shared<Core>()) {
  core_->options = std::move(options);
  if (url.starts_with("unix://") || url.starts_with("udp://")) {
    core_->status = MakeSocketTransport(url, core_->options, &core_->transport);
  } else {
    core_->status = MakeInfluxTransport(url, core_->options, &core_->transport);
  }
}

const Status& Client::status() const { return core_->status; }

WriteResult Client::write(std::string_view measurement, const std::vector<Field>& fields,
                          Timestamp timestamp, const std::vector<Tag>& tags,
                          std::string_view retention_policy) const {
  const std::string rp(retention_policy.empty() ? std::string_view(core_->options.retention_policy)
                                                : retention_policy);
  WriteResult result;
  std::deque<Batch> batches(1);
  if (!core_->BuildLine(measurement, fields, timestamp, tags, rp, &batches.front().body,
                        &result)) {
    return result;
  }
  batches.front().points = 1;
  return core_->Write(rp, &batches);
}

struct Session::State {
  State(std::shared_ptr<const Client::Core> client_core, BatchOptions batch_options)
      : core(std::move(client_core)), batcher(std::move(batch_options)) {}

  std::shared_ptr<const Client::Core> core;
  Batcher batcher;
  // Closed batches not yet written, oldest first, ahead of the batcher's
  // pending one: closed for max_batch_bytes, or kept by a failed commit.
  std::deque<Batch> unwritten;
  std::string line;
};

Session Client::session(SessionOptions options) const {
  BatchOptions batch;
  batch.retention_policy = options.retention_policy.empty() ? core_->options.retention_policy
                                                            : std::move(options.retention_policy);
  batch.autocommit_every = options.autocommit_every;
  batch.commit_interval = std::chrono::nanoseconds(0);  // a session has no timer
  batch.max_batch_bytes = core_->options.max_batch_bytes;
  return Session(std::make_unique<Session::State>(core_, std::move(batch)));
}

Session::Session(std::unique_ptr<State> state) : state_(std::move(state)) {}
Session::Session(Session&& other) noexcept = default;

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    Session old(std::move(*this));  // commits what this one held
    state_ = std::move(other.state_);
  }
  return *this;
}

Session::~Session() {
  if (!state_ || pending_points() == 0) return;
  try {
    WriteResult result = commit();
    if (result.ok()) return;
    const ClientOptions& options = state_->core->options;
    if (options.error_handler) {
      options.error_handler(result);
    } else {
      std::fprintf(stderr, "inflow: a session's commit at scope exit failed (%s): %s; %llu points lost\n",
                   std::string(WriteErrorName(result.error)).c_str(), result.message.c_str(),
                   static_cast<unsigned long long>(result.unwritten_points));
    }
  } catch (...) {
    // Out of memory, or an error handler that threw: a destructor must not.
    std::fputs("inflow: a session's commit at scope exit failed and its report threw\n", stderr);
  }
}

WriteResult Session::write(std::string_view measurement, const std::vector<Field>& fields,
                           Timestamp timestamp, const std::vector<Tag>& tags) {
  WriteResult result;
  std::string& line = state_->line;
  line.clear();
  if (!state_->core->BuildLine(measurement, fields, timestamp, tags, retention_policy(), &line,
                               &result)) {
    return result;
  }
  Batcher& batcher = state_->batcher;
  batcher.Write(line, MonoTime{});
  // Batches closed for max_batch_bytes wait for the commit.
  while (batcher.HasBatch()) state_->unwritten.push_back(batcher.TakeBatch());
  // The batcher closes its batch on the autocommit_every-th point: that
  // write commits.
  if (batcher.options().autocommit_every > 0 && batcher.pending_points() == 0) return commit();
  return result;
}

WriteResult Session::commit() {
  Batcher& batcher = state_->batcher;
  batcher.Commit();
  while (batcher.HasBatch()) state_->unwritten.push_back(batcher.TakeBatch());
  if (state_->unwritten.empty()) return WriteResult();
  return state_->core->Write(retention_policy(), &state_->unwritten);
}

size_t Session::pending_points() const {
  size_t points = state_->batcher.pending_points();
  for (const Batch& batch : state_->unwritten) points += batch.points;
  return points;
}

const std::string& Session::retention_policy() const {
  return state_->batcher.options().retention_policy;
}

}  // namespace inflow
