// The URL of each record of the dedup index, so that a Duplicate can name
// both copies (duplicate.proto: url and duplicate_of_url) when one of them
// was decided long ago or restored from the `articles` topic.
//
// The index (index.h) keeps about 64 bytes per article and no strings; a
// canonical URL is longer than that (80-100 bytes on news sites), and it is
// only read when a duplicate is found. So the URLs live in an unnamed file
// on disk, appended in record order, and RAM holds one 8-byte cell per
// record (48-bit file offset, 16-bit length). A file store reads a URL with
// one pread (the page cache usually has it); URLs not yet written out sit in
// a 64 KiB buffer. The file is created in `dir` and unlinked at once, so it
// disappears with the process: the store is a cache of what Restore() reads
// back from `articles`, never a source of truth.
//
// With an empty `dir` the URLs are kept in RAM instead (tests, benchmarks,
// short local runs).
//
// Set() keeps the first URL of a record (a record's id is the hash of its
// canonical URL, so later ones are the same); Get() returns "" for a record
// without one. URLs longer than kMaxUrlBytes are cut there. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "services/common/result.h"

namespace crawlstream::dedup {

class UrlStore {
 public:
  static constexpr size_t kMaxUrlBytes = 65535;

  // A store in an unnamed file under `dir`, or in RAM when `dir` is empty.
  static Result<std::unique_ptr<UrlStore>> Open(const std::string& dir);
  // An in-memory store.
  UrlStore();
  ~UrlStore();
  UrlStore(const UrlStore&) = delete;
  UrlStore& operator=(const UrlStore&) = delete;

  // Records `url` for `record` unless it already has one. Fails only on a
  // write error of the file (the URL is then dropped, never half-written).
  Status Set(uint32_t record, std::string_view url);
  // The URL of `record`, "" when unknown.
  std::string Get(uint32_t record) const;

  bool on_disk() const { return fd_ >= 0; }
  // Bytes of URLs held (on disk or in RAM) and bytes of RAM the store uses.
  uint64_t url_bytes() const { return end_; }
  size_t MemoryBytes() const;

 private:
  explicit UrlStore(int fd);
  Status Flush();

  int fd_ = -1;
  std::vector<uint64_t> cells_;  // per record: offset << 16 | length
  std::string buffer_;           // bytes from flushed_ on (all of them in RAM mode)
  uint64_t flushed_ = 0;         // bytes written to the file
  uint64_t end_ = 0;             // bytes appended
};

}  // namespace crawlstream::dedup
