#include "services/fetcher/politeness.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>

namespace crawlstream::fetcher {

PolitenessScheduler::PolitenessScheduler(const Clock& clock, PolitenessOptions options)
    : clock_(clock), options_(options) {
  options_.max_connections_per_host = std::max(1, options_.max_connections_per_host);
  options_.global_concurrency = std::max(1, options_.global_concurrency);
}

PolitenessScheduler::Host& PolitenessScheduler::HostState(const std::string& host) {
  auto [it, inserted] = hosts_.try_emplace(host);
  if (inserted) it->second.delay = options_.default_delay;
  return it->second;
}

void PolitenessScheduler::Reschedule(const std::string& name, Host& host) {
  if (host.scheduled) {
    ready_.erase({host.scheduled_at, name});
    host.scheduled = false;
  }
  if (host.queue.empty() || host.active >= options_.max_connections_per_host) return;
  host.scheduled_at = std::max(host.next_start, host.paused_until);
  host.scheduled = true;
  ready_.emplace(host.scheduled_at, name);
}

// A host that had nothing queued becomes ready no earlier than now: hosts
// are served in the order they became ready, and Overdue() counts from
// then, not from a delay that ran out while the host was idle.
void PolitenessScheduler::MarkReadySince(Host& host) {
  if (!host.queue.empty()) return;
  // Not contacted since the latest assignment (its last request started
  // `delay` before next_start, or never): one delay from the assignment.
  if (assigned_at_ && host.active == 0 && host.next_start - host.delay < *assigned_at_) {
    host.next_start = std::max(host.next_start, *assigned_at_ + host.delay);
  }
  host.next_start = std::max(host.next_start, clock_.Now());
}

void PolitenessScheduler::NoteAssignment() { assigned_at_ = clock_.Now(); }

void PolitenessScheduler::Enqueue(const std::string& host, uint64_t id) {
  Host& state = HostState(host);
  MarkReadySince(state);
  state.queue.push_back(id);
  ++queued_;
  Reschedule(host, state);
}

std::optional<PolitenessScheduler::Ready> PolitenessScheduler::PopReady() {
  if (in_flight_ >= static_cast<size_t>(options_.global_concurrency) || ready_.empty()) {
    return std::nullopt;
  }
  SteadyTime now = clock_.Now();
  auto first = ready_.begin();
  if (first->first > now) return std::nullopt;
  std::string name = first->second;
  Host& host = hosts_.at(name);
  Ready ready{name, host.queue.front()};
  host.queue.pop_front();
  --queued_;
  ++host.active;
  ++in_flight_;
  host.next_start_before_pop = host.next_start;
  host.next_start = now + host.delay;
  Reschedule(name, host);
  return ready;
}

void PolitenessScheduler::Complete(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end() || it->second.active == 0) return;
  Host& state = it->second;
  --state.active;
  --in_flight_;
  state.next_start = std::max(state.next_start, clock_.Now() + state.delay);
  Reschedule(host, state);
}

void PolitenessScheduler::Release(const std::string& host) {
  auto it = hosts_.find(host);
  if (it == hosts_.end() || it->second.active == 0) return;
  --it->second.active;
  --in_flight_;
  it->second.next_start = it->second.next_start_before_pop;
  Reschedule(host, it->second);
}

void PolitenessScheduler::EnqueueFront(const std::string& host, uint64_t id) {
  Host& state = HostState(host);
  MarkReadySince(state);
  state.queue.push_front(id);
  ++queued_;
  Reschedule(host, state);
}

Duration PolitenessScheduler::Overdue() const {
  if (ready_.empty()) return Duration::zero();
  SteadyTime now = clock_.Now();
  SteadyTime due = ready_.begin()->first;
  return due < now ? now - due : Duration::zero();
}

size_t PolitenessScheduler::RemoveIf(const std::function<bool(uint64_t)>& drop) {
  size_t removed = 0;
  for (auto& [name, host] : hosts_) {
    size_t before = host.queue.size();
    std::erase_if(host.queue, drop);
    if (host.queue.size() == before) continue;
    removed += before - host.queue.size();
    Reschedule(name, host);
  }
  queued_ -= removed;
  return removed;
}

std::optional<SteadyTime> PolitenessScheduler::NextWakeup() const {
  if (ready_.empty() || in_flight_ >= static_cast<size_t>(options_.global_concurrency)) {
    return std::nullopt;
  }
  return ready_.begin()->first;
}

void PolitenessScheduler::SetCrawlDelay(const std::string& host, std::optional<double> seconds) {
  Host& state = HostState(host);
  if (seconds && std::isfinite(*seconds) && *seconds >= 0) {
    auto requested = std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*seconds));
    state.delay = std::min(requested, options_.max_crawl_delay);
    state.has_crawl_delay = true;
  } else {
    state.delay = options_.default_delay;
    state.has_crawl_delay = false;
  }
}

Duration PolitenessScheduler::DelayFor(const std::string& host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? options_.default_delay : it->second.delay;
}

