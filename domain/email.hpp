#pragma once

#include <string>
#include <string_view>

#include "domain/result.hpp"

namespace leads::domain {

// An email address as CONTRACT §3 defines it: trimmed and lower-cased, at most 254
// characters, one "@", a local part of 1..64 characters, a dotted domain of letters,
// digits and inner hyphens, no whitespace or control characters.
class Email {
  public:
    static Result<Email> parse(std::string_view raw);
    const std::string& value() const { return value_; }
    friend bool operator==(const Email&, const Email&) = default;

  private:
    explicit Email(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

}  // namespace leads::domain
