#include "services/common/kafka_producer.h"

#include <librdkafka/rdkafka.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

#include "services/common/health.h"

namespace crawlstream {

struct Producer::MetricHandles {
  prometheus::Family<prometheus::Counter>* produced = nullptr;
  prometheus::Gauge* inflight = nullptr;
  prometheus::Counter* queue_full = nullptr;
  std::mutex mu;
  std::map<std::pair<std::string, bool>, prometheus::Counter*> by_topic;

  void Count(const std::string& topic, bool ok) {
    std::lock_guard lock(mu);
    auto& c = by_topic[{topic, ok}];
    if (!c) c = &produced->Add({{"topic", topic}, {"outcome", ok ? "ok" : "error"}});
    c->Increment();
  }
};

namespace {

struct Pending {
  std::string topic;
  DeliveryCallback done;
  Producer* producer;
  int64_t bytes;  // key + value, as librdkafka counts its queue
};

// How long Produce waits between attempts while the queue is full.
constexpr std::chrono::milliseconds kQueueFullRetry{5};

}  // namespace

Result<void*> MakeKafkaConf(const KafkaOptions& options,
                            const std::vector<std::pair<std::string, std::string>>& overrides) {
  auto props = BaseKafkaProperties(options);
  if (!props) return std::unexpected(props.error());
  for (const auto& [name, value] : overrides) {
    props->push_back({name, value, std::string(KeyOfKafkaProperty(name))});
  }
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char err[512];
  for (const auto& p : *props) {
    if (rd_kafka_conf_set(conf, p.name.c_str(), p.value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Fail(ErrorCode::kInvalidArgument, p.key + ": librdkafka property " +
                                                   ShowKafkaProperty(p) + ": " +
                                                   RedactKafkaSecrets(err, *props));
    }
  }
  return static_cast<void*>(conf);
}

std::vector<std::pair<std::string, std::string>> AsOverrides(
    const std::vector<KafkaProperty>& props) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : props) out.emplace_back(p.name, p.value);
  return out;
}

Result<std::unique_ptr<Producer>> Producer::Create(
    const KafkaOptions& options, std::shared_ptr<prometheus::Registry> registry,
    Health* health, const std::string& transactional_id) {
  if (options.brokers.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kafka.brokers is empty: name the Kafka brokers");
  }
  auto conf_or = MakeKafkaConf(options, AsOverrides(ProducerProperties(options, transactional_id)));
  if (!conf_or) return std::unexpected(conf_or.error());
  auto* conf = static_cast<rd_kafka_conf_t*>(*conf_or);

  std::unique_ptr<Producer> p(new Producer());
  p->max_message_bytes_ = options.max_message_bytes;
  p->queue_bytes_ = ProducerQueueBytes(options);
  p->delivery_timeout_ = options.delivery_timeout;
  p->health_ = health;
  p->registry_ = registry;
  p->metrics_ = std::make_unique<MetricHandles>();
  p->metrics_->produced = &prometheus::BuildCounter()
                               .Name("crawlstream_kafka_produced_total")
                               .Help("Records produced, by topic and delivery outcome")
                               .Register(*registry);
  p->metrics_->inflight = &prometheus::BuildGauge()
                               .Name("crawlstream_kafka_produce_inflight")
                               .Help("Records queued and not yet acknowledged")
                               .Register(*registry)
                               .Add({});
  p->metrics_->queue_full = &prometheus::BuildCounter()
                                 .Name("crawlstream_kafka_produce_queue_full_total")
                                 .Help("Enqueue attempts refused because the producer queue was "
                                       "full (kafka.producer_queue_bytes)")
                                 .Register(*registry)
                                 .Add({});
  if (health) health->Set("broker", false);

  rd_kafka_conf_set_dr_msg_cb(conf, [](rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* pending = static_cast<Pending*>(m->_private);
    if (!pending) return;
    DeliveryReport report;
    report.error_code = m->err;
    report.error_class = ClassifyKafkaError(m->err);
    if (m->err) report.error_message = rd_kafka_err2str(m->err);
    report.partition = m->partition;
    report.offset = m->offset;
    Producer* self = pending->producer;
    self->metrics_->Count(pending->topic, m->err == 0);
    self->metrics_->inflight->Decrement();
    self->inflight_.fetch_sub(1);
    self->queued_bytes_.fetch_sub(pending->bytes);
    if (m->err) {
      spdlog::warn("kafka delivery to {} failed: {} ({})", pending->topic,
                   rd_kafka_err2str(m->err), KafkaErrorClassName(report.error_class));
    }
    if (pending->done) pending->done(report);
    delete pending;
  });
  rd_kafka_conf_set_error_cb(conf, [](rd_kafka_t*, int err, const char* reason, void*) {
    spdlog::warn("kafka producer: {} ({})", reason, rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)));
  });
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return Fail(ErrorCode::kInvalidArgument, std::string("kafka producer: ") + err);
  }
  p->rk_ = rk;
  p->poller_ = std::thread([raw = p.get()] { raw->PollLoop(); });
  if (!transactional_id.empty()) {
    // Finds the transaction coordinator, fences earlier producers with this
    // id and aborts their open transaction; may take a while after a crash.
    rd_kafka_error_t* error =
        rd_kafka_init_transactions(rk, static_cast<int>(2 * options.transaction_timeout.count()));
    if (error) {
      std::string message = std::string("kafka producer: init transactions (transactional.id ") +
                            transactional_id + "): " + rd_kafka_error_string(error);
      const bool retriable = rd_kafka_error_is_retriable(error);
      rd_kafka_error_destroy(error);
      return Fail(retriable ? ErrorCode::kUnavailable : ErrorCode::kInvalidArgument, message);
    }
    p->transactional_ = true;
    spdlog::info("kafka producer: transactional (transactional.id {})", transactional_id);
  }
  return p;
}

