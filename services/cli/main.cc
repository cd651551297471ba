// crawlstream: the command-line entry point.
//   crawlstream run ...      the whole pipeline in one process
//   crawlstream extract ...  one HTML file -> one JSON article per line
//   crawlstream seed ...     crawl requests onto crawl.requests
//   crawlstream broker ...   the development broker (tests, local use)
#include <cstring>
#include <iostream>
#include <string>

#include "services/cli/broker_command.h"
#include "services/cli/healthcheck_command.h"
#include "services/common/service_runtime.h"
#ifdef CRAWLSTREAM_HAVE_EXTRACT
#include "services/cli/extract_command.h"
#endif
#ifdef CRAWLSTREAM_HAVE_RUN
#include "services/cli/run_command.h"
#endif
#ifdef CRAWLSTREAM_HAVE_SEED
#include "services/cli/seed_command.h"
#endif

namespace {

void Usage(std::ostream& out) {
  out << "usage: crawlstream <command> [options]\n\n"
         "commands:\n"
         "  run      fetch, extract, dedup and publish in one process\n"
         "           (starts the development broker unless --brokers is given)\n"
         "  extract  extract the article from HTML files, one JSON line per file\n"
         "  seed     put crawl requests for URLs on crawl.requests\n"
         "  broker   run the development broker (development and tests only)\n"
         "  healthcheck  exit 0 when the local /healthz answers 200 (containers)\n"
         "  version  print the version\n\n"
         "Run `crawlstream <command> --help` for the options of a command.\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    Usage(std::cerr);
    return 2;
  }
  std::string cmd = argv[1];
  if (cmd == "broker") return crawlstream::RunBrokerCommand(argc, argv);
  if (cmd == "healthcheck") return crawlstream::RunHealthcheckCommand(argc, argv);
#ifdef CRAWLSTREAM_HAVE_EXTRACT
  if (cmd == "extract") return crawlstream::RunExtractCommand(argc - 1, argv + 1);
#endif
#ifdef CRAWLSTREAM_HAVE_RUN
  if (cmd == "run") return crawlstream::RunRunCommand(argc - 1, argv + 1);
#endif
#ifdef CRAWLSTREAM_HAVE_SEED
  if (cmd == "seed") return crawlstream::RunSeedCommand(argc, argv);
#endif
  if (cmd == "version" || cmd == "--version") {
    std::cout << crawlstream::CrawlstreamVersion() << "\n";
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    Usage(std::cout);
    return 0;
  }
  std::cerr << "crawlstream: unknown command \"" << cmd << "\"\n\n";
  Usage(std::cerr);
  return 2;
}
