#include "services/common/stage_loop.h"

#include <google/protobuf/util/time_util.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "crawlstream/v1/dead_letter.pb.h"
#include "services/common/health.h"
#include "services/common/shutdown.h"

namespace crawlstream {
namespace {

// A processor that throws dead-letters the record (reason
// processor_exception) instead of ending the process through
// std::terminate, on the worker threads and on the loop's own thread alike.
StageResult ProcessGuarded(const Processor& process, const InRecord& record) {
  try {
    return process(record);
  } catch (const std::exception& e) {
    return StageResult::DeadLetter("processor_exception", e.what());
  } catch (...) {
    return StageResult::DeadLetter("processor_exception", "unknown exception");
  }
}

// The dead-letter record for `input`. `trimmed`: the original value cut to
// 4 KiB and the detail saying so (for when the full one is refused: the
// original is huge).
OutRecord DeadLetterRecord(const std::string& stage, const std::string& topic,
                           const std::string& reason, const std::string& detail,
                           const InRecord& input, bool trimmed) {
  KafkaHeaders headers = {{"content-type", "application/x-protobuf"},
                          {"schema", "crawlstream.v1.DeadLetter"},
                          {"producer", "crawlstream-" + stage}};
  if (!trimmed) return {topic, input.key, MakeDeadLetter(stage, reason, detail, input), headers};
  InRecord cut = input;
  cut.value.resize(std::min<size_t>(cut.value.size(), 4096));
  std::string note = detail + " (original value truncated to 4 KiB: " +
                     std::to_string(input.value.size()) + " bytes)";
  return {topic, input.key, MakeDeadLetter(stage, reason, note, cut), headers};
}

}  // namespace

StageRecords::StageRecords(std::string stage, prometheus::Registry& registry)
    : stage_(std::move(stage)),
      family_(&prometheus::BuildCounter()
                   .Name("crawlstream_stage_records_total")
                   .Help("Input records by stage, outcome and reason")
                   .Register(registry)) {}

void StageRecords::Count(const std::string& outcome, const std::string& reason) {
  std::lock_guard lock(mu_);
  auto& c = counters_[{outcome, reason}];
  if (!c) c = &family_->Add({{"stage", stage_}, {"outcome", outcome}, {"reason", reason}});
  c->Increment();
}

struct StageLoop::State {
  std::unique_ptr<StageRecords> records;
  prometheus::Histogram* latency = nullptr;
  std::mutex mu;
  std::atomic<bool> failed{false};
  std::atomic<int64_t> done{0};
  std::map<std::string, int64_t> acked;  // guarded by mu

  void Acked(const std::string& topic) {
    std::lock_guard lock(mu);
    ++acked[topic];
  }

  void Count(const std::string& outcome, const std::string& reason) {
    records->Count(outcome, reason);
  }

  // Exactly-once mode. Outcomes of the records in the open transaction
  // (loop thread), counted when it commits.
  std::vector<std::pair<std::string, std::string>> txn_outcomes;
  // Bumped by every abort: a delivery report of an earlier transaction
  // (purged by the abort) does not fail the current one.
  std::atomic<uint64_t> txn_seq{0};
  std::atomic<bool> txn_failed{false};
  std::string txn_failure;  // guarded by mu
  // Inputs an output of which the broker refused for good (a record-level
  // error such as MSG_SIZE_TOO_LARGE) in an aborted transaction, with the
  // number of such aborts. The broker refuses a whole batch, so innocent
  // neighbours are marked too: after such an abort the loop commits one
  // input per transaction (`one_by_one` inputs), and an input refused
  // again on its own is dead-lettered the next time. Guarded by mu.
  struct Refusal {
    std::string detail;
    int strikes = 0;
    uint64_t seq = 0;  // the transaction of the last strike
  };
  std::map<std::pair<TopicPartition, int64_t>, Refusal> refused;
  bool refused_in_txn = false;  // guarded by mu
  int64_t one_by_one = 0;       // loop thread
  bool rewind_needed = false;   // loop thread

