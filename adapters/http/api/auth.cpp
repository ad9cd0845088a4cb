#include "adapters/http/api/auth.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "adapters/crypto/email_hash.hpp"
#include "adapters/http/api/json.hpp"
#include "adapters/http/text.hpp"

namespace leads::adapters::http {
namespace {

// CONTRACT §1: exp and nbf are enforced with this much clock skew allowed.
constexpr double kLeewaySeconds = 60.0;
// Far above any real token; bounds the work an unauthenticated caller can cause.
constexpr std::size_t kMaxTokenLength = 8192;
constexpr std::size_t kMinSecretLength = 32;
// Verified tokens remembered per authenticator (a few hundred bytes each).
constexpr std::size_t kRememberedTokens = 10'000;

// The single header of that name; two copies are ambiguous (which one did the gateway
// set?), so they count as none.
std::optional<std::string_view> single_header(const Request& request, std::string_view name) {
    std::optional<std::string_view> found;
    for (const auto& header : request.headers) {
        if (header.name != name) continue;
        if (found) return std::nullopt;
        found = header.value;
    }
    return found;
}

std::optional<json::ParseResult> parse_part(std::string_view encoded, std::size_t max_depth) {
    auto decoded = base64url_decode(encoded);
    if (!decoded) return std::nullopt;
    json::ParseResult parsed = json::parse(*decoded, json::Limits{max_depth, 1024});
    if (!parsed.document || parsed.document->root().as_object() == nullptr) return std::nullopt;
    return parsed;
}

const json::Value* member(const json::Object& object, std::string_view name) {
    for (const auto& [key, value] : object) {
        if (key == name) return &value;
    }
    return nullptr;
}

std::optional<double> number_of(const json::Value& value) {
    if (const auto* i = value.as_int()) return static_cast<double>(*i);
    if (const auto* d = value.as_double()) return *d;
    return std::nullopt;
}

struct JwtDeleter {
    void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioDeleter {
    void operator()(BIO* bio) const { BIO_free(bio); }
};

class GatewayAuthenticator final : public Authenticator {
  public:
    std::optional<domain::TenantId> authenticate(const Request& request) const override {
        auto tenant = single_header(request, "x-tenant-id");
        if (!tenant) return std::nullopt;
        return domain::TenantId::parse(*tenant);
    }
    AuthMode mode() const override { return AuthMode::Gateway; }
};

class JwtAuthenticator final : public Authenticator {
  public:
    JwtAuthenticator(jwt_alg_t alg, std::string key, AuthSettings settings, AuthClock clock)
        : alg_(alg),
          alg_name_(jwt_alg_str(alg)),
          key_(std::move(key)),
          issuer_(std::move(settings.issuer)),
          audience_(std::move(settings.audience)),
          clock_(std::move(clock)) {}

    AuthMode mode() const override { return AuthMode::Jwt; }

    std::optional<domain::TenantId> authenticate(const Request& request) const override {
        auto token = bearer_token(request);
        if (!token) return std::nullopt;
        // A token seen and verified before (every check below depends on its bytes alone):
        // only its time claims can have changed.
        const std::string fingerprint = crypto::sha256_hex(*token);
        if (auto known = remembered(fingerprint)) return in_time(*known) ? std::optional(known->tenant) : std::nullopt;

        // Split and inspect the token ourselves before libjwt sees it: libjwt 1.10 trusts
        // the header's alg (HS512 for an HS256 key, HS256 keyed with an RSA public key)
        // and checks no claims at all.
        const std::size_t dot1 = token->find('.');
        const std::size_t dot2 = dot1 == std::string::npos ? dot1 : token->find('.', dot1 + 1);
        if (dot2 == std::string::npos || token->find('.', dot2 + 1) != std::string::npos) return std::nullopt;
        const std::string_view all(*token);
        const std::string_view header_part = all.substr(0, dot1);
        const std::string_view payload_part = all.substr(dot1 + 1, dot2 - dot1 - 1);
        const std::string_view signature_part = all.substr(dot2 + 1);
        if (header_part.empty() || payload_part.empty() || signature_part.empty()) return std::nullopt;
        if (!base64url_decode(signature_part)) return std::nullopt;

        auto header = parse_part(header_part, 8);
        if (!header) return std::nullopt;
        const json::Object& header_object = *header->document->root().as_object();
        const json::Value* alg = member(header_object, "alg");
        if (alg == nullptr || alg->as_string() == nullptr || *alg->as_string() != alg_name_) return std::nullopt;
        // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
        if (member(header_object, "crit") != nullptr) return std::nullopt;

        auto payload = parse_part(payload_part, 16);
        if (!payload) return std::nullopt;

        jwt_t* raw = nullptr;
        const int rc = jwt_decode(&raw, token->c_str(), reinterpret_cast<const unsigned char*>(key_.data()),
                                  static_cast<int>(key_.size()));
        std::unique_ptr<jwt_t, JwtDeleter> verified(raw);
        if (rc != 0 || !verified || jwt_get_alg(verified.get()) != alg_) return std::nullopt;

        // The signature holds; the claims are read from our own strict parse of the same
        // bytes (duplicate keys were rejected, so there is only one reading of them).
        const json::Object* object = payload->document->root().as_object();
        if (object == nullptr) return std::nullopt;
        auto claims = read_claims(*object);
        if (!claims || !in_time(*claims)) return std::nullopt;
        remember(fingerprint, *claims);
        return claims->tenant;
    }

