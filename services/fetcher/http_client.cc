#include "services/fetcher/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "services/fetcher/ssrf_curl.h"

namespace crawlstream::fetcher {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view TrimHeader(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  CURL* easy = nullptr;
  uint64_t tag = 0;
  curl_slist* headers = nullptr;
  HttpClient::Callback done;
  FetchResult result;
  SsrfSocketContext ssrf;
  size_t max_body = 0;
  size_t max_redirect_body = 0;
  size_t max_header = 0;
  bool truncate_at_cap = false;
  FetchLimit limit = FetchLimit::kNone;  // the bound that stopped the transfer
  int current_status = 0;
  size_t header_bytes = 0;     // of the current response, 1xx before it included
  bool in_headers = true;      // a header block has started and not ended
  curl_off_t body_base = 0;    // download counter when the current response began
  std::vector<std::string> response_urls;  // URL of each final-or-redirect response
  char error_buffer[CURL_ERROR_SIZE] = {};

  ~Transfer() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (headers != nullptr) curl_slist_free_all(headers);
  }
};

bool IsRedirectStatus(int status) { return status >= 300 && status < 400; }

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  // A 3xx body is not kept; its size is bounded in Progress(), which also
  // sees the bodies libcurl drains itself while following a redirect.
  if (IsRedirectStatus(t->current_status)) return n;
  if (t->result.body.size() + n > t->max_body) {
    if (t->truncate_at_cap) {
      t->result.body.append(data, t->max_body - t->result.body.size());
      t->result.truncated = true;
    }
    t->limit = FetchLimit::kBody;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->result.body.append(data, n);
  return n;
}

size_t WriteHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  bool status_line = line.starts_with("HTTP/");
  // A new response starts the count again unless the previous one was an
  // interim 1xx: a flood of "100 Continue" counts as one response.
  if (status_line && t->current_status >= 200) t->header_bytes = 0;
  t->header_bytes += n;
  if (t->header_bytes > t->max_header) {
    t->limit = FetchLimit::kHeaders;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (status_line) {
    // A new response (redirect hop, 1xx, or the final one) starts.
    t->in_headers = true;
    curl_off_t downloaded = 0;
    if (curl_easy_getinfo(t->easy, CURLINFO_SIZE_DOWNLOAD_T, &downloaded) == CURLE_OK) {
      t->body_base = downloaded;
    }
    t->result.headers.clear();
    t->result.body.clear();
    size_t sp = line.find(' ');
    int status = 0;
    if (sp != std::string_view::npos && sp + 4 <= line.size()) {
      for (size_t i = sp + 1; i < sp + 4; ++i) {
        char c = line[i];
        if (c < '0' || c > '9') {
          status = 0;
          break;
        }
        status = status * 10 + (c - '0');
      }
    }
    t->current_status = status;
    if (status >= 200) {
      char* url = nullptr;
      curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
      if (url != nullptr) t->response_urls.emplace_back(url);
    }
    return n;
  }
  if (TrimHeader(line).empty()) t->in_headers = false;  // the blank line ending a block
  size_t colon = line.find(':');
  if (colon != std::string_view::npos && t->current_status >= 200) {
    t->result.headers.emplace_back(std::string(TrimHeader(line.substr(0, colon))),
                                   std::string(TrimHeader(line.substr(colon + 1))));
  }
  return n;
}

// libcurl calls this as bytes arrive, counting the body bytes it drains
// from a redirect to reuse the connection (those never reach WriteBody).
int Progress(void* user, curl_off_t /*dltotal*/, curl_off_t dlnow, curl_off_t /*ultotal*/,
             curl_off_t /*ulnow*/) {
  auto* t = static_cast<Transfer*>(user);
  if (!IsRedirectStatus(t->current_status)) return 0;
  curl_off_t body = dlnow >= t->body_base ? dlnow - t->body_base : dlnow;
  if (static_cast<size_t>(body) <= t->max_redirect_body) return 0;
  t->limit = FetchLimit::kRedirectBody;
  return 1;  // aborts the transfer with CURLE_ABORTED_BY_CALLBACK
}

