#include "services/fetcher/state_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_set>

#include "crawlstream/v1/crawl_state.pb.h"

namespace crawlstream::fetcher {

namespace {

// RocksDB settings, chosen for many small records read one by one: memory
// stays bounded whatever the number of URLs (index and filter blocks live
// in the block cache, not beside it).
constexpr size_t kBlockCacheBytes = 32 << 20;
constexpr size_t kWriteBufferBytes = 32 << 20;
constexpr int kBloomBitsPerKey = 10;
// Share of the block cache kept for index and filter blocks.
constexpr double kHighPriorityShare = 0.5;
constexpr int kMaxOpenFiles = 512;
// Restored records per write.
constexpr size_t kRestoreBatch = 4096;

std::string PartitionPrefix(int32_t partition) {
  const auto p = static_cast<uint32_t>(partition);
  std::string key(4, '\0');
  key[0] = static_cast<char>(p >> 24);
  key[1] = static_cast<char>(p >> 16);
  key[2] = static_cast<char>(p >> 8);
  key[3] = static_cast<char>(p);
  return key;
}

std::string Key(int32_t partition, std::string_view url) {
  std::string key = PartitionPrefix(partition);
  key.append(url);
  return key;
}

// Checkpoints live above every partition's range.
std::string CheckpointKey(int32_t partition) {
  return std::string(4, '\xff') + PartitionPrefix(partition);
}

// The due index too, below the checkpoints.
std::string DuePrefix(int32_t partition) {
  return std::string("\xff\xff\xff\xfe", 4) + PartitionPrefix(partition);
}

int64_t EpochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// Rounded up: an entry is never found before its time.
int64_t CeilEpochMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::ceil<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void PutInt64(std::string* out, int64_t v) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> (8 * i)));
}

int64_t GetInt64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(in[static_cast<size_t>(i)]);
  return static_cast<int64_t>(v);
}

std::string DueKey(int32_t partition, int64_t millis, std::string_view url) {
  std::string key = DuePrefix(partition);
  PutInt64(&key, std::max<int64_t>(millis, 0));
  key.append(url);
  return key;
}

// The due-index key of a state with next_due, else empty.
std::string DueKeyOf(int32_t partition, std::string_view url, const crawlstream::v1::UrlState& s) {
  if (!s.has_next_due()) return {};
  // Rounded up (see CeilEpochMillis).
  const int64_t millis = s.next_due().seconds() * 1000 + (s.next_due().nanos() + 999'999) / 1'000'000;
  return DueKey(partition, millis, url);
}

// next_offset (8 bytes) | urls (8 bytes) | last_key
std::string EncodeCheckpoint(const StateCheckpoint& c) {
  std::string out;
  PutInt64(&out, c.next_offset);
  PutInt64(&out, c.urls);
  out.append(c.last_key);
  return out;
}

std::optional<StateCheckpoint> DecodeCheckpoint(std::string_view in) {
  if (in.size() < 16) return std::nullopt;
  StateCheckpoint c;
  c.next_offset = GetInt64(in.substr(0, 8));
  c.urls = GetInt64(in.substr(8, 8));
  c.last_key = std::string(in.substr(16));
  return c;
}

rocksdb::CompressionType BestCompression() {
  const auto supported = rocksdb::GetSupportedCompressions();
  for (auto c : {rocksdb::kLZ4Compression, rocksdb::kSnappyCompression}) {
    if (std::find(supported.begin(), supported.end(), c) != supported.end()) return c;
  }
  return rocksdb::kNoCompression;
}

Error FromRocks(const rocksdb::Status& st, const std::string& what) {
  return Error{ErrorCode::kInternal, "state store: " + what + ": " + st.ToString()};
}

}  // namespace

struct StateStore::Impl {
  std::shared_ptr<rocksdb::Cache> cache;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions write;
  rocksdb::ReadOptions read;
  // Per partition: URLs held (an estimate: a restore counts records, of
  // which a compacted topic not yet compacted may hold a URL twice).
  std::map<int32_t, int64_t> urls;
  // Per partition: entries in its due index (an estimate, see the header).
  std::map<int32_t, int64_t> scheduled;
  // Per partition: a due-index key at or before every entry filed (the
  // last one TakeDue deleted, moved back by an earlier filing), where
  // TakeDue seeks: the entries it deleted are tombstones until a
  // compaction, and seeking from the start of the range would step over
  // all of them on every call.
  std::map<int32_t, std::string> due_cursor;