void Producer::PollLoop() {
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  auto next_probe = std::chrono::steady_clock::now();
  while (!stop_.load()) {
    rd_kafka_poll(rk, 100);
    if (health_ && std::chrono::steady_clock::now() >= next_probe) {
      const rd_kafka_metadata_t* md = nullptr;
      bool ok = rd_kafka_metadata(rk, 0, nullptr, &md, 2000) == RD_KAFKA_RESP_ERR_NO_ERROR;
      if (md) rd_kafka_metadata_destroy(md);
      health_->Set("broker", ok);
      next_probe = std::chrono::steady_clock::now() + std::chrono::seconds(ok ? 5 : 1);
    }
  }
}

Status Producer::Produce(OutRecord record, DeliveryCallback done) {
  auto deadline = std::chrono::steady_clock::now() + delivery_timeout_;
  while (true) {
    auto enqueued = TryProduce(record, done);
    if (!enqueued) return std::unexpected(enqueued.error());
    if (*enqueued == Enqueued::kQueued) return Ok();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Fail(ErrorCode::kUnavailable,
                  "produce to " + record.topic + ": " +
                      rd_kafka_err2str(RD_KAFKA_RESP_ERR__QUEUE_FULL) + " for " +
                      std::to_string(delivery_timeout_.count()) + " ms");
    }
    // Back-pressure: let the poll thread serve delivery reports.
    std::this_thread::sleep_for(kQueueFullRetry);
  }
}

Result<Enqueued> Producer::TryProduce(const OutRecord& record, const DeliveryCallback& done) {
  const auto bytes = static_cast<int64_t>(record.value.size() + record.key.size());
  if (bytes > max_message_bytes_) {
    return Fail(ErrorCode::kResourceExhausted,
                "record for " + record.topic + " is " + std::to_string(record.value.size()) +
                    " bytes, above kafka.max_message_bytes=" + std::to_string(max_message_bytes_));
  }
  auto* rk = static_cast<rd_kafka_t*>(rk_);
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(record.headers.size());
  for (const auto& [name, value] : record.headers) {
    rd_kafka_header_add(hdrs, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  auto* pending = new Pending{record.topic, done, this, bytes};
  // Counted before the call: the delivery report may come at once.
  inflight_.fetch_add(1);
  queued_bytes_.fetch_add(bytes);
  metrics_->inflight->Increment();
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk, RD_KAFKA_V_TOPIC(record.topic.c_str()),
      RD_KAFKA_V_PARTITION(record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition),
      RD_KAFKA_V_KEY(record.key.data(), record.key.size()),
      // An empty value is a tombstone: a null payload, which compaction
      // deletes (an empty non-null value would be kept as a record).
      RD_KAFKA_V_VALUE(record.value.empty() ? nullptr : const_cast<char*>(record.value.data()),
                       record.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs),
      RD_KAFKA_V_OPAQUE(pending), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Enqueued::kQueued;
  // Not queued: the headers are still ours.
  rd_kafka_headers_destroy(hdrs);
  delete pending;
  inflight_.fetch_sub(1);
  queued_bytes_.fetch_sub(bytes);
  metrics_->inflight->Decrement();
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    metrics_->queue_full->Increment();
    return Enqueued::kQueueFull;
  }
  auto cls = ClassifyKafkaError(err);
  return Fail(cls == KafkaErrorClass::kDeadLetter ? ErrorCode::kResourceExhausted
                                                   : ErrorCode::kUnavailable,
              "produce to " + record.topic + ": " + rd_kafka_err2str(err));
}

Status Producer::Flush(std::chrono::milliseconds timeout) {
  auto err = rd_kafka_flush(static_cast<rd_kafka_t*>(rk_), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Fail(ErrorCode::kUnavailable,
                std::string("flush: ") + rd_kafka_err2str(err) + ", " +
                    std::to_string(inflight_.load()) + " records unacknowledged");
  }
  return Ok();
}

Producer::~Producer() {
  if (rk_) {
    rd_kafka_flush(static_cast<rd_kafka_t*>(rk_), 10'000);
    stop_.store(true);
    if (poller_.joinable()) poller_.join();
    // Remaining records get their callbacks (with _PURGE_QUEUE) here.
    rd_kafka_purge(static_cast<rd_kafka_t*>(rk_), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(static_cast<rd_kafka_t*>(rk_), 0);
    rd_kafka_destroy(static_cast<rd_kafka_t*>(rk_));
  }
}

}  // namespace crawlstream