  private:
    static std::optional<std::string> bearer_token(const Request& request) {
        auto value = single_header(request, "authorization");
        if (!value) return std::nullopt;
        std::string_view text = *value;
        const std::size_t space = text.find(' ');
        if (space == std::string_view::npos || !iequals(text.substr(0, space), "bearer")) return std::nullopt;
        text.remove_prefix(space);
        while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
        while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
        if (text.empty() || text.size() > kMaxTokenLength) return std::nullopt;
        const bool charset_ok =
            std::all_of(text.begin(), text.end(), [](char c) { return c == '.' || is_base64url_char(c); });
        if (!charset_ok) return std::nullopt;
        return std::string(text);
    }

    // What a verified token says, once: the time claims are checked on every use.
    struct Claims {
        domain::TenantId tenant;
        double exp = 0;
        std::optional<double> nbf;
    };

    // The claims that do not depend on the time (exp required, nbf if present, iss, aud,
    // tenant_id), or nullopt when one is missing or wrong.
    std::optional<Claims> read_claims(const json::Object& claims) const {
        const json::Value* exp = member(claims, "exp");
        if (exp == nullptr) return std::nullopt;
        const auto exp_value = number_of(*exp);
        if (!exp_value || !std::isfinite(*exp_value)) return std::nullopt;

        std::optional<double> nbf_value;
        if (const json::Value* nbf = member(claims, "nbf")) {
            nbf_value = number_of(*nbf);
            if (!nbf_value || !std::isfinite(*nbf_value)) return std::nullopt;
        }

        if (issuer_) {
            const json::Value* iss = member(claims, "iss");
            if (iss == nullptr || iss->as_string() == nullptr || *iss->as_string() != *issuer_) return std::nullopt;
        }

        if (audience_ && !audience_matches(member(claims, "aud"))) return std::nullopt;

        const json::Value* tenant = member(claims, "tenant_id");
        if (tenant == nullptr || tenant->as_string() == nullptr) return std::nullopt;
        auto parsed = domain::TenantId::parse(*tenant->as_string());
        if (!parsed) return std::nullopt;
        return Claims{std::move(*parsed), *exp_value, nbf_value};
    }

    bool in_time(const Claims& claims) const {
        const double now =
            static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(clock_().time_since_epoch()).count());
        if (now > claims.exp + kLeewaySeconds) return false;
        return !claims.nbf || now + kLeewaySeconds >= *claims.nbf;
    }

    // Verified tokens by the SHA-256 of their bytes (no token is kept in memory): a client
    // sends the same token with every request, and verifying it again (two JSON parses and
    // libjwt's own, an HMAC or a signature check) was ~8% of a get by id's CPU.
    std::optional<Claims> remembered(const std::string& fingerprint) const {
        std::lock_guard lock(verified_mutex_);
        const auto found = verified_.find(fingerprint);
        if (found == verified_.end()) return std::nullopt;
        return found->second;
    }

    void remember(const std::string& fingerprint, const Claims& claims) const {
        std::lock_guard lock(verified_mutex_);
        // Bounded: when full, forgotten all at once (each is verified again on next use).
        if (verified_.size() >= kRememberedTokens) verified_.clear();
        verified_.insert_or_assign(fingerprint, claims);
    }

    // RFC 7519 §4.1.3: a single string or an array of strings, one of which must be ours.
    bool audience_matches(const json::Value* aud) const {
        if (aud == nullptr) return false;
        if (const auto* single = aud->as_string()) return *single == *audience_;
        if (const auto* list = aud->as_array()) {
            return std::any_of(list->begin(), list->end(), [&](const json::Value& entry) {
                return entry.as_string() != nullptr && *entry.as_string() == *audience_;
            });
        }
        return false;
    }

