#pragma once

#include <stdexcept>
#include <string>

namespace tunecase {

// An error the user can fix. The message says what went wrong, where (file:line, field) and
// what to do; the CLI prints it without a stack trace and exits non-zero.
class UserError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tunecase
