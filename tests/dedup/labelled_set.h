// Loads the labelled dedup set (tests/fixtures/dedup) and scores duplicate
// decisions pairwise. Test helper.
#pragma once

#include <cstdlib>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "crawlstream/v1/article.pb.h"
#include "services/common/article_json.h"

namespace crawlstream::dedup::fixtures {

inline std::string SourceDir() {
  const char* dir = std::getenv("CRAWLSTREAM_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

struct LabelledSet {
  std::vector<crawlstream::v1::Article> articles;  // in stream order
  std::vector<std::string> stories;                // story of each article
};

inline LabelledSet LoadLabelledSet() {
  LabelledSet set;
  const std::string dir = SourceDir() + "/tests/fixtures/dedup/";
  std::map<std::string, std::string> story_of;
  std::ifstream labels(dir + "labels.tsv");
  for (std::string line; std::getline(labels, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    story_of[line.substr(0, tab)] = line.substr(tab + 1);
  }
  std::ifstream jsonl(dir + "articles.jsonl");
  for (std::string line; std::getline(jsonl, line);) {
    if (line.empty()) continue;
    crawlstream::v1::Article a;
    if (!JsonToMessage(line, &a)) continue;
    set.stories.push_back(story_of[a.id()]);
    set.articles.push_back(std::move(a));
  }
  return set;
}

// Pairwise scores of predicted clusters (`cluster[i]` of article i) against
// the story labels.
struct PairScores {
  long true_positive = 0;
  long false_positive = 0;
  long false_negative = 0;
  double precision() const {
    const long p = true_positive + false_positive;
    return p == 0 ? 1.0 : static_cast<double>(true_positive) / p;
  }
  double recall() const {
    const long p = true_positive + false_negative;
    return p == 0 ? 1.0 : static_cast<double>(true_positive) / p;
  }
};

inline PairScores ScorePairs(const std::vector<int>& cluster,
                             const std::vector<std::string>& stories) {
  PairScores s;
  for (size_t i = 0; i < cluster.size(); ++i) {
    for (size_t j = i + 1; j < cluster.size(); ++j) {
      const bool predicted = cluster[i] == cluster[j];
      const bool actual = stories[i] == stories[j];
      if (predicted && actual) ++s.true_positive;
      if (predicted && !actual) ++s.false_positive;
      if (!predicted && actual) ++s.false_negative;
    }
  }
  return s;
}

// Union-find over article indexes.
class Clusters {
 public:
  explicit Clusters(size_t n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int i) {
    while (parent_[i] != i) i = parent_[i] = parent_[parent_[i]];
    return i;
  }
  void Union(int a, int b) { parent_[Find(a)] = Find(b); }
  std::vector<int> Roots() {
    std::vector<int> roots(parent_.size());
    for (size_t i = 0; i < parent_.size(); ++i) {
      roots[i] = Find(static_cast<int>(i));
    }
    return roots;
  }

 private:
  std::vector<int> parent_;
};

}  // namespace crawlstream::dedup::fixtures
