#include "adapters/sql/json_codec.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <limits>
#include <type_traits>
#include <variant>

namespace leads::adapters::sql {

namespace {

// What the database holds is the adapter's own output, but a hand-edited row must not
// make the parser recurse without bound: nesting is rejected anyway.
constexpr auto kParseFlags = rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag |
                             rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag;

domain::Error corrupt(std::string_view what) {
    return domain::Error::internal("stored JSON is not a flat object: " + std::string(what));
}

}  // namespace

domain::Result<std::string> encode_attributes(const domain::Attributes& attributes) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartObject();
    for (const auto& [key, value] : attributes) {
        writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
        bool written = std::visit(
            [&writer](const auto& v) -> bool {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::string>) {
                    return writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    return writer.Int64(v);
                } else if constexpr (std::is_same_v<T, double>) {
                    return std::isfinite(v) && writer.Double(v);
                } else {
                    return writer.Bool(v);
                }
            },
            value);
        if (!written) return domain::Error::internal("attribute value cannot be stored as JSON");
    }
    writer.EndObject();
    return std::string(buffer.GetString(), buffer.GetSize());
}

domain::Result<domain::Attributes> decode_attributes(std::string_view json) {
    rapidjson::Document document;
    document.Parse<kParseFlags>(json.data(), json.size());
    if (document.HasParseError()) return corrupt(rapidjson::GetParseError_En(document.GetParseError()));
    if (!document.IsObject()) return corrupt("not an object");

    domain::Attributes attributes;
    for (const auto& member : document.GetObject()) {
        std::string key(member.name.GetString(), member.name.GetStringLength());
        const auto& value = member.value;
        domain::AttributeValue decoded;
        if (value.IsString()) {
            decoded = std::string(value.GetString(), value.GetStringLength());
        } else if (value.IsBool()) {
            decoded = value.GetBool();
        } else if (value.IsInt64()) {
            decoded = static_cast<std::int64_t>(value.GetInt64());
        } else if (value.IsNumber()) {
            // Doubles, and integers beyond int64 (never written by this adapter).
            decoded = value.GetDouble();
        } else {
            return corrupt("value of \"" + key + "\" is not a string, number or boolean");
        }
        if (!attributes.emplace(std::move(key), std::move(decoded)).second) return corrupt("duplicate key");
    }
    return attributes;
}

}  // namespace leads::adapters::sql
