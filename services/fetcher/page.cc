#include "services/fetcher/page.h"

namespace crawlstream::fetcher {
namespace {

void SetTimestamp(google::protobuf::Timestamp* ts, std::chrono::system_clock::time_point t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  ts->set_seconds(secs.count());
  ts->set_nanos(static_cast<int32_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count()));
}

}  // namespace

crawlstream::v1::FetchedPage ToFetchedPage(FetchResult result,
                                           const crawlstream::v1::CrawlRequest& request,
                                           std::string_view requested_url,
                                           std::chrono::system_clock::time_point fetched_at) {
  crawlstream::v1::FetchedPage page;
  page.set_requested_url(std::string(requested_url));
  page.set_final_url(result.final_url.empty() ? std::string(requested_url) : result.final_url);
  for (const auto& hop : result.redirect_chain) page.add_redirect_chain(hop);
  page.set_status_code(result.status);
  for (const auto& [name, value] : result.headers) {
    auto* h = page.add_headers();
    h->set_name(name);
    h->set_value(value);
  }
  page.set_content_type(std::string(result.Header("Content-Type")));
  page.set_body(std::move(result.body));
  SetTimestamp(page.mutable_fetched_at(), fetched_at);
  page.set_fetch_duration_ms(static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(result.total_time).count()));
  *page.mutable_request() = request;
  page.set_remote_ip(result.remote_ip);
  page.set_http_version(result.http_version);
  page.set_wire_bytes(result.wire_bytes);
  return page;
}

std::string DeadLetterReason(const FetchResult& result) {
  switch (result.error) {
    case FetchError::kNone:
      return "http_" + std::to_string(result.status);
    case FetchError::kSsrf:
      return "ssrf_refused";
    case FetchError::kTooLarge:
      return "oversize";
    case FetchError::kHeadersTooLarge:
      return "headers_too_large";
    case FetchError::kTooManyRedirects:
      return "too_many_redirects";
    case FetchError::kTimeout:
    case FetchError::kDns:
    case FetchError::kConnect:
    case FetchError::kReset:
    case FetchError::kTls:
    case FetchError::kProtocol:
    case FetchError::kBadUrl:
    case FetchError::kCancelled:
    case FetchError::kInternal:
      return "fetch_failed:" + std::string(FetchErrorName(result.error));
  }
  return "fetch_failed";
}

RobotsFetchOutcome ToRobotsOutcome(const FetchResult& result) {
  RobotsFetchOutcome outcome;
  switch (result.error) {
    case FetchError::kNone:
      outcome.reachable = true;
      outcome.status = result.status;
      outcome.body = result.body;
      outcome.truncated = result.truncated;
      break;
    case FetchError::kTooManyRedirects:
      outcome.reachable = true;
      outcome.too_many_redirects = true;
      break;
    case FetchError::kTooLarge:  // fetch robots.txt with truncate_at_cap instead
    case FetchError::kHeadersTooLarge:
    case FetchError::kTimeout:
    case FetchError::kDns:
    case FetchError::kConnect:
    case FetchError::kReset:
    case FetchError::kSsrf:
    case FetchError::kTls:
    case FetchError::kProtocol:
    case FetchError::kBadUrl:
    case FetchError::kCancelled:
    case FetchError::kInternal:
      outcome.reachable = false;
      break;
  }
  return outcome;
}

crawlstream::v1::CrawlRequest::Kind ToRequestKind(LinkKind kind) {
  switch (kind) {
    case LinkKind::kPage: return crawlstream::v1::CrawlRequest::KIND_PAGE;
    case LinkKind::kFeed: return crawlstream::v1::CrawlRequest::KIND_FEED;
    case LinkKind::kSitemap: return crawlstream::v1::CrawlRequest::KIND_SITEMAP;
  }
  return crawlstream::v1::CrawlRequest::KIND_UNSPECIFIED;
}

std::vector<crawlstream::v1::CrawlRequest> ToCrawlRequests(
    const std::vector<DiscoveredLink>& links, const crawlstream::v1::CrawlRequest& parent,
    std::chrono::system_clock::time_point now) {
  std::vector<crawlstream::v1::CrawlRequest> out;
  out.reserve(links.size());
  bool listing = parent.kind() == crawlstream::v1::CrawlRequest::KIND_FEED ||
                 parent.kind() == crawlstream::v1::CrawlRequest::KIND_SITEMAP;
  std::string origin = parent.kind() == crawlstream::v1::CrawlRequest::KIND_FEED      ? "feed"
                       : parent.kind() == crawlstream::v1::CrawlRequest::KIND_SITEMAP ? "sitemap"
                                                                                      : "link";
  for (const auto& link : links) {
    crawlstream::v1::CrawlRequest r;
    r.set_url(link.url);
    r.set_kind(ToRequestKind(link.kind));
    r.set_depth(listing ? parent.depth() : parent.depth() + 1);
    r.set_index_depth(listing ? parent.index_depth() + 1 : 0);
    r.set_parent_url(parent.url());
    SetTimestamp(r.mutable_requested_at(), now);
    r.set_origin(origin);
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace crawlstream::fetcher
