#pragma once

#include <optional>
#include <utility>

#include "domain/result.hpp"
#include "ports/idempotency.hpp"

// How a use case hands an Idempotency-Key claim to its repository write: the write's
// outcome, read inside its transaction, becomes the use case's result, which the adapter
// renders as the answer recorded with the effect (CONTRACT §6).
namespace leads::app {

// make(outcome, reads) -> Result<optional<UseCaseResult>>: nullopt when the write changed
// nothing and the use case will answer with an error (recorded by the adapter afterwards).
// The result answered is also kept in *answered (when given), so that the use case returns
// it as it is instead of reading it again after the commit.
template <class Outcome, class UseCaseResult, class Make>
std::optional<ports::Completion<Outcome>> completion_for(const ports::Idempotency<UseCaseResult>* idempotency,
                                                         Make make, std::optional<UseCaseResult>* answered = nullptr) {
    if (idempotency == nullptr) return std::nullopt;
    return ports::Completion<Outcome>{
        idempotency->record,
        [idempotency, make = std::move(make), answered](const Outcome& outcome, ports::TransactionReader& reads)
            -> domain::Result<std::optional<ports::IdempotentAnswer>> {
            domain::Result<std::optional<UseCaseResult>> result = make(outcome, reads);
            if (!result) return std::move(result).error();
            if (!*result) return std::optional<ports::IdempotentAnswer>{};
            ports::IdempotentAnswer answer = idempotency->render(**result);
            if (answered != nullptr) *answered = std::move(**result);
            return std::optional<ports::IdempotentAnswer>{std::move(answer)};
        }};
}

template <class T>
const T* pointer_to(const std::optional<T>& value) {
    return value ? &*value : nullptr;
}

}  // namespace leads::app
