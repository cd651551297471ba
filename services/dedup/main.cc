// crawlstream-dedup: articles.extracted -> articles (+ articles.duplicates).
#include <spdlog/spdlog.h>

#include "services/common/health.h"
#include "services/common/inflight_journal.h"
#include "services/common/service_runtime.h"
#include "services/common/shutdown.h"
#include "services/dedup/dedup_service.h"

using namespace crawlstream;

int main(int argc, char** argv) {
  ServiceRuntime rt("dedup");
  dedup::DedupServiceOptions dopts;
  if (auto code = rt.Setup(argc, argv, [&](Config* c) { dedup::BindDedupKeys(c, &dopts); })) {
    return *code;
  }
  Shutdown::Install();
  if (auto st = rt.StartAdmin(); !st) {
    spdlog::critical("{}", st.error().message);
    return 2;
  }
  auto converter = dedup::MakeOpenccConverter();
  if (!converter) {
    spdlog::critical("{}", converter.error().message);
    return 2;
  }
  auto deduplicator = dedup::MakeDeduplicator(dopts, converter->get());
  if (!deduplicator) {
    spdlog::critical("{}", deduplicator.error().message);
    return 2;
  }
  dedup::DedupStage stage(deduplicator->get(), rt.topics(), rt.registry());
  rt.health().Set("restored", false);
  auto restored = stage.Restore(rt.kafka(), dopts.restore_timeout);
  if (!restored) {
    spdlog::critical("{}", restored.error().message);
    return 1;
  }
  rt.health().Set("restored", true);
  auto producer =
      Producer::Create(rt.kafka(), rt.registry(), &rt.health(), TransactionalId(rt.kafka()));
  if (!producer) {
    spdlog::critical("{}", producer.error().message);
    return 2;
  }
  auto consumer = Consumer::Create(rt.kafka(), {rt.topics().extracted}, rt.registry(), &rt.health());
  if (!consumer) {
    spdlog::critical("{}", consumer.error().message);
    return 2;
  }
  // Conflicts with other instances' publications (see dedup_service.h).
  StageLoop loop({.stage = "dedup",
                  .deadletter_topic = rt.topics().deadletter,
                  .drain_timeout = rt.service().drain_timeout,
                  .on_tick = stage.TailTick(producer->get()),
                  .transaction_interval = rt.kafka().commit_interval,
                  .transaction_timeout = rt.kafka().transaction_timeout,
                  .stateful = true},
                 consumer->get(), producer->get(), &rt.health(), rt.registry());
  const auto journal = OpenInflightJournalOrWarn(rt.service().inflight_journal);
  return loop.Run(GuardWithJournal(stage.processor(), journal.get()));
}
