// Authentication (CONTRACT §1): the JWT checks libjwt 1.10 does not do by itself, and the
// gateway header. Every token is made here: with libjwt, with OpenSSL directly (to prove
// interoperability with other signers), or by hand (for the malformed ones).
#include "adapters/http/api/auth.hpp"

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

namespace {

using leads::adapters::http::AuthClock;
using leads::adapters::http::Authenticator;
using leads::adapters::http::AuthMode;
using leads::adapters::http::AuthSettings;
using leads::adapters::http::Request;

constexpr long kNow = 1'750'000'000;  // the tests' fixed "now", in seconds since the epoch
const std::string kSecret = "0123456789abcdef0123456789abcdef-test-secret";

AuthClock fixed_clock() {
    return [] { return std::chrono::system_clock::time_point(std::chrono::seconds(kNow)); };
}

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

struct KeyPair {
    std::string private_pem;
    std::string public_pem;
    Pkey key;
};

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(length));
}

KeyPair pem_pair(Pkey key) {
    if (!key) throw std::runtime_error("key generation failed");
    std::unique_ptr<BIO, decltype(&BIO_free)> priv(BIO_new(BIO_s_mem()), BIO_free);
    std::unique_ptr<BIO, decltype(&BIO_free)> pub(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    PEM_write_bio_PUBKEY(pub.get(), key.get());
    return KeyPair{bio_text(priv.get()), bio_text(pub.get()), std::move(key)};
}

KeyPair rsa_pair(unsigned bits = 2048) {
    return pem_pair(Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))));
}

KeyPair ec_pair(const char* curve = "P-256") {
    return pem_pair(Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve)));
}

// RSA key generation is slow under the sanitizers: one pair of each, shared.
const KeyPair& rsa_key() {
    static const KeyPair pair = rsa_pair();
    return pair;
}
const KeyPair& other_rsa_key() {
    static const KeyPair pair = rsa_pair();
    return pair;
}
const KeyPair& ec_key() {
    static const KeyPair pair = ec_pair();
    return pair;
}

std::string b64url(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    std::uint32_t bits = 0;
    int count = 0;
    for (unsigned char c : bytes) {
        bits = (bits << 8) | c;
        count += 8;
        while (count >= 6) {
            count -= 6;
            out.push_back(kAlphabet[(bits >> count) & 0x3F]);
        }
    }
    if (count > 0) out.push_back(kAlphabet[(bits << (6 - count)) & 0x3F]);
    return out;
}

std::string claims(long exp_offset = 3600, const std::string& extra = R"("tenant_id":"tenant-a")") {
    return "{\"exp\":" + std::to_string(kNow + exp_offset) + (extra.empty() ? "" : "," + extra) + "}";
}

// libjwt signs: claims is a JSON object of grants.
std::string libjwt_token(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
    jwt_t* raw = nullptr;
    REQUIRE(jwt_new(&raw) == 0);
    std::unique_ptr<jwt_t, decltype(&jwt_free)> jwt(raw, jwt_free);
    REQUIRE(jwt_add_grants_json(jwt.get(), claims_json.c_str()) == 0);
    REQUIRE(jwt_set_alg(jwt.get(), alg, reinterpret_cast<const unsigned char*>(key.data()),
                        static_cast<int>(key.size())) == 0);
    char* encoded = jwt_encode_str(jwt.get());
    REQUIRE(encoded != nullptr);
    std::string token(encoded);
    std::free(encoded);  // libjwt 1.10 has no jwt_free_str
    return token;
}

// OpenSSL signs header.payload directly: RS256 as PKCS#1 v1.5, ES256 as the raw R||S of
// RFC 7518 §3.4 (OpenSSL produces DER, which is converted here).
std::string openssl_token(const KeyPair& pair, const std::string& header_json, const std::string& claims_json) {
    const std::string input = b64url(header_json) + "." + b64url(claims_json);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pair.key.get()) == 1);
    std::size_t length = 0;
    REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(input.data()),
                           input.size()) == 1);
    std::string signature(length, '\0');
    REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1);
    signature.resize(length);
    if (EVP_PKEY_get_base_id(pair.key.get()) == EVP_PKEY_EC) {
        const auto* der = reinterpret_cast<const unsigned char*>(signature.data());
        ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &der, static_cast<long>(signature.size()));
        REQUIRE(sig != nullptr);
        std::string raw(64, '\0');
        BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
        BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
        ECDSA_SIG_free(sig);
        signature = raw;
    }
    return input + "." + b64url(signature);
}

Request bearer(const std::string& token) {
    Request request;
    request.headers.push_back({"authorization", "Bearer " + token});
    return request;
}

