#include "adapters/webhooks/random_secrets.hpp"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <system_error>

#include "adapters/webhooks/signature.hpp"

namespace leads::adapters::webhooks {

std::string RandomSecrets::new_webhook_secret() {
    std::array<std::uint8_t, kKeyBytes> key{};
    std::size_t filled = 0;
    while (filled < key.size()) {
        const ssize_t got = ::getrandom(key.data() + filled, key.size() - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw std::system_error(errno, std::generic_category(), "getrandom");
        }
        filled += static_cast<std::size_t>(got);
    }
    return make_secret(key);
}

}  // namespace leads::adapters::webhooks