void PolitenessScheduler::PauseUntil(const std::string& host, SteadyTime until) {
  Host& state = HostState(host);
  until = std::min(until, clock_.Now() + options_.max_pause);
  if (until <= state.paused_until) return;
  state.paused_until = until;
  Reschedule(host, state);
}

size_t PolitenessScheduler::QueuedFor(const std::string& host) const {
  auto it = hosts_.find(host);
  return it == hosts_.end() ? 0 : it->second.queue.size();
}

void PolitenessScheduler::Prune() {
  SteadyTime now = clock_.Now();
  std::erase_if(hosts_, [now](const auto& entry) {
    const Host& h = entry.second;
    return h.queue.empty() && h.active == 0 && !h.has_crawl_delay && h.next_start <= now &&
           h.paused_until <= now;
  });
}

RetryPolicy::RetryPolicy(RetryOptions options, std::function<double()> uniform01)
    : options_(options), uniform01_(std::move(uniform01)) {}

std::optional<Duration> RetryPolicy::NextDelay(int attempts_made) {
  if (attempts_made >= options_.max_attempts) return std::nullopt;
  int exponent = std::clamp(attempts_made - 1, 0, 40);
  double base = std::chrono::duration<double>(options_.base_delay).count();
  double cap = std::chrono::duration<double>(options_.max_delay).count();
  double d = std::min(base * std::ldexp(1.0, exponent), cap);
  double u = std::clamp(uniform01_(), 0.0, 1.0);
  double seconds = d / 2 + u * d / 2;
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

namespace {

std::string_view TrimWs(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<unsigned> MonthIndex(std::string_view m) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (unsigned i = 0; i < 12; ++i) {
    if (kMonths[i] == m) return i + 1;
  }
  return std::nullopt;
}

// "HH:MM:SS" -> seconds of day.
std::optional<int> ParseTimeOfDay(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') return std::nullopt;
  auto h = ParseInt(t.substr(0, 2));
  auto m = ParseInt(t.substr(3, 2));
  auto s = ParseInt(t.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return *h * 3600 + *m * 60 + *s;
}

std::optional<std::chrono::system_clock::time_point> Compose(int year, unsigned month, int day,
                                                             int seconds_of_day) {
  // system_clock (nanoseconds) spans 1678..2262; dates outside are bogus.
  if (year < 1900 || year > 2200) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(year), std::chrono::month(month),
                                  std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::seconds(seconds_of_day);
}

std::vector<std::string_view> SplitSpaces(std::string_view s) {
  std::vector<std::string_view> parts;
  while (!s.empty()) {
    size_t start = s.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    s.remove_prefix(start);
    size_t end = s.find(' ');
    parts.push_back(s.substr(0, end));
    if (end == std::string_view::npos) break;
    s.remove_prefix(end);
  }
  return parts;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view value) {
  value = TrimWs(value);
  auto parts = SplitSpaces(value);
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (parts.size() == 6 && parts[0].size() == 4 && parts[0].back() == ',' && parts[5] == "GMT") {
    auto day = ParseInt(parts[1]);
    auto month = MonthIndex(parts[2]);
    auto year = ParseInt(parts[3]);
    auto tod = ParseTimeOfDay(parts[4]);
    if (day && month && year && tod && parts[3].size() == 4) return Compose(*year, *month, *day, *tod);
    return std::nullopt;
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (parts.size() == 4 && parts[0].back() == ',' && parts[3] == "GMT" && parts[1].size() == 9) {
    auto day = ParseInt(parts[1].substr(0, 2));
    auto month = MonthIndex(parts[1].substr(3, 3));
    auto yy = ParseInt(parts[1].substr(7, 2));
    auto tod = ParseTimeOfDay(parts[2]);
    if (!day || !month || !yy || !tod || parts[1][2] != '-' || parts[1][6] != '-') return std::nullopt;
    int year = *yy < 70 ? 2000 + *yy : 1900 + *yy;
    return Compose(year, *month, *day, *tod);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (parts.size() == 5 && parts[0].size() == 3) {
    auto month = MonthIndex(parts[1]);
    auto day = ParseInt(parts[2]);
    auto tod = ParseTimeOfDay(parts[3]);
    auto year = ParseInt(parts[4]);
    if (month && day && tod && year) return Compose(*year, *month, *day, *tod);
  }
  return std::nullopt;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value,
                                                    std::chrono::system_clock::time_point now) {
  value = TrimWs(value);
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string_view::npos) {
    if (value.size() > 10) return std::chrono::seconds(INT32_MAX);  // absurdly long; callers cap
    long long seconds = 0;
    std::from_chars(value.data(), value.data() + value.size(), seconds);
    return std::chrono::seconds(seconds);
  }
  auto date = ParseHttpDate(value);
  if (!date) return std::nullopt;
  if (*date <= now) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(*date - now);
}

}  // namespace crawlstream::fetcher
