// `crawlstream broker`: runs the development broker (librdkafka's mock
// cluster) until SIGTERM/SIGINT. For development and tests only.
#pragma once

namespace crawlstream {

int RunBrokerCommand(int argc, char** argv);

}  // namespace crawlstream
