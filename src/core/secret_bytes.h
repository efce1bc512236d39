// SPDX-License-Identifier: Apache-2.0
// File: secret_bytes.h: a byte buffer for passphrases that is wiped when it dies.
#pragma once

#include <string.h>  // explicit_bzero

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace anchor {

// SecretBytes owns secret bytes (a passphrase). Its destructor wipes them with explicit_bzero,
// which the compiler may not elide. It has no stream operator, so it cannot be logged by mistake.
class SecretBytes final {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
  }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    Wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  bool empty() const { return bytes_.empty(); }
  size_t size() const { return bytes_.size(); }
  const char* data() const { return bytes_.data(); }

 private:
  void Wipe() {
    if (!bytes_.empty()) {
      ::explicit_bzero(bytes_.data(), bytes_.size());
    }
  }
  std::vector<char> bytes_;
};

}  // namespace anchor
