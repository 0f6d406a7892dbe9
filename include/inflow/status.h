// Status: the result of an operation that can fail, as a value.
//
// A Status is either OK or carries a message that names what was wrong and
// where, and, when a system call failed, that call's errno, so that callers
// tell causes apart by a number (IsNoSpace in daemon/spool/file_system.h)
// and never by the message's words. Functions that can fail return one
// instead of throwing.

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
  // An error; `sys_errno` is the errno of the system call that failed, or
  // 0 when no system call is the cause.
  static Status Error(std::string message, int sys_errno = 0) {
    return Status(std::move(message), sys_errno);
  }

  bool ok() const { return !failed_; }
  const std::string& message() const { return message_; }
  // The errno given to Error; 0 for OK, and for errors not of a system call.
  int sys_errno() const { return sys_errno_; }

 private:
  Status(std::string message, int sys_errno)
      : failed_(true), sys_errno_(sys_errno), message_(std::move(message)) {}

  bool failed_ = false;
  int sys_errno_ = 0;
  std::string message_;
};

}  // namespace inflow

#endif  // INFLOW_STATUS_H_
