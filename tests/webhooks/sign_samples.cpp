// Prints signed sample deliveries, one JSON object per line, for verify.js to check with an
// independent Standard Webhooks implementation: random keys, ids and bodies (Unicode and
// JSON escapes included; always JSON, which the checker parses), the current time, and after
// a rotation two signatures.
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "adapters/webhooks/signature.hpp"

namespace webhooks = leads::adapters::webhooks;

namespace {

std::string json_string(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (byte < 0x20) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", byte);
            out += escape;
        } else {
            out.push_back(c);
        }
    }
    return out + "\"";
}

}  // namespace

int main() {
    std::random_device device;
    std::mt19937_64 random(device());
    const auto secret = [&] {
        std::array<std::uint8_t, webhooks::kKeyBytes> key{};
        for (auto& byte : key) byte = static_cast<std::uint8_t>(random());
        return webhooks::make_secret(key);
    };
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    const std::vector<std::string> bodies{
        "{}",
        R"({"id":"evt_01JX","sequence":1042,"type":"lead.updated","data":{"changed":["status"]}})",
        "{\"data\":{\"lead\":{\"first_name\":\"Ren\xc3\xa9\x65 \xe6\x9d\x8e "
        "\xf0\x9f\x98\x80\",\"note\":\"a\\\"b\\\\c\\n\"}}}",
        "{\"pad\":\"" + std::string(20000, 'x') + "\"}",
    };
    for (std::size_t i = 0; i < bodies.size() * 3; ++i) {
        const std::string current = secret();
        const std::string previous = secret();
        const std::string id = "evt_" + std::to_string(random());
        const std::string& body = bodies[i % bodies.size()];
        const bool rotated = i % 3 == 2;
        std::vector<std::string> keys{webhooks::secret_key(current).value()};
        if (rotated) keys.push_back(webhooks::secret_key(previous).value());
        std::printf("{\"secrets\":[%s%s],\"id\":%s,\"timestamp\":%lld,\"body\":%s,\"signature\":%s}\n",
                    json_string(current).c_str(), rotated ? ("," + json_string(previous)).c_str() : "",
                    json_string(id).c_str(), static_cast<long long>(now), json_string(body).c_str(),
                    json_string(webhooks::signature_header(keys, id, now, body)).c_str());
    }
    return 0;
}
