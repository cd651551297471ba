#include "services/common/kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>

#include "services/common/health.h"

namespace crawlstream {

struct Consumer::Impl {
  Consumer* self = nullptr;
  Health* health = nullptr;
  std::shared_ptr<prometheus::Registry> registry;  // keeps the families alive
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::steady_clock::time_point next_commit;
  uint64_t generation = 0;
  prometheus::Family<prometheus::Counter>* consumed = nullptr;
  prometheus::Family<prometheus::Counter>* commits = nullptr;
  prometheus::Family<prometheus::Counter>* errors = nullptr;
  std::map<std::string, prometheus::Counter*> consumed_by_topic;
  prometheus::Family<prometheus::Counter>* skipped = nullptr;
  // Per partition of the current assignment, the offset after the last
  // record handed out: a record further on means the log lost the ones in
  // between before this member read them (see NoteGap).
  std::map<TopicPartition, int64_t> next_offset;
  uint64_t next_offset_generation = 0;
  std::atomic<int64_t> skipped_total{0};

  // Counts and logs the records between the previous record of `tp` and
  // `offset` that this member never saw. Input topics are neither compacted
  // nor transactional, so their offsets are contiguous and a jump forward
  // means the broker deleted records ahead of the consumer: retention on a
  // real broker, the size limit of the development broker's partitions.
  // librdkafka then resets to the earliest offset (auto.offset.reset) and
  // would go on silently.
  void NoteGap(const TopicPartition& tp, int64_t offset) {
    if (next_offset_generation != generation) {
      next_offset.clear();
      next_offset_generation = generation;
    }
    auto [it, first] = next_offset.try_emplace(tp, offset + 1);
    if (first) return;
    const int64_t expected = it->second;
    it->second = offset + 1;
    if (offset <= expected) return;
    const int64_t lost = offset - expected;
    skipped_total.fetch_add(lost);
    skipped->Add({{"topic", tp.topic}}).Increment(static_cast<double>(lost));
    spdlog::error(
        "kafka consumer: {}/{}: offsets {}..{} ({} records) were deleted by the broker before "
        "this stage read them (retention, or the development broker's per-partition size "
        "limit): those inputs are lost",
        tp.topic, tp.partition, expected, offset - 1, lost);
  }

  static std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list) {
    std::vector<TopicPartition> out;
    for (int i = 0; list && i < list->cnt; ++i) {
      out.push_back({list->elems[i].topic, list->elems[i].partition});
    }
    return out;
  }

  // The broker's verdict on a commit, asynchronous or not (librdkafka
  // queues it for the next poll): the one place commits are counted, so
  // that a failed asynchronous commit shows in
  // crawlstream_kafka_commits_total{outcome="error"}.
  void Committed(rd_kafka_resp_err_t err, const rd_kafka_topic_partition_list_t* offsets) {
    rd_kafka_resp_err_t worst = err;
    for (int i = 0; worst == RD_KAFKA_RESP_ERR_NO_ERROR && offsets && i < offsets->cnt; ++i)
      worst = offsets->elems[i].err;
    // Nothing to commit is no failure.
    const bool ok = worst == RD_KAFKA_RESP_ERR_NO_ERROR || worst == RD_KAFKA_RESP_ERR__NO_OFFSET;
    commits->Add({{"outcome", ok ? "ok" : "error"}}).Increment();
    if (!ok) spdlog::warn("kafka consumer: offset commit failed: {}", rd_kafka_err2str(worst));
  }

  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* parts) {
    auto tps = ToVector(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      generation = self->tracker_.Assign(tps);
      spdlog::info("kafka consumer: assigned {} partitions", tps.size());
      rd_kafka_assign(rk, parts);
      if (health) health->Set("partitions_assigned", true);
    } else {
      // Revoked: commit what is done for these partitions, then let go.
      auto positions = self->tracker_.PositionsFor(tps);
      if (!positions.empty()) {
        if (auto st = self->CommitPositions(positions, true); !st) {
          spdlog::warn("kafka consumer: commit on revoke: {}", st.error().message);
        }
      }
      self->tracker_.Revoke(tps);
      spdlog::info("kafka consumer: revoked {} partitions ({})", tps.size(), rd_kafka_err2name(err));
      rd_kafka_assign(rk, nullptr);
    }
  }
};

