// Asynchronous HTTP client on libcurl's multi interface: one thread, one
// event loop, any number of concurrent transfers (no thread per request).
//
// Each transfer: HTTP/1.1 or HTTP/2 (ALPN over TLS), every content encoding
// this libcurl decodes (Accept-Encoding: all), the configured User-Agent,
// connect / total / low-speed timeouts, redirects followed by libcurl up to
// max_redirects with every hop recorded and every connection checked by the
// SSRF guard after DNS (see ssrf_curl.h). Connections and DNS answers are
// cached by the multi handle and reused across transfers.
//
// Every response is bounded (kLimits in http_client.cc), and a transfer
// that hits a bound ends at once as a permanent failure naming it
// (FetchResult::limit):
//   body of the final response   max_body_bytes, decoded bytes (gzip bombs
//                                stop at the cap)          -> kTooLarge
//   body of a 3xx response       max_redirect_body_bytes (libcurl would
//                                drain it to follow the redirect on the
//                                same connection)           -> kTooLarge
//   headers + trailers           max_header_bytes per response, interim
//                                1xx responses counted with the one they
//                                precede; libcurl's own caps (100 KB per
//                                line, 300 KB in all) too   -> kHeadersTooLarge
//
// Threading: an HttpClient belongs to the thread that calls Poll(); Start()
// and the completion callbacks run on that thread. Only Wakeup() may be
// called from another thread. The SsrfGuard must outlive the client.
// Destroying the client drops pending callbacks; call CancelAll() first
// when they matter.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "services/common/result.h"
#include "services/fetcher/ssrf.h"

namespace crawlstream::fetcher {

enum class FetchError {
  kNone,
  kTimeout,           // connect, total or low-speed timeout
  kDns,               // name did not resolve
  kConnect,           // connection refused / unreachable
  kReset,             // connection reset or closed early (partial body)
  kTooLarge,          // body over the cap (declared or received)
  kHeadersTooLarge,   // headers, trailers or 1xx responses over the cap
  kSsrf,              // refused by the SSRF guard (address or scheme)
  kTooManyRedirects,  // more than max_redirects hops (loops included)
  kTls,               // handshake or certificate failure
  kProtocol,          // malformed response: bad chunking, bad encoding
  kBadUrl,            // the URL could not be used
  kCancelled,         // CancelAll() or shutdown
  kInternal,          // unexpected libcurl failure
};
std::string_view FetchErrorName(FetchError error);

// Which bound ended a transfer (see the table at the top).
enum class FetchLimit {
  kNone,
  kBody,          // max_body_bytes
  kRedirectBody,  // max_redirect_body_bytes
  kHeaders,       // max_header_bytes (or libcurl's own header caps)
};
// The config key's name ("max_body_bytes", ...), "none" for kNone.
std::string_view FetchLimitName(FetchLimit limit);

struct FetchRequest {
  std::string url;                   // absolute http(s) URL
  std::vector<std::string> headers;  // extra "Name: value" lines
  // 0 = the client's max_body_bytes.
  size_t max_body_bytes = 0;
  // When true, a body over the cap is cut at the cap and the result is a
  // success with `truncated` set (robots.txt: parse the first 512 KiB of
  // a bigger file) instead of kTooLarge.
  bool truncate_at_cap = false;
  // The caller's name for the transfer, for Cancel() (0 = none).
  uint64_t tag = 0;
};

struct FetchResult {
  FetchError error = FetchError::kNone;
  std::string error_message;  // libcurl's message or the guard's refusal
  int status = 0;             // final HTTP status (0 if none received)
  std::vector<std::pair<std::string, std::string>> headers;  // final response, in order
  std::string body;           // decoded (gzip/br/zstd/deflate undone)
  std::string requested_url;
  std::string final_url;
  std::vector<std::string> redirect_chain;  // every hop before final_url
  std::string remote_ip;
  std::string http_version;  // "1.0", "1.1", "2", "3"
  uint64_t wire_bytes = 0;   // body bytes as received, before decoding
  bool truncated = false;    // body cut at the cap (truncate_at_cap)
  FetchLimit limit = FetchLimit::kNone;  // the bound that ended the transfer
  std::chrono::microseconds connect_time{0};
  std::chrono::microseconds first_byte_time{0};
  std::chrono::microseconds total_time{0};

  bool ok() const { return error == FetchError::kNone; }
  // First header with this name (case-insensitive), or empty.
  std::string_view Header(std::string_view name) const;
};

// What the fetcher should do with a result: the one place that sorts
// outcomes into success / retry / give up.
enum class FetchDisposition {
  kSuccess,      // 2xx
  kNotModified,  // 304 on a conditional GET
  kRetry,        // transient: timeout, reset, connect, DNS, 5xx, 408, 429
  kPermanent,    // give up now: other 3xx/4xx, too large (body or
                 // headers), SSRF, redirect loops, TLS, protocol, bad URL
  kCancelled,
};
FetchDisposition ClassifyFetch(const FetchResult& result);

struct HttpClientOptions {
  std::string user_agent = "crawlstream/0.1 (+https://github.com/crawlstream/crawlstream)";
  std::string accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds total_timeout{60000};
  // Abort when slower than low_speed_bytes per second for low_speed_time.
  long low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{20};
  size_t max_body_bytes = 16 * 1024 * 1024;
  // Body bytes of a 3xx response (redirect or not); never more than
  // max_body_bytes.
  size_t max_redirect_body_bytes = 64 * 1024;
  // Header bytes of one response: status line, headers, chunked trailers,
  // and the interim 1xx responses before it.
  size_t max_header_bytes = 256 * 1024;
  int max_redirects = 5;
  bool http2 = true;
  std::chrono::seconds dns_cache_ttl{300};
  long max_total_connections = 512;
  long max_host_connections = 0;  // 0: unlimited (politeness limits per host)
  bool verify_tls = true;
};

class HttpClient {
 public:
  using Callback = std::function<void(FetchResult)>;

  // Fails when libcurl cannot be initialised.
  static Result<std::unique_ptr<HttpClient>> Create(HttpClientOptions options, const SsrfGuard& guard);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts a transfer; `done` runs exactly once, from Poll() or
  // CancelAll(), never from inside Start(). Fails only when the transfer
  // cannot be set up (then `done` is not called).
  Status Start(FetchRequest request, Callback done);

  // Runs the event loop once: advances all transfers and runs callbacks of
  // finished ones; when none finished, waits up to `timeout` for socket
  // activity or Wakeup() and does it again. Returns the number of
  // transfers still in flight.
  size_t Poll(std::chrono::milliseconds timeout);

  // Polls until nothing is in flight.
  void RunUntilIdle(std::chrono::milliseconds poll_timeout = std::chrono::milliseconds(100));

  // Finishes every transfer with kCancelled.
  void CancelAll();
  // Finishes the transfers started with FetchRequest::tag == `tag` (not
  // 0) with kCancelled, their callbacks run before it returns; returns
  // how many.
  size_t Cancel(uint64_t tag);

  // Interrupts a Poll() wait; safe from any thread.
  void Wakeup();

  size_t in_flight() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace crawlstream::fetcher
