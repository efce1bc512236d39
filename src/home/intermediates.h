// SPDX-License-Identifier: Apache-2.0
// File: intermediates.h: the intermediate generations in a CA home, and switching between them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/secret_bytes.h"
#include "crypto/certificate.h"
#include "crypto/key.h"

namespace anchor::home {

// The layout. Before any rotation the home holds intermediate.crt and intermediate.key: generation
// 1. The first `anchor ca rotate` moves them to intermediates/1/ and makes both names symbolic
// links through intermediates/current, itself a link to the issuing generation's directory
// (intermediates/N/, holding intermediate.crt and intermediate.key), so that switching the
// issuing intermediate is one rename(2): every reader of intermediate.crt and intermediate.key
// sees the old pair or the new pair, never one of each. Every other intermediates/N/ with a
// certificate is a retired generation. A directory holding only a key is a pending generation:
// its key is made and its request sent to the offline root, its certificate not yet installed.

// GenerationFiles are one generation's files.
struct GenerationFiles {
  int number = 1;
  std::string dir;
  std::string cert;
  std::string key;
};

// IntermediatesDir is "<home>/intermediates".
std::string IntermediatesDir(const std::string& home);
// FilesOf names generation `number`'s files under intermediates/.
GenerationFiles FilesOf(const std::string& home, int number);

// CurrentGeneration is the issuing generation's number: 1 until the first rotation.
Result<int> CurrentGeneration(const std::string& home);
// RetiredGenerations lists the generations other than the current one that have a certificate,
// newest first.
Result<std::vector<GenerationFiles>> RetiredGenerations(const std::string& home);
// PendingGeneration is the generation whose key is written but whose certificate is not yet
// installed (the offline root's ceremony), if any: the highest such.
Result<std::optional<int>> PendingGeneration(const std::string& home);
// RemoveGeneration removes intermediates/N/ (a rotation that failed before its switch).
void RemoveGeneration(const std::string& home, int number);
// NextGeneration is the number the next rotation takes: one more than any generation present,
// pending or not.
Result<int> NextGeneration(const std::string& home);

// WriteGenerationKey creates intermediates/N/ (0700) and writes the new generation's key there
// (0600, encrypted with `passphrase` when given); the directory must not hold a key already.
Status WriteGenerationKey(const std::string& home, int number, const crypto::PrivateKey& key,
                          const SecretBytes* passphrase);
// WriteGenerationCertificate writes generation N's certificate beside its key.
Status WriteGenerationCertificate(const std::string& home, int number,
                                  const crypto::Certificate& cert);

// SwitchTo makes generation `number` (whose key and certificate are written) the issuing one:
// the first time, it moves the legacy intermediate.crt and intermediate.key to intermediates/1/
// and replaces them with links (each step keeps a matching pair in place); then it re-points
// intermediates/current in one rename.
Status SwitchTo(const std::string& home, int number);

}  // namespace anchor::home
