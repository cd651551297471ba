#include "services/common/kafka_consumer.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <algorithm>
#include <map>
#include <memory>
#include <string_view>

#include "services/common/health.h"

namespace crawlstream {

struct Consumer::Impl {
  Consumer* self = nullptr;
  Health* health = nullptr;
  std::shared_ptr<prometheus::Registry> registry;  // keeps the families alive
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::steady_clock::time_point next_commit;
  Consumer::RevokeHandler on_revoke;
  Consumer::AssignHandler on_assign;
  // librdkafka's cgrp join_state is "steady" (from its statistics; poll
  // thread only). False from a revoke until the statistics say steady.
  bool group_steady = false;
  bool paused = false;  // Pause(); poll thread only
  bool transactional = false;  // CommitInTransactions()
  prometheus::Family<prometheus::Counter>* consumed = nullptr;
  prometheus::Family<prometheus::Counter>* commits = nullptr;
  prometheus::Family<prometheus::Counter>* errors = nullptr;
  std::map<std::string, prometheus::Counter*> consumed_by_topic;
  prometheus::Family<prometheus::Counter>* skipped = nullptr;
  // Per partition: the generation it was assigned in and the offset after
  // the last record handed out then. A later record of the same
  // assignment further on means the log lost the ones in between before
  // this member read them (see NoteGap).
  std::map<TopicPartition, std::pair<uint64_t, int64_t>> next_offset;
  std::atomic<int64_t> skipped_total{0};

  // Counts and logs the records between the previous record of `tp` and
  // `offset` that this member never saw because the broker deleted them
  // before they were read: retention on a real broker, the size limit of
  // the development broker's partitions. librdkafka then resets to the
  // earliest offset (auto.offset.reset) and would go on silently. Not every
  // gap is a loss: a transactional producer upstream leaves one offset per
  // transaction for its commit marker, and read_committed skips aborted
  // records. So a gap counts only up to the partition's log start offset,
  // which every fetch response carries (librdkafka keeps it as the low
  // watermark).
  void NoteGap(rd_kafka_t* rk, const TopicPartition& tp, int64_t offset, uint64_t generation) {
    auto [it, first] = next_offset.try_emplace(tp, generation, offset + 1);
    const auto [seen_generation, expected] = it->second;
    it->second = {generation, offset + 1};
    // The first record of an assignment starts where the group said.
    if (first || seen_generation != generation || offset <= expected) return;
    int64_t low = -1, high = -1;
    if (rd_kafka_get_watermark_offsets(rk, tp.topic.c_str(), tp.partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        low <= expected) {
      return;  // transaction markers or aborted records, not deletion
    }
    const int64_t lost = std::min(low, offset) - expected;
    skipped_total.fetch_add(lost);
    skipped->Add({{"topic", tp.topic}}).Increment(static_cast<double>(lost));
    spdlog::error(
        "kafka consumer: {}/{}: offsets {}..{} ({} records) were deleted by the broker before "
        "this stage read them (retention, or the development broker's per-partition size "
        "limit): those inputs are lost",
        tp.topic, tp.partition, expected, expected + lost - 1, lost);
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
    for (int i = 0; err == RD_KAFKA_RESP_ERR_NO_ERROR && offsets && i < offsets->cnt; ++i) {
      const auto& p = offsets->elems[i];
      if (p.err == RD_KAFKA_RESP_ERR_NO_ERROR && p.offset >= 0) {
        self->tracker_.Confirm({p.topic, p.partition}, p.offset);
      }
    }
  }

  void Rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* parts) {
    const char* protocol = rd_kafka_rebalance_protocol(rk);
    const bool cooperative = protocol != nullptr && std::string_view(protocol) == "COOPERATIVE";
    auto tps = ToVector(parts);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      if (on_assign && !tps.empty()) on_assign(tps);
      self->tracker_.Assign(tps);
      spdlog::info("kafka consumer: assigned {} partitions{}", tps.size(),
                   cooperative ? " (incremental)" : "");
      if (cooperative) {
        Settle(rd_kafka_incremental_assign(rk, parts), "incremental assign");
      } else {
        Settle(rd_kafka_assign(rk, parts), "assign");
      }
      // librdkafka keeps a partition's pause flag across losing and
      // regaining it: a partition paused when it was lost would come back
      // paused for good. Set the flag both ways.
      if (parts && parts->cnt > 0) {
        Settle(paused ? rd_kafka_pause_partitions(rk, parts) : rd_kafka_resume_partitions(rk, parts),
               paused ? "pause" : "resume");
      }
      if (health) health->Set("partitions_assigned", true);
      return;
    }
    // Revoked or lost: stop the work, commit what is done, let go.
    group_steady = false;
    const bool lost = rd_kafka_assignment_lost(rk) != 0;
    if (on_revoke && !tps.empty()) on_revoke(tps);
    // In exactly-once mode on_revoke committed the stage's transaction.
    if (!lost && !transactional) {
      auto positions = self->tracker_.PositionsFor(tps);
      if (!positions.empty()) {
        if (auto st = self->CommitPositions(positions, true); !st) {
          spdlog::warn("kafka consumer: commit on revoke: {}", st.error().message);
        }
      }
    }
    if (int64_t again = self->tracker_.DoneSinceConfirmed(tps); again > 0) {
      spdlog::warn("kafka consumer: {} records done since the last acknowledged commit of the {} "
                   "partitions are processed again by their next owner",
                   again, lost ? "lost" : "revoked");
    }
    self->tracker_.Revoke(tps);
    spdlog::info("kafka consumer: {} {} partitions ({})", lost ? "lost" : "revoked", tps.size(),
                 rd_kafka_err2name(err));
    if (cooperative) {
      Settle(rd_kafka_incremental_unassign(rk, parts), "incremental unassign");
    } else {
      Settle(rd_kafka_assign(rk, nullptr), "unassign");
    }
  }

