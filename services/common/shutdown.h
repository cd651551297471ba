// SIGTERM / SIGINT handling: the first signal asks the process to stop
// (stop intake, drain, flush, commit, close, exit 0); a second one while
// draining exits at once with status 130.
//
// Install() once from main before starting threads. Requested() is
// async-signal-safe to read from any thread; Signal() tells which signal
// asked first (for an exit status of 128 + signal where stopping early is
// not success); WaitFor() blocks until a stop is requested or the timeout
// passes.
#pragma once

#include <chrono>

namespace crawlstream {

class Shutdown {
 public:
  static void Install();
  static bool Requested();
  // SIGTERM or SIGINT when a signal asked for the stop, 0 otherwise.
  static int Signal();
  // Lets tests and embedded stages request a stop without a signal.
  static void Request();
  // Clears the request (tests only).
  static void Reset();
  // Returns true when a stop was requested within `timeout`.
  static bool WaitFor(std::chrono::milliseconds timeout);
};

}  // namespace crawlstream
