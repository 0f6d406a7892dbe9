// Status: the result of an operation that can fail, as a value.
//
// A Status is either OK or carries a message that names what was wrong and
// where. Functions that can fail return one instead of throwing.

#ifndef INFLOW_STATUS_H_
#define INFLOW_STATUS_H_

#include <string>
#include <string_view>
#include <utility>

namespace inflow {

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : failed_(true), message_(std::move(message)) {}

  bool failed_ = false;
  std::string message_;
};

}  // namespace inflow

#endif  // INFLOW_STATUS_H_
