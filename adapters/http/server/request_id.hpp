#pragma once

#include <string>
#include <string_view>

namespace leads::adapters::http {

inline constexpr std::size_t kMaxRequestIdLength = 128;

// A client's X-Request-Id is echoed only when it is 1..128 visible ASCII characters, so it
// is safe in headers and logs.
bool is_acceptable_request_id(std::string_view id);

// 32 lower-case hex digits (128 random bits).
std::string generate_request_id();

}  // namespace leads::adapters::http
