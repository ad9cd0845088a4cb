#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace spdlog {
class formatter;
}

// Structured logging: every line on stdout is one JSON object
// {"ts": "...Z", "level": "...", "request_id": "..."?, "msg": "...", ...fields}.
namespace leads::adapters::logging {

// Appends text as a JSON string literal (quoted, escaped; invalid UTF-8 bytes become U+FFFD).
void append_json_string(std::string& out, std::string_view text);

// The spdlog formatter that writes those lines. Plain messages become "msg"; messages
// built with Fields are spliced in as top-level fields. The request id of the current
// thread (RequestIdScope) is added when there is one.
std::unique_ptr<spdlog::formatter> make_json_formatter();

// Builds a message with extra top-level fields: Fields("access").add("status", 200).str().
class Fields {
  public:
    explicit Fields(std::string_view msg);
    Fields& add(std::string_view key, std::string_view value);
    Fields& add(std::string_view key, const char* value) { return add(key, std::string_view(value)); }
    Fields& add(std::string_view key, std::int64_t value);
    Fields& add(std::string_view key, double value);
    const std::string& str() const { return text_; }

  private:
    std::string text_;
};

// Every log line written on this thread while the scope lives carries this request id.
class RequestIdScope {
  public:
    explicit RequestIdScope(std::string_view request_id);
    ~RequestIdScope();
    RequestIdScope(const RequestIdScope&) = delete;
    RequestIdScope& operator=(const RequestIdScope&) = delete;

  private:
    std::string previous_;
};

std::string_view current_request_id();

}  // namespace leads::adapters::logging