  // An entry filed at `key`: the cursor must not be past it.
  void Filed(int32_t partition, const std::string& key) {
    auto it = due_cursor.find(partition);
    if (it != due_cursor.end() && key < it->second) it->second = key;
  }
  // Per partition being restored: the open batch and the records applied.
  std::map<int32_t, std::pair<rocksdb::WriteBatch, int64_t>> restoring;

  Status Write(rocksdb::WriteBatch* batch) {
    auto st = db->Write(write, batch);
    if (!st.ok()) return std::unexpected(FromRocks(st, "write"));
    batch->Clear();
    return Ok();
  }

  // The partition's states and its due index.
  Status DeletePartition(int32_t partition) {
    for (const auto& [from, to] : {std::pair{PartitionPrefix(partition), PartitionPrefix(partition + 1)},
                                   std::pair{DuePrefix(partition), DuePrefix(partition + 1)}}) {
      auto st = db->DeleteRange(write, db->DefaultColumnFamily(), from, to);
      if (!st.ok()) return std::unexpected(FromRocks(st, "delete partition"));
    }
    return Ok();
  }

  // Entries in the partition's due index, counted (a resumed restore).
  int64_t CountScheduled(int32_t partition) {
    const std::string from = DuePrefix(partition);
    const std::string to = DuePrefix(partition + 1);
    rocksdb::Slice upper(to);
    rocksdb::ReadOptions ro = read;
    ro.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    int64_t n = 0;
    for (it->Seek(from); it->Valid(); it->Next()) ++n;
    return n;
  }

  int64_t Property(const char* name) const {
    uint64_t v = 0;
    return db->GetIntProperty(name, &v) ? static_cast<int64_t>(v) : 0;
  }
};

StateStore::StateStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
StateStore::~StateStore() = default;

Result<std::unique_ptr<StateStore>> StateStore::Open(const std::string& dir) {
  if (dir.empty()) return Fail(ErrorCode::kInvalidArgument, "state store: no directory");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument, "state store: " + dir + ": " + ec.message());
  auto impl = std::make_unique<Impl>();
  // Index and filter blocks in the cache, with priority over data blocks,
  // and partitioned: a lookup loads one small partition of an SST file's
  // filter and index, not the whole of them (a 1 MB filter per 64 MB file
  // read again on every Get once the cache churns: 3,000 lookups/s at 1 M
  // URLs before, BENCHMARKS.md).
  impl->cache = rocksdb::NewLRUCache(kBlockCacheBytes, /*num_shard_bits=*/-1,
                                     /*strict_capacity_limit=*/false, kHighPriorityShare);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = impl->cache;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
  table.cache_index_and_filter_blocks = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.pin_top_level_index_and_filter = true;
  table.metadata_block_size = 4096;
  rocksdb::Options options;
  options.create_if_missing = true;
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  options.compression = BestCompression();
  options.write_buffer_size = kWriteBufferBytes;
  options.max_write_buffer_number = 2;
  options.max_open_files = kMaxOpenFiles;
  options.keep_log_file_num = 2;
  rocksdb::DB* db = nullptr;
  if (auto st = rocksdb::DB::Open(options, dir, &db); !st.ok()) {
    return std::unexpected(FromRocks(st, "opening " + dir));
  }
  impl->db.reset(db);
  impl->write.disableWAL = true;  // the changelog is the log (see the header)
  return std::unique_ptr<StateStore>(new StateStore(std::move(impl)));
}

std::optional<StateCheckpoint> StateStore::Checkpoint(int32_t partition) const {
  std::string value;
  if (!impl_->db->Get(impl_->read, CheckpointKey(partition), &value).ok()) return std::nullopt;
  return DecodeCheckpoint(value);
}

void StateStore::BeginRestore(int32_t partition, bool resume) {
  owned_.erase(partition);
  impl_->urls.erase(partition);
  impl_->scheduled.erase(partition);
  impl_->due_cursor.erase(partition);
  if (resume) {
    if (auto c = Checkpoint(partition)) impl_->urls[partition] = c->urls;
    impl_->scheduled[partition] = impl_->CountScheduled(partition);
  } else {
    (void)impl_->DeletePartition(partition);  // a failure shows in the next write
    (void)impl_->db->Delete(impl_->write, CheckpointKey(partition));
  }
  auto& r = impl_->restoring[partition];
  r.first.Clear();
  r.second = 0;
}

