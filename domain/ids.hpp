#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "domain/result.hpp"
#include "domain/time.hpp"

namespace leads::domain {

// The tenant named by the caller's verified identity: ^[A-Za-z0-9_-]{1,64}$.
class TenantId {
  public:
    static std::optional<TenantId> parse(std::string_view raw);
    const std::string& value() const { return value_; }
    friend bool operator==(const TenantId&, const TenantId&) = default;
    friend auto operator<=>(const TenantId&, const TenantId&) = default;

  private:
    explicit TenantId(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

// A workspace slug: ^[a-z0-9][a-z0-9-]{0,62}$.
class WorkspaceSlug {
  public:
    static Result<WorkspaceSlug> parse(std::string_view field, std::string_view raw);
    const std::string& value() const { return value_; }
    friend bool operator==(const WorkspaceSlug&, const WorkspaceSlug&) = default;
    friend auto operator<=>(const WorkspaceSlug&, const WorkspaceSlug&) = default;

  private:
    explicit WorkspaceSlug(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

// 80 random bits, supplied by the id generator port.
using Entropy = std::array<std::uint8_t, 10>;

// An opaque, time-ordered identifier: prefix + 26 Crockford base-32 characters encoding
// 48 bits of milliseconds since the epoch followed by 80 random bits (ULID layout), so
// ids sort by creation time and inserts stay local in an index.
template <class Tag>
class PrefixedId {
  public:
    static PrefixedId generate(Timestamp at, const Entropy& entropy);
    // nullopt unless the text has exactly this prefix and 26 valid upper-case characters.
    static std::optional<PrefixedId> parse(std::string_view raw);
    const std::string& value() const { return value_; }
    friend bool operator==(const PrefixedId&, const PrefixedId&) = default;
    friend auto operator<=>(const PrefixedId&, const PrefixedId&) = default;

  private:
    explicit PrefixedId(std::string value) : value_(std::move(value)) {}
    std::string value_;
};

struct LeadIdTag {
    static constexpr std::string_view prefix = "lead_";
};
struct ActivityIdTag {
    static constexpr std::string_view prefix = "act_";
};
struct SuppressionIdTag {
    static constexpr std::string_view prefix = "sup_";
};
struct EventIdTag {
    static constexpr std::string_view prefix = "evt_";
};
struct WebhookIdTag {
    static constexpr std::string_view prefix = "whk_";
};
using LeadId = PrefixedId<LeadIdTag>;
using ActivityId = PrefixedId<ActivityIdTag>;
using SuppressionId = PrefixedId<SuppressionIdTag>;
using EventId = PrefixedId<EventIdTag>;
using WebhookId = PrefixedId<WebhookIdTag>;

extern template class PrefixedId<LeadIdTag>;
extern template class PrefixedId<ActivityIdTag>;
extern template class PrefixedId<SuppressionIdTag>;
extern template class PrefixedId<EventIdTag>;
extern template class PrefixedId<WebhookIdTag>;

}  // namespace leads::domain
