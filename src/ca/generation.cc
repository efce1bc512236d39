// SPDX-License-Identifier: Apache-2.0
// File: generation.cc: per-generation URL paths and names.
#include "ca/generation.h"

#include <charconv>

namespace anchor::ca {
namespace {

constexpr std::string_view kCrl = "/crl";
constexpr std::string_view kCaIssuers = "/intermediate.crt";
constexpr std::string_view kCaIssuersDir = "/intermediate/";
constexpr std::string_view kCrt = ".crt";

// ParseGeneration reads a generation number of 2 or more written in decimal without a sign or
// leading zero (so that each generation has exactly one path).
std::optional<int> ParseGeneration(std::string_view digits) {
  if (digits.empty() || digits.front() == '0' || digits.size() > 6) {
    return std::nullopt;
  }
  int n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (ec != std::errc() || end != digits.data() + digits.size() || n < 2) {
    return std::nullopt;
  }
  return n;
}

}  // namespace

std::string CrlPath(int generation) {
  return generation <= 1 ? std::string(kCrl) : std::string(kCrl) + "/" + std::to_string(generation);
}

std::string CaIssuersPath(int generation) {
  return generation <= 1 ? std::string(kCaIssuers)
                         : std::string(kCaIssuersDir) + std::to_string(generation) + ".crt";
}

std::optional<int> GenerationOfCrlPath(std::string_view path) {
  if (path == kCrl) {
    return 1;
  }
  if (!path.starts_with(std::string(kCrl) + "/")) {
    return std::nullopt;
  }
  return ParseGeneration(path.substr(kCrl.size() + 1));
}

std::optional<int> GenerationOfCaIssuersPath(std::string_view path) {
  if (path == kCaIssuers) {
    return 1;
  }
  if (!path.starts_with(kCaIssuersDir) || !path.ends_with(kCrt)) {
    return std::nullopt;
  }
  return ParseGeneration(
      path.substr(kCaIssuersDir.size(), path.size() - kCaIssuersDir.size() - kCrt.size()));
}

std::string IntermediateCommonName(const std::string& ca_name, int generation) {
  std::string cn = ca_name + " Intermediate CA";
  if (generation > 1) {
    cn += " G" + std::to_string(generation);
  }
  return cn;
}

const Generation* IssuerOf(const std::vector<Generation>& generations,
                           const crypto::Certificate& cert) {
  for (const Generation& g : generations) {
    if (cert.IsIssuedBy(g.cert)) {
      return &g;
    }
  }
  return nullptr;
}

}  // namespace anchor::ca