Status StateStore::Restore(int32_t partition, std::string_view url, std::string_view value,
                           bool tombstone) {
  auto it = impl_->restoring.find(partition);
  if (it == impl_->restoring.end()) {
    return Fail(ErrorCode::kInvalidArgument,
                "state store: partition " + std::to_string(partition) + " is not being restored");
  }
  auto& [batch, applied] = it->second;
  const std::string key = Key(partition, url);
  crawlstream::v1::UrlState probe;
  if (!tombstone && !probe.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    ++undecodable_;
    tombstone = true;
  }
  if (tombstone) {
    batch.Delete(key);  // its due entry, if any, goes when its time comes
    --impl_->urls[partition];
  } else {
    batch.Put(key, rocksdb::Slice(value.data(), value.size()));
    ++impl_->urls[partition];
    if (auto due = DueKeyOf(partition, url, probe); !due.empty()) {
      batch.Put(due, rocksdb::Slice());
      ++impl_->scheduled[partition];
    }
  }
  ++applied;
  if (static_cast<size_t>(batch.Count()) >= kRestoreBatch) return impl_->Write(&batch);
  return Ok();
}

Result<int64_t> StateStore::FinishRestore(int32_t partition,
                                          std::optional<StateCheckpoint> checkpoint) {
  auto node = impl_->restoring.extract(partition);
  if (node.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "state store: partition " + std::to_string(partition) + " is not being restored");
  }
  auto& [batch, applied] = node.mapped();
  auto& n = impl_->urls[partition];
  n = std::max<int64_t>(n, 0);
  // The checkpoint goes with the last batch: a crash keeps both or neither.
  if (checkpoint) {
    checkpoint->urls = n;
    batch.Put(CheckpointKey(partition), EncodeCheckpoint(*checkpoint));
  } else {
    batch.Delete(CheckpointKey(partition));
  }
  if (auto st = impl_->Write(&batch); !st) return std::unexpected(st.error());
  owned_.insert(partition);
  return applied;
}

Status StateStore::Drop(int32_t partition) {
  owned_.erase(partition);
  impl_->restoring.erase(partition);
  impl_->urls.erase(partition);
  impl_->scheduled.erase(partition);
  impl_->due_cursor.erase(partition);
  if (auto st = impl_->DeletePartition(partition); !st) return st;
  auto st = impl_->db->Delete(impl_->write, CheckpointKey(partition));
  if (!st.ok()) return std::unexpected(FromRocks(st, "delete checkpoint"));
  return Ok();
}

void StateStore::Release(int32_t partition) {
  owned_.erase(partition);
  impl_->restoring.erase(partition);
  impl_->urls.erase(partition);
  impl_->scheduled.erase(partition);
  impl_->due_cursor.erase(partition);
}

std::optional<crawlstream::v1::UrlState> StateStore::Get(int32_t partition,
                                                         std::string_view url) const {
  if (!Owns(partition)) return std::nullopt;
  std::string value;
  auto st = impl_->db->Get(impl_->read, Key(partition, url), &value);
  if (!st.ok()) return std::nullopt;  // not found (or unreadable: fetched again, the safe side)
  crawlstream::v1::UrlState state;
  if (!state.ParseFromString(value)) return std::nullopt;
  return state;
}

Result<std::string> StateStore::Put(int32_t partition, std::string_view url,
                                    const crawlstream::v1::UrlState& state) {
  if (!Owns(partition)) {
    return Fail(ErrorCode::kInvalidArgument,
                "state store: partition " + std::to_string(partition) + " is not owned");
  }
  const std::string key = Key(partition, url);
  std::string old;
  const bool existed = impl_->db->Get(impl_->read, key, &old).ok();
  std::string value = state.SerializeAsString();
  rocksdb::WriteBatch batch;
  batch.Put(key, value);
  const std::string due = DueKeyOf(partition, url, state);
  if (!due.empty()) batch.Put(due, rocksdb::Slice());
  auto st = impl_->db->Write(impl_->write, &batch);
  if (!st.ok()) return std::unexpected(FromRocks(st, "put"));
  if (!existed) ++impl_->urls[partition];
  if (!due.empty()) {
    ++impl_->scheduled[partition];
    impl_->Filed(partition, due);
  }
  return value;
}

