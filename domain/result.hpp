#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace leads::domain {

// What a caller branches on. The HTTP adapter maps each kind to a status in one place.
enum class ErrorKind { Validation, NotFound, Conflict, Suppressed, PreconditionFailed, Gone, Unavailable, Internal };

struct FieldIssue {
    std::string field;
    std::string issue;
    friend bool operator==(const FieldIssue&, const FieldIssue&) = default;
};

struct Error {
    ErrorKind kind = ErrorKind::Internal;
    std::string message;
    std::vector<FieldIssue> details;
    std::string existing_id;  // Conflict on a duplicate email: the lead that holds it.

    static Error validation(std::string field, std::string issue);
    static Error validation(std::vector<FieldIssue> issues);
    static Error not_found(std::string message = "The requested lead does not exist.");
    static Error duplicate_email(std::string existing_id);
    // The email is on the tenant's suppression list (CONTRACT §9).
    static Error suppressed();
    static Error precondition_failed();
    // The event feed's after names events no longer kept (CONTRACT §8).
    static Error events_expired();
    static Error unavailable(std::string message);
    static Error internal(std::string message);
};

// A value or the Error that prevented it. std::expected needs C++23 (and a newer clang
// than Debian's for the fuzzer), so this is the small subset the project uses.
template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(state_); }
    const T& value() const& { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    const Error& error() const& { return std::get<1>(state_); }
    Error&& error() && { return std::get<1>(std::move(state_)); }

  private:
    std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

    bool ok() const { return ok_; }
    explicit operator bool() const { return ok_; }
    const Error& error() const& { return error_; }
    Error&& error() && { return std::move(error_); }

  private:
    Error error_;
    bool ok_ = true;
};

}  // namespace leads::domain
