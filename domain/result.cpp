#include "domain/result.hpp"

namespace leads::domain {

Error Error::validation(std::string field, std::string issue) {
    return validation(std::vector<FieldIssue>{FieldIssue{std::move(field), std::move(issue)}});
}

Error Error::validation(std::vector<FieldIssue> issues) {
    return Error{ErrorKind::Validation, "The request is not valid.", std::move(issues), {}};
}

Error Error::not_found(std::string message) { return Error{ErrorKind::NotFound, std::move(message), {}, {}}; }

Error Error::duplicate_email(std::string existing_id) {
    return Error{ErrorKind::Conflict,
                 "A lead with this email already exists in this workspace.",
                 {FieldIssue{"email", "is already used by another lead in this workspace"}},
                 std::move(existing_id)};
}

Error Error::suppressed() {
    return Error{ErrorKind::Suppressed,
                 "This email is on the tenant's suppression list: it must not be contacted.",
                 {FieldIssue{"email", "suppressed"}},
                 {}};
}

Error Error::precondition_failed() {
    return Error{ErrorKind::PreconditionFailed, "The lead has changed since the given ETag.", {}, {}};
}

Error Error::events_expired() {
    return Error{ErrorKind::Gone,
                 "The events after this sequence are no longer kept; start again without after.",
                 {FieldIssue{"after", "is older than the oldest kept event"}},
                 {}};
}

Error Error::unavailable(std::string message) { return Error{ErrorKind::Unavailable, std::move(message), {}, {}}; }

Error Error::internal(std::string message) { return Error{ErrorKind::Internal, std::move(message), {}, {}}; }

}  // namespace leads::domain
