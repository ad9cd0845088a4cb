// Standard Webhooks 1.0 signatures and secrets. Expected values come from the spec's own
// example and from Python's hmac/base64 (an independent implementation).
#include "adapters/webhooks/signature.hpp"

#include <catch2/catch.hpp>

namespace webhooks = leads::adapters::webhooks;

namespace {

std::string bytes_from(int first, int step) {
    std::string key;
    for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>((first + step * i) & 0xFF));
    return key;
}

const std::string kBody = "{\"id\":\"evt_1\",\"sequence\":7,\"type\":\"lead.created\",\"data\":{\"x\":\"\xc3\xa9\"}}";

}  // namespace

TEST_CASE("the Standard Webhooks example signs as the spec says", "[webhooks][signature]") {
    const auto key = webhooks::secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    REQUIRE(key.has_value());
    CHECK(webhooks::sign(*key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, "{\"test\": 2432232314}") ==
          "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("a secret is whsec_ and the base64 of its key, and signs the id, timestamp and body bytes",
          "[webhooks][signature]") {
    std::array<std::uint8_t, webhooks::kKeyBytes> raw{};
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
    const std::string secret = webhooks::make_secret(raw);
    CHECK(secret == "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    const auto key = webhooks::secret_key(secret);
    REQUIRE(key.has_value());
    CHECK(*key == bytes_from(0, 1));
    CHECK(webhooks::sign(*key, "evt_01JTEST", 1733400000, kBody) == "v1,dPTernNjlNN+x/yCKARRqKYfircfxNhjdfNo+KZ3jRA=");
    // Any other id, instant or body byte gives another signature.
    CHECK(webhooks::sign(*key, "evt_01JTESU", 1733400000, kBody) !=
          webhooks::sign(*key, "evt_01JTEST", 1733400000, kBody));
    CHECK(webhooks::sign(*key, "evt_01JTEST", 1733400001, kBody) !=
          webhooks::sign(*key, "evt_01JTEST", 1733400000, kBody));
    CHECK(webhooks::sign(*key, "evt_01JTEST", 1733400000, kBody + " ") !=
          webhooks::sign(*key, "evt_01JTEST", 1733400000, kBody));
}

TEST_CASE("after a rotation both keys sign, space-separated, the current one first", "[webhooks][signature]") {
    const std::vector<std::string> keys{bytes_from(255, -1), bytes_from(0, 1)};
    CHECK(webhooks::signature_header(keys, "evt_01JTEST", 1733400000, kBody) ==
          "v1,pFM0AfvadolHBSZNYKbU2PPZRpyH4Efe0D5aU3QRlhs= v1,dPTernNjlNN+x/yCKARRqKYfircfxNhjdfNo+KZ3jRA=");
    CHECK(webhooks::signature_header({keys[1]}, "evt_01JTEST", 1733400000, kBody) ==
          "v1,dPTernNjlNN+x/yCKARRqKYfircfxNhjdfNo+KZ3jRA=");
}

TEST_CASE("a secret that is not whsec_ and base64 of 24 to 64 bytes is refused", "[webhooks][signature]") {
    CHECK_FALSE(webhooks::secret_key(""));
    CHECK_FALSE(webhooks::secret_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));        // no prefix
    CHECK_FALSE(webhooks::secret_key("whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));   // another prefix
    CHECK_FALSE(webhooks::secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"));   // not whole quanta
    CHECK_FALSE(webhooks::secret_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa!w"));  // not base64
    CHECK_FALSE(webhooks::secret_key("whsec_MfKQ=r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // padding inside
    CHECK_FALSE(webhooks::secret_key("whsec_AAECAwQFBgcICQoLDA0ODxAREhMU"));      // 21 bytes
    CHECK(webhooks::secret_key("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").value().size() == 24);
    CHECK_FALSE(webhooks::secret_key("whsec_" + webhooks::base64(std::string(65, 'k'))));
    CHECK(webhooks::secret_key("whsec_" + webhooks::base64(std::string(64, 'k'))).value() == std::string(64, 'k'));
}

TEST_CASE("base64 round-trips every length, padding included", "[webhooks][signature]") {
    CHECK(webhooks::base64("") == "");
    CHECK(webhooks::base64("f") == "Zg==");
    CHECK(webhooks::base64("fo") == "Zm8=");
    CHECK(webhooks::base64("foo") == "Zm9v");
    for (std::size_t length = 0; length < 70; ++length) {
        const std::string bytes =
            bytes_from(static_cast<int>(length) * 7, 13).substr(0, std::min<std::size_t>(length, 32)) +
            std::string(length > 32 ? length - 32 : 0, '\xff');
        CHECK(webhooks::unbase64(webhooks::base64(bytes)) == bytes);
    }
}
