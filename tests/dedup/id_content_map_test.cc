#include "services/dedup/id_content_map.h"

#include <gtest/gtest.h>

#include <map>

#include "services/dedup/fingerprint.h"

namespace crawlstream::dedup {
namespace {

TEST(IdContentMapTest, SetGetOverwriteErase) {
  IdContentMap m;
  EXPECT_FALSE(m.Get(7).has_value());
  m.Erase(7);  // erasing from an empty map is a no-op
  m.Set(7, 70);
  m.Set(0, 5);  // key 0 is stored (as 1 internally) like any other
  EXPECT_EQ(m.Get(7), 70u);
  EXPECT_EQ(m.Get(0), 5u);
  m.Set(7, 71);
  EXPECT_EQ(m.Get(7), 71u);
  EXPECT_EQ(m.size(), 2u);
  m.Erase(7);
  EXPECT_FALSE(m.Get(7).has_value());
  EXPECT_EQ(m.size(), 1u);
}

// Random operations against std::map, through growth and many erasures
// (backward shift must keep every cluster reachable).
TEST(IdContentMapTest, MatchesAReferenceMapUnderRandomOperations) {
  IdContentMap m;
  std::map<uint64_t, uint64_t> ref;
  uint64_t rng = 1;
  for (int op = 0; op < 200'000; ++op) {
    rng = Mix64(rng + 0x9E3779B97F4A7C15ULL);
    // Small key space so that sets, overwrites and erases collide; low
    // bits vary so clusters form.
    const uint64_t key = (rng >> 8) % 5000 * 0x10001;
    if (rng % 3 == 0) {
      m.Erase(key);
      ref.erase(key);
    } else {
      m.Set(key, rng);
      ref[key] = rng;
    }
  }
  ASSERT_EQ(m.size(), ref.size());
  for (uint64_t k = 0; k < 5000; ++k) {
    const uint64_t key = k * 0x10001;
    auto it = ref.find(key);
    if (it == ref.end()) {
      EXPECT_FALSE(m.Get(key).has_value()) << key;
    } else {
      EXPECT_EQ(m.Get(key), it->second) << key;
    }
  }
}

TEST(IdContentMapTest, ReservedMapCostsAtMostFortyBytesPerEntry) {
  IdContentMap m;
  m.Reserve(100'000);
  for (uint64_t i = 1; i <= 100'000; ++i) m.Set(Mix64(i), i);
  EXPECT_LE(m.MemoryBytes() / m.size(), 40u);
}

// The stage's revision map is not reserved (few ids are ever revised): it
// grows by doubling at 80 % load, so it stays between 20 and 40 bytes per
// entry once past its first 64 slots (1 KiB).
TEST(IdContentMapTest, GrowingMapCostsTwentyToFortyBytesPerEntry) {
  IdContentMap m;
  EXPECT_EQ(m.MemoryBytes(), 0u);
  for (uint64_t i = 1; i <= 200'000; ++i) {
    m.Set(Mix64(i), i);
    if (i >= 52 && (i % 997 == 0 || i == 200'000)) {
      EXPECT_LE(m.MemoryBytes() / m.size(), 40u) << i;
      EXPECT_GE(m.MemoryBytes() / m.size(), 20u) << i;
    }
  }
}

}  // namespace
}  // namespace crawlstream::dedup
