// The one result type of the project: Result<T> is std::expected<T, Error>.
//
// Functions that can fail return Result<T> (or Status for no value) and never
// throw across a library boundary. Error carries a coarse code that callers
// branch on and a message for humans that names the input and the reason.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>

namespace crawlstream {

enum class ErrorCode {
  kInvalidArgument,   // bad input or config value
  kNotFound,          // a file, key or record that does not exist
  kIo,                // file or socket error
  kParse,             // malformed bytes (HTML, proto, JSON, YAML)
  kUnavailable,       // transient: broker down, timeout; retry may succeed
  kResourceExhausted, // a size or memory limit was hit
  kPermissionDenied,  // refused by policy (robots.txt, SSRF guard)
  kNotAnArticle,      // extractor: the page holds no article
  kInternal,          // a bug or an invariant broken
};

std::string_view ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  Error() = default;
  Error(ErrorCode c, std::string m) : code(c), message(std::move(m)) {}
  // "invalid_argument: <message>"
  std::string ToString() const;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

// Shorthand for `return Fail(ErrorCode::kParse, "...")`.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}

inline Status Ok() { return {}; }

}  // namespace crawlstream