std::shared_ptr<const Authenticator> make(AuthSettings settings) {
    auto created = Authenticator::create(std::move(settings), fixed_clock());
    REQUIRE(created.ok());
    return *created;
}

std::shared_ptr<const Authenticator> hs256(std::optional<std::string> issuer = std::nullopt,
                                           std::optional<std::string> audience = std::nullopt) {
    AuthSettings settings;
    settings.mode = AuthMode::Jwt;
    settings.hs256_secret = kSecret;
    settings.issuer = std::move(issuer);
    settings.audience = std::move(audience);
    return make(std::move(settings));
}

// HS256 with a clock that reads now (seconds since the epoch), which the test moves.
std::shared_ptr<const Authenticator> hs256_at(const long& now) {
    AuthSettings settings;
    settings.mode = AuthMode::Jwt;
    settings.hs256_secret = kSecret;
    auto created = Authenticator::create(
        std::move(settings), [&now] { return std::chrono::system_clock::time_point(std::chrono::seconds(now)); });
    REQUIRE(created.ok());
    return *created;
}

std::shared_ptr<const Authenticator> with_public_key(const std::string& pem) {
    AuthSettings settings;
    settings.mode = AuthMode::Jwt;
    settings.public_key_pem = pem;
    return make(std::move(settings));
}

std::optional<std::string> tenant_of(const Authenticator& auth, const Request& request) {
    auto tenant = auth.authenticate(request);
    if (!tenant) return std::nullopt;
    return tenant->value();
}

}  // namespace

TEST_CASE("a valid HS256 token names its tenant", "[auth][jwt]") {
    auto auth = hs256();
    CHECK(auth->mode() == AuthMode::Jwt);
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims()))) == "tenant-a");
    // The scheme is case-insensitive (RFC 9110 §11.1).
    Request lower;
    lower.headers.push_back({"authorization", "bearer " + libjwt_token(JWT_ALG_HS256, kSecret, claims())});
    CHECK(tenant_of(*auth, lower) == "tenant-a");
}

TEST_CASE("valid RS256 and ES256 tokens, from libjwt and from OpenSSL directly", "[auth][jwt]") {
    auto rs = with_public_key(rsa_key().public_pem);
    CHECK(tenant_of(*rs, bearer(libjwt_token(JWT_ALG_RS256, rsa_key().private_pem, claims()))) == "tenant-a");
    CHECK(tenant_of(*rs, bearer(openssl_token(rsa_key(), R"({"alg":"RS256","typ":"JWT"})", claims()))) == "tenant-a");

    auto es = with_public_key(ec_key().public_pem);
    CHECK(tenant_of(*es, bearer(libjwt_token(JWT_ALG_ES256, ec_key().private_pem, claims()))) == "tenant-a");
    CHECK(tenant_of(*es, bearer(openssl_token(ec_key(), R"({"alg":"ES256","typ":"JWT"})", claims()))) == "tenant-a");

    // Each is bound to its own algorithm.
    CHECK_FALSE(tenant_of(*rs, bearer(libjwt_token(JWT_ALG_ES256, ec_key().private_pem, claims()))));
    CHECK_FALSE(tenant_of(*es, bearer(libjwt_token(JWT_ALG_RS256, rsa_key().private_pem, claims()))));
}

TEST_CASE("alg none is rejected", "[auth][jwt]") {
    auto auth = hs256();
    const std::string unsigned_part = b64url(R"({"alg":"none","typ":"JWT"})") + "." + b64url(claims());
    CHECK_FALSE(auth->authenticate(bearer(unsigned_part + ".")));
    CHECK_FALSE(auth->authenticate(bearer(unsigned_part + "." + b64url("x"))));
    const std::string none_lower = b64url(R"({"alg":"None"})") + "." + b64url(claims()) + "." + b64url("x");
    CHECK_FALSE(auth->authenticate(bearer(none_lower)));
}

TEST_CASE("another algorithm than the configured one is rejected", "[auth][jwt]") {
    auto auth = hs256();
    // Same secret, stronger hash: still not what was configured.
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS512, kSecret, claims()))));
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS384, kSecret, claims()))));

    // The classic confusion: HS256 keyed with the RSA public key (which is public).
    auto rs = with_public_key(rsa_key().public_pem);
    CHECK_FALSE(rs->authenticate(bearer(libjwt_token(JWT_ALG_HS256, rsa_key().public_pem, claims()))));
    auto es = with_public_key(ec_key().public_pem);
    CHECK_FALSE(es->authenticate(bearer(libjwt_token(JWT_ALG_HS256, ec_key().public_pem, claims()))));
}

