// Percent-encoding (RFC 3986, section 2.1): a byte written as `%` and two
// hex digits. One encoder and one decoder for every place that needs them:
// InfluxDB's query strings and form bodies, the user info and path of
// `influxdb.url`, the query strings of inflowd's HTTP listener, and the
// names of the spool's session folders.
//
// Pure: no I/O. Thread-compatible.

#ifndef INFLOW_PERCENT_ENCODING_H_
#define INFLOW_PERCENT_ENCODING_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace inflow {

// RFC 3986's unreserved punctuation: with the ASCII letters and digits, the
// bytes a URL component may hold bare.
inline constexpr std::string_view kUnreservedPunctuation = "-._~";

// Appends `text` to *out, each byte as it is if it is an ASCII letter or
// digit or one of `bare_punctuation`, else as `%XX` with capital hex digits
// (RFC 3986 prefers capitals). Every byte value is allowed; UTF-8 is encoded
// byte by byte.
void AppendPercentEncoded(std::string_view text, std::string* out,
                          std::string_view bare_punctuation = kUnreservedPunctuation);

// As AppendPercentEncoded, into a new string.
std::string PercentEncoded(std::string_view text,
                           std::string_view bare_punctuation = kUnreservedPunctuation);

// What a `+` means: itself (RFC 3986: URLs, user info) or a space
// (application/x-www-form-urlencoded: query strings, form bodies).
enum class PlusSign : unsigned char { kPlus, kSpace };

// Decodes `text` into *out (replacing its contents): each `%XX` (hex digits
// of either case) becomes its byte, and each `+` a space if `plus` says so;
// every other byte stays as it is.
//
// Returns true on success. On a `%` not followed by two hex digits, returns
// false, sets *error_at (when not null) to that `%`'s offset in `text`, and
// leaves *out unspecified.
bool PercentDecode(std::string_view text, PlusSign plus, std::string* out,
                   size_t* error_at = nullptr);

}  // namespace inflow

#endif  // INFLOW_PERCENT_ENCODING_H_
