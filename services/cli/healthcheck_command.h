// `crawlstream healthcheck [--port N] [--path /healthz]`: exits 0 when
// GET http://127.0.0.1:N/path answers 200 within 3 s, 1 otherwise. Used as
// the container HEALTHCHECK (the runtime image has no shell or curl).
#pragma once

namespace crawlstream {

int RunHealthcheckCommand(int argc, char** argv);

}  // namespace crawlstream
