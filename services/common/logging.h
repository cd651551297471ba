// Process-wide logging setup on spdlog.
//
// When stderr is not a terminal (containers, CI, pipes) every record is one
// JSON object per line: {"ts","level","logger","msg", ...fields}. On a
// terminal the records are readable text. Call InitLogging() once at start,
// before any thread logs; afterwards use spdlog::info(...) etc. as usual.
#pragma once

#include <string>

#include "services/common/result.h"

namespace crawlstream {

enum class LogFormat { kAuto, kJson, kText };

// `level` is one of trace, debug, info, warn, error, critical, off.
// `service` names the default logger (appears as "logger" in JSON).
Status InitLogging(const std::string& service, const std::string& level,
                   LogFormat format = LogFormat::kAuto);

// Escapes `text` for inclusion inside a JSON string literal.
std::string JsonEscape(std::string_view text);

}  // namespace crawlstream