TEST_CASE("a token signed with another key is rejected", "[auth][jwt]") {
    auto auth = hs256();
    CHECK_FALSE(auth->authenticate(
        bearer(libjwt_token(JWT_ALG_HS256, "another-secret-of-enough-length-0123456789", claims()))));
    auto rs = with_public_key(rsa_key().public_pem);
    CHECK_FALSE(rs->authenticate(bearer(libjwt_token(JWT_ALG_RS256, other_rsa_key().private_pem, claims()))));

    // A valid signature over other claims: the payload swapped after signing.
    const std::string good = libjwt_token(JWT_ALG_HS256, kSecret, claims());
    const auto dot1 = good.find('.');
    const auto dot2 = good.find('.', dot1 + 1);
    const std::string forged =
        good.substr(0, dot1 + 1) + b64url(claims(3600, R"("tenant_id":"tenant-b")")) + good.substr(dot2);
    CHECK_FALSE(auth->authenticate(bearer(forged)));
}

TEST_CASE("exp is required and enforced with 60 s leeway", "[auth][jwt]") {
    auto auth = hs256();
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(-61)))));
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(-3600)))));
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(-59)))) == "tenant-a");
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(0)))) == "tenant-a");

    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, R"({"tenant_id":"tenant-a"})"))));
    const std::string exp_as_string = R"({"exp":")" + std::to_string(kNow + 3600) + R"(","tenant_id":"t"})";
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, exp_as_string))));
    // A fractional NumericDate is a number too.
    const std::string fractional = R"({"exp":)" + std::to_string(kNow + 10) + R"(.5,"tenant_id":"tenant-a"})";
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, fractional))) == "tenant-a");
}

TEST_CASE("nbf is enforced when present", "[auth][jwt]") {
    auto auth = hs256();
    const auto with_nbf = [](long offset) {
        return claims(3600, R"("tenant_id":"tenant-a","nbf":)" + std::to_string(kNow + offset));
    };
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, with_nbf(120)))));
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, with_nbf(61)))));
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, with_nbf(30)))) == "tenant-a");
    CHECK(tenant_of(*auth, bearer(libjwt_token(JWT_ALG_HS256, kSecret, with_nbf(-30)))) == "tenant-a");
    CHECK_FALSE(auth->authenticate(
        bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(3600, R"("tenant_id":"tenant-a","nbf":"soon")")))));
}