  // A delivery in transaction `seq` failed.
  void TxnDeliveryFailed(uint64_t seq, const InRecord& input, const DeliveryReport& report) {
    if (seq != txn_seq.load()) return;
    std::lock_guard lock(mu);
    if (report.error_class == KafkaErrorClass::kDeadLetter) {
      auto& r = refused[{input.tp, input.offset}];
      if (r.strikes == 0 || r.seq != seq) ++r.strikes;  // once per transaction
      r.seq = seq;
      r.detail = report.error_message;
      refused_in_txn = true;
    }
    if (!txn_failed.exchange(true)) txn_failure = report.error_message;
  }
  // The refusal's detail once the input was refused on its own.
  std::optional<std::string> RefusedAlone(const InRecord& input) {
    std::lock_guard lock(mu);
    auto it = refused.find({input.tp, input.offset});
    if (it == refused.end() || it->second.strikes < 2) return std::nullopt;
    std::string detail = it->second.detail;
    refused.erase(it);
    return detail;
  }
  // At an abort: whether an output of it was refused.
  bool EndAbortedTransaction() {
    std::lock_guard lock(mu);
    return std::exchange(refused_in_txn, false);
  }
};

std::string MakeDeadLetter(const std::string& stage, const std::string& reason,
                           const std::string& detail, const InRecord& input) {
  crawlstream::v1::DeadLetter dl;
  dl.set_stage(stage);
  dl.set_reason(reason);
  dl.set_detail(detail);
  dl.set_source_topic(input.tp.topic);
  dl.set_source_partition(input.tp.partition);
  dl.set_source_offset(input.offset);
  dl.set_original_key(input.key);
  dl.set_original_value(input.value);
  for (const auto& [name, value] : input.headers) {
    auto* h = dl.add_original_headers();
    h->set_name(name);
    h->set_value(value);
  }
  *dl.mutable_failed_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  dl.set_attempts(1);
  return dl.SerializeAsString();
}

// Runs the Processor on N threads; one queue per thread, chosen by the
// record's key (else partition) so that a key's records stay in order.
class StageLoop::WorkerPool {
 public:
  struct Completed {
    InRecord record;
    StageResult result;
    double seconds = 0;
  };

  WorkerPool(int n, const Processor& process) : process_(process) {
    for (int i = 0; i < n; ++i) workers_.push_back(std::make_unique<Worker>());
    for (auto& w : workers_) w->thread = std::thread([this, raw = w.get()] { Loop(raw); });
  }
  ~WorkerPool() { Stop(); }

  void Submit(InRecord record) {
    const size_t h = record.key.empty() ? static_cast<size_t>(record.tp.partition)
                                        : std::hash<std::string>{}(record.key);
    Worker& w = *workers_[h % workers_.size()];
    pending_.fetch_add(1);
    {
      std::lock_guard lock(w.mu);
      w.queue.push_back(std::move(record));
    }
    w.cv.notify_one();
  }

  // Submitted and not yet taken by Drain().
  size_t pending() const { return pending_.load(); }
  size_t capacity() const { return workers_.size() * 8; }

  void Drain(const std::function<void(Completed&&)>& f) {
    std::vector<Completed> done;
    {
      std::lock_guard lock(done_mu_);
      done.swap(done_);
    }
    for (auto& c : done) {
      pending_.fetch_sub(1);
      f(std::move(c));
    }
  }

  // Finishes the records being processed, drops the queued ones (not
  // committed: redelivered after a restart) and joins the threads.
  void Stop() {
    for (auto& w : workers_) {
      {
        std::lock_guard lock(w->mu);
        w->stop = true;
        pending_.fetch_sub(w->queue.size());
        w->queue.clear();
      }
      w->cv.notify_all();
    }
    for (auto& w : workers_)
      if (w->thread.joinable()) w->thread.join();
  }

 private:
  struct Worker {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<InRecord> queue;
    bool stop = false;
    std::thread thread;
  };

