#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// Private to domain/: a strict UTF-8 decoder shared by the text rules.
namespace leads::domain::utf8 {

struct Decoded {
    char32_t code_point = 0;
    std::size_t length = 0;
};

// Decodes the code point starting at text[pos]; nullopt for overlong forms, surrogates,
// values above U+10FFFF, stray continuation bytes and truncated sequences.
std::optional<Decoded> decode(std::string_view text, std::size_t pos);

void append(std::string& out, char32_t code_point);

inline bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace leads::domain::utf8
