#include "adapters/logging/json_log.hpp"

#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "domain/text.hpp"
#include "domain/time.hpp"

namespace leads::adapters::logging {
namespace {

// Marks a payload made by Fields: the rest is a fragment of JSON members. The unit
// separator never occurs in an ordinary message.
constexpr char kFieldsMarker = '\x1f';

thread_local std::string t_request_id;

void append_timestamp(std::string& out, std::chrono::system_clock::time_point time) {
    out.push_back('"');
    out += domain::format_rfc3339(std::chrono::floor<std::chrono::milliseconds>(time));
    out.push_back('"');
}

std::string_view level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace:
            return "trace";
        case spdlog::level::debug:
            return "debug";
        case spdlog::level::info:
            return "info";
        case spdlog::level::warn:
            return "warn";
        case spdlog::level::err:
            return "error";
        case spdlog::level::critical:
            return "critical";
        default:
            return "off";
    }
}

class JsonFormatter final : public spdlog::formatter {
  public:
    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        std::string line;
        line.reserve(256);
        line += "{\"ts\":";
        append_timestamp(line, msg.time);
        line += ",\"level\":\"";
        line += level_name(msg.level);
        line.push_back('"');
        if (!t_request_id.empty()) {
            line += ",\"request_id\":";
            append_json_string(line, t_request_id);
        }
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        if (!payload.empty() && payload.front() == kFieldsMarker) {
            line.append(payload.substr(1));
        } else {
            line += ",\"msg\":";
            append_json_string(line, payload);
        }
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (c < 0x20 || c == 0x7f) {
                        out += "\\u00";
                        out.push_back(kHex[c >> 4]);
                        out.push_back(kHex[c & 0xf]);
                    } else {
                        out.push_back(static_cast<char>(c));
                    }
            }
            ++i;
            continue;
        }
        if (const auto length = domain::utf8_sequence_length(text, i); length > 0) {
            out.append(text.substr(i, length));
            i += length;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out.push_back('"');
}

std::unique_ptr<spdlog::formatter> make_json_formatter() { return std::make_unique<JsonFormatter>(); }

Fields::Fields(std::string_view msg) {
    text_.reserve(256);  // an access-log line's fields, without growing on the way
    text_.push_back(kFieldsMarker);
    add("msg", msg);
}

Fields& Fields::add(std::string_view key, std::string_view value) {
    text_.push_back(',');
    append_json_string(text_, key);
    text_.push_back(':');
    append_json_string(text_, value);
    return *this;
}

Fields& Fields::add(std::string_view key, std::int64_t value) {
    text_.push_back(',');
    append_json_string(text_, key);
    text_.push_back(':');
    text_ += std::to_string(value);
    return *this;
}

Fields& Fields::add(std::string_view key, double value) {
    text_.push_back(',');
    append_json_string(text_, key);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, ":%.3f", value);
    text_ += buffer;
    return *this;
}

// Copied in and out rather than moved: the thread's string keeps its buffer, so a request's
// scope allocates nothing once the thread has served one.
RequestIdScope::RequestIdScope(std::string_view request_id) : previous_(t_request_id) {
    t_request_id.assign(request_id);
}

RequestIdScope::~RequestIdScope() { t_request_id.assign(previous_); }

std::string_view current_request_id() { return t_request_id; }

}  // namespace leads::adapters::logging