// libcurl's own header caps end a transfer with a generic code: 300 KB of
// headers in all with CURLE_RECV_ERROR and this message, one line over
// 100 KB with CURLE_OUT_OF_MEMORY and no message, while a header block is
// being read.
constexpr std::string_view kCurlHeadersTooLarge = "Too large response headers";

bool CurlHeaderCapHit(CURLcode code, const Transfer& t) {
  if (code == CURLE_OUT_OF_MEMORY) return t.in_headers;
  return code == CURLE_RECV_ERROR &&
         std::string_view(t.error_buffer).find(kCurlHeadersTooLarge) != std::string_view::npos;
}

// What each of our bounds becomes when hit (see http_client.h).
struct LimitRule {
  FetchLimit limit;
  FetchError error;
  std::string_view key;
};
constexpr LimitRule kLimits[] = {
    {FetchLimit::kBody, FetchError::kTooLarge, "max_body_bytes"},
    {FetchLimit::kRedirectBody, FetchError::kTooLarge, "max_redirect_body_bytes"},
    {FetchLimit::kHeaders, FetchError::kHeadersTooLarge, "max_header_bytes"},
};

const LimitRule* FindLimit(FetchLimit limit) {
  for (const auto& rule : kLimits) {
    if (rule.limit == limit) return &rule;
  }
  return nullptr;
}

FetchError MapCurlError(CURLcode code, const Transfer& t) {
  // A bound we enforce aborted the transfer (from a callback).
  if (code != CURLE_OK && t.limit != FetchLimit::kNone) return FindLimit(t.limit)->error;
  if (CurlHeaderCapHit(code, t)) return FetchError::kHeadersTooLarge;
  switch (code) {
    case CURLE_OK:
      return FetchError::kNone;
    case CURLE_OPERATION_TIMEDOUT:
      return FetchError::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return FetchError::kDns;
    case CURLE_COULDNT_CONNECT:
      return t.ssrf.refused ? FetchError::kSsrf : FetchError::kConnect;
    case CURLE_UNSUPPORTED_PROTOCOL:
      return FetchError::kSsrf;  // a redirect to a scheme other than http(s)
    case CURLE_WRITE_ERROR:
      return FetchError::kInternal;  // not one of our bounds (handled above)
    case CURLE_FILESIZE_EXCEEDED:
      return FetchError::kTooLarge;  // declared Content-Length over max_body_bytes
    case CURLE_TOO_MANY_REDIRECTS:
      return FetchError::kTooManyRedirects;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
      if (std::string_view(t.error_buffer).find("chunk") != std::string_view::npos) {
        return FetchError::kProtocol;
      }
      return FetchError::kReset;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return FetchError::kTls;
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
      return FetchError::kProtocol;
    case CURLE_URL_MALFORMAT:
      return FetchError::kBadUrl;
    case CURLE_ABORTED_BY_CALLBACK:
      return FetchError::kCancelled;
    default:
      return FetchError::kInternal;
  }
}

}  // namespace

std::string_view FetchErrorName(FetchError error) {
  switch (error) {
    case FetchError::kNone: return "none";
    case FetchError::kTimeout: return "timeout";
    case FetchError::kDns: return "dns";
    case FetchError::kConnect: return "connect";
    case FetchError::kReset: return "reset";
    case FetchError::kTooLarge: return "too_large";
    case FetchError::kHeadersTooLarge: return "headers_too_large";
    case FetchError::kSsrf: return "ssrf";
    case FetchError::kTooManyRedirects: return "too_many_redirects";
    case FetchError::kTls: return "tls";
    case FetchError::kProtocol: return "protocol";
    case FetchError::kBadUrl: return "bad_url";
    case FetchError::kCancelled: return "cancelled";
    case FetchError::kInternal: return "internal";
  }
  return "unknown";
}