    jwt_alg_t alg_;
    std::string alg_name_;
    std::string key_;
    std::optional<std::string> issuer_;
    std::optional<std::string> audience_;
    AuthClock clock_;
    mutable std::mutex verified_mutex_;
    mutable std::unordered_map<std::string, Claims> verified_;
};

// RS256 for an RSA key (at least 2048 bits), ES256 for a P-256 key; anything else is refused.
domain::Result<jwt_alg_t> algorithm_for_public_key(const std::string& pem) {
    constexpr std::string_view kField = "LEADS_JWT_PUBLIC_KEY_FILE";
    std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) return domain::Error::internal("BIO_new_mem_buf failed");
    std::unique_ptr<EVP_PKEY, PkeyDeleter> key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        return domain::Error::validation(std::string(kField),
                                         "must hold a PEM public key (-----BEGIN PUBLIC KEY-----)");
    }
    switch (EVP_PKEY_get_base_id(key.get())) {
        case EVP_PKEY_RSA:
            if (EVP_PKEY_get_bits(key.get()) < 2048) {
                return domain::Error::validation(std::string(kField), "an RSA key must have at least 2048 bits");
            }
            return JWT_ALG_RS256;
        case EVP_PKEY_EC: {
            std::array<char, 64> group{};
            std::size_t length = 0;
            if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &length) == 1 &&
                std::string_view(group.data(), length) == "prime256v1") {
                return JWT_ALG_ES256;
            }
            return domain::Error::validation(std::string(kField), "an EC key must be on curve P-256 (ES256)");
        }
        default:
            return domain::Error::validation(std::string(kField), "must be an RSA (RS256) or P-256 (ES256) key");
    }
}

}  // namespace

domain::Result<std::shared_ptr<const Authenticator>> Authenticator::create(AuthSettings settings) {
    return create(std::move(settings), [] { return std::chrono::system_clock::now(); });
}

domain::Result<std::shared_ptr<const Authenticator>> Authenticator::create(AuthSettings settings, AuthClock clock) {
    if (settings.mode == AuthMode::Gateway) {
        return std::shared_ptr<const Authenticator>(std::make_shared<GatewayAuthenticator>());
    }
    if (!clock) return domain::Error::internal("Authenticator::create: no clock");
    // An empty issuer or audience is treated as not configured.
    if (settings.issuer && settings.issuer->empty()) settings.issuer.reset();
    if (settings.audience && settings.audience->empty()) settings.audience.reset();

    const bool has_secret = !settings.hs256_secret.empty();
    const bool has_key = !settings.public_key_pem.empty();
    if (auto checked = check_jwt_keys(settings.hs256_secret, has_key); !checked) return std::move(checked).error();
    if (has_secret) {
        std::string secret = std::move(settings.hs256_secret);
        return std::shared_ptr<const Authenticator>(std::make_shared<JwtAuthenticator>(
            JWT_ALG_HS256, std::move(secret), std::move(settings), std::move(clock)));
    }
    if (has_key) {
        auto alg = algorithm_for_public_key(settings.public_key_pem);
        if (!alg) return std::move(alg).error();
        std::string pem = std::move(settings.public_key_pem);
        return std::shared_ptr<const Authenticator>(
            std::make_shared<JwtAuthenticator>(*alg, std::move(pem), std::move(settings), std::move(clock)));
    }
    return domain::Error::internal("check_jwt_keys let jwt mode through without a key");
}

domain::Result<void> check_jwt_keys(std::string_view secret, bool has_public_key) {
    if (!secret.empty() && has_public_key) {
        return domain::Error::validation("LEADS_JWT_SECRET",
                                         "set only one of LEADS_JWT_SECRET and LEADS_JWT_PUBLIC_KEY_FILE");
    }
    if (secret.empty() && !has_public_key) {
        return domain::Error::validation("LEADS_AUTH_MODE",
                                         "is jwt, which needs LEADS_JWT_SECRET or LEADS_JWT_PUBLIC_KEY_FILE");
    }
    if (!secret.empty() && secret.size() < kMinSecretLength) {
        return domain::Error::validation("LEADS_JWT_SECRET",
                                         "must be at least 32 bytes long, got " + std::to_string(secret.size()));
    }
    return {};
}

}  // namespace leads::adapters::http
