#pragma once

#include <string>

#include "ports/webhook_use_cases.hpp"

namespace leads::adapters::webhooks {

// Secrets from 32 bytes of getrandom(2) (the kernel's CSPRNG).
class RandomSecrets final : public ports::SecretGenerator {
  public:
    std::string new_webhook_secret() override;
};

}  // namespace leads::adapters::webhooks
