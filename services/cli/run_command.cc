#include "services/cli/run_command.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "services/cli/run_collector.h"
#include "services/common/admin_server.h"
#include "services/common/config.h"
#include "services/common/dev_broker.h"
#include "services/common/health.h"
#include "services/common/kafka_consumer.h"
#include "services/common/kafka_producer.h"
#include "services/common/logging.h"
#include "services/common/service_runtime.h"
#include "services/common/shutdown.h"
#include "services/common/stage_loop.h"
#include "services/dedup/dedup_service.h"
#include "services/extractor/extractor_service.h"
#include "services/fetcher/fetcher_service.h"

extern char** environ;

namespace crawlstream {
namespace {

using namespace std::chrono_literals;

// How far (records) the extractor and dedup may fall behind the stage
// before them on the development broker before the fetcher is held. The
// broker keeps ~5 MB per partition (16 partitions by default): 512 pages
// plus the up to 256 transfers still running is ~770 pages, about 2.4 MB
// per partition even if every page were 50 KB and incompressible. Measured
// on 5,000 pages of 50 KB: 64 -> 79 pages/s, 512 -> 135, no hold -> 126
// (tests/e2e/run_no_loss_test.py --pages 5000).
constexpr int64_t kMaxStageLag = 512;

constexpr const char* kUsage =
    R"(usage: crawlstream run --seeds FILE [--brokers LIST] [--out FILE.jsonl]
                       [--duplicates-out FILE.jsonl] [--allow-cidr CIDR]...
                       [--config FILE] [--check-config] [--follow]
                       [--<section>.<key>=VALUE]...

Runs fetcher, extractor and dedup in one process. Seeds are URLs (pages,
RSS/Atom feeds or sitemaps), one per line. Without --brokers the
development broker runs in-process (nothing is kept after exit); with
--brokers the given Kafka cluster and the normal topics are used.

Every published article is written to --out (default out/articles.jsonl)
as one JSON object per line; duplicate decisions go to --duplicates-out
(default out/duplicates.jsonl). The run ends when the crawl has drained,
unless --follow keeps polling the seed feeds and sitemaps.

  --allow-cidr CIDR   let the SSRF guard reach this range (e.g. 127.0.0.1/32
                      for a local test site); repeatable
  --follow            keep running, re-polling feeds (fetcher.repoll_interval, adaptive)
  --check-config      validate the configuration and exit

Keys (also settable in --config FILE and by environment variable):
)";

// How a run ends, what the last line says and the exit status.
enum class RunOutcome { kDrained, kFailed, kSignalled, kFollowStopped };

struct OutcomeRow {
  RunOutcome outcome;
  const char* words;
  int status;  // kSignalled: 128 + the signal
};
constexpr OutcomeRow kOutcomes[] = {
    {RunOutcome::kDrained, "crawl drained", 0},
    {RunOutcome::kFailed, "crawl failed", 1},
    // Scripts tell it from a failure the shell's way: 143 for SIGTERM, 130
    // for SIGINT.
    {RunOutcome::kSignalled, "stopped by signal before the crawl drained", 128},
    // --follow never drains: a signal is how it is meant to end.
    {RunOutcome::kFollowStopped, "follow stopped by signal", 0},
};

// Input records the broker deleted before a stage read them, by topic
// (crawlstream_kafka_consumer_skipped_records_total of every stage's
// consumer, which all register in `registry`).
std::map<std::string, int64_t> SkippedInputs(prometheus::Registry& registry) {
  std::map<std::string, int64_t> by_topic;
  for (const auto& family : registry.Collect()) {
    if (family.name != "crawlstream_kafka_consumer_skipped_records_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "topic") by_topic[label.value] += static_cast<int64_t>(metric.counter.value);
      }
    }
  }
  return by_topic;
}

int64_t Total(const std::map<std::string, int64_t>& by_topic) {
  int64_t total = 0;
  for (const auto& [_, n] : by_topic) total += n;
  return total;
}

