#include "services/fetcher/revisit.h"

#include <algorithm>

#include "crawlstream/v1/crawl_state.pb.h"

namespace crawlstream::fetcher {
namespace {

// The back-off stops doubling here, and no wait is longer than
// kMaxWait (an interval of a year doubled 30 times would not fit in
// system_clock's nanoseconds).
constexpr uint32_t kMaxDoublings = 30;
constexpr std::chrono::hours kMaxWait(24 * 365 * 10);

// Dead-letter reasons after which a page is still revisited: the failure
// may pass (as for a request: crawler.cc kRetriedDeadLetters).
constexpr std::string_view kRevisitedAfter[] = {"max_retries"};

bool RevisitedAfterDeadLetter(std::string_view reason) {
  return std::find(std::begin(kRevisitedAfter), std::end(kRevisitedAfter), reason) !=
         std::end(kRevisitedAfter);
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> NextRevisit(const crawlstream::v1::UrlState& s,
                                                                 const RevisitOptions& options) {
  if (options.interval.count() <= 0 || !s.has_last_fetched()) return std::nullopt;
  if (static_cast<int64_t>(s.revisit_count()) >= options.revisits) return std::nullopt;
  if (s.outcome() == "dead_letter" && !RevisitedAfterDeadLetter(s.reason())) return std::nullopt;
  const auto last = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::seconds(s.last_fetched().seconds()) +
          std::chrono::nanoseconds(s.last_fetched().nanos())));
  const uint32_t doublings = std::min(s.revisit_count(), kMaxDoublings);
  const std::chrono::milliseconds cap = kMaxWait;
  const auto wait = options.interval.count() > (cap.count() >> doublings)
                        ? cap
                        : std::min(cap, options.interval * (int64_t{1} << doublings));
  return last + std::chrono::duration_cast<std::chrono::system_clock::duration>(wait);
}

std::string_view RevisitFindingName(RevisitFinding f) {
  switch (f) {
    case RevisitFinding::kChanged:
      return "changed";
    case RevisitFinding::kUnchanged:
      return "unchanged";
    case RevisitFinding::kNotModified:
      return "not_modified";
    case RevisitFinding::kFailed:
      return "failed";
  }
  return "failed";
}

RevisitFinding ClassifyRevisit(std::string_view prior_hash, bool ok, std::string_view hash,
                               bool not_modified) {
  if (not_modified) return RevisitFinding::kNotModified;
  if (!ok) return RevisitFinding::kFailed;
  return !prior_hash.empty() && prior_hash == hash ? RevisitFinding::kUnchanged
                                                  : RevisitFinding::kChanged;
}

}  // namespace crawlstream::fetcher
