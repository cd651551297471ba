#include "services/dedup/id_content_map.h"

#include <bit>

#include "services/dedup/fingerprint.h"  // Mix64

namespace crawlstream::dedup {

size_t IdContentMap::Home(uint64_t key) const {
  return static_cast<size_t>(Mix64(key)) & (slots_.size() - 1);
}

void IdContentMap::Rehash(size_t capacity) {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(capacity, Slot{});
  size_ = 0;
  for (const Slot& s : old) {
    if (s.key != 0) Set(s.key, s.value);
  }
}

void IdContentMap::Reserve(size_t entries) {
  const size_t want = std::bit_ceil(entries + entries / 4 + 16);
  if (want > slots_.size()) Rehash(want);
}

void IdContentMap::Set(uint64_t id_hash, uint64_t content) {
  const uint64_t key = Key(id_hash);
  if ((size_ + 1) * 5 > slots_.size() * 4) {
    Rehash(slots_.empty() ? 64 : slots_.size() * 2);
  }
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key);; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.key == key) {
      s.value = content;
      return;
    }
    if (s.key == 0) {
      s = Slot{key, content};
      ++size_;
      return;
    }
  }
}

std::optional<uint64_t> IdContentMap::Get(uint64_t id_hash) const {
  if (slots_.empty()) return std::nullopt;
  const uint64_t key = Key(id_hash);
  const size_t mask = slots_.size() - 1;
  for (size_t i = Home(key);; i = (i + 1) & mask) {
    if (slots_[i].key == key) return slots_[i].value;
    if (slots_[i].key == 0) return std::nullopt;
  }
}

void IdContentMap::Erase(uint64_t id_hash) {
  if (slots_.empty()) return;
  const uint64_t key = Key(id_hash);
  const size_t mask = slots_.size() - 1;
  size_t i = Home(key);
  while (slots_[i].key != key) {
    if (slots_[i].key == 0) return;
    i = (i + 1) & mask;
  }
  // Backward shift: move later members of the cluster into the hole when
  // their home does not lie cyclically in (hole, j].
  size_t hole = i;
  for (size_t j = (i + 1) & mask; slots_[j].key != 0; j = (j + 1) & mask) {
    const size_t home = Home(slots_[j].key);
    const bool stays = hole <= j ? (hole < home && home <= j)
                                 : (hole < home || home <= j);
    if (!stays) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
  --size_;
}

}  // namespace crawlstream::dedup