  void Loop(Worker* w) {
    for (;;) {
      InRecord record;
      {
        std::unique_lock lock(w->mu);
        w->cv.wait(lock, [w] { return w->stop || !w->queue.empty(); });
        if (w->stop) return;
        record = std::move(w->queue.front());
        w->queue.pop_front();
      }
      const auto start = std::chrono::steady_clock::now();
      StageResult result = ProcessGuarded(process_, record);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::lock_guard lock(done_mu_);
      done_.push_back({std::move(record), std::move(result), seconds});
    }
  }

  const Processor& process_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::atomic<size_t> pending_{0};
  std::mutex done_mu_;
  std::vector<Completed> done_;
};

StageLoop::StageLoop(StageLoopOptions options, Consumer* consumer, Producer* producer,
                     Health* health, std::shared_ptr<prometheus::Registry> registry)
    : state_(std::make_shared<State>()), options_(std::move(options)),
      consumer_(consumer), producer_(producer), health_(health) {
  state_->records = std::make_unique<StageRecords>(options_.stage, *registry);
  state_->latency = &prometheus::BuildHistogram()
                         .Name("crawlstream_stage_process_seconds")
                         .Help("Time to process one input record (excluding delivery)")
                         .Register(*registry)
                         .Add({{"stage", options_.stage}},
                              prometheus::Histogram::BucketBoundaries{
                                  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                  0.25, 0.5, 1, 2.5});
  if (producer_->transactional()) {
    consumer_->CommitInTransactions();
    txn_ = std::make_unique<StageTransaction>(producer_, consumer_, options_.transaction_timeout,
                                              *registry);
    // The revoked partitions' done records commit with the transaction
    // before the partitions go; an abort here rewinds after Poll().
    consumer_->OnRevoke([this](const std::vector<TopicPartition>&) {
      if (txn_->open()) CommitOrAbort(/*rewind=*/false, /*stopping=*/false);
    });
  }
}

StageLoop::~StageLoop() = default;

void StageLoop::Handle(const InRecord& record, const Processor& process) {
  auto start = std::chrono::steady_clock::now();
  StageResult result = ProcessGuarded(process, record);
  state_->latency->Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  Finish(record, std::move(result));
}

void StageLoop::Finish(const InRecord& record, StageResult result) {
  if (txn_) {
    FinishInTransaction(record, std::move(result));
    return;
  }
  if (!consumer_->Owns(record)) {
    // Revoked while it was processed (worker threads): the new owner
    // reprocesses it from the committed offset; producing now could put a
    // stale output after the new owner's.
    state_->Count("skipped", "revoked");
    return;
  }
  auto state = state_;
  Consumer* consumer = consumer_;
  Producer* producer = producer_;
  std::string stage = options_.stage;
  std::string dlq = options_.deadletter_topic;

  // Produces the dead letter for `record`; the input is done on its ack.
  // When even the dead letter is refused (the original is huge), the
  // original value is cut to 4 KiB and the detail says so.
  auto dead_letter = [state, consumer, producer, stage, dlq, record](
                         const std::string& reason, const std::string& detail) {
    spdlog::warn("{}: dead-lettering {}/{}@{}: {}: {}", stage, record.tp.topic,
                 record.tp.partition, record.offset, reason, detail);
    auto on_ack = [state, consumer, record, reason](const DeliveryReport& report) {
      if (report.ok()) {
        state->Count("dead_letter", reason);
        consumer->Done(record);
        state->done.fetch_add(1);
      } else {
        spdlog::error("dead letter not delivered: {}", report.error_message);
        state->failed.store(true);
      }
    };
    if (producer->Produce(DeadLetterRecord(stage, dlq, reason, detail, record, false), on_ack)) {
      return;
    }
    if (!producer->Produce(DeadLetterRecord(stage, dlq, reason, detail, record, true), on_ack)) {
      state->failed.store(true);
    }
  };

  if (!result.dead_letter_reason.empty()) {
    dead_letter(result.dead_letter_reason, result.dead_letter_detail);
    return;
  }
  if (result.outputs.empty()) {
    state_->Count("skipped", result.skip_reason.empty() ? "no_output" : result.skip_reason);
    consumer_->Done(record);
    state_->done.fetch_add(1);
    return;
  }

  struct Fanout {
    std::atomic<int> remaining;
    std::atomic<bool> rejected{false};
    std::mutex mu;
    std::string reject_detail;
  };
  auto fan = std::make_shared<Fanout>();
  fan->remaining.store(static_cast<int>(result.outputs.size()));
  auto finish_one = [state, consumer, record, fan, dead_letter](const DeliveryReport* report,
                                                                const std::string& refused,
                                                                const std::string& topic) {
    if (report && report->ok()) state->Acked(topic);
    if (report && !report->ok()) {
      if (report->error_class == KafkaErrorClass::kDeadLetter) {
        std::lock_guard lock(fan->mu);
        fan->rejected.store(true);
        fan->reject_detail = report->error_message;
      } else {
        state->failed.store(true);
      }
    }
    if (!refused.empty()) {
      std::lock_guard lock(fan->mu);
      fan->rejected.store(true);
      fan->reject_detail = refused;
    }
    if (fan->remaining.fetch_sub(1) == 1) {
      if (state->failed.load()) return;  // not committed; redelivered after restart
      if (fan->rejected.load()) {
        dead_letter("output_rejected", fan->reject_detail);
        return;
      }
      state->Count("processed", "");
      consumer->Done(record);
      state->done.fetch_add(1);
    }
  };
  for (auto& out : result.outputs) {
    std::string topic = out.topic;
    auto st = producer_->Produce(std::move(out), [finish_one, topic](const DeliveryReport& report) {
      finish_one(&report, "", topic);
    });
    if (!st) {
      if (st.error().code == ErrorCode::kResourceExhausted) {
        finish_one(nullptr, st.error().message, topic);
      } else {
        spdlog::error("{}: produce failed: {}", options_.stage, st.error().message);
        state_->failed.store(true);
        finish_one(nullptr, "", topic);
      }
    }
  }
}

void StageLoop::FinishInTransaction(const InRecord& record, StageResult result) {
  if (!consumer_->Owns(record)) {
    // Revoked, or rewound by an abort, while it was processed: it comes
    // again from the committed offset.
    state_->Count("skipped", "revoked");
    return;
  }
  if (auto refused = state_->RefusedAlone(record)) {
    result = StageResult::DeadLetter("output_rejected", *refused);
  }
  auto state = state_;
  const uint64_t seq = state_->txn_seq.load();
  // Queues one record of this transaction; a failure fails the transaction.
  auto produce = [&](OutRecord out) -> Status {
    std::string topic = out.topic;
    return producer_->Produce(std::move(out), [state, seq, record, topic](const DeliveryReport& r) {
      if (r.ok()) {
        state->Acked(topic);
      } else {
        state->TxnDeliveryFailed(seq, record, r);
      }
    });
  };
  auto fail_transaction = [&](const std::string& why) {
    spdlog::error("{}: produce failed: {}", options_.stage, why);
    std::lock_guard lock(state_->mu);
    if (!state_->txn_failed.exchange(true)) state_->txn_failure = why;
  };
  auto dead_letter = [&](const std::string& reason, const std::string& detail) {
    spdlog::warn("{}: dead-lettering {}/{}@{}: {}: {}", options_.stage, record.tp.topic,
                 record.tp.partition, record.offset, reason, detail);
    const auto& dlq = options_.deadletter_topic;
    auto st = produce(DeadLetterRecord(options_.stage, dlq, reason, detail, record, false));
    if (!st && st.error().code == ErrorCode::kResourceExhausted) {
      st = produce(DeadLetterRecord(options_.stage, dlq, reason, detail, record, true));
    }
    if (!st) fail_transaction(st.error().message);
    state_->txn_outcomes.emplace_back("dead_letter", reason);
  };

  if (!result.dead_letter_reason.empty()) {
    dead_letter(result.dead_letter_reason, result.dead_letter_detail);
  } else if (result.outputs.empty()) {
    state_->txn_outcomes.emplace_back(
        "skipped", result.skip_reason.empty() ? "no_output" : result.skip_reason);
  } else {
    std::string refused;
    for (auto& out : result.outputs) {
      auto st = produce(std::move(out));
      if (st) continue;
      if (st.error().code == ErrorCode::kResourceExhausted) {
        refused = st.error().message;
      } else {
        fail_transaction(st.error().message);
      }
    }
    if (refused.empty()) {
      state_->txn_outcomes.emplace_back("processed", "");
    } else {
      dead_letter("output_rejected", refused);
    }
  }
  // Done now: the transaction carries its offset with its outputs.
  consumer_->Done(record);
  if (state_->one_by_one > 0) --state_->one_by_one;
}

bool StageLoop::CommitWhenDue() {
  if (state_->rewind_needed) {  // aborted during a revocation
    state_->rewind_needed = false;
    if (auto st = consumer_->Rewind(options_.transaction_timeout); !st) {
      spdlog::critical("{}: {}; stopping", options_.stage, st.error().message);
      state_->failed.store(true);
      return false;
    }
  }
  const auto inputs = static_cast<int64_t>(state_->txn_outcomes.size());
  const bool due = state_->txn_failed.load() || txn_->age() >= options_.transaction_interval ||
                   inputs >= options_.max_inflight || (state_->one_by_one > 0 && inputs > 0);
  if (!due) return true;
  return CommitOrAbort(/*rewind=*/true, /*stopping=*/false) && EnsureTransaction();
}

bool StageLoop::EnsureTransaction() {
  if (txn_->open()) return true;
  if (auto st = txn_->Begin(); !st) {
    spdlog::critical("{}: {} ({})", options_.stage, st.error().message,
                     TxnFailureName(st.error().kind));
    state_->failed.store(true);
    return false;
  }
  return true;
}

bool StageLoop::CommitOrAbort(bool rewind, bool stopping) {
  if (!txn_->open()) return true;
  std::string why;
  if (state_->txn_failed.load()) {
    std::lock_guard lock(state_->mu);
    why = "an output failed: " + state_->txn_failure;
  } else if (auto st = txn_->Commit(); st) {
    const auto n = static_cast<int64_t>(state_->txn_outcomes.size());
    for (const auto& [outcome, reason] : state_->txn_outcomes) state_->Count(outcome, reason);
    state_->txn_outcomes.clear();
    state_->done.fetch_add(n);
    return true;
  } else if (st.error().kind == TxnFailure::kFatal) {
    spdlog::critical("{}: {}; stopping (a restart redoes the uncommitted inputs)", options_.stage,
                     st.error().message);
    state_->failed.store(true);
    return false;
  } else {
    why = st.error().message;
  }
  spdlog::warn("{}: aborting the transaction of {} inputs: {}", options_.stage,
               state_->txn_outcomes.size(), why);
  const auto inputs = static_cast<int64_t>(state_->txn_outcomes.size());
  state_->txn_seq.fetch_add(1);
  auto aborted = txn_->Abort();
  state_->txn_outcomes.clear();
  state_->txn_failed.store(false);
  if (state_->EndAbortedTransaction()) {
    // Records at the workers were taken after the aborted ones.
    state_->one_by_one = inputs + 8 * options_.workers;
    spdlog::info("{}: the broker refused an output: the next {} inputs commit one by one",
                 options_.stage, state_->one_by_one);
  }
  if (!aborted) {
    spdlog::critical("{}: {}; stopping", options_.stage, aborted.error().message);
    state_->failed.store(true);
    return false;
  }
  if (stopping) return true;  // the next owner redoes the inputs
  if (options_.stateful) {
    spdlog::error("{}: the aborted inputs' decisions are in this stage's state but not in Kafka; "
                  "stopping so that a restart restores the state from the committed log",
                  options_.stage);
    state_->failed.store(true);
    return false;
  }
  state_->rewind_needed = true;
  if (!rewind) return true;
  state_->rewind_needed = false;
  if (auto st = consumer_->Rewind(options_.transaction_timeout); !st) {
    spdlog::critical("{}: {}; stopping", options_.stage, st.error().message);
    state_->failed.store(true);
    return false;
  }
  return true;
}

int64_t StageLoop::inputs_done() const { return state_->done.load(); }

int64_t StageLoop::outputs_acked(const std::string& topic) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->acked.find(topic);
  return it == state_->acked.end() ? 0 : it->second;
}

