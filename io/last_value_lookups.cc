// The blocking drivers of the last-value lookups: LookupLastValues (the
// cache, over RedisClient) and LookupLastValuesInInfluxDb (InfluxDB, over
// an InfluxConnection on a loop of its own). Both run the pure state
// machines of core/cache.

#include <uv.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "inflow/host_port.h"
#include "inflow/influx_connection.h"
#include "inflow/last_value_influx.h"
#include "inflow/last_value_lookup.h"
#include "inflow/redis_client.h"

namespace inflow {
namespace {

constexpr size_t kMaxQueryAnswerBytes = size_t{1} << 30;

}  // namespace

Status LookupLastValues(RedisClient* client, std::string_view key_prefix,
                        const LastValueQuery& query, std::vector<LastValueRecord>* records) {
  if (Status status = CheckLastValueQuery(query); !status.ok()) return status;
  LastValueLookup lookup{std::string(key_prefix), query};
  std::vector<RedisValue> replies;
  while (!lookup.done()) {
    std::vector<std::vector<std::string>> commands = lookup.Commands();
    if (Status status = client->Pipeline(commands, &replies); !status.ok()) return status;
    if (Status status = lookup.OnReplies(replies); !status.ok()) {
      return Status::Error("Redis " + client->options().address.Name() + ": " +
                           status.message());
    }
  }
  *records = lookup.TakeRecords();
  return Status::Ok();
}

Status LookupLastValuesInInfluxDb(const InfluxEndpoint& endpoint, const LastValueQuery& query,
                                  std::vector<LastValueRecord>* records, std::string* absent) {
  if (Status status = CheckLastValueQuery(query); !status.ok()) return status;
  if (!query.database) return Status::Error("InfluxDB: a database is needed");
  InfluxEndpoint on_database = endpoint;
  on_database.database = *query.database;
  // Every series of a measurement can be asked for: 100,000 series answer
  // in some 13 MB per field.
  on_database.max_answer_bytes = std::max(endpoint.max_answer_bytes, kMaxQueryAnswerBytes);
  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc < 0) {
    return Status::Error(std::string("cannot start an event loop: ") + uv_strerror(rc));
  }
  std::string name = "InfluxDB ";
  AppendHostPort(endpoint.url.host, endpoint.url.port, &name);
  name.append(": ");
  Status status = Status::Ok();
  {
    InfluxConnection connection(&loop, &on_database);
    InfluxLastValueLookup lookup(query);
    while (status.ok() && !lookup.done()) {
      std::optional<WriteVerdict> verdict;
      std::string body;
      connection.Query(lookup.Statements(), [&](const WriteVerdict& v, std::string b) {
        verdict = v;
        body = std::move(b);
        uv_stop(&loop);  // the kept-alive connection stays active
      });
      uv_run(&loop, UV_RUN_DEFAULT);
      // An answer, even an error status, carries InfluxDB's JSON: its
      // error is OnAnswer's to read.
      if (!verdict || !verdict->answered) {
        status = Status::Error(name + (verdict ? verdict->error : "no answer"));
      } else if (Status read = lookup.OnAnswer(body); !read.ok()) {
        status = Status::Error(name + read.message());
      }
    }
    if (status.ok()) {
      *records = lookup.TakeRecords();
      if (absent != nullptr) *absent = lookup.absent();
    }
    connection.Close();
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_loop_close(&loop);
  return status;
}

}  // namespace inflow
