#include "inflow/redis_url.h"

#include <charconv>

#include "inflow/host_port.h"
#include "inflow/percent_encoding.h"

namespace inflow {
namespace {

// Parses all of `text` as a decimal in [min, max].
bool ParseNumber(std::string_view text, int min, int max, int* value) {
  int parsed = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || parsed < min ||
      parsed > max) {
    return false;
  }
  *value = parsed;
  return true;
}

bool ParsePort(std::string_view text, uint16_t* port) {
  int parsed = 0;
  if (!ParseNumber(text, 1, 65535, &parsed)) return false;
  *port = static_cast<uint16_t>(parsed);
  return true;
}

// Redis's databases are numbered from 0; servers have 16 by default, and
// more when configured, so only the sign and the int range are checked
// here: SELECT names an index the server does not have.
bool ParseDb(std::string_view text, int* db) {
  return ParseNumber(text, 0, 2147483647, db);
}

// Splits the user info off *authority (up to its last '@': a password may
// hold one) and decodes it into address.
Status TakeUserInfo(std::string_view* authority, RedisAddress* address) {
  size_t at = authority->rfind('@');
  if (at == std::string_view::npos) return Status::Ok();
  std::string_view user_info = authority->substr(0, at);
  authority->remove_prefix(at + 1);
  size_t colon = user_info.find(':');
  if (colon == std::string_view::npos) {
    // redis://secret@host: one word is the password, as redis-cli reads it.
    if (!PercentDecode(user_info, PlusSign::kPlus, &address->password)) {
      return Status::Error("Redis URL has a malformed %-escape in its password");
    }
    return Status::Ok();
  }
  if (!PercentDecode(user_info.substr(0, colon), PlusSign::kPlus, &address->username)) {
    return Status::Error("Redis URL has a malformed %-escape in its user name");
  }
  if (!PercentDecode(user_info.substr(colon + 1), PlusSign::kPlus, &address->password)) {
    return Status::Error("Redis URL has a malformed %-escape in its password");
  }
  return Status::Ok();
}

Status ParseUnixUrl(std::string_view rest, RedisAddress* address) {
  size_t path_start = rest.find('/');
  if (path_start == std::string_view::npos) {
    return Status::Error("Redis URL unix:// needs an absolute socket path (unix:///path)");
  }
  std::string_view authority = rest.substr(0, path_start);
  if (Status status = TakeUserInfo(&authority, address); !status.ok()) return status;
  if (!authority.empty()) {
    return Status::Error("Redis URL unix:// takes no host: write unix:///path");
  }
  std::string_view path = rest.substr(path_start);
  if (size_t query = path.find('?'); query != std::string_view::npos) {
    std::string_view parameter = path.substr(query + 1);
    path = path.substr(0, query);
    if (!parameter.starts_with("db=") || !ParseDb(parameter.substr(3), &address->db)) {
      return Status::Error("Redis URL query must be db=N, a database index");
    }
  }
  if (path.size() <= 1) return Status::Error("Redis URL unix:// has no socket path");
  if (!PercentDecode(path, PlusSign::kPlus, &address->unix_socket)) {
    return Status::Error("Redis URL has a malformed %-escape in its socket path");
  }
  return Status::Ok();
}

Status ParseTcpUrl(std::string_view rest, RedisAddress* address) {
  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start + 1);
  if (authority.find_first_of("?#") != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return Status::Error("Redis URL may not have a query or fragment");
  }
  if (Status status = TakeUserInfo(&authority, address); !status.ok()) return status;

  if (Status status = ParseHostPort(authority, &address->host, &address->port); !status.ok()) {
    std::string what = "Redis URL has ";
    what.append(status.message());
    return Status::Error(std::move(what));
  }

  if (path.ends_with('/')) path.remove_suffix(1);
  if (!path.empty() && !ParseDb(path, &address->db)) {
    return Status::Error("Redis URL path must be a database index, not '" + std::string(path) +
                         "'");
  }
  return Status::Ok();
}

}  // namespace

std::string RedisAddress::Name() const {
  if (!unix_socket.empty()) return unix_socket;
  std::string name;
  AppendHostPort(host, port, &name);
  return name;
}

Status ParseRedisUrl(std::string_view text, RedisAddress* address) {
  *address = RedisAddress{};
  if (text.starts_with("redis://")) return ParseTcpUrl(text.substr(8), address);
  if (text.starts_with("unix://")) return ParseUnixUrl(text.substr(7), address);
  if (text.starts_with("rediss://")) {
    return Status::Error("Redis URL rediss:// (TLS) is not supported: use redis:// or unix://");
  }
  return Status::Error("Redis URL must start with redis:// or unix://");
}

Status RedisAddressFromEnvironment(const GetEnvironment& getenv, RedisAddress* address) {
  auto value = [&getenv](const char* name) -> std::string_view {
    const char* text = getenv(name);
    return text == nullptr ? std::string_view() : std::string_view(text);
  };
  if (std::string_view url = value("INFLOW_REDIS_URL"); !url.empty()) {
    Status status = ParseRedisUrl(url, address);
    if (!status.ok()) return Status::Error("INFLOW_REDIS_URL: " + status.message());
    return Status::Ok();
  }
  *address = RedisAddress{};
  if (std::string_view host = value("REDIS_HOST"); !host.empty()) address->host = host;
  if (std::string_view port = value("REDIS_PORT"); !port.empty()) {
    if (!ParsePort(port, &address->port)) {
      return Status::Error("REDIS_PORT must be a port from 1 to 65535, not '" +
                           std::string(port) + "'");
    }
  }
  address->password = value("REDIS_PASSWORD");
  return Status::Ok();
}

}  // namespace inflow
