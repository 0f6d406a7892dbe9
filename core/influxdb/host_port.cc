#include "inflow/host_port.h"

#include <charconv>

namespace inflow {

Status ParseHostPort(std::string_view authority, std::string* host, uint16_t* port) {
  std::string_view port_text;
  bool has_port = false;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::Error("an unclosed '['");
    host->assign(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::Error("text after its IPv6 host");
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = authority.rfind(':');
    host->assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (host->empty()) return Status::Error("no host");
  if (!has_port) return Status::Ok();
  if (port_text.empty()) return Status::Error("an empty port");
  unsigned value = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || value == 0 ||
      value > 65535) {
    // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict in
    // `"..." + std::string(...)`.
    std::string what = "an invalid port '";
    what.append(port_text);
    what.push_back('\'');
    return Status::Error(std::move(what));
  }
  *port = static_cast<uint16_t>(value);
  return Status::Ok();
}

void AppendHostPort(std::string_view host, uint16_t port, std::string* out) {
  const bool v6 = host.find(':') != std::string_view::npos;
  if (v6) out->push_back('[');
  out->append(host);
  if (v6) out->push_back(']');
  out->push_back(':');
  out->append(std::to_string(port));
}

}  // namespace inflow
