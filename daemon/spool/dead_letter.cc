#include "spool/dead_letter.h"

#include <cstdio>
#include <vector>

#include "inflow/line_parser.h"

namespace inflow::daemon {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

struct CivilTime {
  int64_t year;
  unsigned month, day, hour, minute, second, millisecond;
};

// Howard Hinnant's days_from_civil, inverted: the proleptic Gregorian date
// of a day counted from 1970-01-01.
CivilTime ToCivil(int64_t unix_ns) {
  // Not unix_ns - seconds * 1e9, which overflows near INT64_MIN.
  const int64_t seconds = FloorDiv(unix_ns, kNanosPerSecond);
  int64_t nanos = unix_ns % kNanosPerSecond;
  if (nanos < 0) nanos += kNanosPerSecond;
  const int64_t days = FloorDiv(seconds, kSecondsPerDay);
  const int64_t second_of_day = seconds - days * kSecondsPerDay;

  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;                                       // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;                           // [1, 31]
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;                            // [1, 12]

  CivilTime t;
  t.year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  t.month = static_cast<unsigned>(month);
  t.day = static_cast<unsigned>(day);
  t.hour = static_cast<unsigned>(second_of_day / 3600);
  t.minute = static_cast<unsigned>(second_of_day / 60 % 60);
  t.second = static_cast<unsigned>(second_of_day % 60);
  t.millisecond = static_cast<unsigned>(nanos / 1'000'000);
  return t;
}

std::string FormatDate(const CivilTime& t) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04lld-%02u-%02u", static_cast<long long>(t.year), t.month,
                t.day);
  return buffer;
}

bool IsBareWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == ':' || c == '-';
}

// `text` in double quotes, escaped so that it stays on one line and that
// InfluxDB's line splitter, which pairs a backslash with the byte after it
// and toggles "inside a string" at each other `"`, sees the quotes balanced.
void AppendQuoted(std::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (byte < 0x20 || byte == 0x7f) {
      out->append("\\x");
      out->push_back(kHex[byte >> 4]);
      out->push_back(kHex[byte & 0xf]);
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// The reason, cut to kMaxReasonBytes (at a UTF-8 character's start).
void AppendReason(std::string_view reason, std::string* out) {
  if (reason.size() <= kMaxReasonBytes) {
    AppendQuoted(reason, out);
    return;
  }
  size_t cut = kMaxReasonBytes;
  while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xc0) == 0x80) --cut;
  AppendQuoted(std::string(reason.substr(0, cut)) + " [" + std::to_string(reason.size() - cut) +
                   " more bytes left out]",
               out);
}

// `# <time> session=<session> reason="<reason>"`, without a line ending.
void AppendComment(int64_t unix_ns, std::string_view session, std::string_view reason,
                   std::string* out) {
  out->append("# ");
  out->append(FormatRfc3339Millis(unix_ns));
  out->append(" session=");
  bool bare = !session.empty();
  for (char c : session) bare = bare && IsBareWordByte(c);
  if (bare) {
    out->append(session);
  } else {
    AppendQuoted(session, out);
  }
  out->append(" reason=");
  AppendReason(reason, out);
}

// "1 line", "2 lines".
std::string Counted(uint64_t n, std::string_view noun) {
  return std::to_string(n) + " " + std::string(noun) + (n == 1 ? "" : "s");
}

uint64_t CountLines(std::string_view body) {
  LineParser parser;
  uint64_t lines = 0;
  while (!body.empty()) {
    size_t consumed = 0, newlines = 0;
    const ParseStatus status = parser.Parse(body, /*final=*/true, &consumed, &newlines);
    if (consumed == 0) break;
    if (status == ParseStatus::kPoint || status == ParseStatus::kError) ++lines;
    body.remove_prefix(consumed);
  }
  return lines;
}

}  // namespace

