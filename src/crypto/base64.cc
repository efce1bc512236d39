// SPDX-License-Identifier: Apache-2.0
// File: base64.cc: base64 through OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock.
#include "crypto/base64.h"

#include <openssl/evp.h>

#include <cctype>
#include <climits>

namespace anchor::crypto {

std::string Base64Encode(std::span<const uint8_t> data, bool wrap) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int len = ::EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(),
                                    static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(len));
  if (!wrap) {
    return out;
  }
  std::string wrapped;
  for (size_t i = 0; i < out.size(); i += 64) {
    wrapped += out.substr(i, 64) + "\n";
  }
  return wrapped;
}

Result<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  std::string compact;
  compact.reserve(text.size());
  for (const char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      compact.push_back(c);
    }
  }
  if (compact.empty() || compact.size() % 4 != 0 || compact.size() > INT_MAX) {
    return Error(Code::kInvalidArgument, "the body is not base64");
  }
  std::vector<uint8_t> out(compact.size() / 4 * 3);
  const int len =
      ::EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(compact.data()),
                        static_cast<int>(compact.size()));
  if (len < 0) {
    return Error(Code::kInvalidArgument, "the body is not base64");
  }
  // EVP_DecodeBlock counts the padding as zero bytes; drop them.
  size_t padding = 0;
  for (size_t i = compact.size(); i > 0 && compact[i - 1] == '=' && padding < 2; --i) {
    ++padding;
  }
  out.resize(static_cast<size_t>(len) - padding);
  return out;
}

}  // namespace anchor::crypto
