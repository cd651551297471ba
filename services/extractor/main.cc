// crawlstream-extractor: crawl.pages -> articles.extracted.
#include <spdlog/spdlog.h>

#include "services/common/health.h"
#include "services/common/inflight_journal.h"
#include "services/common/service_runtime.h"
#include "services/common/shutdown.h"
#include "services/extractor/extractor_service.h"

using namespace crawlstream;

int main(int argc, char** argv) {
  ServiceRuntime rt("extractor");
  extractor::ExtractorServiceOptions eopts;
  Result<extractor::ExtractorOptions> options;
  if (auto code = rt.Setup(
          argc, argv, [&](Config* c) { extractor::BindExtractorKeys(c, &eopts); },
          [&]() -> Status {
            options = extractor::MakeExtractorOptions(eopts);
            if (!options) return std::unexpected(options.error());
            if (const std::string warning =
                    extractor::MemoryLimitWarning(eopts, extractor::CgroupMemoryLimit());
                !warning.empty())
              spdlog::warn("{}", warning);
            return Ok();
          })) {
    return *code;
  }
  Shutdown::Install();
  if (auto st = rt.StartAdmin(); !st) {
    spdlog::critical("{}", st.error().message);
    return 2;
  }
  extractor::Extractor ex(*options);
  auto producer =
      Producer::Create(rt.kafka(), rt.registry(), &rt.health(), TransactionalId(rt.kafka()));
  if (!producer) {
    spdlog::critical("{}", producer.error().message);
    return 2;
  }
  auto consumer = Consumer::Create(rt.kafka(), {rt.topics().pages}, rt.registry(), &rt.health());
  if (!consumer) {
    spdlog::critical("{}", consumer.error().message);
    return 2;
  }
  StageLoop loop({.stage = "extractor",
                  .deadletter_topic = rt.topics().deadletter,
                  .drain_timeout = rt.service().drain_timeout,
                  .workers = static_cast<int>(eopts.workers),
                  .transaction_interval = rt.kafka().commit_interval,
                  .transaction_timeout = rt.kafka().transaction_timeout},
                 consumer->get(), producer->get(), &rt.health(), rt.registry());
  const auto journal = OpenInflightJournalOrWarn(rt.service().inflight_journal);
  return loop.Run(
      GuardWithJournal(extractor::MakeExtractorProcessor(&ex, rt.topics().extracted), journal.get()));
}
