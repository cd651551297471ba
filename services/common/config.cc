#include "services/common/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

namespace crawlstream {
namespace {

std::string Trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> SplitList(const std::string& raw) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(raw);
  while (std::getline(in, item, ',')) {
    item = Trim(item);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string JoinList(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ",";
    out += v[i];
  }
  return out;
}

// A value as shown in an error: control characters escaped, so that a
// refused "a\r\nX-Injected: yes" cannot forge a log line of its own.
std::string Shown(const std::string& raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : raw) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
    else out += ch;
  }
  return out;
}

Error KeyError(const std::string& key, const std::string& raw,
               const std::string& origin, const std::string& reason, bool secret = false) {
  return Error(ErrorCode::kInvalidArgument,
               origin + ": " + key + (secret ? "=<redacted>" : "=\"" + Shown(raw) + "\"") +
                   ": " + reason);
}

// Parts of a variable name whose value is never shown, even when the
// variable is not one of our keys (CRAWLSTREAM_KAFKA_EXTRAS, a typo).
constexpr std::string_view kSecretNameParts[] = {"EXTRA", "PASSWORD", "SECRET", "SASL", "TOKEN"};

bool LooksSecret(const std::string& env_name) {
  return std::any_of(std::begin(kSecretNameParts), std::end(kSecretNameParts),
                     [&](std::string_view part) { return env_name.find(part) != std::string::npos; });
}

// Edit distance (insertions, deletions, substitutions), for "did you mean".
size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// CRAWLSTREAM_* variables that are read by build and test tooling, not by
// the configuration.
constexpr std::string_view kToolingVariables[] = {
    "CRAWLSTREAM_SOURCE_DIR",  "CRAWLSTREAM_BINARY_DIR",       "CRAWLSTREAM_DEFAULT_SOURCE_DIR",
    "CRAWLSTREAM_JOBS",        "CRAWLSTREAM_TEST_JOBS",        "CRAWLSTREAM_IMAGE",
    "CRAWLSTREAM_CORPUS_DIR",  "CRAWLSTREAM_E2E_METRICS_DIR",
};

Result<int64_t> ParseInt(const std::string& text) {
  std::string t = Trim(text);
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || p != t.data() + t.size()) {
    return Fail(ErrorCode::kInvalidArgument, "not an integer");
  }
  return v;
}

Result<double> ParseDouble(const std::string& text) {
  std::string t = Trim(text);
  if (t.empty()) return Fail(ErrorCode::kInvalidArgument, "not a number");
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) {
    return Fail(ErrorCode::kInvalidArgument, "not a number");
  }
  return v;
}

Result<bool> ParseBool(const std::string& text) {
  std::string t = Lower(Trim(text));
  if (t == "true" || t == "yes" || t == "on" || t == "1") return true;
  if (t == "false" || t == "no" || t == "off" || t == "0") return false;
  return Fail(ErrorCode::kInvalidArgument,
              "not a boolean (use true/false, yes/no, on/off, 1/0)");
}

// Flattens a YAML map into "a.b.c" -> node. Sequences and scalars are
// leaves. `budget` counts the nodes visited, aliases expanded: a document
// whose aliases multiply (an alias bomb) stops at kMaxYamlNodes.
Status Flatten(const YAML::Node& node, const std::string& prefix,
               const std::string& origin, size_t* budget,
               std::vector<std::pair<std::string, YAML::Node>>* out) {
  const std::string where = prefix.empty() ? "top level" : prefix;
  if (!node.IsMap()) {
    return Fail(ErrorCode::kInvalidArgument,
                origin + ": " + where + " must be a mapping of section to keys");
  }
  for (const auto& kv : node) {
    size_t cost = 1 + (kv.second.IsSequence() ? kv.second.size() : 0);
    if (cost > *budget) {
      return Fail(ErrorCode::kInvalidArgument,
                  origin + ": " + where + ": more than " + std::to_string(kMaxYamlNodes) +
                      " nodes once aliases are expanded (alias bomb?)");
    }
    *budget -= cost;
    if (!kv.first.IsScalar()) {
      return Fail(ErrorCode::kInvalidArgument, origin + ": " + where + ": a key must be a plain name");
    }
    const std::string& name = kv.first.Scalar();
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (kv.second.IsMap()) {
      if (auto st = Flatten(kv.second, key, origin, budget, out); !st) return st;
    } else {
      out->emplace_back(key, kv.second);
    }
  }
  return Ok();
}

}  // namespace

