// JSON rendering of crawlstream.v1 messages for humans and the CLI
// (`crawlstream extract`, `crawlstream run --out`).
//
// Field names are the proto names (snake_case); fields with default values
// are printed too, so every line of a JSONL file has the same keys. The
// output is one line (no newline at the end).
#pragma once

#include <string>

#include "services/common/result.h"

namespace google::protobuf {
class Message;
}

namespace crawlstream {

// Renders any message as one-line JSON with proto field names.
std::string MessageToJsonLine(const google::protobuf::Message& message);

// Parses JSON produced by MessageToJsonLine (or any proto3 JSON) into
// `message`. Unknown fields are ignored.
Status JsonToMessage(const std::string& json, google::protobuf::Message* message);

}  // namespace crawlstream
