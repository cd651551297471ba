// `crawlstream extract [--url URL] [--content-type CT] FILE...`
//
// Extracts each FILE (raw page bytes) and writes one JSON object per file
// to stdout, one per line: the Article's fields (proto names) plus
// "source_path". A page without an article yields
// {"source_path": ..., "error": "<code>: <reason>"}. --url sets the page URL
// (default file://<absolute path>); --content-type the HTTP header value.
// Returns 0, or 1 when a file cannot be read (the others are still
// processed), 2 on a usage error.
#pragma once

namespace crawlstream {

int RunExtractCommand(int argc, char** argv);

}  // namespace crawlstream
