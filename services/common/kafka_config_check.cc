#include "services/common/kafka_config_check.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crawlstream {
namespace {

// Never echoes a credential (kafka_options.h, IsSecretKafkaProperty).
std::string Shown(const KafkaProperty& p) { return ShowKafkaProperty(p); }

// Line breaks belong only in PEM blocks; elsewhere they would end up in
// a request or a log line.
Status CheckExtraText(const KafkaProperty& p) {
  bool pem = p.name.ends_with(".pem");
  for (char ch : p.name + p.value) {
    auto c = static_cast<unsigned char>(ch);
    bool line_break = c == '\n' || c == '\r' || c == '\t';
    if (line_break && !pem) {
      return Fail(ErrorCode::kInvalidArgument,
                  p.key + ": " + p.name + ": line breaks are allowed only in *.pem values");
    }
  }
  return Ok();
}

// The property names librdkafka quotes in an error: `linger.ms`.
std::vector<std::string> QuotedProperties(std::string_view message) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = message.find('`', pos)) != std::string_view::npos) {
    size_t end = message.find('`', pos + 1);
    if (end == std::string_view::npos) break;
    out.emplace_back(message.substr(pos + 1, end - pos - 1));
    pos = end + 1;
  }
  return out;
}

// Names the keys behind the properties librdkafka's message mentions,
// with the values it was given.
std::string Blame(std::string_view message, const std::vector<KafkaProperty>& props) {
  std::vector<std::string> keys, shown;
  for (const auto& name : QuotedProperties(message)) {
    std::string key(KeyOfKafkaProperty(name));
    for (const auto& p : props) {
      if (p.name == name && p.key.starts_with("kafka.extra")) key = p.key;  // or extra_file
    }
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    for (const auto& p : props) {
      if (p.name == name || (p.key == key && !key.starts_with("kafka.extra"))) {
        std::string s = Shown(p);
        if (std::find(shown.begin(), shown.end(), s) == shown.end()) shown.push_back(s);
      }
    }
  }
  if (keys.empty()) keys.push_back("kafka.extra");
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "" : ", ") + k;
  out += ": librdkafka refuses the configuration: " + std::string(message);
  if (!shown.empty()) {
    out += " (";
    for (size_t i = 0; i < shown.size(); ++i) out += (i ? ", " : "") + shown[i];
    out += ")";
  }
  return out;
}

void DiscardLog(const rd_kafka_t*, int, const char*, const char*) {}

// One client role: every property set, then a client created without
// brokers. Appends errors to `errors`.
void CheckClient(rd_kafka_type_t type, std::vector<KafkaProperty> props,
                 std::vector<std::string>* errors) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, DiscardLog);
  char err[512];
  bool ok = true;
  for (const auto& p : props) {
    if (p.name == "bootstrap.servers") continue;  // no connection
    if (rd_kafka_conf_set(conf, p.name.c_str(), p.value.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      errors->push_back(p.key + ": librdkafka property " + Shown(p) + ": " +
                        RedactKafkaSecrets(err, props));
      ok = false;
    }
  }
  if (!ok) {
    rd_kafka_conf_destroy(conf);
    return;
  }
  rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    errors->push_back(RedactKafkaSecrets(Blame(err, props), props));
    return;
  }
  rd_kafka_destroy(rk);
}

Status Collected(const std::vector<std::string>& errors) {
  if (errors.empty()) return Ok();
  std::string msg;
  for (const auto& e : errors) msg += (msg.empty() ? "" : "\n  ") + e;
  return Fail(ErrorCode::kInvalidArgument, msg);
}

std::vector<std::string> Unique(std::vector<std::string> v) {
  std::vector<std::string> out;
  for (auto& s : v) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
  }
  return out;
}

// The topic keys and their fields.
constexpr std::pair<std::string_view, std::string TopicNames::*> kTopicKeys[] = {
    {"topics.requests", &TopicNames::requests},   {"topics.pages", &TopicNames::pages},
    {"topics.extracted", &TopicNames::extracted}, {"topics.articles", &TopicNames::articles},
    {"topics.duplicates", &TopicNames::duplicates}, {"topics.deadletter", &TopicNames::deadletter},
    {"topics.state", &TopicNames::state},
};

// Why Kafka would refuse `name` as a topic name, or empty.
std::string TopicNameProblem(const std::string& name) {
  constexpr size_t kMaxTopicName = 249;
  if (name.empty()) return "a topic name must not be empty";
  if (name.size() > kMaxTopicName) return "longer than 249 characters";
  if (name == "." || name == "..") return "\".\" and \"..\" are not topic names";
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return "only letters, digits, '.', '_' and '-' may appear in a topic name";
    }
  }
  return "";
}

}  // namespace

Status CheckKafkaOptions(const KafkaOptions& options) {
  auto base = BaseKafkaProperties(options);
  if (!base) return std::unexpected(base.error());
  std::vector<std::string> errors;
  for (const auto& p : *base) {
    if (!p.key.starts_with("kafka.extra")) continue;  // kafka.extra, kafka.extra_file
    if (auto st = CheckExtraText(p); !st) errors.push_back(st.error().message);
  }
  if (!errors.empty()) return Collected(errors);

  KafkaOptions consumer = options;
  if (consumer.group_id.empty()) consumer.group_id = "crawlstream-check";  // set per stage later
  auto with = [&base](std::vector<KafkaProperty> role) {
    std::vector<KafkaProperty> all = *base;
    all.insert(all.end(), role.begin(), role.end());
    return all;
  };
  CheckClient(RD_KAFKA_PRODUCER, with(ProducerProperties(options)), &errors);
  CheckClient(RD_KAFKA_CONSUMER, with(ConsumerProperties(consumer)), &errors);
  return Collected(Unique(std::move(errors)));
}

Status CheckTopicNames(const TopicNames& topics) {
  std::vector<std::string> errors;
  for (size_t i = 0; i < std::size(kTopicKeys); ++i) {
    const auto& [key, field] = kTopicKeys[i];
    const std::string& name = topics.*field;
    if (auto problem = TopicNameProblem(name); !problem.empty()) {
      errors.push_back(std::string(key) + "=\"" + name + "\": " + problem);
      continue;
    }
    for (size_t j = 0; j < i; ++j) {
      if (topics.*kTopicKeys[j].second == name) {
        errors.push_back(std::string(key) + "=\"" + name + "\": the same topic as " +
                         std::string(kTopicKeys[j].first));
      }
    }
  }
  return Collected(errors);
}

}  // namespace crawlstream