Result<std::chrono::milliseconds> ParseDuration(const std::string& text) {
  std::string t = Lower(Trim(text));
  size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  std::string number = t.substr(0, i), unit = Trim(t.substr(i));
  auto value = ParseDouble(number);
  if (!value || *value < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "not a duration (use e.g. 250ms, 2s, 5m, 1h)");
  }
  double ms;
  if (unit.empty() || unit == "s") ms = *value * 1000;
  else if (unit == "ms") ms = *value;
  else if (unit == "m" || unit == "min") ms = *value * 60'000;
  else if (unit == "h") ms = *value * 3'600'000;
  else return Fail(ErrorCode::kInvalidArgument, "unknown duration unit '" + unit + "' (use ms, s, m, h)");
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(ms)));
}

Result<int64_t> ParseBytes(const std::string& text) {
  std::string t = Trim(text);
  size_t i = 0;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  auto value = ParseInt(t.substr(0, i));
  if (!value) return Fail(ErrorCode::kInvalidArgument, "not a byte size (use e.g. 512, 64KiB, 10MiB)");
  std::string unit = Lower(Trim(t.substr(i)));
  int64_t mult;
  if (unit.empty() || unit == "b") mult = 1;
  else if (unit == "kib" || unit == "k") mult = int64_t{1} << 10;
  else if (unit == "mib" || unit == "m") mult = int64_t{1} << 20;
  else if (unit == "gib" || unit == "g") mult = int64_t{1} << 30;
  else if (unit == "kb") mult = 1000;
  else if (unit == "mb") mult = 1000 * 1000;
  else if (unit == "gb") mult = 1000 * 1000 * 1000;
  else return Fail(ErrorCode::kInvalidArgument, "unknown size unit '" + unit + "' (use B, KiB, MiB, GiB, KB, MB, GB)");
  if (*value > INT64_MAX / mult) return Fail(ErrorCode::kInvalidArgument, "byte size too large");
  return *value * mult;
}

Status CheckText(const std::string& value, TextRule rule) {
  for (size_t i = 0; i < value.size(); ++i) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x20 && c != 0x7f) continue;
    if (rule == TextRule::kMultiLine && (c == '\n' || c == '\r' || c == '\t')) continue;
    static constexpr char kHex[] = "0123456789ABCDEF";
    return Fail(ErrorCode::kInvalidArgument,
                std::string("control character U+00") + kHex[c >> 4] + kHex[c & 15] +
                    " at byte " + std::to_string(i) +
                    " (values go into HTTP headers, URLs and Kafka requests)");
  }
  return Ok();
}

void Config::Add(const std::string& key, Key k) { keys_[key] = std::move(k); }

void Config::Bind(const std::string& key, std::string* field, std::string help,
                  TextRule rule) {
  Key k{std::move(help), *field, nullptr, nullptr};
  k.rule = rule;
  k.set = [field, rule](const std::string& raw) -> Status {
    if (auto st = CheckText(raw, rule); !st) return st;
    *field = raw;
    return Ok();
  };
  k.get = [field] { return *field; };
  Add(key, std::move(k));
}

void Config::BindEnum(const std::string& key, std::string* field,
                      std::string help, std::vector<std::string> allowed) {
  Key k{std::move(help), *field, nullptr, nullptr};
  k.set = [field, allowed](const std::string& raw) -> Status {
    if (std::find(allowed.begin(), allowed.end(), raw) == allowed.end()) {
      return Fail(ErrorCode::kInvalidArgument, "must be one of: " + JoinList(allowed));
    }
    *field = raw;
    return Ok();
  };
  k.get = [field] { return *field; };
  Add(key, std::move(k));
}

