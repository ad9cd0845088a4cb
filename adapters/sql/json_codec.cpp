#include "adapters/sql/json_codec.hpp"

#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <variant>

#include "adapters/sql/rows.hpp"

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
                    // As the API writes it (domain::attribute_text): PostgreSQL's attribute
                    // filter compares this stored text.
                    if (!std::isfinite(v)) return false;
                    const std::string text = domain::attribute_text(domain::AttributeValue{v});
                    return writer.RawValue(text.data(), text.size(), rapidjson::kNumberType);
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

namespace {

// Builds the attributes straight from the parser's events: no document tree, and none of
// the 64 KiB allocation a rapidjson::Document makes for each one (a list page decodes 50;
// decoding was ~10% of a list request's CPU). Returning false stops the parse; problem_
// then says why when the grammar itself was fine.
class FlatObjectHandler final : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, FlatObjectHandler> {
  public:
    bool StartObject() {
        if (depth_++ == 0) return true;
        return fail("nested object");
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        return true;
    }
    bool StartArray() { return depth_ == 0 ? fail("not an object") : fail("value of \"" + key_ + "\" is an array"); }
    bool Key(const char* text, rapidjson::SizeType length, bool) {
        key_.assign(text, length);
        return true;
    }
    bool String(const char* text, rapidjson::SizeType length, bool) {
        return depth_ == 0 ? fail("not an object") : add(std::string(text, length));
    }
    bool Bool(bool value) { return depth_ == 0 ? fail("not an object") : add(value); }
    bool Int(int value) { return Int64(value); }
    bool Uint(unsigned value) { return Int64(value); }
    bool Int64(std::int64_t value) { return depth_ == 0 ? fail("not an object") : add(value); }
    bool Uint64(std::uint64_t value) {
        // Integers beyond int64 (never written by this adapter) read as doubles.
        if (value <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return Int64(static_cast<std::int64_t>(value));
        }
        return Double(static_cast<double>(value));
    }
    bool Double(double value) { return depth_ == 0 ? fail("not an object") : add(value); }
    bool Null() {
        return depth_ == 0 ? fail("not an object")
                           : fail("value of \"" + key_ + "\" is not a string, number or boolean");
    }

    domain::Attributes attributes;
    std::string problem;

  private:
    bool add(domain::AttributeValue value) {
        if (!attributes.emplace(key_, std::move(value)).second) return fail("duplicate key");
        return true;
    }
    bool fail(std::string why) {
        problem = std::move(why);
        return false;
    }

    int depth_ = 0;
    std::string key_;
};

}  // namespace

domain::Result<domain::Attributes> decode_attributes(std::string_view json) {
    FlatObjectHandler handler;
    rapidjson::MemoryStream memory(json.data(), json.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> input(memory);
    rapidjson::Reader reader;
    const rapidjson::ParseResult parsed = reader.Parse<kParseFlags>(input, handler);
    if (!handler.problem.empty()) return corrupt(handler.problem);
    if (parsed.IsError()) return corrupt(rapidjson::GetParseError_En(parsed.Code()));
    return std::move(handler.attributes);
}

std::string encode_event_rows(std::span<const ports::StoredEvent> events) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    const auto text = [&writer](const char* key, std::string_view value) {
        writer.Key(key);
        writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    };
    writer.StartArray();
    long long n = 0;
    for (const ports::StoredEvent& event : events) {
        writer.StartObject();
        writer.Key("n");
        writer.Int64(n++);
        text("id", event.id.value());
        text("type", domain::to_string(event.type));
        writer.Key("ts");
        writer.Int64(millis(event.timestamp));
        text("workspace", event.workspace.value());
        text("lead_id", event.lead_id.value());
        text("data", event.data);
        writer.EndObject();
    }
    writer.EndArray();
    return std::string(buffer.GetString(), buffer.GetSize());
}

std::string encode_strings(const std::vector<std::string>& values) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    writer.StartArray();
    for (const std::string& value : values) writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    writer.EndArray();
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace leads::adapters::sql
