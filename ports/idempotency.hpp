#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "domain/ids.hpp"
#include "domain/result.hpp"
#include "domain/time.hpp"
#include "ports/lead_repository.hpp"

// Idempotent writes (CONTRACT §6): a request's key, its claim while it runs, and the final
// answer recorded in the same transaction as the request's effect.
namespace leads::ports {

// A final answer as it went out: replayed byte for byte.
struct IdempotentAnswer {
    int status = 0;
    std::string body;
    std::string location;  // empty: none
    std::string etag;      // empty: none
    friend bool operator==(const IdempotentAnswer&, const IdempotentAnswer&) = default;
};

// One claimed key: the token tells this claim from a later one that took the key over.
struct IdempotencyRecord {
    domain::TenantId tenant;
    std::string key;
    std::string token;
};

struct IdempotencyRequest {
    domain::TenantId tenant;
    std::string key;
    std::string fingerprint;  // of method, path, query and body
    std::string token;        // this attempt's, fresh per request
    domain::Timestamp now;
    domain::Timestamp expires_at;    // when a record made now may be forgotten
    domain::Timestamp stale_before;  // a running claim older than this was abandoned
};

enum class ClaimState {
    Claimed,     // this request runs: the key was free (or expired, or abandoned)
    Replay,      // the answer is recorded: answer
    InProgress,  // another request with the key is running
    Reused,      // the key was used with a different request
};

struct ClaimOutcome {
    ClaimState state = ClaimState::Claimed;
    std::optional<IdempotentAnswer> answer;  // for Replay
};

// Reads inside a write's transaction, for the answer recorded with it.
class TransactionReader {
  public:
    virtual ~TransactionReader() = default;
    virtual domain::Result<ActivityPage> recent_activity(const LeadKey& key, std::int64_t limit) = 0;
};

// Given to a repository write: after the effect and before commit, answer(outcome, reads)
// gives the answer to record under the claim (nullopt: nothing to record here, the write
// changed nothing and its caller records its answer). An error aborts the write.
// answer may run on another thread than the caller's, and more than once (a write tried
// again): it reads and renders; what it hands its caller (app::completion_for's answered)
// is read once the write has returned, and the last call's is the one that counts.
template <class Outcome>
struct Completion {
    IdempotencyRecord record;
    std::function<domain::Result<std::optional<IdempotentAnswer>>(const Outcome&, TransactionReader&)> answer;
};

// The records, kept by the same backend as the effects they answer for.
class IdempotencyRepository {
  public:
    virtual ~IdempotencyRepository() = default;

    // Claims the key for this request, or says why not. Atomic: of requests racing for a
    // free key, exactly one is Claimed.
    virtual domain::Result<ClaimOutcome> claim_idempotency(const IdempotencyRequest& request) = 0;
    // Records an answer that came with no effect (404, 409, 412) under the claim.
    virtual domain::Result<void> finish_idempotency(const IdempotencyRecord& record,
                                                    const IdempotentAnswer& answer) = 0;
    // Gives the key up (the answer was not final): a retry runs again.
    virtual domain::Result<void> release_idempotency(const IdempotencyRecord& record) = 0;
    // Forgets at most limit of the tenant's records that expired before now; how many it
    // forgot. One tenant at a time: every statement on a tenant table names its tenant
    // (docs/scaling.md).
    virtual domain::Result<std::int64_t> purge_idempotency(const domain::TenantId& tenant, domain::Timestamp now,
                                                           std::int64_t limit) = 0;
};

// What a driving port's write takes with an Idempotency-Key: the claim, and how the
// adapter writes its answer for the write's result (recorded in the effect's transaction).
template <class Result>
struct Idempotency {
    IdempotencyRecord record;
    std::function<IdempotentAnswer(const Result&)> render;
};

// The driving side: what the HTTP adapter does with an Idempotency-Key around a write.
struct Claim {
    ClaimState state = ClaimState::Claimed;
    std::optional<IdempotentAnswer> answer;  // for Replay
    IdempotencyRecord record;                // for Claimed: pass it to the write, then finish or release
};

class IdempotencyUseCases {
  public:
    virtual ~IdempotencyUseCases() = default;
    // Validation (field Idempotency-Key) unless 1-255 visible ASCII characters.
    virtual domain::Result<Claim> begin(const domain::TenantId& tenant, const std::string& key,
                                        const std::string& fingerprint) = 0;
    // A final answer that came without an effect (404, 409, 412).
    virtual domain::Result<void> finish(const IdempotencyRecord& record, const IdempotentAnswer& answer) = 0;
    // Not a final answer: the key is free again.
    virtual domain::Result<void> release(const IdempotencyRecord& record) = 0;
};

}  // namespace leads::ports
