// `crawlstream run`: fetcher, extractor and dedup in one process, over
// the development broker (in-process) or real brokers (--brokers).
#pragma once

namespace crawlstream {

int RunRunCommand(int argc, char** argv);

}  // namespace crawlstream