const char* OutcomeWords(RunOutcome outcome) {
  for (const auto& row : kOutcomes) {
    if (row.outcome == outcome) return row.words;
  }
  return "crawl ended";
}

int ExitStatus(RunOutcome outcome, int signal_number) {
  for (const auto& row : kOutcomes) {
    if (row.outcome != outcome) continue;
    if (outcome != RunOutcome::kSignalled) return row.status;
    return row.status + (signal_number ? signal_number : SIGTERM);
  }
  return 1;
}

void EnsureParentDir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = path.substr(0, slash);
  std::string cmd;
  for (size_t i = 1; i <= dir.size(); ++i) {
    if (i == dir.size() || dir[i] == '/') {
      std::string part = dir.substr(0, i);
      ::mkdir(part.c_str(), 0755);
    }
  }
}

}  // namespace

int RunRunCommand(int argc, char** argv) {
  ServiceOptions service;
  service.http_port = 0;
  KafkaOptions kafka;
  TopicNames topics;
  fetcher::FetcherServiceOptions fopts;
  extractor::ExtractorServiceOptions eopts;
  dedup::DedupServiceOptions dopts;
  fopts.crawler.repoll_interval = 0ms;
  Config config;
  ServiceRuntime::BindShared(&config, &service, &kafka, &topics);
  fetcher::BindFetcherKeys(&config, &fopts);
  extractor::BindExtractorKeys(&config, &eopts);
  dedup::BindDedupKeys(&config, &dopts);

  ParsedArgs args = ParseArgs(argc, argv, 1, {"follow", "help", "check-config"});
  std::string config_path, seeds, out = "out/articles.jsonl", dups = "out/duplicates.jsonl";
  bool follow = false, check_only = false;
  std::vector<std::string> allow;
  std::vector<std::pair<std::string, std::string>> flags;
  for (auto& [k, v] : args.flags) {
    if (k == "help") {
      std::cout << kUsage << config.Help();
      return 0;
    }
    if (k == "seeds") seeds = v;
    else if (k == "brokers") flags.emplace_back("kafka.brokers", v);
    else if (k == "out") out = v;
    else if (k == "duplicates-out") dups = v;
    else if (k == "allow-cidr") allow.push_back(v);
    else if (k == "config") config_path = v;
    else if (k == "follow") follow = v != "false";
    else if (k == "check-config") check_only = true;
    else flags.emplace_back(k, v);
  }
  if (!args.positional.empty()) {
    std::cerr << "crawlstream run: unexpected argument \"" << args.positional[0] << "\" (see --help)\n";
    return 2;
  }
  if (auto st = config.Load(config_path, environ, flags); !st) {
    std::cerr << "crawlstream run: " << st.error().message << "\n";
    return 2;
  }
  for (const auto& w : config.warnings()) std::cerr << "crawlstream run: warning: " << w << "\n";
  if (auto st = ServiceRuntime::CheckShared(service, kafka, topics); !st) {
    std::cerr << "crawlstream run: invalid configuration:\n  " << st.error().message << "\n";
    return 2;
  }
  for (const auto& cidr : allow) fopts.crawler.allow_cidrs.push_back(cidr);
  if (!seeds.empty()) fopts.seeds_file = seeds;
  if (auto st = fetcher::FinishFetcherOptions(&fopts); !st) {
    std::cerr << "crawlstream run: " << st.error().message << "\n";
    return 2;
  }
  auto ex_options = extractor::MakeExtractorOptions(eopts);
  if (!ex_options) {
    std::cerr << "crawlstream run: " << ex_options.error().message << "\n";
    return 2;
  }
  if (check_only) {
    std::cout << "configuration ok\n";
    return 0;
  }
  if (fopts.seeds_file.empty() && fopts.feeds.empty()) {
    std::cerr << "crawlstream run: --seeds FILE is required (see --help)\n";
    return 2;
  }
  if (auto seeds_ok = fetcher::ReadSeeds(fopts.seeds_file); !fopts.seeds_file.empty() && !seeds_ok) {
    std::cerr << "crawlstream run: " << seeds_ok.error().message << "\n";
    return 2;
  }
  LogFormat fmt = service.log_format == "json" ? LogFormat::kJson
                  : service.log_format == "text" ? LogFormat::kText
                                                 : LogFormat::kAuto;
  bool tty = isatty(STDERR_FILENO);
  // On a terminal the progress line is the interface: keep logs to warnings.
  std::string level = tty && service.log_level == "info" ? "warn" : service.log_level;
  if (auto st = InitLogging("run", level, fmt); !st) {
    std::cerr << st.error().message << "\n";
    return 2;
  }
  Shutdown::Install();
  if (follow && fopts.crawler.repoll_interval.count() == 0) {
    fopts.crawler.repoll_interval = 5min;
    fopts.crawler.sitemaps.cycle = fetcher::SitemapCycle(fopts.crawler);
  }

  std::unique_ptr<DevBroker> broker;
  if (kafka.brokers.empty()) {
    int parts = static_cast<int>(topics.partitions);
    auto b = DevBroker::Start(1, {{topics.requests, parts}, {topics.pages, parts},
                                  {topics.extracted, parts}, {topics.articles, parts},
                                  {topics.duplicates, parts}, {topics.deadletter, parts},
                                  {topics.state, parts}});
    if (!b) {
      std::cerr << "crawlstream run: " << b.error().message << "\n";
      return 1;
    }
    broker = std::move(*b);
    kafka.brokers = broker->bootstrap();
    spdlog::info("run: development broker at {}", kafka.brokers);
  }
  EnsureParentDir(out);
  EnsureParentDir(dups);

  auto registry = std::make_shared<prometheus::Registry>();
  Health health;
  AdminServer admin(registry, &health);
  if (auto st = admin.Start(service.http_host, static_cast<int>(service.http_port)); !st) {
    std::cerr << "crawlstream run: " << st.error().message << "\n";
    return 2;
  }

  RunCollector collector(out, dups);
  if (auto st = collector.Start(kafka, topics); !st) {
    std::cerr << "crawlstream run: " << st.error().message << "\n";
    return 1;
  }

  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};

  // Dedup: restore, then consume articles.extracted.
  auto converter = dedup::MakeOpenccConverter();
  if (!converter) {
    std::cerr << "crawlstream run: " << converter.error().message << "\n";
    return 2;
  }
  auto deduplicator = dedup::MakeDeduplicator(dopts, converter->get());
  if (!deduplicator) {
    std::cerr << "crawlstream run: " << deduplicator.error().message << "\n";
    return 2;
  }
  dedup::DedupStage dedup_stage(deduplicator->get(), topics, registry);
  if (auto st = dedup_stage.Restore(kafka, dopts.restore_timeout); !st) {
    std::cerr << "crawlstream run: " << st.error().message << "\n";
    return 1;
  }

  auto make_stage = [&](const std::string& name, const std::string& input)
      -> std::pair<std::unique_ptr<Producer>, std::unique_ptr<Consumer>> {
    KafkaOptions k = kafka;
    k.group_id = kafka.group_id.empty() || kafka.group_id == "crawlstream-run"
                     ? "crawlstream-" + name
                     : kafka.group_id + "-" + name;
    k.client_id = "crawlstream-run-" + name;
    // The development broker (librdkafka's mock cluster) is not trusted
    // with transactions: at-least-once there.
    if (broker) k.exactly_once = false;
    auto p = Producer::Create(k, registry, &health, TransactionalId(k));
    auto c = Consumer::Create(k, {input}, registry, &health);
    if (!p || !c) {
      spdlog::critical("run: {}: {}", name, !p ? p.error().message : c.error().message);
      return {};
    }
    return {std::move(*p), std::move(*c)};
  };
  auto [ex_producer, ex_consumer] = make_stage("extractor", topics.pages);
  auto [dd_producer, dd_consumer] = make_stage("dedup", topics.extracted);
  if (!ex_producer || !dd_producer) return 1;

  extractor::Extractor ex(*ex_options);
  StageLoop ex_loop({.stage = "extractor", .deadletter_topic = topics.deadletter,
                     .drain_timeout = service.drain_timeout, .stop = &stop,
                     .workers = static_cast<int>(eopts.workers),
                     .transaction_interval = kafka.commit_interval,
                     .transaction_timeout = kafka.transaction_timeout},
                    ex_consumer.get(), ex_producer.get(), &health, registry);
  // Duplicate pairs found live at restore (with --brokers, after a crash)
  // and other instances' publications: as in crawlstream-dedup.
  StageLoop dd_loop({.stage = "dedup", .deadletter_topic = topics.deadletter,
                     .drain_timeout = service.drain_timeout, .stop = &stop,
                     .on_tick = dedup_stage.TailTick(dd_producer.get()),
                     .transaction_interval = kafka.commit_interval,
                     .transaction_timeout = kafka.transaction_timeout,
                     .stateful = true},
                    dd_consumer.get(), dd_producer.get(), &health, registry);
  KafkaOptions fk = kafka;
  fk.group_id = "crawlstream-fetcher";
  fk.client_id = "crawlstream-run-fetcher";
  fetcher::FetcherService fetch(fopts, fk, topics, registry, &health);
  if (broker) {
    // Back-pressure: the development broker keeps only a few MB per
    // partition and drops the oldest records beyond that, so a stage that
    // falls behind would lose input. No new fetch starts while the
    // extractor (or dedup) is more than kMaxStageLag records behind; the
    // transfers already running (up to fetcher.global_concurrency) still
    // finish. A real Kafka keeps its records: no hold with --brokers.
    fetch.SetHold([&] {
      return fetch.pages_acked() - ex_loop.inputs_done() > kMaxStageLag ||
             ex_loop.outputs_acked(topics.extracted) - dd_loop.inputs_done() > kMaxStageLag;
    });
  }

  auto start = std::chrono::steady_clock::now();
  std::thread ex_thread([&] {
    if (ex_loop.Run(extractor::MakeExtractorProcessor(&ex, topics.extracted)) != 0) failures++;
  });
  std::thread dd_thread([&] {
    if (dd_loop.Run(dedup_stage.processor()) != 0) failures++;
  });
  std::thread fetch_thread([&] {
    if (fetch.Run(&stop, service.drain_timeout) != 0) failures++;
    // A fetcher that stops on its own (e.g. bad seeds) ends the run.
    stop.store(true);
  });

  auto print_progress = [&](bool final_line) {
    const auto* fs = fetch.stats();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    int64_t fetched = fetch.pages_acked();
    int64_t dl = collector.dead_letters();
    char line[512];
    std::snprintf(line, sizeof line,
                  "queued %lld  fetched %lld  extracted %lld  duplicate %lld  published %zu  "
                  "dead-lettered %lld  %.1f pages/s  %.0fs",
                  static_cast<long long>(fs ? fs->submitted.load() - fs->finished.load() : 0),
                  static_cast<long long>(fetched),
                  static_cast<long long>(ex_loop.outputs_acked(topics.extracted)),
                  static_cast<long long>(collector.duplicates()), collector.canonical(),
                  static_cast<long long>(dl), secs > 0 ? fetched / secs : 0.0, secs);
    if (tty) {
      std::fprintf(stderr, "\r\033[K%s%s", line, final_line ? "\n" : "");
    } else if (final_line) {
      std::fprintf(stderr, "%s\n", line);
    }
  };

  // Drained: the fetcher has taken every request produced and is idle,
  // every page was consumed by the extractor, every extracted article by
  // dedup, and the collector has seen every dedup output. Checked twice in
  // a row to rule out a record between two counters.
  int stable = 0;
  // A crawl whose fetcher has nothing left to do but whose later stages
  // neither finish nor move for this long is stuck (e.g. the development
  // broker dropped records a lagging stage still waited for).
  const auto stall_limit = 120s;
  int64_t last_signature = -1;
  auto last_change = std::chrono::steady_clock::now();
  bool stalled = false;
  bool crawl_drained = false;
  while (!stop.load() && !Shutdown::Requested()) {
    std::this_thread::sleep_for(200ms);
    health.Beat();
    print_progress(false);
    if (follow) continue;
    int64_t signature = fetch.inputs_taken() + fetch.requests_acked() + fetch.pages_acked() +
                        fetch.dead_letters_acked() + ex_loop.inputs_done() + dd_loop.inputs_done() +
                        collector.articles() + collector.duplicates() + collector.dead_letters();
    // Waiting for a host (politeness, Retry-After, retries) is not a stall.
    if (signature != last_signature || !fetch.idle()) {
      last_signature = signature;
      last_change = std::chrono::steady_clock::now();
    } else if (std::chrono::steady_clock::now() - last_change > stall_limit) {
      std::fprintf(stderr, "\ncrawlstream run: no progress for %lld s and not drained; stopping\n",
                   static_cast<long long>(stall_limit.count()));
      stalled = true;
      break;
    }
    // Records the broker dropped before a stage read them never arrive:
    // count them as gone (the run then fails, naming them) instead of
    // waiting for them until the stall limit.
    auto skipped = SkippedInputs(*registry);
    bool drained =
        fetch.idle() && fetch.requests_acked() > 0 &&
        fetch.inputs_taken() + skipped[topics.requests] >= fetch.requests_acked() &&
        ex_loop.inputs_done() + skipped[topics.pages] >= fetch.pages_acked() &&
        dd_loop.inputs_done() + skipped[topics.extracted] >=
            ex_loop.outputs_acked(topics.extracted) &&
        collector.articles() + collector.tombstones() >= dd_loop.outputs_acked(topics.articles) &&
        collector.duplicates() >= dd_loop.outputs_acked(topics.duplicates);
    stable = drained ? stable + 1 : 0;
    if (stable >= 3) {
      crawl_drained = true;
      break;
    }
  }
  stop.store(true);
  fetch_thread.join();
  ex_thread.join();
  dd_thread.join();
  std::this_thread::sleep_for(300ms);  // let the collector see the last acks
  collector.Stop();
  print_progress(true);
  // Loss is never silent: a stage that fell further behind than the broker
  // keeps (the development broker holds about 5 MB per partition) lost
  // those inputs, and the run says how many and fails.
  const auto skipped = SkippedInputs(*registry);
  for (const auto& [topic, n] : skipped) {
    if (n == 0) continue;
    std::fprintf(stderr,
                 "crawlstream run: %lld records of %s were deleted by the broker before a stage "
                 "read them: LOST (a stage fell behind by more than the broker keeps; with the "
                 "development broker use fewer or smaller pages per run, or --brokers with a "
                 "real Kafka such as scripts/kafka.sh)\n",
                 static_cast<long long>(n), topic.c_str());
  }
  RunOutcome outcome = failures.load() || stalled || Total(skipped) > 0 ? RunOutcome::kFailed
                       : crawl_drained            ? RunOutcome::kDrained
                       : !Shutdown::Requested()   ? RunOutcome::kDrained
                       : follow                   ? RunOutcome::kFollowStopped
                                                  : RunOutcome::kSignalled;
  std::fprintf(stderr,
               "%s: %zu articles published to %s, %lld duplicates to %s, %lld dead letters\n",
               OutcomeWords(outcome), collector.canonical(), out.c_str(),
               static_cast<long long>(collector.duplicates()), dups.c_str(),
               static_cast<long long>(collector.dead_letters()));
  admin.Stop();
  return ExitStatus(outcome, Shutdown::Signal());
}

}  // namespace crawlstream