int StageLoop::Run(const Processor& process) {
  int64_t handled = 0;
  std::unique_ptr<WorkerPool> pool;
  if (options_.workers > 1) pool = std::make_unique<WorkerPool>(options_.workers, process);
  auto drain = [&] {
    if (!pool) return;
    pool->Drain([&](WorkerPool::Completed&& c) {
      state_->latency->Observe(c.seconds);
      if (txn_ && state_->failed.load()) return;
      Finish(c.record, std::move(c.result));
      // After a refused output: one input per transaction.
      if (txn_ && state_->one_by_one > 0 && !state_->failed.load()) CommitWhenDue();
    });
  };
  while (!Shutdown::Requested() && !(options_.stop && options_.stop->load())) {
    if (txn_ && !EnsureTransaction()) break;
    drain();
    health_->Beat();
    if (state_->failed.load()) {
      spdlog::error("{}: an output could not be delivered; stopping without committing it",
                    options_.stage);
      break;
    }
    if (txn_) {
      if (!CommitWhenDue()) break;
    } else if (auto st = consumer_->MaybeCommit(); !st) {
      spdlog::warn("{}: {}", options_.stage, st.error().message);
    }
    if (options_.on_tick) options_.on_tick();
    if (options_.stop_after > 0 && state_->done.load() >= options_.stop_after &&
        producer_->inflight() == 0 && (!pool || pool->pending() == 0) &&
        state_->txn_outcomes.empty()) {
      break;
    }
    // Intake waits (sleeping, beating) while outputs are at their bounds:
    // max_inflight records, or a producer queue (kafka.producer_queue_bytes)
    // without room for the largest record, so that Produce rarely finds it
    // full and blocks.
    if (producer_->inflight() >= options_.max_inflight || !producer_->HasRoomForLargest() ||
        (pool && pool->pending() >= pool->capacity())) {
      std::this_thread::sleep_for(std::chrono::milliseconds(pool ? 1 : 2));
      continue;
    }
    // With records at the workers, poll briefly so their results go out.
    auto polled = consumer_->Poll(std::chrono::milliseconds(pool && pool->pending() > 0 ? 1 : 100));
    if (!polled) {
      spdlog::critical("{}: {}", options_.stage, polled.error().message);
      state_->failed.store(true);
      break;
    }
    if (!polled->has_value()) continue;
    // A revocation inside Poll() may have committed the transaction.
    if (txn_ && !EnsureTransaction()) break;
    if (pool) {
      pool->Submit(std::move(**polled));
    } else {
      Handle(**polled, process);
    }
    ++handled;
  }
  if (pool) {
    pool->Stop();  // records being processed finish; queued ones stay uncommitted
    if (!txn_ || (!state_->failed.load() && EnsureTransaction())) drain();
  }
  spdlog::info("{}: stopping after {} records; draining {} in-flight outputs", options_.stage,
               handled, producer_->inflight());
  if (txn_) {
    // The last transaction commits (its outputs flushed); after a failure
    // it is aborted so that read_committed readers need not wait for the
    // broker's timeout.
    if (!state_->failed.load()) {
      CommitOrAbort(/*rewind=*/false, /*stopping=*/true);
    } else if (txn_->open()) {
      state_->txn_seq.fetch_add(1);
      if (auto st = txn_->Abort(); !st) spdlog::warn("{}: {}", options_.stage, st.error().message);
    }
  } else if (auto st = producer_->Flush(options_.drain_timeout); !st) {
    spdlog::warn("{}: {}", options_.stage, st.error().message);
  }
  auto commit = consumer_->Close();
  if (!commit) spdlog::warn("{}: final commit: {}", options_.stage, commit.error().message);
  bool failed = state_->failed.load();
  spdlog::info("{}: stopped ({})", options_.stage, failed ? "failed" : "clean");
  return failed ? 1 : 0;
}

}  // namespace crawlstream
