#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/message.hpp"
#include "domain/ids.hpp"
#include "domain/result.hpp"

// Who is calling: CONTRACT §1. Owned by the HTTP adapter; configured by bootstrap.
namespace leads::adapters::http {

enum class AuthMode { Jwt, Gateway };

struct AuthSettings {
    AuthMode mode = AuthMode::Gateway;
    std::string hs256_secret;    // LEADS_JWT_SECRET (>= 32 bytes) ...
    std::string public_key_pem;  // ... or the contents of LEADS_JWT_PUBLIC_KEY_FILE (RS256 or ES256, by key type)
    std::optional<std::string> issuer;
    std::optional<std::string> audience;
};

// The key rules of jwt mode, in one place (checked again by create): exactly one of a
// secret and a public key, and a secret of at least 32 bytes. Validation names the variable.
domain::Result<void> check_jwt_keys(std::string_view secret, bool has_public_key);

// The time exp/nbf are checked against; tests substitute their own.
using AuthClock = std::function<std::chrono::system_clock::time_point()>;

class Authenticator {
  public:
    // Fails (Validation, naming the variable) for a short secret, an unreadable key, or
    // jwt mode without a key.
    static domain::Result<std::shared_ptr<const Authenticator>> create(AuthSettings settings);
    // The same, with the clock given (the one above uses the system clock).
    static domain::Result<std::shared_ptr<const Authenticator>> create(AuthSettings settings, AuthClock clock);
    virtual ~Authenticator() = default;

    // The caller's tenant, or nullopt when the identity is missing or invalid.
    virtual std::optional<domain::TenantId> authenticate(const Request& request) const = 0;
    virtual AuthMode mode() const = 0;
};

}  // namespace leads::adapters::http