std::string_view FetchLimitName(FetchLimit limit) {
  const LimitRule* rule = FindLimit(limit);
  return rule != nullptr ? rule->key : "none";
}

std::string_view FetchResult::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

FetchDisposition ClassifyFetch(const FetchResult& result) {
  switch (result.error) {
    case FetchError::kNone:
      break;
    case FetchError::kTimeout:
    case FetchError::kDns:
    case FetchError::kConnect:
    case FetchError::kReset:
      return FetchDisposition::kRetry;
    case FetchError::kTooLarge:
    case FetchError::kHeadersTooLarge:
    case FetchError::kSsrf:
    case FetchError::kTooManyRedirects:
    case FetchError::kTls:
    case FetchError::kProtocol:
    case FetchError::kBadUrl:
    case FetchError::kInternal:
      return FetchDisposition::kPermanent;
    case FetchError::kCancelled:
      return FetchDisposition::kCancelled;
  }
  int s = result.status;
  if (s >= 200 && s < 300) return FetchDisposition::kSuccess;
  if (s == 304) return FetchDisposition::kNotModified;
  if (s == 408 || s == 429 || s >= 500) return FetchDisposition::kRetry;
  return FetchDisposition::kPermanent;
}

struct HttpClient::Impl {
  HttpClientOptions options;
  const SsrfGuard& guard;
  CURLM* multi = nullptr;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> transfers;

  Impl(HttpClientOptions o, const SsrfGuard& g) : options(std::move(o)), guard(g) {}
  ~Impl() {
    for (auto& [easy, t] : transfers) curl_multi_remove_handle(multi, easy);
    transfers.clear();
    if (multi != nullptr) curl_multi_cleanup(multi);
  }

