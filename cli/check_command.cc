#include "check_command.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "inflow/line_parser.h"
#include "inflow/line_writer.h"

namespace inflow::cli {

namespace {

constexpr size_t kReadChunkBytes = 1 << 20;

struct CheckOptions {
  std::string precision = "ns";
  bool canonical = false;
  bool no_unsigned = false;
  std::vector<std::string> files;
};

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f != stdin) std::fclose(f);
  }
};

// Checks one input, streaming it through the parser in chunks, so that
// files of any size take constant memory beyond their longest line.
// Returns false if the input could not be read.
bool CheckInput(const std::string& name, std::FILE* file, LineParser* parser, bool canonical,
                size_t* invalid) {
  std::string buffer;
  std::string out;
  size_t line_number = 1;  // of buffer[0]
  bool eof = false;

  while (!eof) {
    size_t old_size = buffer.size();
    buffer.resize(old_size + kReadChunkBytes);
    size_t got = std::fread(buffer.data() + old_size, 1, kReadChunkBytes, file);
    buffer.resize(old_size + got);
    if (got < kReadChunkBytes) {
      if (std::ferror(file)) {
        std::fprintf(stderr, "inflow check: %s: %s\n", name.c_str(), std::strerror(errno));
        return false;
      }
      eof = true;
    }

    std::string_view rest(buffer);
    size_t consumed, newlines;
    for (;;) {
      ParseStatus status = parser->Parse(rest, eof, &consumed, &newlines);
      if (status == ParseStatus::kNeedMore || (consumed == 0 && rest.empty())) break;
      if (status == ParseStatus::kError) {
        ++*invalid;
        // The error's physical line and column, counting newlines inside
        // string fields that precede it.
        const ParseError& error = parser->error();
        std::string_view before = rest.substr(0, std::min(error.offset, rest.size()));
        size_t line = line_number, column_start = 0;
        for (size_t i = 0; i < before.size(); ++i) {
          if (before[i] == '\n') {
            ++line;
            column_start = i + 1;
          }
        }
        std::fprintf(stderr, "%s:%zu:%zu: error: %s\n", name.c_str(), line,
                     error.offset - column_start + 1, error.reason.c_str());
      } else if (status == ParseStatus::kPoint && canonical) {
        AppendCanonical(parser->point(), &out);
        out.push_back('\n');
      }
      line_number += newlines;
      rest.remove_prefix(consumed);
      if (consumed == 0) break;
    }
    if (!out.empty()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
    buffer.erase(0, buffer.size() - rest.size());
  }
  return true;
}

int RunCheck(const CheckOptions& options) {
  ParserOptions parser_options;
  parser_options.precision = *ParsePrecision(options.precision);
  parser_options.allow_unsigned = !options.no_unsigned;
  LineParser parser(parser_options);

  std::vector<std::string> files = options.files;
  if (files.empty()) files.push_back("-");

  size_t invalid = 0;
  for (const std::string& name : files) {
    std::unique_ptr<std::FILE, FileCloser> file(name == "-" ? stdin
                                                            : std::fopen(name.c_str(), "rb"));
    if (!file) {
      std::fprintf(stderr, "inflow check: cannot open %s: %s\n", name.c_str(),
                   std::strerror(errno));
      return 2;
    }
    if (!CheckInput(name, file.get(), &parser, options.canonical, &invalid)) return 2;
  }
  std::fflush(stdout);
  return invalid == 0 ? 0 : 1;
}

}  // namespace

void AddCheckCommand(CLI::App* app, int* exit_code) {
  auto options = std::make_shared<CheckOptions>();
  CLI::App* check = app->add_subcommand(
      "check",
      "Check line protocol. Each invalid line is reported on standard error as "
      "FILE:LINE:COLUMN: error: REASON. Exit status: 0 when every line is valid, 1 when any "
      "is invalid, 2 on a usage error or an unreadable file.");
  check->add_option("--precision", options->precision, "Unit of the timestamps")
      ->check(CLI::IsMember({"ns", "us", "ms", "s"}))
      ->capture_default_str();
  check->add_flag("--canonical", options->canonical,
                  "Write the canonical form of each valid line to standard output "
                  "(tags sorted, escapes normalized)");
  check->add_flag("--no-unsigned", options->no_unsigned,
                  "Reject unsigned fields (7u), as InfluxDB 1.x servers built without "
                  "unsigned support do");
  check->add_option("FILE", options->files, "Files to check; standard input when none or -");
  check->callback([options, exit_code] { *exit_code = RunCheck(*options); });
}

}  // namespace inflow::cli
