#pragma once

#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "ports/lead_repository.hpp"

// The protocol every repository applies to a LeadMutation, written once: LeadRepository::
// update and an import's merge both run it inside their own transaction.
namespace leads::ports {

struct MutatedLead {
    domain::Lead lead;                      // as stored after the change
    std::vector<domain::Activity> entries;  // to append with it
    bool rewrite = false;                   // the version changed: the row must be written
};

// Runs mutate on a copy of current. The mutation's error is returned as is; one that throws
// is an Internal error; one that changed the lead's identity (id, tenant, workspace,
// creation) is refused. A version left unchanged means the lead is not rewritten: the
// stored lead stays exactly current, whatever else the mutation touched.
inline domain::Result<MutatedLead> apply_mutation(const LeadMutation& mutate, const domain::Lead& current) {
    domain::Lead lead = current;
    domain::Result<std::vector<domain::Activity>> entries = std::vector<domain::Activity>{};
    try {
        entries = mutate(lead);
    } catch (const std::exception& e) {
        return domain::Error::internal(std::string("a mutation threw: ") + e.what());
    } catch (...) {
        return domain::Error::internal("a mutation threw a non-standard exception");
    }
    if (!entries) return std::move(entries).error();
    if (!(lead.id == current.id) || !(lead.tenant == current.tenant) || !(lead.workspace == current.workspace) ||
        lead.created_at != current.created_at) {
        return domain::Error::internal("a mutation changed the identity of a lead");
    }
    const bool rewrite = lead.version != current.version;
    if (!rewrite) lead = current;
    return MutatedLead{std::move(lead), std::move(entries).value(), rewrite};
}

// Errors an import's merge may return for its own row (reported in the summary); any
// other error aborts the whole import.
inline bool is_row_error(const domain::Error& error) {
    return error.kind != domain::ErrorKind::Internal && error.kind != domain::ErrorKind::Unavailable;
}

}  // namespace leads::ports
