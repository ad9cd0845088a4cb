#include "domain/text.hpp"

#include "domain/utf8.hpp"

namespace leads::domain {

namespace utf8 {

std::optional<Decoded> decode(std::string_view text, std::size_t pos) {
    auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(pos);
    if (lead < 0x80) return Decoded{lead, 1};
    std::size_t length = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((lead & 0xE0) == 0xC0) {
        length = 2, cp = lead & 0x1F, min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, cp = lead & 0x0F, min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, cp = lead & 0x07, min = 0x10000;
    } else {
        return std::nullopt;
    }
    if (text.size() - pos < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const unsigned char next = byte(pos + i);
        if ((next & 0xC0) != 0x80) return std::nullopt;
        cp = (cp << 6) | (next & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
    return Decoded{cp, length};
}

void append(std::string& out, char32_t cp) {
    auto put = [&](char32_t v) { out.push_back(static_cast<char>(static_cast<unsigned char>(v))); };
    if (cp < 0x80) {
        put(cp);
    } else if (cp < 0x800) {
        put(0xC0 | (cp >> 6));
        put(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        put(0xE0 | (cp >> 12));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    } else {
        put(0xF0 | (cp >> 18));
        put(0x80 | ((cp >> 12) & 0x3F));
        put(0x80 | ((cp >> 6) & 0x3F));
        put(0x80 | (cp & 0x3F));
    }
}

}  // namespace utf8

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Simple one-to-one lower-case mappings of the scripts our users write names in.
char32_t fold(char32_t c) {
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
    if (c >= 0x100 && c <= 0x17F) {
        // Latin Extended-A alternates capital/small, but the parity flips around the
        // letters without a pair (U+0130, U+0131, U+0138, U+0149, U+017F).
        if ((c <= 0x12F || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) && c % 2 == 0) return c + 1;
        if (((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) && c % 2 == 1) return c + 1;
        if (c == 0x178) return 0xFF;
        return c;
    }
    if (c >= 0x391 && c <= 0x3A9 && c != 0x3A2) return c + 0x20;
    if (c == 0x386) return 0x3AC;
    if (c >= 0x388 && c <= 0x38A) return c + 0x25;
    if (c == 0x38C) return 0x3CC;
    if (c == 0x38E || c == 0x38F) return c + 0x3F;
    if (c >= 0x410 && c <= 0x42F) return c + 0x20;
    if (c >= 0x400 && c <= 0x40F) return c + 0x50;
    return c;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        if (static_cast<unsigned char>(text[pos]) < 0x80) {  // ASCII: most of what we see
            ++pos;
            continue;
        }
        auto decoded = utf8::decode(text, pos);
        if (!decoded) return false;
        pos += decoded->length;
    }
    return true;
}

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    const auto decoded = utf8::decode(text, pos);
    return decoded ? decoded->length : 0;
}

std::size_t code_point_count(std::string_view text) {
    std::size_t count = 0;
    for (char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

bool has_control_characters(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        auto decoded = utf8::decode(text, pos);
        if (!decoded) {  // invalid bytes: judge the single byte
            if (utf8::is_control(static_cast<unsigned char>(text[pos]))) return true;
            ++pos;
            continue;
        }
        if (utf8::is_control(decoded->code_point)) return true;
        pos += decoded->length;
    }
    return false;
}

std::string_view trim(std::string_view text) {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    return text;
}

Result<std::optional<std::string>> parse_optional_text(std::string_view field, std::string_view raw,
                                                       std::size_t max_code_points) {
    const std::string_view text = trim(raw);
    if (text.empty()) return std::optional<std::string>{};
    if (!is_valid_utf8(text)) return Error::validation(std::string(field), "must be valid UTF-8");
    if (has_control_characters(text)) {
        return Error::validation(std::string(field), "must not contain control characters");
    }
    if (code_point_count(text) > max_code_points) {
        return Error::validation(std::string(field),
                                 "must be at most " + std::to_string(max_code_points) + " characters");
    }
    return std::optional<std::string>(std::string(text));
}

std::string fold_case(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        auto decoded = utf8::decode(text, pos);
        if (!decoded) {  // not expected (input must be valid); keep the output valid anyway
            utf8::append(out, 0xFFFD);
            ++pos;
            continue;
        }
        utf8::append(out, fold(decoded->code_point));
        pos += decoded->length;
    }
    return out;
}

}  // namespace leads::domain