Result<std::vector<DueUrl>> StateStore::TakeDue(int32_t partition,
                                                std::chrono::system_clock::time_point now,
                                                size_t max, std::chrono::milliseconds lease,
                                                const DueTime& due_time) {
  std::vector<DueUrl> out;
  if (!Owns(partition) || max == 0) return out;
  const std::string prefix = DuePrefix(partition);
  // Everything filed at or before now: keys below the one of now + 1 ms.
  const int64_t now_ms = EpochMillis(now);
  const std::string upper_key = DueKey(partition, now_ms + 1, "");
  rocksdb::Slice upper(upper_key);
  rocksdb::ReadOptions ro = impl_->read;
  ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro));
  rocksdb::WriteBatch batch;
  auto cursor_it = impl_->due_cursor.try_emplace(partition, prefix).first;
  std::string cursor = cursor_it->second;  // stored once the batch is written
  int64_t deleted = 0;
  std::vector<std::string> filed;  // again: leases and later due times
  std::unordered_set<std::string> taken;
  size_t looked = 0;
  for (it->Seek(cursor); it->Valid() && out.size() < max && looked < 4 * max; it->Next(), ++looked) {
    const rocksdb::Slice key = it->key();
    cursor.assign(key.data(), key.size());
    if (key.size() < prefix.size() + 8) continue;
    std::string url(key.data() + prefix.size() + 8, key.size() - prefix.size() - 8);
    batch.Delete(key);
    ++deleted;
    if (!taken.insert(url).second) continue;  // filed twice (a restore of an uncompacted log)
    auto state = std::make_unique<crawlstream::v1::UrlState>();
    std::string value;
    if (!impl_->db->Get(impl_->read, Key(partition, url), &value).ok() ||
        !state->ParseFromString(value)) {
      continue;  // forgotten
    }
    const auto when = due_time(*state);
    if (!when) continue;  // never again
    if (*when > now) {  // later than this entry said (the rule or the state changed)
      // Filed for then, unless the state's own entry is that one already.
      std::string later = DueKey(partition, CeilEpochMillis(*when), url);
      if (later != DueKeyOf(partition, url, *state)) {
        filed.push_back(std::move(later));
        batch.Put(filed.back(), rocksdb::Slice());
      }
      continue;
    }
    filed.push_back(DueKey(partition, now_ms + lease.count(), url));
    batch.Put(filed.back(), rocksdb::Slice());
    out.push_back(DueUrl{std::move(url), std::move(state)});
  }
  if (!it->status().ok()) return std::unexpected(FromRocks(it->status(), "due index"));
  if (batch.Count() > 0) {
    if (auto st = impl_->Write(&batch); !st) return std::unexpected(st.error());
  }
  cursor_it->second = std::move(cursor);
  for (const std::string& key : filed) impl_->Filed(partition, key);
  int64_t& scheduled = impl_->scheduled[partition];
  scheduled = std::max<int64_t>(scheduled - deleted + static_cast<int64_t>(filed.size()), 0);
  return out;
}

int64_t StateStore::ScheduledUrls() const {
  int64_t n = 0;
  for (const auto& [p, count] : impl_->scheduled) {
    if (Owns(p)) n += std::max<int64_t>(count, 0);
  }
  return n;
}

Status StateStore::Flush() {
  auto st = impl_->db->Flush(rocksdb::FlushOptions());
  if (!st.ok()) return std::unexpected(FromRocks(st, "flush"));
  return Ok();
}

int64_t StateStore::EstimatedUrls() const {
  int64_t n = 0;
  for (const auto& [p, count] : impl_->urls) n += std::max<int64_t>(count, 0);
  return n;
}

int64_t StateStore::DiskBytes() const { return impl_->Property("rocksdb.total-sst-files-size"); }

int64_t StateStore::MemoryBytes() const {
  return impl_->Property("rocksdb.cur-size-all-mem-tables") +
         impl_->Property("rocksdb.estimate-table-readers-mem") +
         static_cast<int64_t>(impl_->cache->GetUsage());
}

}  // namespace crawlstream::fetcher
