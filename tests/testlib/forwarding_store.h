// SPDX-License-Identifier: Apache-2.0
// File: forwarding_store.h: a store that hands every call to another, for tests that change one.
#pragma once

#include "store/store.h"

namespace anchor::testing {

// ForwardingStore passes every call to `real`, which must outlive it. A test derives from it and
// overrides the calls it makes fail or answer otherwise.
class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& real) : real_(real) {}
  Status InsertCertificates(std::span<const store::CertificateRecord> r, int64_t now) override {
    return real_.InsertCertificates(r, now);
  }
  Result<std::vector<Status>> InsertEach(std::span<const store::CertificateRecord> r,
                                         int64_t now) override {
    return real_.InsertEach(r, now);
  }
  Result<store::CertificateRecord> FindBySerial(std::string_view serial) override {
    return real_.FindBySerial(serial);
  }
  Result<std::vector<store::CertificateRecord>> List(const store::ListFilter& f) override {
    return real_.List(f);
  }
  Result<int64_t> CountCertificates() override { return real_.CountCertificates(); }
  Result<store::StatusCounts> CountByStatus(int64_t now) override {
    return real_.CountByStatus(now);
  }
  Result<store::RevocationEvent> Revoke(std::string_view serial, int64_t at, int reason,
                                        std::string_view detail) override {
    return real_.Revoke(serial, at, reason, detail);
  }
  Result<std::vector<store::RevokedEntry>> RevokedUnexpired(std::string_view issuer,
                                                            int64_t now) override {
    return real_.RevokedUnexpired(issuer, now);
  }
  Result<int64_t> AttributeIssuer(std::string_view issuer) override {
    return real_.AttributeIssuer(issuer);
  }
  Result<int64_t> LatestRevocation() override { return real_.LatestRevocation(); }
  Result<std::vector<store::RevocationEvent>> RevocationsSince(int64_t c, size_t n) override {
    return real_.RevocationsSince(c, n);
  }
  Result<store::StoredCrl> PublishCrl(const store::CrlRequest& request,
                                      const store::CrlSigner& sign) override {
    return real_.PublishCrl(request, sign);
  }
  Result<std::optional<store::StoredCrl>> NewestCrl(std::string_view issuer) override {
    return real_.NewestCrl(issuer);
  }
  Status InsertToken(const store::TokenRecord& t, int64_t now) override {
    return real_.InsertToken(t, now);
  }
  Result<store::TokenRecord> FindToken(std::string_view hash) override {
    return real_.FindToken(hash);
  }
  Status AppendAudit(std::string_view action, std::string_view serial, std::string_view subject,
                     std::string_view detail, int64_t at) override {
    return real_.AppendAudit(action, serial, subject, detail, at);
  }
  Result<std::vector<store::AuditEntry>> AuditLog() override { return real_.AuditLog(); }
  Result<std::optional<store::AuditEntry>> FirstAuditEntry() override {
    return real_.FirstAuditEntry();
  }
  Status Export(const std::function<Status(const store::StoreContents&)>& sink) override {
    return real_.Export(sink);
  }
  Status Import(const store::StoreContents& contents) override { return real_.Import(contents); }

 protected:
  store::Store& real_;
};

}  // namespace anchor::testing
