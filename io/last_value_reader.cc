// LookupLastValues: the pure LastValueLookup (core/cache) run over the
// blocking RedisClient.

#include <string>
#include <vector>

#include "inflow/last_value_lookup.h"
#include "inflow/redis_client.h"

namespace inflow {

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

}  // namespace inflow
