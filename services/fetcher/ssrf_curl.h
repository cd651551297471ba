// Glue between SsrfGuard and libcurl. Include only from code that already
// uses libcurl (the http client); it pulls in <curl/curl.h>.
//
// InstallSsrfGuard() sets CURLOPT_OPENSOCKETFUNCTION so that every socket
// libcurl opens -- for the first request and for every redirect hop, after
// DNS resolution -- is checked against the guard before connect(). It also
// restricts protocols (and redirect protocols) to http/https and disables
// proxies (an environment proxy would hide the real address). The context
// must outlive the transfer; it records the first refusal so the caller
// can report "ssrf" instead of libcurl's generic CURLE_COULDNT_CONNECT.
#pragma once

#include <curl/curl.h>

#include <string>

#include "services/fetcher/ssrf.h"

namespace crawlstream::fetcher {

struct SsrfSocketContext {
  const SsrfGuard* guard = nullptr;
  bool refused = false;
  std::string refusal;        // e.g. "10.0.0.1 is private"
  std::string connected_ip;   // last address a socket was opened for
};

// A curl_opensocket_callback; `clientp` must be a SsrfSocketContext*.
curl_socket_t SsrfOpenSocket(void* clientp, curlsocktype purpose, struct curl_sockaddr* address);

// Sets the callbacks and options described above on `easy`.
CURLcode InstallSsrfGuard(CURL* easy, SsrfSocketContext* context);

}  // namespace crawlstream::fetcher
