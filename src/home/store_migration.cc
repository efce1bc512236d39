// SPDX-License-Identifier: Apache-2.0
// File: store_migration.cc: moving a CA's records from SQLite to PostgreSQL.
#include "home/store_migration.h"

#include "core/file_io.h"
#include "core/file_lock.h"
#include "home/ca_home.h"
#include "home/config_file.h"
#include "home/home_files.h"
#include "store/audit_chain.h"

namespace anchor::home {
namespace {

// CheckCopy compares what `target` holds with what was exported from the source.
Status CheckCopy(store::Store& target, const store::StoreContents& source) {
  ANCHOR_ASSIGN_OR_RETURN(const int64_t certificates, target.CountCertificates());
  if (certificates != static_cast<int64_t>(source.certificates.size())) {
    return Error(Code::kInternal, "the copy holds " + std::to_string(certificates) +
                                      " certificates, the source " +
                                      std::to_string(source.certificates.size()));
  }
  ANCHOR_ASSIGN_OR_RETURN(const std::vector<store::AuditEntry> audit, target.AuditLog());
  if (audit.size() != source.audit.size() ||
      (!audit.empty() && audit.back().hash != source.audit.back().hash)) {
    return Error(Code::kInternal, "the copy's audit log does not end where the source's does");
  }
  if (const auto findings = store::VerifyAuditChain(audit); !findings.empty()) {
    return Error(Code::kInternal, "the copy's audit chain breaks at entry " +
                                      std::to_string(findings.front().seq) + ": " +
                                      findings.front().problem);
  }
  ANCHOR_ASSIGN_OR_RETURN(const int64_t latest, target.LatestRevocation());
  const int64_t source_latest = source.revocations.empty() ? 0 : source.revocations.back().seq;
  if (latest != source_latest) {
    return Error(Code::kInternal, "the copy's revocation sequence ends at " +
                                      std::to_string(latest) + ", the source's at " +
                                      std::to_string(source_latest));
  }
  return OkStatus();
}

// NameStore appends `[store] url` to anchor.toml (the file keeps its comments), reads it back,
// and writes it atomically.
Status NameStore(const std::string& config_path, const std::string& url) {
  ANCHOR_ASSIGN_OR_RETURN(std::string text, ReadFile(config_path));
  text += StoreTableToml(StoreSettings{url});
  ANCHOR_ASSIGN_OR_RETURN(const ConfigFile back, ParseConfigFile(text, config_path));
  if (back.store.url != url) {
    return Error(Code::kInternal, config_path + " does not name the new store once written");
  }
  return WriteFileAtomic(config_path, text, kPublicFileMode);
}

}  // namespace

Result<MigrationReport> MigrateStore(const std::string& home, const std::string& url) {
  ANCHOR_TRY(CheckStoreUrl(url));
  const CaPaths paths = CaPaths::In(home);
  if (!FileExists(paths.config)) {
    return Error(Code::kFailedPrecondition,
                 "no CA in " + home + "; run `anchor init` first, or set --home / ANCHOR_HOME");
  }
  ANCHOR_ASSIGN_OR_RETURN(const ConfigFile config, LoadConfigFile(paths.config));
  if (!config.store.url.empty()) {
    return Error(Code::kFailedPrecondition,
                 "this CA's records are in PostgreSQL already ([store] "
                 "url in anchor.toml); there is nothing to migrate");
  }
  if (!FileExists(paths.db)) {
    return Error(Code::kFailedPrecondition, paths.db + " does not exist: nothing to migrate");
  }
  // No `anchor serve` on this home while it moves: one would go on writing anchor.db, and what
  // it wrote after the copy would be lost. A serve started meanwhile waits for this lock.
  Result<FileLock> alone = FileLock::TryAcquire(paths.home + "/" + kServingLock);
  if (!alone) {
    if (alone.error().code() != Code::kFailedPrecondition) {
      return alone.error();
    }
    return Error(Code::kFailedPrecondition,
                 "anchor serve is running on " + home +
                     "; stop it first (it would go on writing anchor.db, and what it wrote after "
                     "the copy would be lost), then migrate and start it again");
  }
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> source, OpenStore(paths, config.store));
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> target,
                          OpenStore(paths, StoreSettings{url}, nullptr, "--to"));
  MigrationReport report;
  ANCHOR_TRY(source->Export([&](const store::StoreContents& contents) -> Status {
    if (Status imported = target->Import(contents); !imported) {
      if (imported.error().code() != Code::kAlreadyExists) {
        return imported.error();
      }
      // A migration interrupted after its copy committed left exactly this copy: finish it.
      // Anything else in the database is refused.
      if (!CheckCopy(*target, contents)) {
        return Error(Code::kAlreadyExists,
                     "the database holds records that are not a copy of this CA's; give an "
                     "empty database (nothing was written)");
      }
    }
    // Still inside the source's transaction: no write can land in anchor.db before anchor.toml
    // names the new store.
    Status named = CheckCopy(*target, contents);
    if (named) {
      named = NameStore(paths.config, url);
    }
    if (!named) {
      return named.error().Prefixed(
          "the records were copied to " + url +
          ", but anchor.toml still names anchor.db; empty that database before trying again");
    }
    report.certificates = static_cast<int64_t>(contents.certificates.size());
    report.tokens = static_cast<int64_t>(contents.tokens.size());
    report.revocations = static_cast<int64_t>(contents.revocations.size());
    report.audit_entries = static_cast<int64_t>(contents.audit.size());
    report.audit_head = contents.audit.empty() ? "" : contents.audit.back().hash;
    report.crl_number = contents.crl_number;
    return OkStatus();
  }));
  return report;
}

}  // namespace anchor::home
