// crawlstream-fetcher: crawl.requests -> crawl.pages (+ discovered
// requests, dead letters).
#include <spdlog/spdlog.h>

#include "services/common/health.h"
#include "services/common/service_runtime.h"
#include "services/common/shutdown.h"
#include "services/fetcher/fetcher_service.h"

using namespace crawlstream;

int main(int argc, char** argv) {
  ServiceRuntime rt("fetcher");
  fetcher::FetcherServiceOptions fopts;
  if (auto code = rt.Setup(
          argc, argv, [&](Config* c) { fetcher::BindFetcherKeys(c, &fopts); },
          [&] { return fetcher::FinishFetcherOptions(&fopts); })) {
    return *code;
  }
  Shutdown::Install();
  if (auto st = rt.StartAdmin(); !st) {
    spdlog::critical("{}", st.error().message);
    return 2;
  }
  fetcher::FetcherService service(fopts, rt.kafka(), rt.topics(), rt.registry(), &rt.health());
  return service.Run(nullptr, rt.service().drain_timeout);
}
