#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/result.hpp"

// What the use cases share to check a request: every problem is collected, so that one
// Validation error names them all.
namespace leads::app {

class Issues {
  public:
    void add(std::string field, std::string issue) { issues_.push_back({std::move(field), std::move(issue)}); }

    void add(const domain::Error& error) {
        if (error.details.empty()) {
            add("", error.message);
            return;
        }
        issues_.insert(issues_.end(), error.details.begin(), error.details.end());
    }

    // The value, or nullopt with the error's issues recorded.
    template <class T>
    std::optional<T> take(domain::Result<T> result) {
        if (result.ok()) return std::move(result).value();
        add(result.error());
        return std::nullopt;
    }

    bool empty() const { return issues_.empty(); }
    domain::Error error() && { return domain::Error::validation(std::move(issues_)); }

  private:
    std::vector<domain::FieldIssue> issues_;
};

inline constexpr std::int64_t kDefaultLimit = 50;
inline constexpr std::int64_t kMaxLimit = 200;

// A page size as the client gave it (default 50, 1..200).
inline std::int64_t check_limit(std::optional<std::int64_t> limit, Issues& issues) {
    if (!limit) return kDefaultLimit;
    if (*limit < 1 || *limit > kMaxLimit) issues.add("limit", "must be between 1 and 200");
    return *limit;
}

// "true" or "false" (query flags); absent stays absent.
inline std::optional<bool> check_flag(const std::optional<std::string>& raw, const char* field, Issues& issues) {
    if (!raw) return std::nullopt;
    if (*raw == "true") return true;
    if (*raw == "false") return false;
    issues.add(field, "must be true or false");
    return std::nullopt;
}

}  // namespace leads::app
