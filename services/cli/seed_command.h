// `crawlstream seed`: puts crawl requests on `crawl.requests` (the topic
// from config), as the fetcher expects them: CrawlRequest protobuf, key =
// the URL's host, one request per URL given on the command line or in
// --file (one URL per line, '#' comments). Every URL is checked first; one
// invalid URL fails the command (exit 2) before anything is sent, naming
// each bad line. Exit 1 when the broker does not acknowledge every record.
#pragma once

namespace crawlstream {

int RunSeedCommand(int argc, char** argv);

}  // namespace crawlstream