void Config::Bind(const std::string& key, bool* field, std::string help) {
  Key k{std::move(help), *field ? "true" : "false", nullptr, nullptr};
  k.set = [field](const std::string& raw) -> Status {
    auto v = ParseBool(raw);
    if (!v) return std::unexpected(v.error());
    *field = *v;
    return Ok();
  };
  k.get = [field] { return std::string(*field ? "true" : "false"); };
  Add(key, std::move(k));
}

void Config::Bind(const std::string& key, int64_t* field, std::string help,
                  int64_t min, int64_t max) {
  Key k{std::move(help), std::to_string(*field), nullptr, nullptr};
  k.set = [field, min, max](const std::string& raw) -> Status {
    auto v = ParseInt(raw);
    if (!v) return std::unexpected(v.error());
    if (*v < min || *v > max) {
      return Fail(ErrorCode::kInvalidArgument, "out of range [" + std::to_string(min) +
                                                   ", " + std::to_string(max) + "]");
    }
    *field = *v;
    return Ok();
  };
  k.get = [field] { return std::to_string(*field); };
  Add(key, std::move(k));
}

void Config::BindBytes(const std::string& key, int64_t* field, std::string help,
                       int64_t min, int64_t max) {
  Key k{std::move(help), std::to_string(*field), nullptr, nullptr};
  k.set = [field, min, max](const std::string& raw) -> Status {
    auto v = ParseBytes(raw);
    if (!v) return std::unexpected(v.error());
    if (*v < min || *v > max) {
      return Fail(ErrorCode::kInvalidArgument, "out of range [" + std::to_string(min) +
                                                   ", " + std::to_string(max) + "] bytes");
    }
    *field = *v;
    return Ok();
  };
  k.get = [field] { return std::to_string(*field); };
  Add(key, std::move(k));
}

void Config::Bind(const std::string& key, double* field, std::string help,
                  double min, double max) {
  std::ostringstream d;
  d << *field;
  Key k{std::move(help), d.str(), nullptr, nullptr};
  k.set = [field, min, max](const std::string& raw) -> Status {
    auto v = ParseDouble(raw);
    if (!v) return std::unexpected(v.error());
    if (*v < min || *v > max) {
      std::ostringstream r;
      r << "out of range [" << min << ", " << max << "]";
      return Fail(ErrorCode::kInvalidArgument, r.str());
    }
    *field = *v;
    return Ok();
  };
  k.get = [field] { std::ostringstream o; o << *field; return o.str(); };
  Add(key, std::move(k));
}

void Config::Bind(const std::string& key, std::chrono::milliseconds* field,
                  std::string help, std::chrono::milliseconds min,
                  std::chrono::milliseconds max) {
  Key k{std::move(help), std::to_string(field->count()) + "ms", nullptr, nullptr};
  k.set = [field, min, max](const std::string& raw) -> Status {
    auto v = ParseDuration(raw);
    if (!v) return std::unexpected(v.error());
    if (*v < min || *v > max) {
      return Fail(ErrorCode::kInvalidArgument,
                  "out of range [" + std::to_string(min.count()) + "ms, " +
                      std::to_string(max.count()) + "ms]");
    }
    *field = *v;
    return Ok();
  };
  k.get = [field] { return std::to_string(field->count()) + "ms"; };
  Add(key, std::move(k));
}

void Config::Bind(const std::string& key, std::vector<std::string>* field,
                  std::string help, TextRule rule) {
  Key k{std::move(help), JoinList(*field), nullptr, nullptr};
  k.is_list = true;
  k.list = field;
  k.rule = rule;
  k.set = [field, rule](const std::string& raw) -> Status {
    if (auto st = CheckText(raw, rule); !st) return st;
    *field = SplitList(raw);
    return Ok();
  };
  k.get = [field] { return JoinList(*field); };
  Add(key, std::move(k));
}

void Config::MarkSecret(const std::string& key) { keys_.at(key).secret = true; }

void Config::SetListSplitter(const std::string& key, ListSplitter split) {
  Key& k = keys_.at(key);
  k.set = [field = k.list, rule = k.rule, split = std::move(split)](const std::string& raw) -> Status {
    if (auto st = CheckText(raw, rule); !st) return st;
    *field = split(raw);
    return Ok();
  };
}

