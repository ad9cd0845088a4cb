#include "domain/ids.hpp"

#include <algorithm>

namespace leads::domain {

namespace {

constexpr std::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr std::size_t kEncodedLength = 26;
constexpr std::int64_t kMaxMillis = (std::int64_t{1} << 48) - 1;

bool is_tenant_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_slug_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// 6 timestamp bytes then 10 entropy bytes, encoded as a 130-bit number whose two
// leading bits are zero, five bits per character.
std::string encode(Timestamp at, const Entropy& entropy) {
    const auto millis = std::clamp<std::int64_t>(at.time_since_epoch().count(), 0, kMaxMillis);
    std::array<std::uint8_t, 16> bytes{};
    for (int i = 0; i < 6; ++i) bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(millis >> (8 * (5 - i)));
    std::copy(entropy.begin(), entropy.end(), bytes.begin() + 6);
    auto bit = [&](int index) {  // index 0 is the most significant of the 130 bits
        const int data_index = index - 2;
        if (data_index < 0) return 0;
        return (bytes[static_cast<std::size_t>(data_index / 8)] >> (7 - data_index % 8)) & 1;
    };
    std::string out;
    out.reserve(kEncodedLength);
    for (int c = 0; c < static_cast<int>(kEncodedLength); ++c) {
        int value = 0;
        for (int b = 0; b < 5; ++b) value = (value << 1) | bit(c * 5 + b);
        out.push_back(kAlphabet[static_cast<std::size_t>(value)]);
    }
    return out;
}

}  // namespace

std::optional<TenantId> TenantId::parse(std::string_view raw) {
    if (raw.empty() || raw.size() > 64 || !std::all_of(raw.begin(), raw.end(), is_tenant_char)) return std::nullopt;
    return TenantId(std::string(raw));
}

Result<WorkspaceSlug> WorkspaceSlug::parse(std::string_view field, std::string_view raw) {
    if (raw.empty() || raw.size() > 63 || raw.front() == '-' || !std::all_of(raw.begin(), raw.end(), is_slug_char)) {
        return Error::validation(std::string(field),
                                 "must be a workspace slug (lower-case letters, digits and hyphens, 1 to 63 "
                                 "characters, not starting with a hyphen)");
    }
    return WorkspaceSlug(std::string(raw));
}

template <class Tag>
PrefixedId<Tag> PrefixedId<Tag>::generate(Timestamp at, const Entropy& entropy) {
    return PrefixedId(std::string(Tag::prefix) + encode(at, entropy));
}

template <class Tag>
std::optional<PrefixedId<Tag>> PrefixedId<Tag>::parse(std::string_view raw) {
    if (raw.size() != Tag::prefix.size() + kEncodedLength || !raw.starts_with(Tag::prefix)) return std::nullopt;
    const std::string_view body = raw.substr(Tag::prefix.size());
    if (body.front() < '0' || body.front() > '7') return std::nullopt;  // above 2^128 - 1 otherwise
    for (char c : body) {
        if (kAlphabet.find(c) == std::string_view::npos) return std::nullopt;
    }
    return PrefixedId(std::string(raw));
}

template class PrefixedId<LeadIdTag>;
template class PrefixedId<ActivityIdTag>;
template class PrefixedId<SuppressionIdTag>;
template class PrefixedId<EventIdTag>;
template class PrefixedId<WebhookIdTag>;

}  // namespace leads::domain