  std::unique_ptr<Transfer> Finish(CURL* easy, CURLcode code) {
    auto it = transfers.find(easy);
    if (it == transfers.end()) return nullptr;
    std::unique_ptr<Transfer> t = std::move(it->second);
    transfers.erase(it);
    curl_multi_remove_handle(multi, easy);
    FetchResult& r = t->result;
    r.error = MapCurlError(code, *t);
    if (r.error == FetchError::kTooLarge && t->truncate_at_cap && r.truncated) r.error = FetchError::kNone;
    if (r.error == FetchError::kTooLarge && t->limit == FetchLimit::kNone) t->limit = FetchLimit::kBody;
    if (r.error == FetchError::kHeadersTooLarge && t->limit == FetchLimit::kNone) {
      t->limit = FetchLimit::kHeaders;  // libcurl's own cap
    }
    if (r.error != FetchError::kNone) r.limit = t->limit;
    if (r.error == FetchError::kSsrf) {
      r.error_message = t->ssrf.refused ? "ssrf guard refused " + t->ssrf.refusal
                                        : "ssrf guard refused: scheme not allowed (" +
                                              std::string(t->error_buffer) + ")";
    } else if (r.limit == FetchLimit::kBody) {
      r.error_message = "body exceeds " + std::to_string(t->max_body) + " bytes";
    } else if (r.limit == FetchLimit::kRedirectBody) {
      r.error_message = "body of the " + std::to_string(t->current_status) + " response exceeds " +
                        std::to_string(t->max_redirect_body) + " bytes";
    } else if (r.limit == FetchLimit::kHeaders) {
      r.error_message = code == CURLE_WRITE_ERROR
                            ? "headers exceed " + std::to_string(t->max_header) + " bytes"
                            : "headers exceed libcurl's limit (" +
                                  std::string(t->error_buffer[0] != '\0' ? t->error_buffer
                                                                         : "one line over 100 KB") +
                                  ")";
    } else if (r.error != FetchError::kNone) {
      r.error_message = t->error_buffer[0] != '\0' ? t->error_buffer : curl_easy_strerror(code);
    }
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    r.status = static_cast<int>(status);
    char* url = nullptr;
    curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url);
    r.final_url = url != nullptr ? url : r.requested_url;
    // Every response before the one from final_url was a redirect hop.
    r.redirect_chain = std::move(t->response_urls);
    if (!r.redirect_chain.empty() && r.redirect_chain.back() == r.final_url) r.redirect_chain.pop_back();
    char* ip = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip);
    r.remote_ip = ip != nullptr && ip[0] != '\0' ? ip : t->ssrf.connected_ip;
    long version = 0;
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    switch (version) {
      case CURL_HTTP_VERSION_1_0: r.http_version = "1.0"; break;
      case CURL_HTTP_VERSION_1_1: r.http_version = "1.1"; break;
      case CURL_HTTP_VERSION_2_0: r.http_version = "2"; break;
      case CURL_HTTP_VERSION_3: r.http_version = "3"; break;
      default: break;
    }
    curl_off_t value = 0;
    if (curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &value) == CURLE_OK) {
      r.wire_bytes = static_cast<uint64_t>(value);
    }
    if (curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME_T, &value) == CURLE_OK) {
      r.connect_time = std::chrono::microseconds(value);
    }
    if (curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME_T, &value) == CURLE_OK) {
      r.first_byte_time = std::chrono::microseconds(value);
    }
    if (curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME_T, &value) == CURLE_OK) {
      r.total_time = std::chrono::microseconds(value);
    }
    if (r.error != FetchError::kNone) r.body.clear();
    return t;
  }

  // Reports finished transfers; returns how many.
  size_t Drain() {
    std::vector<std::unique_ptr<Transfer>> finished;
    int pending = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
      if (msg->msg != CURLMSG_DONE) continue;
      if (auto t = Finish(msg->easy_handle, msg->data.result)) finished.push_back(std::move(t));
    }
    // Callbacks run after libcurl's bookkeeping so they may Start() more.
    for (auto& t : finished) {
      auto done = std::move(t->done);
      FetchResult result = std::move(t->result);
      t.reset();
      done(std::move(result));
    }
    return finished.size();
  }

  // Finishes `handles` with kCancelled; callbacks run after the bookkeeping.
  void Cancel(const std::vector<CURL*>& handles) {
    std::vector<std::unique_ptr<Transfer>> finished;
    for (CURL* easy : handles) {
      if (auto t = Finish(easy, CURLE_ABORTED_BY_CALLBACK)) finished.push_back(std::move(t));
    }
    for (auto& t : finished) {
      t->result.error = FetchError::kCancelled;
      t->result.error_message = "cancelled";
      auto done = std::move(t->done);
      FetchResult result = std::move(t->result);
      t.reset();
      done(std::move(result));
    }
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

Result<std::unique_ptr<HttpClient>> HttpClient::Create(HttpClientOptions options, const SsrfGuard& guard) {
  GlobalInit();
  auto impl = std::make_unique<Impl>(std::move(options), guard);
  impl->multi = curl_multi_init();
  if (impl->multi == nullptr) return Fail(ErrorCode::kInternal, "curl_multi_init failed");
  curl_multi_setopt(impl->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  curl_multi_setopt(impl->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, impl->options.max_total_connections);
  if (impl->options.max_host_connections > 0) {
    curl_multi_setopt(impl->multi, CURLMOPT_MAX_HOST_CONNECTIONS, impl->options.max_host_connections);
  }
  curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS, impl->options.max_total_connections);
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Status HttpClient::Start(FetchRequest request, Callback done) {
  const HttpClientOptions& o = impl_->options;
  auto t = std::make_unique<Transfer>();
  t->easy = curl_easy_init();
  if (t->easy == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
  t->done = std::move(done);
  t->tag = request.tag;
  t->max_body = request.max_body_bytes > 0 ? request.max_body_bytes : o.max_body_bytes;
  t->max_redirect_body = std::min(o.max_redirect_body_bytes, t->max_body);
  t->max_header = o.max_header_bytes;
  t->truncate_at_cap = request.truncate_at_cap;
  t->ssrf.guard = &impl_->guard;
  t->result.requested_url = request.url;
  CURL* e = t->easy;

  CURLcode rc = InstallSsrfGuard(e, &t->ssrf);
  auto set = [&rc](CURLcode c) {
    if (rc == CURLE_OK) rc = c;
  };
  set(curl_easy_setopt(e, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(e, CURLOPT_PRIVATE, t.get()));
  set(curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer));
  set(curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &WriteBody));
  set(curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get()));
  set(curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &WriteHeader));
  set(curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get()));
  set(curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, &Progress));
  set(curl_easy_setopt(e, CURLOPT_XFERINFODATA, t.get()));
  set(curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L));
  set(curl_easy_setopt(e, CURLOPT_USERAGENT, o.user_agent.c_str()));
  set(curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, ""));
  set(curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                       o.http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS) : static_cast<long>(CURL_HTTP_VERSION_1_1)));
  set(curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, o.max_redirects > 0 ? 1L : 0L));
  set(curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(o.max_redirects)));
  set(curl_easy_setopt(e, CURLOPT_AUTOREFERER, 1L));
  set(curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count())));
  set(curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count())));
  set(curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, o.low_speed_bytes));
  set(curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, static_cast<long>(o.low_speed_time.count())));
  if (!t->truncate_at_cap) {
    set(curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(t->max_body)));
  }
  set(curl_easy_setopt(e, CURLOPT_DNS_CACHE_TIMEOUT, static_cast<long>(o.dns_cache_ttl.count())));
  set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, o.verify_tls ? 1L : 0L));
  set(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, o.verify_tls ? 2L : 0L));
  set(curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L));
  t->headers = curl_slist_append(t->headers, ("Accept: " + o.accept).c_str());
  for (const auto& h : request.headers) t->headers = curl_slist_append(t->headers, h.c_str());
  set(curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers));
  if (rc != CURLE_OK) {
    return Fail(ErrorCode::kInvalidArgument,
                "cannot set up transfer for " + request.url + ": " + curl_easy_strerror(rc));
  }
  if (curl_multi_add_handle(impl_->multi, e) != CURLM_OK) {
    return Fail(ErrorCode::kInternal, "curl_multi_add_handle failed for " + request.url);
  }
  impl_->transfers.emplace(e, std::move(t));
  return Ok();
}