std::string FormatRfc3339Millis(int64_t unix_ns) {
  const CivilTime t = ToCivil(unix_ns);
  char buffer[96];
  std::snprintf(buffer, sizeof buffer, "%sT%02u:%02u:%02u.%03uZ", FormatDate(t).c_str(), t.hour,
                t.minute, t.second, t.millisecond);
  return buffer;
}

std::string DeadLetterFileName(int64_t unix_ns) { return FormatDate(ToCivil(unix_ns)) + ".lp"; }

std::string FormatRejectedBatch(int64_t unix_ns, std::string_view session, std::string_view reason,
                                std::string_view batch_body, bool possibly_partly_stored,
                                uint64_t* lines) {
  *lines = CountLines(batch_body);
  std::string out;
  if (*lines == 0) return out;
  AppendComment(unix_ns, session, reason, &out);
  out.append(" lines=");
  out.append(std::to_string(*lines));
  if (possibly_partly_stored) out.append(" possibly_partly_stored=true");
  out.push_back('\n');
  out.append(batch_body);
  if (out.back() != '\n') out.push_back('\n');
  return out;
}

std::string FormatRejectedLines(int64_t unix_ns, std::string_view session,
                                const RejectedLines& rejected) {
  if (!rejected.understood) {
    uint64_t lines = 0;
    return FormatRejectedBatch(unix_ns, session, rejected.unidentified_reason, rejected.batch,
                               /*possibly_partly_stored=*/true, &lines);
  }
  std::string out;
  for (const RejectedLine& line : rejected.lines) {
    AppendComment(unix_ns, session, line.reason, &out);
    out.push_back('\n');
    out.append(line.line);
    out.push_back('\n');
  }
  if (rejected.unidentified_dropped > 0) {
    const std::vector<std::string_view>& candidates = rejected.unidentified_candidates;
    AppendComment(unix_ns, session, rejected.unidentified_reason, &out);
    out.append(" unidentified_points=");
    out.append(std::to_string(rejected.unidentified_dropped));
    if (!candidates.empty()) {
      out.append(" lines=");
      out.append(std::to_string(candidates.size()));
      if (!rejected.AllCandidatesDropped()) out.append(" possibly_partly_stored=true");
    }
    out.push_back('\n');
    for (std::string_view line : candidates) {
      out.append(line);
      out.push_back('\n');
    }
  }
  return out;
}

std::string DescribeRejectedLines(const RejectedLines& rejected, std::string_view path) {
  const std::string batch = "a batch of " + Counted(rejected.batch_lines, "point");
  if (!rejected.understood) {
    return "InfluxDB refused points of " + batch +
           " without saying which (the whole batch kept in " + std::string(path) +
           ", marked possibly_partly_stored)";
  }
  const uint64_t named = rejected.lines.size();
  const uint64_t unnamed = rejected.unidentified_dropped;
  const uint64_t candidates = rejected.unidentified_candidates.size();
  // Candidates that were all dropped are as good as named.
  const bool unknown = unnamed > 0 && !rejected.AllCandidatesDropped();
  // Of the lines named, possibly_stored may have been stored by another
  // shard: InfluxDB's own count is the one given.
  const uint64_t refused = named + unnamed - rejected.possibly_stored;
  std::string out = "InfluxDB refused " + std::to_string(refused) + " of " + batch;
  if (unknown) out += ", " + std::to_string(unnamed) + " without naming them";
  out += " (" + Counted(named + candidates, "line") + " kept in " + std::string(path);
  if (unknown) out += ", " + std::to_string(candidates) + " of them marked possibly_partly_stored";
  if (unnamed > candidates) {
    out += ", " + Counted(unnamed - candidates, "point") + " not found in the batch";
  }
  if (rejected.possibly_stored > 0) {
    out += ", " + std::to_string(rejected.possibly_stored) +
           " of those named possibly stored by another shard";
  }
  out += ")";
  return out;
}

Status DeadLetterFile::Open(std::string spool_dir, FileSystem* fs) {
  CloseFile();
  fs_ = nullptr;
  dir_ = std::move(spool_dir) + "/rejected";
  if (Status s = fs->CreateDir(dir_); !s.ok()) return s;
  fs_ = fs;
  return Status::Ok();
}

