// Service configuration: one YAML file per service, every key overridable
// by environment variable and by command-line flag.
//
// A Config is a schema of typed keys ("section.key") bound to fields of a
// caller-owned struct. Load() applies, in order, the defaults (the field
// values at Bind time), the YAML file, the environment
// (CRAWLSTREAM_<SECTION>_<KEY>, upper case) and the flags
// (--section.key=value or --section.key value). Later sources win.
//
// Errors name the key, the value (control characters escaped) and the
// reason, and Load() stops at the first source with errors after
// collecting that source's errors (the first kMaxReportedErrors are
// listed, then a count of the rest):
//   - a YAML key that is not in the schema, a list item that is not a
//     scalar, a document over kMaxYamlBytes, or one whose aliases expand
//     to more than kMaxYamlNodes nodes (an alias bomb),
//   - an environment variable CRAWLSTREAM_<SECTION>_<KEY> whose section is
//     in the schema but whose key is not,
//   - a flag that is not in the schema,
//   - a value that does not parse or fails its validator,
//   - a string or list value with a control character (TextRule below):
//     values go into HTTP headers, URLs, Kafka requests and log lines.
//
// Warnings (warnings(), for the caller to print) name CRAWLSTREAM_*
// variables that match no key of any service (kSections) and are not
// known tooling variables: a misspelt section such as
// CRAWLSTREAM_FETCHR_MIN_DELAY would otherwise be ignored without a word.
// Variables of other services' sections are ignored.
//
// Not thread-safe; used once at start.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "services/common/result.h"

namespace YAML {
class Node;
}

namespace crawlstream {

// Limits on a configuration document (YAML file).
inline constexpr size_t kMaxYamlBytes = 1 << 20;
inline constexpr size_t kMaxYamlNodes = 10'000;  // after alias expansion
inline constexpr size_t kMaxReportedErrors = 20;

// What a string or list value may contain.
enum class TextRule {
  kSingleLine,  // no control characters (U+0000-U+001F, U+007F): the default
  kMultiLine,   // also line breaks and tabs (e.g. PEM blocks in kafka.extra)
};

class Config {
 public:
  using Validator = std::function<Status(const std::string& raw)>;

  // Bind a key to a field. The field's current value is the default.
  void Bind(const std::string& key, std::string* field, std::string help,
            TextRule rule = TextRule::kSingleLine);
  void Bind(const std::string& key, bool* field, std::string help);
  void Bind(const std::string& key, int64_t* field, std::string help,
            int64_t min, int64_t max);
  void Bind(const std::string& key, double* field, std::string help,
            double min, double max);
  // Durations accept "250ms", "2s", "5m", "1h" or a bare number of seconds.
  void Bind(const std::string& key, std::chrono::milliseconds* field,
            std::string help, std::chrono::milliseconds min,
            std::chrono::milliseconds max);
  // Lists: a YAML sequence, or a comma-separated string (env and flags).
  void Bind(const std::string& key, std::vector<std::string>* field,
            std::string help, TextRule rule = TextRule::kSingleLine);
  // Byte sizes accept "512", "64KiB", "10MiB", "1GiB", "10MB".
  void BindBytes(const std::string& key, int64_t* field, std::string help,
                 int64_t min, int64_t max);
  // Restrict a string key to a set of values.
  void BindEnum(const std::string& key, std::string* field, std::string help,
                std::vector<std::string> allowed);
  // After Bind: the key's values may hold credentials. Errors name the
  // key and the reason, never the value ("key=<redacted>").
  void MarkSecret(const std::string& key);
  // After Bind of a list key: its environment and flag text is split by
  // `split` instead of at every comma (kafka.extra keeps commas inside
  // values, kafka_options.h).
  using ListSplitter = std::function<std::vector<std::string>(const std::string& raw)>;
  void SetListSplitter(const std::string& key, ListSplitter split);

  // Apply YAML file (may be empty: no file), environment and flags.
  // `environ` is injected for tests; pass ::environ in production.
  Status Load(const std::string& yaml_path, char** environ_block,
              const std::vector<std::pair<std::string, std::string>>& flags);

  // Same, with YAML text instead of a file.
  Status LoadText(const std::string& yaml_text, const std::string& origin,
                  char** environ_block,
                  const std::vector<std::pair<std::string, std::string>>& flags);

  bool Has(const std::string& key) const { return keys_.contains(key); }
  // "CRAWLSTREAM_KAFKA_BROKERS" for "kafka.brokers".
  static std::string EnvName(const std::string& key);
  // Help text: every key, its env name, default and meaning.
  std::string Help() const;
  // The effective value of every key after Load(), for the start-up log.
  std::map<std::string, std::string> Effective() const;
  // Warnings of the last Load(), one line each, without a trailing newline.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Key {
    std::string help;
    std::string default_text;
    std::function<Status(const std::string& raw)> set;   // scalar text
    std::function<std::string()> get;
    bool is_list = false;
    std::vector<std::string>* list = nullptr;
    TextRule rule = TextRule::kSingleLine;
    bool secret = false;
  };
  void Add(const std::string& key, Key k);
  Status SetFromText(const std::string& key, const std::string& raw,
                     const std::string& origin);

  Status SetListFromYaml(const std::string& key, const Key& k, const YAML::Node& node,
                         const std::string& origin);
  void WarnAboutStrayVariable(const std::string& name);

  std::map<std::string, Key> keys_;
  std::vector<std::string> warnings_;
};

// Every configuration section of every crawlstream program; a
// CRAWLSTREAM_<SECTION>_* variable of another section draws a warning.
inline constexpr const char* kSections[] = {"service", "kafka",     "topics", "fetcher",
                                            "extractor", "dedup", "broker"};
// The first control character in `value` and why it is refused, or Ok.
Status CheckText(const std::string& value, TextRule rule);

// Parses "250ms" / "2s" / "5m" / "1h" / "3" (seconds).
Result<std::chrono::milliseconds> ParseDuration(const std::string& text);
// Parses "512" / "64KiB" / "10MiB" / "1GiB" / "10MB" / "1KB".
Result<int64_t> ParseBytes(const std::string& text);

// Splits argv into (key, value) flags for Config::Load and positional
// arguments. Recognises --key=value and --key value; a flag without a
// value followed by another flag (or nothing) gets "true". `bare` lists
// flags that never take a separate value (e.g. "check-config", "help").
struct ParsedArgs {
  std::vector<std::pair<std::string, std::string>> flags;
  std::vector<std::string> positional;
};
ParsedArgs ParseArgs(int argc, char** argv, int first,
                     const std::vector<std::string>& bare);

}  // namespace crawlstream