size_t HttpClient::Poll(std::chrono::milliseconds timeout) {
  int running = 0;
  curl_multi_perform(impl_->multi, &running);
  // Something finished: return at once so the caller can start more work
  // instead of sleeping on sockets.
  if (impl_->Drain() > 0) return impl_->transfers.size();
  if (!impl_->transfers.empty() || timeout.count() > 0) {
    curl_multi_poll(impl_->multi, nullptr, 0, static_cast<int>(timeout.count()), nullptr);
    curl_multi_perform(impl_->multi, &running);
    impl_->Drain();
  }
  return impl_->transfers.size();
}

void HttpClient::RunUntilIdle(std::chrono::milliseconds poll_timeout) {
  while (!impl_->transfers.empty()) Poll(poll_timeout);
}

void HttpClient::CancelAll() {
  std::vector<CURL*> handles;
  for (const auto& [easy, t] : impl_->transfers) handles.push_back(easy);
  impl_->Cancel(handles);
}

size_t HttpClient::Cancel(uint64_t tag) {
  if (tag == 0) return 0;
  std::vector<CURL*> handles;
  for (const auto& [easy, t] : impl_->transfers) {
    if (t->tag == tag) handles.push_back(easy);
  }
  impl_->Cancel(handles);
  return handles.size();
}

void HttpClient::Wakeup() { curl_multi_wakeup(impl_->multi); }

size_t HttpClient::in_flight() const { return impl_->transfers.size(); }

}  // namespace crawlstream::fetcher
