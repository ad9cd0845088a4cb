#pragma once

#include <optional>
#include <string>
#include <string_view>

// ASCII text helpers for HTTP syntax (tokens, header values, media types), shared by the
// API handlers and the server.
namespace leads::adapters::http {

// Case-insensitive equality in ASCII (header names, schemes, media types).
bool iequals(std::string_view a, std::string_view b);

// The text with ASCII letters lower-cased.
std::string ascii_lower(std::string_view text);

// Without the optional whitespace (space, tab) at either end (RFC 9110 §5.6.3).
std::string_view trim_ows(std::string_view text);

// The origin-form of a request target (RFC 9112 §3.2): an absolute-form target
// ("http://host:port/path?query", scheme in any case) loses its scheme and authority
// ("/path?query", or "/" when it names none); any other target is returned as it is.
std::string_view origin_form(std::string_view target);

// A name the client sent (a body field, a query parameter), for echoing in an error: at
// most 64 bytes, cut at a code point boundary and marked with "...", so a hostile name
// cannot make the error body huge.
std::string echo_name(std::string_view name);

// Unpadded base64url (RFC 4648 §5, as JWTs use it, RFC 7515 §2). Decoding is canonical:
// unused trailing bits must be zero; nullopt for anything else.
bool is_base64url_char(char c);
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace leads::adapters::http
