#include "services/fetcher/robots.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "services/common/url.h"

namespace crawlstream::fetcher {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The product token named by a user-agent value: its leading run of
// [A-Za-z_-], lower-cased; "*" stays "*".
std::string AgentToken(std::string_view value) {
  value = Trim(value);
  if (!value.empty() && value[0] == '*') return "*";
  size_t n = 0;
  while (n < value.size()) {
    char c = value[n];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    if (!ok) break;
    ++n;
  }
  return Lower(value.substr(0, n));
}

enum class Key { kUserAgent, kAllow, kDisallow, kCrawlDelay, kSitemap, kUnknown };

Key ParseKey(std::string_view raw) {
  std::string key = Lower(Trim(raw));
  if (key == "user-agent" || key == "useragent" || key == "user agent") return Key::kUserAgent;
  if (key == "allow") return Key::kAllow;
  if (key == "disallow" || key == "dissallow" || key == "dissalow" || key == "disalow" ||
      key == "diasllow" || key == "disallaw") {
    return Key::kDisallow;
  }
  if (key == "crawl-delay" || key == "crawl delay" || key == "crawldelay") return Key::kCrawlDelay;
  if (key == "sitemap" || key == "site-map") return Key::kSitemap;
  return Key::kUnknown;
}

std::string NormalizePattern(std::string_view value) {
  std::string pattern = NormalizePercentEncoding(value);
  if (pattern.empty() || (pattern[0] != '/' && pattern[0] != '*')) pattern.insert(pattern.begin(), '/');
  return pattern;
}

}  // namespace

bool RobotsPatternMatches(std::string_view pattern, std::string_view path) {
  // Positions in `path` reachable after consuming a prefix of `pattern`
  // (Google's robots matcher algorithm): O(|pattern| * |path|) worst case.
  bool anchored = !pattern.empty() && pattern.back() == '$';
  if (anchored) pattern.remove_suffix(1);
  std::vector<size_t> positions{0};
  std::vector<size_t> next;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char p = pattern[i];
    next.clear();
    if (p == '*') {
      // Every position from the smallest reachable one onwards.
      size_t from = positions.front();
      for (size_t pos = from; pos <= path.size(); ++pos) next.push_back(pos);
    } else {
      for (size_t pos : positions) {
        if (pos < path.size() && path[pos] == p) next.push_back(pos + 1);
      }
    }
    if (next.empty()) return false;
    positions.swap(next);
  }
  if (!anchored) return true;
  return positions.back() == path.size();
}

RobotsTxt RobotsTxt::AllowAll() {
  RobotsTxt r;
  r.mode_ = Mode::kAllowAll;
  return r;
}

RobotsTxt RobotsTxt::DisallowAll() {
  RobotsTxt r;
  r.mode_ = Mode::kDisallowAll;
  return r;
}

RobotsTxt RobotsTxt::Parse(std::string_view body, size_t max_bytes) {
  RobotsTxt robots;
  if (body.size() > max_bytes) {
    robots.truncated_ = true;
    body = body.substr(0, max_bytes);
    // Drop the partial last line.
    size_t last = body.find_last_of("\r\n");
    body = last == std::string_view::npos ? std::string_view() : body.substr(0, last);
  }
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);

  std::vector<std::string> current_agents;
  Group current;
  bool in_agent_lines = false;  // last significant line was user-agent
  auto flush = [&] {
    for (const auto& agent : current_agents) {
      Group& merged = robots.by_agent_[agent];
      merged.rules.insert(merged.rules.end(), current.rules.begin(), current.rules.end());
      if (current.crawl_delay && !merged.crawl_delay) merged.crawl_delay = current.crawl_delay;
    }
    current_agents.clear();
    current = Group();
  };

  while (!body.empty()) {
    size_t eol = body.find_first_of("\r\n");
    std::string_view line = body.substr(0, eol);
    body = eol == std::string_view::npos ? std::string_view() : body.substr(eol + 1);
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = Trim(line);
    if (line.empty()) continue;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      // Google also accepts "key value" with whitespace; keep it simple and
      // strict here: a line without ':' is ignored.
      continue;
    }
    Key key = ParseKey(line.substr(0, colon));
    std::string_view value = Trim(line.substr(colon + 1));
    switch (key) {
      case Key::kUserAgent: {
        if (!in_agent_lines) flush();
        std::string token = AgentToken(value);
        if (!token.empty()) current_agents.push_back(std::move(token));
        in_agent_lines = true;
        break;
      }
      case Key::kAllow:
      case Key::kDisallow: {
        in_agent_lines = false;
        if (current_agents.empty() || value.empty()) break;  // outside a group / no-op rule
        current.rules.push_back(RobotsRule{NormalizePattern(value), key == Key::kAllow});
        break;
      }
      case Key::kCrawlDelay: {
        in_agent_lines = false;
        if (current_agents.empty()) break;
        double seconds = 0;
        auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        if (ec == std::errc() && ptr != value.data() && std::isfinite(seconds) && seconds >= 0) {
          current.crawl_delay = seconds;
        }
        break;
      }
      case Key::kSitemap:
        // Sitemap lines do not end a group's user-agent run.
        if (!value.empty()) robots.sitemaps_.emplace_back(value);
        break;
      case Key::kUnknown:
        break;
    }
  }
  flush();
  return robots;
}

