// SPDX-License-Identifier: Apache-2.0
// File: listener_certificate.h: whether the broker's own certificates can do their jobs: the
// listener's (certfile) must serve TLS to MQTT clients, the plugin's (plugin_opt_cert) must be a
// TLS client certificate for the CA. Checked at start, so that a broker enrolled with the wrong
// profile stops with the fix named instead of failing every client's handshake.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "crypto/certificate.h"

namespace anchor::mqtt {

// CertificateRole is what a certificate file of the broker is for.
enum class CertificateRole {
  kListener,   // the listener's certfile: a TLS server to MQTT clients (serverAuth)
  kFeedClient  // plugin_opt_cert: a TLS client of `anchor serve` (clientAuth)
};

// CheckBrokerCertificate checks the chain in `pem` (a certificate file: the leaf first, then the
// intermediates sent with it) as a peer would before accepting it for `role` at `now`: a leaf
// that is no CA, an extended key usage for the role, a key usage with digitalSignature, valid at
// `now`, and a path to one of `roots` through the file's own intermediates (what a client that
// holds only the root, as the README's clients do, can build). kFailedPrecondition says what is
// wrong and how to fix it, e.g. "its extended key usage is clientAuth only (...): MQTT clients
// refuse it with 'unsupported certificate'; enroll the broker with the peer profile: ...".
// `roots_option` names where `roots` came from, for that message.
Status CheckBrokerCertificate(std::string_view pem, const std::vector<crypto::Certificate>& roots,
                              CertificateRole role, Clock::time_point now,
                              std::string_view roots_option = "plugin_opt_ca_file");

// DescribeLeaf is a short description of the first certificate of `pem` for the log:
// "CN=mqtt.example.com, serverAuth+clientAuth, valid until 2027-01-04T10:00:00Z".
std::string DescribeLeaf(std::string_view pem);

}  // namespace anchor::mqtt