std::string Config::EnvName(const std::string& key) {
  std::string out = "CRAWLSTREAM_";
  for (char c : key) {
    out += (c == '.' || c == '-') ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Status Config::SetFromText(const std::string& key, const std::string& raw,
                           const std::string& origin) {
  auto it = keys_.find(key);
  if (it == keys_.end()) {
    return std::unexpected(KeyError(key, raw, origin, "unknown key (see --help for the list)"));
  }
  if (auto st = it->second.set(raw); !st) {
    return std::unexpected(KeyError(key, raw, origin, st.error().message, it->second.secret));
  }
  return Ok();
}

Status Config::Load(const std::string& yaml_path, char** environ_block,
                    const std::vector<std::pair<std::string, std::string>>& flags) {
  std::string text;
  if (!yaml_path.empty()) {
    std::ifstream in(yaml_path, std::ios::binary);
    if (!in) return Fail(ErrorCode::kNotFound, "config file " + yaml_path + ": cannot be read");
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  return LoadText(text, yaml_path.empty() ? "<defaults>" : yaml_path, environ_block, flags);
}

Status Config::LoadText(const std::string& yaml_text, const std::string& origin,
                        char** environ_block,
                        const std::vector<std::pair<std::string, std::string>>& flags) {
  warnings_.clear();
  std::vector<std::string> errors;
  auto collect = [&errors](const Status& st) {
    if (!st) errors.push_back(st.error().message);
  };
  auto finish = [&errors]() -> Status {
    if (errors.empty()) return Ok();
    std::string msg = "invalid configuration:";
    for (size_t i = 0; i < errors.size() && i < kMaxReportedErrors; ++i) msg += "\n  " + errors[i];
    if (errors.size() > kMaxReportedErrors) {
      msg += "\n  ... and " + std::to_string(errors.size() - kMaxReportedErrors) + " more errors";
    }
    return Fail(ErrorCode::kInvalidArgument, msg);
  };

  // 1. YAML file.
  if (yaml_text.size() > kMaxYamlBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                origin + ": " + std::to_string(yaml_text.size()) + " bytes, more than the " +
                    std::to_string(kMaxYamlBytes) + " a configuration file may have");
  }
  if (!Trim(yaml_text).empty()) {
    YAML::Node root;
    try {
      root = YAML::Load(yaml_text);
    } catch (const YAML::Exception& e) {
      return Fail(ErrorCode::kInvalidArgument, origin + ": not valid YAML: " + e.what());
    }
    if (!root.IsNull()) {
      std::vector<std::pair<std::string, YAML::Node>> leaves;
      size_t budget = kMaxYamlNodes;
      try {
        if (auto st = Flatten(root, "", origin, &budget, &leaves); !st) return st;
        for (auto& [key, node] : leaves) {
          auto it = keys_.find(key);
          if (it == keys_.end()) {
            errors.push_back(KeyError(key, node.IsScalar() ? node.Scalar() : "...", origin,
                                      "unknown key (see --help for the list)",
                                      LooksSecret(EnvName(key))).message);
            continue;
          }
          if (node.IsSequence()) {
            if (!it->second.is_list) {
              errors.push_back(KeyError(key, "[...]", origin, "expected a single value, got a list").message);
              continue;
            }
            collect(SetListFromYaml(key, it->second, node, origin));
          } else if (node.IsNull()) {
            if (it->second.is_list) it->second.list->clear();
            else errors.push_back(KeyError(key, "", origin, "value is empty").message);
          } else if (!node.IsScalar()) {
            errors.push_back(KeyError(key, "...", origin, "expected a value, got " +
                                      std::string(node.IsMap() ? "a mapping" : "an alias")).message);
          } else {
            collect(SetFromText(key, node.Scalar(), origin));
          }
        }
      } catch (const YAML::Exception& e) {
        return Fail(ErrorCode::kInvalidArgument, origin + ": " + e.what());
      }
    }
  }
  if (auto st = finish(); !st) return st;

  // 2. Environment.
  std::set<std::string> section_prefixes;
  std::map<std::string, std::string> env_to_key;
  for (const auto& [key, _] : keys_) {
    env_to_key[EnvName(key)] = key;
    auto dot = key.find('.');
    if (dot != std::string::npos) section_prefixes.insert(EnvName(key.substr(0, dot)) + "_");
  }
  for (char** e = environ_block; e && *e; ++e) {
    std::string entry(*e);
    if (!entry.starts_with("CRAWLSTREAM_")) continue;
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq), value = entry.substr(eq + 1);
    auto it = env_to_key.find(name);
    if (it != env_to_key.end()) {
      collect(SetFromText(it->second, value, "environment " + name));
      continue;
    }
    bool own_section = std::any_of(section_prefixes.begin(), section_prefixes.end(),
                                   [&](const std::string& p) { return name.starts_with(p); });
    if (own_section) {
      errors.push_back("environment " + name +
                       (LooksSecret(name) ? "=<redacted>" : "=\"" + Shown(value) + "\"") +
                       ": unknown key (see --help for the list)");
    } else {
      WarnAboutStrayVariable(name);
    }
  }
  if (auto st = finish(); !st) return st;

  // 3. Flags.
  for (const auto& [key, value] : flags) {
    collect(SetFromText(key, value, "flag --" + key));
  }
  return finish();
}

Status Config::SetListFromYaml(const std::string& key, const Key& k, const YAML::Node& node,
                               const std::string& origin) {
  std::vector<std::string> items;
  for (size_t i = 0; i < node.size(); ++i) {
    const YAML::Node& item = node[i];
    std::string where = key + "[" + std::to_string(i) + "]";
    if (!item.IsScalar()) {
      return std::unexpected(KeyError(where, "...", origin,
                                      std::string("a list item must be a single value, got ") +
                                          (item.IsMap() ? "a mapping" : item.IsSequence() ? "a list" : "nothing")));
    }
    if (auto st = CheckText(item.Scalar(), k.rule); !st) {
      return std::unexpected(KeyError(where, item.Scalar(), origin, st.error().message, k.secret));
    }
    items.push_back(item.Scalar());
  }
  *k.list = std::move(items);
  return Ok();
}

void Config::WarnAboutStrayVariable(const std::string& name) {
  for (std::string_view tool : kToolingVariables) {
    if (name == tool) return;
  }
  for (const char* section : kSections) {
    if (name.starts_with(EnvName(section) + "_")) return;  // another service's key
  }
  std::string warning = "environment " + name + " matches no configuration key; ignored";
  std::string best;
  size_t best_distance = 4;  // suggest only close names
  for (const auto& [key, _] : keys_) {
    std::string candidate = EnvName(key);
    size_t d = EditDistance(name, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  if (!best.empty()) warning += " (did you mean " + best + "?)";
  warnings_.push_back(warning);
}

std::string Config::Help() const {
  std::ostringstream out;
  for (const auto& [key, k] : keys_) {
    out << "  --" << key << "  (env " << EnvName(key) << ", default \"" << k.default_text
        << "\")\n      " << k.help << "\n";
  }
  return out.str();
}

std::map<std::string, std::string> Config::Effective() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, k] : keys_) out[key] = k.get();
  return out;
}

ParsedArgs ParseArgs(int argc, char** argv, int first,
                     const std::vector<std::string>& bare) {
  ParsedArgs out;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) out.positional.emplace_back(argv[i]);
      break;
    }
    if (!arg.starts_with("--") || arg.size() == 2) {
      out.positional.push_back(arg);
      continue;
    }
    std::string body = arg.substr(2);
    auto eq = body.find('=');
    if (eq != std::string::npos) {
      out.flags.emplace_back(body.substr(0, eq), body.substr(eq + 1));
      continue;
    }
    bool is_bare = std::find(bare.begin(), bare.end(), body) != bare.end();
    if (!is_bare && i + 1 < argc && !std::string(argv[i + 1]).starts_with("--")) {
      out.flags.emplace_back(body, argv[++i]);
    } else {
      out.flags.emplace_back(body, "true");
    }
  }
  return out;
}

}  // namespace crawlstream