TEST_CASE("iss and aud are checked when configured", "[auth][jwt]") {
    auto auth = hs256("https://issuer.example", "leads-api");
    const auto token = [](const std::string& extra) {
        return bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(3600, R"("tenant_id":"tenant-a",)" + extra)));
    };
    CHECK(tenant_of(*auth, token(R"("iss":"https://issuer.example","aud":"leads-api")")) == "tenant-a");
    CHECK(tenant_of(*auth, token(R"("iss":"https://issuer.example","aud":["other","leads-api"])")) == "tenant-a");
    CHECK_FALSE(auth->authenticate(token(R"("iss":"https://evil.example","aud":"leads-api")")));
    CHECK_FALSE(auth->authenticate(token(R"("aud":"leads-api")")));
    CHECK_FALSE(auth->authenticate(token(R"("iss":"https://issuer.example","aud":"other")")));
    CHECK_FALSE(auth->authenticate(token(R"("iss":"https://issuer.example","aud":["other"])")));
    CHECK_FALSE(auth->authenticate(token(R"("iss":"https://issuer.example","aud":[1])")));
    CHECK_FALSE(auth->authenticate(token(R"("iss":"https://issuer.example")")));
    CHECK_FALSE(auth->authenticate(token(R"("iss":["https://issuer.example"],"aud":"leads-api")")));

    // Not configured: not checked.
    auto open = hs256();
    CHECK(tenant_of(*open, token(R"("iss":"anyone","aud":"anything")")) == "tenant-a");
}

TEST_CASE("tenant_id must be a string of the tenant pattern", "[auth][jwt]") {
    auto auth = hs256();
    const auto token = [](const std::string& extra) {
        return bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(3600, extra)));
    };
    CHECK(tenant_of(*auth, token(R"("tenant_id":"Tenant_1-x")")) == "Tenant_1-x");
    CHECK(tenant_of(*auth, token(R"("tenant_id":")" + std::string(64, 'a') + "\"")) == std::string(64, 'a'));
    CHECK_FALSE(auth->authenticate(token("")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":42)")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":null)")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":["a"])")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":"")")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":"a b")")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":"a/b")")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant_id":")" + std::string(65, 'a') + "\"")));
    CHECK_FALSE(auth->authenticate(token(R"("tenant":"tenant-a")")));
}

TEST_CASE("malformed tokens are rejected", "[auth][jwt]") {
    auto auth = hs256();
    const std::string good = libjwt_token(JWT_ALG_HS256, kSecret, claims());
    REQUIRE(auth->authenticate(bearer(good)));
    const auto dot1 = good.find('.');
    const auto dot2 = good.find('.', dot1 + 1);
    const std::string header = good.substr(0, dot1);
    const std::string payload = good.substr(dot1 + 1, dot2 - dot1 - 1);
    const std::string signature = good.substr(dot2 + 1);

    for (const std::string& token : {
             std::string("garbage"),
             std::string("a.b"),
             header + "." + payload,
             good + ".extra",
             good + ".",
             "." + payload + "." + signature,
             header + ".." + signature,
             header + "." + payload + ".",
             "!!!." + payload + "." + signature,
             header + "." + payload + "." + signature + "=",
             header + "." + payload + "." + signature.substr(0, signature.size() - 1) + "*",
             b64url("not json") + "." + payload + "." + signature,
             b64url(R"(["HS256"])") + "." + payload + "." + signature,
             b64url(R"({"alg":"HS256","alg":"none"})") + "." + payload + "." + signature,
             b64url(R"({"alg":"HS256","crit":["exp"]})") + "." + payload + "." + signature,
             header + "." + b64url("[1,2]") + "." + signature,
             std::string(9000, 'a'),
         }) {
        CAPTURE(token);
        CHECK_FALSE(auth->authenticate(bearer(token)));
    }
    // Duplicate claims are ambiguous even when correctly signed.
    const std::string dup_payload =
        b64url(R"({"exp":)" + std::to_string(kNow + 3600) + R"(,"tenant_id":"tenant-a","tenant_id":"tenant-b"})");
    CHECK_FALSE(auth->authenticate(bearer(header + "." + dup_payload + "." + signature)));
}

TEST_CASE("a missing header, another scheme or two headers are rejected", "[auth][jwt]") {
    auto auth = hs256();
    const std::string good = libjwt_token(JWT_ALG_HS256, kSecret, claims());
    CHECK_FALSE(auth->authenticate(Request{}));

    for (const std::string& value : {"Basic " + good, "Token " + good, std::string("Bearer"), std::string("Bearer "),
                                     std::string("Bearer  "), good, "Bearer:" + good, "Bearer " + good + " extra"}) {
        CAPTURE(value);
        Request request;
        request.headers.push_back({"authorization", value});
        CHECK_FALSE(auth->authenticate(request));
    }
    Request twice = bearer(good);
    twice.headers.push_back({"authorization", "Bearer " + good});
    CHECK_FALSE(auth->authenticate(twice));

    // The gateway header means nothing in jwt mode.
    Request gateway_only;
    gateway_only.headers.push_back({"x-tenant-id", "tenant-a"});
    CHECK_FALSE(auth->authenticate(gateway_only));
}

TEST_CASE("the clock given at construction is the one used", "[auth][jwt]") {
    long now = kNow;
    auto created = hs256_at(now);
    const auto token = bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims(100)));
    CHECK(created->authenticate(token));
    now += 161;
    CHECK_FALSE(created->authenticate(token));

    // The default clock is the system's: a token valid for the next hour passes.
    AuthSettings settings;
    settings.mode = AuthMode::Jwt;
    settings.hs256_secret = kSecret;
    auto system = Authenticator::create(settings);
    REQUIRE(system.ok());
    const long real_now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string live = R"({"exp":)" + std::to_string(real_now + 3600) + R"(,"tenant_id":"tenant-a"})";
    CHECK((*system)->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, live))));
}

// Verified tokens are remembered (by their bytes' SHA-256) so that a client's every request
// does not verify the same token again: what may change between uses must still be checked.
TEST_CASE("a remembered token is still refused once expired or not yet valid, and only its exact bytes are remembered",
          "[auth][jwt]") {
    long now = kNow;
    auto created = hs256_at(now);
    const Authenticator& auth = *created;

    const std::string token = libjwt_token(JWT_ALG_HS256, kSecret,
                                           claims(100, R"("tenant_id":"tenant-a","nbf":)" + std::to_string(kNow - 30)));
    CHECK(tenant_of(auth, bearer(token)) == "tenant-a");
    CHECK(tenant_of(auth, bearer(token)) == "tenant-a");
    // The same bytes with another signature, or another payload under the same signature.
    std::string resigned = token;
    resigned.back() = resigned.back() == 'A' ? 'B' : 'A';
    CHECK_FALSE(auth.authenticate(bearer(resigned)));
    const std::string forged_payload = b64url(claims(100, R"("tenant_id":"tenant-b")"));
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = token.find('.', dot1 + 1);
    const std::string forged = token.substr(0, dot1 + 1) + forged_payload + token.substr(dot2);
    CHECK_FALSE(auth.authenticate(bearer(forged)));
    CHECK(tenant_of(auth, bearer(token)) == "tenant-a");

    now = kNow - 91;  // before nbf - leeway
    CHECK_FALSE(auth.authenticate(bearer(token)));
    now = kNow + 161;  // past exp + leeway
    CHECK_FALSE(auth.authenticate(bearer(token)));
    now = kNow;
    CHECK(tenant_of(auth, bearer(token)) == "tenant-a");
}

TEST_CASE("settings that cannot work are refused at start-up, naming the variable", "[auth][config]") {
    const auto refused = [](AuthSettings settings) {
        settings.mode = AuthMode::Jwt;
        auto created = Authenticator::create(std::move(settings), fixed_clock());
        REQUIRE_FALSE(created.ok());
        CHECK(created.error().kind == leads::domain::ErrorKind::Validation);
        REQUIRE_FALSE(created.error().details.empty());
        return created.error().details.front().field;
    };
    CHECK(refused(AuthSettings{}) == "LEADS_AUTH_MODE");  // jwt mode without a key
    CHECK(refused(AuthSettings{AuthMode::Jwt, std::string(31, 'x'), "", {}, {}}) == "LEADS_JWT_SECRET");
    CHECK(refused(AuthSettings{AuthMode::Jwt, kSecret, rsa_key().public_pem, {}, {}}) == "LEADS_JWT_SECRET");
    CHECK(refused(AuthSettings{AuthMode::Jwt, "", "not a pem", {}, {}}) == "LEADS_JWT_PUBLIC_KEY_FILE");
    CHECK(refused(AuthSettings{AuthMode::Jwt, "", rsa_key().private_pem, {}, {}}) == "LEADS_JWT_PUBLIC_KEY_FILE");
    CHECK(refused(AuthSettings{AuthMode::Jwt, "", ec_pair("P-384").public_pem, {}, {}}) == "LEADS_JWT_PUBLIC_KEY_FILE");
    CHECK(refused(AuthSettings{AuthMode::Jwt, "", rsa_pair(1024).public_pem, {}, {}}) == "LEADS_JWT_PUBLIC_KEY_FILE");
    CHECK(Authenticator::create(AuthSettings{AuthMode::Jwt, std::string(32, 'x'), "", {}, {}}, fixed_clock()).ok());
}

TEST_CASE("gateway mode trusts a well-formed X-Tenant-Id", "[auth][gateway]") {
    auto auth = make(AuthSettings{});
    CHECK(auth->mode() == AuthMode::Gateway);
    const auto with = [](std::vector<std::string> values) {
        Request request;
        for (auto& v : values) request.headers.push_back({"x-tenant-id", std::move(v)});
        return request;
    };
    CHECK(tenant_of(*auth, with({"tenant-a"})) == "tenant-a");
    CHECK(tenant_of(*auth, with({"A_b-9"})) == "A_b-9");
    CHECK_FALSE(auth->authenticate(Request{}));
    CHECK_FALSE(auth->authenticate(with({""})));
    CHECK_FALSE(auth->authenticate(with({"a b"})));
    CHECK_FALSE(auth->authenticate(with({"tenant.a"})));
    CHECK_FALSE(auth->authenticate(with({std::string(65, 'a')})));
    CHECK_FALSE(auth->authenticate(with({"tenant-a", "tenant-b"})));  // ambiguous
    // A bearer token means nothing in gateway mode.
    CHECK_FALSE(auth->authenticate(bearer(libjwt_token(JWT_ALG_HS256, kSecret, claims()))));
}

TEST_CASE("jwt key rules: exactly one key, a secret of 32 bytes or more", "[auth][config]") {
    using leads::adapters::http::check_jwt_keys;
    CHECK(check_jwt_keys(std::string(32, 's'), false).ok());
    CHECK(check_jwt_keys("", true).ok());
    const auto field_of = [](const leads::domain::Result<void>& result) {
        REQUIRE_FALSE(result.ok());
        return result.error().details.at(0).field;
    };
    CHECK(field_of(check_jwt_keys(std::string(31, 's'), false)) == "LEADS_JWT_SECRET");
    CHECK(field_of(check_jwt_keys(std::string(32, 's'), true)) == "LEADS_JWT_SECRET");
    CHECK(field_of(check_jwt_keys("", false)) == "LEADS_AUTH_MODE");
}
