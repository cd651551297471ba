// extract_tool FILE...: the `crawlstream extract` verb as its own binary,
// for debugging and scripts/score_extractor.py.
#include "services/cli/extract_command.h"

int main(int argc, char** argv) { return crawlstream::RunExtractCommand(argc, argv); }