Result<std::unique_ptr<Consumer>> Consumer::Create(
    const KafkaOptions& options, const std::vector<std::string>& topics,
    std::shared_ptr<prometheus::Registry> registry, Health* health) {
  if (options.brokers.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kafka.brokers is empty: name the Kafka brokers");
  }
  if (options.group_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kafka.group_id is empty: a consumer needs a group");
  }
  auto conf_or = MakeKafkaConf(options, AsOverrides(ConsumerProperties(options)));
  if (!conf_or) return std::unexpected(conf_or.error());
  auto* conf = static_cast<rd_kafka_conf_t*>(*conf_or);

  std::unique_ptr<Consumer> c(new Consumer());
  c->impl_ = std::make_unique<Impl>();
  Impl* impl = c->impl_.get();
  impl->self = c.get();
  impl->health = health;
  impl->registry = registry;
  impl->commit_interval = options.commit_interval;
  impl->next_commit = std::chrono::steady_clock::now() + options.commit_interval;
  impl->consumed = &prometheus::BuildCounter()
                        .Name("crawlstream_kafka_consumed_total")
                        .Help("Records consumed, by topic")
                        .Register(*registry);
  impl->commits = &prometheus::BuildCounter()
                       .Name("crawlstream_kafka_commits_total")
                       .Help("Offset commits, by outcome")
                       .Register(*registry);
  impl->skipped = &prometheus::BuildCounter()
                       .Name("crawlstream_kafka_consumer_skipped_records_total")
                       .Help("Input records deleted by the broker (retention, size limit) "
                             "before this consumer read them: lost input, by topic")
                       .Register(*registry);
  impl->errors = &prometheus::BuildCounter()
                      .Name("crawlstream_kafka_consumer_errors_total")
                      .Help("Consumer errors, by class (retry, dead_letter, fatal)")
                      .Register(*registry);
  if (health) health->Set("partitions_assigned", false);

  rd_kafka_conf_set_opaque(conf, impl);
  rd_kafka_conf_set_rebalance_cb(conf, [](rd_kafka_t* rk, rd_kafka_resp_err_t err,
                                          rd_kafka_topic_partition_list_t* parts, void* opaque) {
    static_cast<Impl*>(opaque)->Rebalance(rk, err, parts);
  });
  rd_kafka_conf_set_offset_commit_cb(
      conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
               void* opaque) { static_cast<Impl*>(opaque)->Committed(err, offsets); });
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInvalidArgument, std::string("kafka consumer: ") + err);
  }
  c->rk_ = rk;
  rd_kafka_poll_set_consumer(rk);
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(topics.size()));
  for (const auto& t : topics) rd_kafka_topic_partition_list_add(list, t.c_str(), RD_KAFKA_PARTITION_UA);
  auto serr = rd_kafka_subscribe(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (serr) {
    return Fail(ErrorCode::kInvalidArgument, std::string("subscribe: ") + rd_kafka_err2str(serr));
  }
  return c;
}

Result<std::optional<InRecord>> Consumer::Poll(std::chrono::milliseconds timeout) {
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, static_cast<int>(timeout.count()));
  if (!m) return std::optional<InRecord>();
  if (m->err) {
    auto cls = ClassifyKafkaError(m->err);
    std::string msg = rd_kafka_message_errstr(m);
    rd_kafka_message_destroy(m);
    if (cls == KafkaErrorClass::kNone) return std::optional<InRecord>();
    impl_->errors->Add({{"class", std::string(KafkaErrorClassName(cls))}}).Increment();
    if (cls == KafkaErrorClass::kFatal) {
      return Fail(ErrorCode::kInternal, "kafka consumer: fatal: " + msg);
    }
    spdlog::warn("kafka consumer: {} ({})", msg, KafkaErrorClassName(cls));
    return std::optional<InRecord>();
  }
  InRecord r;
  r.tp = {rd_kafka_topic_name(m->rkt), m->partition};
  r.offset = m->offset;
  r.generation = impl_->generation;
  if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
  if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* value;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i) {
      r.headers.emplace_back(name, value ? std::string(static_cast<const char*>(value), size) : "");
    }
  }
  rd_kafka_timestamp_type_t tstype;
  r.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
  rd_kafka_message_destroy(m);
  auto& counter = impl_->consumed_by_topic[r.tp.topic];
  if (!counter) counter = &impl_->consumed->Add({{"topic", r.tp.topic}});
  counter->Increment();
  impl_->NoteGap(r.tp, r.offset);
  tracker_.Started(r.tp, r.offset, r.generation);
  return std::optional<InRecord>(std::move(r));
}

int64_t Consumer::skipped_records() const { return impl_->skipped_total.load(); }

void Consumer::Done(const InRecord& record) {
  tracker_.Done(record.tp, record.offset, record.generation);
}

Status Consumer::CommitPositions(const std::vector<CommitPosition>& positions, bool sync) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(positions.size()));
  for (const auto& p : positions) {
    rd_kafka_topic_partition_list_add(list, p.tp.topic.c_str(), p.tp.partition)->offset = p.offset;
  }
  auto err = rd_kafka_commit(static_cast<rd_kafka_t*>(rk_), list, sync ? 0 : 1);
  rd_kafka_topic_partition_list_destroy(list);
  bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR;
  // A commit that could not even be sent gets no callback: count it here;
  // every other outcome is counted by Committed().
  if (!ok && !sync) impl_->commits->Add({{"outcome", "error"}}).Increment();
  if (!ok) return Fail(ErrorCode::kUnavailable, std::string("commit: ") + rd_kafka_err2str(err));
  tracker_.MarkCommitted(positions);
  return Ok();
}

Status Consumer::MaybeCommit(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now < impl_->next_commit) return Ok();
  impl_->next_commit = now + impl_->commit_interval;
  auto positions = tracker_.Committable(force);
  if (positions.empty()) return Ok();
  // Synchronous when forced (shutdown), asynchronous otherwise. An
  // asynchronous commit is marked optimistically; a failed one is repeated
  // by the next forced commit at the latest (positions only move forward).
  return CommitPositions(positions, force);
}

Status Consumer::Close() {
  if (closed_ || !rk_) return Ok();
  closed_ = true;
  Status result = MaybeCommit(true);
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_consumer_close(rk);
  return result;
}

Status Consumer::PauseAssigned(bool pause) {
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_topic_partition_list_t* parts = nullptr;
  auto err = rd_kafka_assignment(rk, &parts);
  if (!err && parts && parts->cnt > 0) {
    err = pause ? rd_kafka_pause_partitions(rk, parts) : rd_kafka_resume_partitions(rk, parts);
  }
  if (parts) rd_kafka_topic_partition_list_destroy(parts);
  if (err) {
    return Fail(ErrorCode::kUnavailable,
                std::string(pause ? "pause" : "resume") + ": " + rd_kafka_err2str(err));
  }
  return Ok();
}

Consumer::~Consumer() {
  if (!rk_) return;
  if (auto st = Close(); !st) spdlog::warn("kafka consumer close: {}", st.error().message);
  rd_kafka_destroy(static_cast<rd_kafka_t*>(rk_));
}

}  // namespace crawlstream
