#include "services/common/shutdown.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace crawlstream {
namespace {

std::atomic<int> g_signals{0};
std::atomic<int> g_first_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "read and written in a signal handler");
int g_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int n = g_signals.fetch_add(1) + 1;
  if (n >= 2) _exit(130);
  g_first_signal.store(sig);
  if (g_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto r = ::write(g_pipe[1], &c, 1);
  }
}

}  // namespace

void Shutdown::Install() {
  if (g_pipe[0] < 0 && ::pipe(g_pipe) == 0) {
    // Non-blocking write end so the handler never blocks.
    ::fcntl(g_pipe[1], F_SETFL, O_NONBLOCK);
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool Shutdown::Requested() { return g_signals.load() > 0; }

int Shutdown::Signal() { return g_first_signal.load(); }

void Shutdown::Request() {
  if (g_signals.load() == 0) g_signals.store(1);
  if (g_pipe[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto r = ::write(g_pipe[1], &c, 1);
  }
}

void Shutdown::Reset() {
  g_signals.store(0);
  g_first_signal.store(0);
  if (g_pipe[0] >= 0) {
    char buf[64];
    ::fcntl(g_pipe[0], F_SETFL, O_NONBLOCK);
    while (::read(g_pipe[0], buf, sizeof buf) > 0) {
    }
  }
}

bool Shutdown::WaitFor(std::chrono::milliseconds timeout) {
  if (Requested()) return true;
  if (g_pipe[0] < 0) {
    ::usleep(static_cast<useconds_t>(timeout.count() * 1000));
    return Requested();
  }
  pollfd fd{g_pipe[0], POLLIN, 0};
  ::poll(&fd, 1, static_cast<int>(timeout.count()));
  return Requested();
}

}  // namespace crawlstream