const RobotsTxt::Group* RobotsTxt::GroupFor(std::string_view product_token) const {
  auto it = by_agent_.find(AgentToken(product_token));
  if (it == by_agent_.end()) it = by_agent_.find("*");
  return it == by_agent_.end() ? nullptr : &it->second;
}

bool RobotsTxt::IsAllowed(std::string_view product_token, std::string_view path_and_query) const {
  std::string path = NormalizePercentEncoding(path_and_query.empty() ? "/" : path_and_query);
  if (path == "/robots.txt") return true;
  switch (mode_) {
    case Mode::kAllowAll:
      return true;
    case Mode::kDisallowAll:
      return false;
    case Mode::kRules:
      break;
  }
  const Group* group = GroupFor(product_token);
  if (group == nullptr) return true;
  size_t best_len = 0;
  bool matched = false;
  bool allowed = true;
  for (const auto& rule : group->rules) {
    if (!RobotsPatternMatches(rule.pattern, path)) continue;
    size_t len = rule.pattern.size();
    if (!matched || len > best_len || (len == best_len && rule.allow && !allowed)) {
      best_len = len;
      allowed = rule.allow;
      matched = true;
    }
  }
  return allowed;
}

std::optional<double> RobotsTxt::CrawlDelay(std::string_view product_token) const {
  if (mode_ != Mode::kRules) return std::nullopt;
  const Group* group = GroupFor(product_token);
  if (group == nullptr) return std::nullopt;
  return group->crawl_delay;
}

RobotsDecision RobotsFromFetch(const RobotsFetchOutcome& outcome, size_t max_bytes) {
  if (outcome.too_many_redirects) return {RobotsVerdict::kAllowAll, RobotsTxt::AllowAll()};
  if (!outcome.reachable) return {RobotsVerdict::kDisallowAll, RobotsTxt::DisallowAll()};
  int s = outcome.status;
  if (s >= 200 && s < 300) {
    std::string_view body = outcome.body;
    if (outcome.truncated) {
      size_t last = body.find_last_of("\r\n");
      body = last == std::string_view::npos ? std::string_view() : body.substr(0, last);
    }
    return {RobotsVerdict::kParsed, RobotsTxt::Parse(body, max_bytes)};
  }
  if (s == 429 || s >= 500) return {RobotsVerdict::kDisallowAll, RobotsTxt::DisallowAll()};
  // 4xx and anything else left (3xx after the redirect limit of the
  // client, 1xx) mean "unavailable".
  return {RobotsVerdict::kAllowAll, RobotsTxt::AllowAll()};
}

RobotsCache::RobotsCache(const Clock& clock, RobotsCacheOptions options)
    : clock_(clock), options_(options) {}

const RobotsTxt* RobotsCache::Get(const std::string& origin) const {
  auto it = entries_.find(origin);
  if (it == entries_.end() || clock_.Now() >= it->second.expires) return nullptr;
  return &it->second.robots;
}

void RobotsCache::Put(const std::string& origin, RobotsDecision decision) {
  SteadyTime now = clock_.Now();
  Duration age = decision.verdict == RobotsVerdict::kDisallowAll ? options_.error_max_age
                                                                  : options_.max_age;
  if (!entries_.contains(origin) && entries_.size() >= options_.max_entries) EvictOne();
  entries_.insert_or_assign(origin, Entry{std::move(decision.robots), now + age, now});
}

void RobotsCache::EvictOne() {
  SteadyTime now = clock_.Now();
  auto oldest = entries_.end();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.expires <= now) {
      entries_.erase(it);
      return;
    }
    if (oldest == entries_.end() || it->second.stored < oldest->second.stored) oldest = it;
  }
  if (oldest != entries_.end()) entries_.erase(oldest);
}

}  // namespace crawlstream::fetcher
