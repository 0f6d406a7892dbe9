// GET /last's pure half: the request's query parameters as a
// LastValueQuery, and the words and body of its answers
// (listeners/http_listener.h serves it).
//
//   measurement=M   required, once
//   tag=KEY:VALUE   any number; only series with all of them. Split at the
//                   first ':', so a key holding ':' cannot be asked for
//   field=F         any number; only those fields (default: every field)
//   db=DB           once; default: the database inflowd writes to
//   rp=RP           once; default: any retention policy the cache holds
//   last=N          once; 1 (default) to 100: also the N recent points
//
// Values are percent-decoded (ParseQueryString). An empty db or rp counts
// as not given, as for /write.

#ifndef INFLOW_DAEMON_LISTENERS_HTTP_LAST_REQUEST_H_
#define INFLOW_DAEMON_LISTENERS_HTTP_LAST_REQUEST_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inflow/last_value_lookup.h"
#include "inflow/status.h"

namespace inflow::daemon {

// Sets *query from `params`. On a bad query (an unknown parameter, one
// given twice, no measurement, a tag not KEY:VALUE, last not a whole number
// from 1 to 100, an empty field name or tag key) returns an error naming
// the parameter and what is wrong with it; *query is then unspecified.
Status ParseLastRequest(const std::vector<std::pair<std::string, std::string>>& params,
                        std::string_view default_database, LastValueQuery* query);

// What `query` asks, for the answer that nothing matched, e.g.
//   measurement "cpu" with tags host:h1, fields usage, in database
//   "telegraf", any retention policy
std::string DescribeLastQuery(const LastValueQuery& query);

// The 200 answer's body: FormatLastValueRecord of each, each line ending
// in '\n'.
std::string FormatLastValueLines(const std::vector<LastValueRecord>& records);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_HTTP_LAST_REQUEST_H_
