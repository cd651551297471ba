#include "services/dedup/url_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crawlstream::dedup {
namespace {

constexpr size_t kFlushBytes = 64 * 1024;
constexpr uint64_t kLengthMask = 0xffff;

std::string ErrnoText(int e) { return std::strerror(e); }

}  // namespace

Result<std::unique_ptr<UrlStore>> UrlStore::Open(const std::string& dir) {
  if (dir.empty()) return std::make_unique<UrlStore>();
  std::string path = dir + "/crawlstream-dedup-urls.XXXXXX";
  const int fd = mkostemp(path.data(), O_CLOEXEC);
  if (fd < 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "dedup.url_dir: cannot create a file in " + dir + ": " + ErrnoText(errno));
  }
  unlink(path.c_str());  // gone with the process
  return std::unique_ptr<UrlStore>(new UrlStore(fd));
}

UrlStore::UrlStore() = default;
UrlStore::UrlStore(int fd) : fd_(fd) {}

UrlStore::~UrlStore() {
  if (fd_ >= 0) close(fd_);
}

size_t UrlStore::MemoryBytes() const {
  return cells_.capacity() * sizeof(uint64_t) + buffer_.capacity();
}

Status UrlStore::Set(uint32_t record, std::string_view url) {
  if (url.empty()) return Ok();
  if (record < cells_.size() && cells_[record] != 0) return Ok();
  if (url.size() > kMaxUrlBytes) url = url.substr(0, kMaxUrlBytes);
  if (record >= cells_.size()) cells_.resize(static_cast<size_t>(record) + 1, 0);
  cells_[record] = end_ << 16 | url.size();
  buffer_.append(url);
  end_ += url.size();
  if (fd_ >= 0 && buffer_.size() >= kFlushBytes) return Flush();
  return Ok();
}

Status UrlStore::Flush() {
  size_t done = 0;
  while (done < buffer_.size()) {
    const ssize_t n = pwrite(fd_, buffer_.data() + done, buffer_.size() - done,
                             static_cast<off_t>(flushed_ + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = n < 0 ? errno : ENOSPC;
      // Forget the URLs that did not reach the file: their cells would
      // point past its end.
      for (uint64_t& cell : cells_) {
        if ((cell >> 16) >= flushed_) cell = 0;
      }
      buffer_.clear();
      end_ = flushed_;
      return Fail(ErrorCode::kUnavailable, "dedup url store: write: " + ErrnoText(e));
    }
    done += static_cast<size_t>(n);
  }
  flushed_ += buffer_.size();
  buffer_.clear();
  return Ok();
}

std::string UrlStore::Get(uint32_t record) const {
  if (record >= cells_.size() || cells_[record] == 0) return "";
  const uint64_t offset = cells_[record] >> 16;
  const size_t length = static_cast<size_t>(cells_[record] & kLengthMask);
  if (offset >= flushed_) return buffer_.substr(static_cast<size_t>(offset - flushed_), length);
  std::string url(length, '\0');
  size_t done = 0;
  while (done < length) {
    const ssize_t n = pread(fd_, url.data() + done, length - done,
                            static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    done += static_cast<size_t>(n);
  }
  return url;
}

}  // namespace crawlstream::dedup
