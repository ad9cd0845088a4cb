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
template <class Outcome, class UseCaseResult, class Make>
std::optional<ports::Completion<Outcome>> completion_for(const ports::Idempotency<UseCaseResult>* idempotency,
                                                         Make make) {
    if (idempotency == nullptr) return std::nullopt;
    return ports::Completion<Outcome>{
        idempotency->record,
        [idempotency, make = std::move(make)](const Outcome& outcome, ports::TransactionReader& reads)
            -> domain::Result<std::optional<ports::IdempotentAnswer>> {
            domain::Result<std::optional<UseCaseResult>> result = make(outcome, reads);
            if (!result) return std::move(result).error();
            if (!*result) return std::optional<ports::IdempotentAnswer>{};
            return std::optional<ports::IdempotentAnswer>{idempotency->render(**result)};
        }};
}

template <class T>
const T* pointer_to(const std::optional<T>& value) {
    return value ? &*value : nullptr;
}

}  // namespace leads::app