Status DeadLetterFile::Write(int64_t unix_ns, std::string_view session,
                             const RejectedLines& rejected) {
  if (Status s = Append(unix_ns, FormatRejectedLines(unix_ns, session, rejected)); !s.ok()) {
    return s;
  }
  if (rejected.understood) {
    lines_written_ += rejected.lines.size() + rejected.unidentified_candidates.size();
    unidentified_written_ += rejected.unidentified_dropped;
  } else {
    lines_written_ += rejected.batch_lines;  // the whole batch went in
  }
  return Status::Ok();
}

Status DeadLetterFile::WriteBatch(int64_t unix_ns, std::string_view session,
                                  std::string_view reason, std::string_view batch_body) {
  uint64_t lines = 0;
  const std::string entries = FormatRejectedBatch(unix_ns, session, reason, batch_body,
                                                  /*possibly_partly_stored=*/false, &lines);
  if (Status s = Append(unix_ns, entries); !s.ok()) return s;
  lines_written_ += lines;
  return Status::Ok();
}

Status DeadLetterFile::Append(int64_t unix_ns, std::string_view entries) {
  if (entries.empty()) return Status::Ok();
  if (fs_ == nullptr) return Status::Error("dead letters: not open");

  const std::string path = dir_ + "/" + DeadLetterFileName(unix_ns);
  if (file_ == nullptr || path != path_) {
    CloseFile();
    if (Status s = OpenDayFile(path); !s.ok()) return s;
  }

  // One append, so that a failure leaves at most one torn tail to cut.
  std::string data;
  if (needs_newline_) data.push_back('\n');
  data.append(entries);

  if (Status s = file_->Append(data); !s.ok()) {
    // Cut what part of it was written; if that fails too, the next open
    // finds the file ending inside a line and starts a new one.
    if (!file_->Truncate(size_).ok()) CloseFile();
    return s;
  }
  if (Status s = file_->Sync(); !s.ok()) {
    // What was written may or may not be on disk, and a later fdatasync
    // would not tell (file_system.h): give the file up, reopen next time.
    CloseFile();
    return s;
  }
  size_ += data.size();
  needs_newline_ = false;
  bytes_written_ += data.size();
  return Status::Ok();
}

Status DeadLetterFile::OpenDayFile(const std::string& path) {
  uint64_t size = 0;
  bool created = false;
  if (Status s = fs_->FileSize(path, &size); !s.ok()) {
    if (!IsNotFound(s)) return s;
    created = true;
  }
  std::unique_ptr<WritableFile> file;
  Status s = fs_->OpenWritable(path, &file);
  if (!s.ok() && IsNotFound(s)) {
    // The folder went away since Open (removed by hand): make it again.
    if (Status made = fs_->CreateDir(dir_); !made.ok()) return made;
    s = fs_->OpenWritable(path, &file);
  }
  if (!s.ok()) return s;
  if (created) {
    if (Status synced = fs_->SyncDir(dir_); !synced.ok()) return synced;
  }

  // A file that ends inside a line (an append cut short before a crash, or
  // an earlier failure not cut away) gets a newline before the next entry,
  // so the entry is not glued to the torn line. If the last byte cannot be
  // read, a newline costs only a blank line.
  bool needs_newline = false;
  if (size > 0) {
    needs_newline = true;
    std::unique_ptr<ReadableFile> reader;
    char last = 0;
    size_t got = 0;
    if (fs_->OpenReadable(path, &reader).ok() && reader->Read(size - 1, 1, &last, &got).ok() &&
        got == 1) {
      needs_newline = last != '\n';
    }
  }

  file_ = std::move(file);
  path_ = path;
  size_ = size;
  needs_newline_ = needs_newline;
  return Status::Ok();
}

void DeadLetterFile::CloseFile() {
  file_.reset();
  path_.clear();
  size_ = 0;
  needs_newline_ = false;
}

}  // namespace inflow::daemon