  // Statistics (JSON): only the consumer group object has "join_state"
  // ("join_state": "steady").
  int Statistics(std::string_view json) {
    constexpr std::string_view kKey = "\"join_state\"";
    auto at = json.find(kKey);
    if (at != std::string_view::npos) {
      auto value = json.substr(at + kKey.size());
      value.remove_prefix(std::min(value.find_first_not_of(": \t"), value.size()));
      group_steady = value.starts_with("\"steady\"");
    }
    return 0;  // librdkafka frees the JSON
  }

  // Logs a failed assign or unassign.
  static void Settle(rd_kafka_error_t* error, const char* what) {
    if (!error) return;
    spdlog::warn("kafka consumer: {}: {}", what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }
  static void Settle(rd_kafka_resp_err_t err, const char* what) {
    if (err) spdlog::warn("kafka consumer: {}: {}", what, rd_kafka_err2str(err));
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
  rd_kafka_conf_set_stats_cb(conf, [](rd_kafka_t*, char* json, size_t len, void* opaque) {
    return static_cast<Impl*>(opaque)->Statistics(std::string_view(json, len));
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
  r.generation = tracker_.GenerationOf(r.tp);
  if (r.generation == 0) {  // fetched before its partition was revoked
    rd_kafka_message_destroy(m);
    return std::optional<InRecord>();
  }
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
  impl_->NoteGap(rk, r.tp, r.offset, r.generation);
  tracker_.Started(r.tp, r.offset, r.generation);
  return std::optional<InRecord>(std::move(r));
}

int64_t Consumer::skipped_records() const { return impl_->skipped_total.load(); }

void Consumer::OnRevoke(RevokeHandler handler) { impl_->on_revoke = std::move(handler); }
void Consumer::OnAssign(AssignHandler handler) { impl_->on_assign = std::move(handler); }

void Consumer::Pause(bool paused) {
  if (paused == impl_->paused) return;
  impl_->paused = paused;
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (rd_kafka_assignment(rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts) return;
  if (parts->cnt > 0) {
    Impl::Settle(paused ? rd_kafka_pause_partitions(rk, parts) : rd_kafka_resume_partitions(rk, parts),
                 paused ? "pause" : "resume");
  }
  rd_kafka_topic_partition_list_destroy(parts);
  spdlog::debug("kafka consumer: {} fetching", paused ? "paused" : "resumed");
}

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
  if (sync) {
    for (const auto& p : positions) tracker_.Confirm(p.tp, p.offset);
  }
  return Ok();
}

Status Consumer::MaybeCommit(bool force) {
  if (impl_->transactional) return Ok();
  auto now = std::chrono::steady_clock::now();
  if (!force && now < impl_->next_commit) return Ok();
  if (!force && !impl_->group_steady) return Ok();  // rebalancing: see the header
  impl_->next_commit = now + impl_->commit_interval;
  auto positions = tracker_.Committable(force);
  if (positions.empty()) return Ok();
  // Synchronous when forced (shutdown), asynchronous otherwise. An
  // asynchronous commit is marked optimistically; a failed one is repeated
  // by the next forced commit at the latest (positions only move forward).
  return CommitPositions(positions, force);
}

void Consumer::CommitInTransactions() { impl_->transactional = true; }

void Consumer::MarkCommitted(const std::vector<CommitPosition>& positions) {
  tracker_.MarkCommitted(positions);
  for (const auto& p : positions) tracker_.Confirm(p.tp, p.offset);
  if (!positions.empty()) impl_->commits->Add({{"outcome", "ok"}}).Increment();
}

Status Consumer::Rewind(std::chrono::milliseconds timeout) {
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_topic_partition_list_t* parts = nullptr;
  if (auto err = rd_kafka_assignment(rk, &parts); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(ErrorCode::kUnavailable, std::string("rewind: assignment: ") + rd_kafka_err2str(err));
  }
  std::unique_ptr<rd_kafka_topic_partition_list_t, void (*)(rd_kafka_topic_partition_list_t*)>
      owned(parts, rd_kafka_topic_partition_list_destroy);
  if (parts->cnt == 0) return Ok();
  if (auto err = rd_kafka_committed(rk, parts, static_cast<int>(timeout.count())); err) {
    return Fail(ErrorCode::kUnavailable,
                std::string("rewind: committed offsets: ") + rd_kafka_err2str(err));
  }
  for (int i = 0; i < parts->cnt; ++i) {
    if (parts->elems[i].err) {
      return Fail(ErrorCode::kUnavailable, std::string("rewind: committed offset of ") +
                                               parts->elems[i].topic + ": " +
                                               rd_kafka_err2str(parts->elems[i].err));
    }
    // No committed offset: where auto.offset.reset=earliest starts.
    if (parts->elems[i].offset < 0) parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk, parts, static_cast<int>(timeout.count()))) {
    std::string message = std::string("rewind: seek: ") + rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    return Fail(ErrorCode::kUnavailable, message);
  }
  for (int i = 0; i < parts->cnt; ++i) {
    if (parts->elems[i].err) {
      return Fail(ErrorCode::kUnavailable, std::string("rewind: seek ") + parts->elems[i].topic +
                                               ": " + rd_kafka_err2str(parts->elems[i].err));
    }
  }
  // A new generation: records handed out before are not ours to finish.
  auto tps = Impl::ToVector(parts);
  tracker_.Revoke(tps);
  tracker_.Assign(tps);
  for (const auto& tp : tps) impl_->next_offset.erase(tp);
  spdlog::info("kafka consumer: rewound {} partitions to their committed offsets", tps.size());
  return Ok();
}

Status Consumer::Close() {
  if (closed_ || !rk_) return Ok();
  closed_ = true;
  Status result = MaybeCommit(true);
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_consumer_close(rk);
  return result;
}

Consumer::~Consumer() {
  if (!rk_) return;
  if (auto st = Close(); !st) spdlog::warn("kafka consumer close: {}", st.error().message);
  rd_kafka_destroy(static_cast<rd_kafka_t*>(rk_));
}

}  // namespace crawlstream
