#include "services/common/article_json.h"

#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

namespace crawlstream {

std::string MessageToJsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  options.add_whitespace = false;
  std::string out;
  auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) return "{\"error\":\"json rendering failed\"}";
  return out;
}

Status JsonToMessage(const std::string& json, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  auto status = google::protobuf::util::JsonStringToMessage(json, message, options);
  if (!status.ok()) {
    return Fail(ErrorCode::kParse, "invalid JSON for " + message->GetTypeName() +
                                       ": " + std::string(status.message()));
  }
  return Ok();
}

}  // namespace crawlstream
