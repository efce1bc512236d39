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

// The layout. Before any rotation the home holds intermediate.crt and intermediate.key:
// generation 1. The first `anchor ca rotate` copies them to intermediates/1/; every generation N
// lives in intermediates/N/ (intermediate.crt, intermediate.key), and the file
// intermediates/current names the issuing one. Writing that one small file (atomically: temp,
// fsync, rename) is the switch: anchor reads the issuing pair from the directory it names, so it
// sees the old pair or the new pair, never one of each. intermediate.crt and intermediate.key in
// the home are then refreshed as copies of the issuing pair, for other tools (openssl, TLS
// servers' chain files) and for backups, which carry plain files. Every other intermediates/N/
// with a certificate is a retired generation. A directory holding only a key is a pending
// generation: its key is made and its request sent to the offline root, its certificate not yet
// installed.

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
// IssuingFiles are the files anchor reads the issuing pair from: intermediates/N/ after the
// first rotation, the home's intermediate.crt and intermediate.key before.
Result<GenerationFiles> IssuingFiles(const std::string& home);
// RefreshTopLevelCopies rewrites the home's intermediate.crt and intermediate.key as copies of
// the issuing generation's when they differ (after a switch, or a crash just after one).
Status RefreshTopLevelCopies(const std::string& home);
// RetiredGenerations lists the generations other than the current one that have a certificate,
// newest first.
Result<std::vector<GenerationFiles>> RetiredGenerations(const std::string& home);
// PendingGeneration is the generation whose key is written but whose certificate is not yet
// installed (the offline root's ceremony), if any: the highest such.
Result<std::optional<int>> PendingGeneration(const std::string& home);
// RemoveGeneration removes intermediates/N/ (a rotation that failed before its switch). It
// never removes the generation intermediates/current names (nor anything when `current` cannot
// be read): that is the issuing pair, and without it the home could not be opened.
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
// the first time, it copies the legacy intermediate.crt and intermediate.key to
// intermediates/1/; then it writes intermediates/current (the one step that switches) and
// refreshes the home's copies. An error means nothing was switched: once `current` is written
// the refresh is best effort (CaHome::Open refreshes them again) and its failure is not one.
Status SwitchTo(const std::string& home, int number);

}  // namespace anchor::home
