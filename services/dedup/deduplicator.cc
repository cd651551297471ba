#include "services/dedup/deduplicator.h"

#include "crawlstream/v1/article.pb.h"
#include "crawlstream/v1/duplicate.pb.h"

namespace crawlstream::dedup {
namespace {

const std::string& UrlOf(const crawlstream::v1::Article& article) {
  return article.canonical_url().empty() ? article.url() : article.canonical_url();
}

}  // namespace

std::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kPublishNew:
      return "publish_new";
    case DecisionKind::kUpdateSameId:
      return "update_same_id";
    case DecisionKind::kDuplicateOf:
      return "duplicate_of";
    case DecisionKind::kReplaces:
      return "replaces";
  }
  return "unknown";
}

std::string_view MatchLevelName(MatchLevel level) {
  switch (level) {
    case MatchLevel::kNone:
      return "none";
    case MatchLevel::kUrl:
      return "url";
    case MatchLevel::kExact:
      return "exact";
    case MatchLevel::kNear:
      return "near";
  }
  return "unknown";
}

bool MakeDuplicateRecord(const Decision& decision,
                         const crawlstream::v1::Article& article,
                         crawlstream::v1::Duplicate* out) {
  using crawlstream::v1::Duplicate;
  if (decision.kind != DecisionKind::kDuplicateOf &&
      decision.kind != DecisionKind::kReplaces) {
    return false;
  }
  out->Clear();
  const std::string& url = UrlOf(article);
  if (decision.kind == DecisionKind::kDuplicateOf) {
    out->set_id(article.id());
    out->set_duplicate_of(decision.other_id);
    out->set_url(url);
    out->set_duplicate_of_url(decision.other_url);
  } else {
    out->set_id(decision.other_id);
    out->set_duplicate_of(article.id());
    out->set_url(decision.other_url);
    out->set_duplicate_of_url(url);
  }
  out->set_similarity(decision.similarity);
  switch (decision.level) {
    case MatchLevel::kUrl:
      out->set_method(Duplicate::METHOD_URL);
      break;
    case MatchLevel::kExact:
      out->set_method(Duplicate::METHOD_EXACT);
      break;
    case MatchLevel::kNear:
      out->set_method(Duplicate::METHOD_NEAR);
      break;
    case MatchLevel::kNone:
      out->set_method(Duplicate::METHOD_UNSPECIFIED);
      break;
  }
  return true;
}

Deduplicator::Deduplicator(const DedupOptions& options,
                           const ScriptConverter* converter,
                           std::unique_ptr<UrlStore> urls)
    : options_(options),
      converter_(converter),
      index_(options.index),
      urls_(urls ? std::move(urls) : std::make_unique<UrlStore>()) {
  if (options_.expected_articles > 0) {
    index_.Reserve(options_.expected_articles);
  }
}

Fingerprint Deduplicator::FingerprintOf(
    const crawlstream::v1::Article& article) const {
  const NormalizedText text = NormalizeForDedup(article, converter_);
  return ComputeFingerprint(text.text, text.numbers, options_.shingle_length);
}

CanonicalKey Deduplicator::KeyOf(
    const crawlstream::v1::Article& article) const {
  return MakeCanonicalKey(article, converter_);
}

Result<uint32_t> Deduplicator::Index(const crawlstream::v1::Article& article,
                                     const CanonicalKey& key,
                                     const Fingerprint& fp) {
  auto record = index_.Upsert(article.id(), key, fp);
  if (!record) return record;
  // A URL the store cannot write only leaves a later Duplicate without it.
  (void)urls_->Set(*record, UrlOf(article));
  return record;
}

Result<Decision> Deduplicator::Decide(
    const crawlstream::v1::Article& article) {
  const Fingerprint fp = FingerprintOf(article);
  const CanonicalKey key = KeyOf(article);
  Decision decision;
  if (index_.FindId(article.id())) {
    if (auto r = Index(article, key, fp); !r) {
      return std::unexpected(r.error());
    }
    decision.kind = DecisionKind::kUpdateSameId;
    decision.level = MatchLevel::kUrl;
    decision.similarity = 1.0;
    return decision;
  }
  const std::optional<Candidate> match = index_.FindDuplicate(fp, &key);
  if (!match) {
    if (auto r = Index(article, key, fp); !r) {
      return std::unexpected(r.error());
    }
    return decision;
  }
  decision.level = match->exact ? MatchLevel::kExact : MatchLevel::kNear;
  decision.similarity = match->similarity;
  decision.other_id = index_.Id(match->record);
  decision.other_url = urls_->Get(match->record);
  if (!PreferAsCanonical(key, article.id(), index_.Key(match->record),
                         decision.other_id)) {
    decision.kind = DecisionKind::kDuplicateOf;
    return decision;
  }
  if (auto r = Index(article, key, fp); !r) {
    return std::unexpected(r.error());
  }
  index_.Remove(match->record);
  decision.kind = DecisionKind::kReplaces;
  decision.other_record = match->record;
  return decision;
}

bool Deduplicator::Revive(uint32_t record) {
  if (record >= index_.records()) return false;
  if (index_.FindId(index_.Id(record))) return false;
  return index_.Revive(record);
}

Status Deduplicator::Restore(const crawlstream::v1::Article& article) {
  if (auto r = Index(article, KeyOf(article), FingerprintOf(article)); !r) {
    return std::unexpected(r.error());
  }
  return Ok();
}

Status Deduplicator::Restore(std::string_view id, const CanonicalKey& key,
                             const Fingerprint& fp) {
  if (auto r = index_.Upsert(id, key, fp); !r) {
    return std::unexpected(r.error());
  }
  return Ok();
}

bool Deduplicator::Forget(std::string_view id) {
  const std::optional<uint32_t> record = index_.FindId(id);
  if (!record) return false;
  index_.Remove(*record);
  return true;
}

}  // namespace crawlstream::dedup
