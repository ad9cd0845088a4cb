#include "adapters/http/message.hpp"

namespace leads::adapters::http {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
    for (const auto& h : headers) {
        if (h.name == lower_name) return std::string_view(h.value);
    }
    return std::nullopt;
}

}  // namespace leads::adapters::http
