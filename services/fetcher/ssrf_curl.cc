#include "services/fetcher/ssrf_curl.h"

#include <sys/socket.h>

namespace crawlstream::fetcher {

curl_socket_t SsrfOpenSocket(void* clientp, curlsocktype purpose, struct curl_sockaddr* address) {
  auto* context = static_cast<SsrfSocketContext*>(clientp);
  if (context == nullptr || context->guard == nullptr || address == nullptr ||
      purpose != CURLSOCKTYPE_IPCXN) {
    if (context != nullptr && !context->refused) {
      context->refused = true;
      context->refusal = "no SSRF guard or unexpected socket type";
    }
    return CURL_SOCKET_BAD;
  }
  auto ip = IpAddress::FromSockaddr(&address->addr, address->addrlen);
  if (ip) context->connected_ip = ip->ToString();
  Status verdict = context->guard->CheckSockaddr(&address->addr, address->addrlen);
  if (!verdict) {
    if (!context->refused) {
      context->refused = true;
      context->refusal = verdict.error().message;
    }
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

CURLcode InstallSsrfGuard(CURL* easy, SsrfSocketContext* context) {
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &SsrfOpenSocket);
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, context);
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_PROXY, "");
  return rc;
}

}  // namespace crawlstream::fetcher
