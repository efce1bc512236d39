// SPDX-License-Identifier: Apache-2.0
// File: hello.h: GET /hello, the mTLS hello endpoint of the tutorials (seeds 003/004).
#pragma once

#include "ca/authenticator.h"
#include "http/http_message.h"

namespace anchor::api {

// Hello answers "Hello, <CN>" to a client presenting a live certificate of this CA (as
// `Authenticator::IdentifyClient` judges it: issued here, recorded, not revoked, not expired); no
// certificate, or one this CA does not honour, is 401. It is the seeds' Node.js "Hello World"
// server, with revocation checked.
http::Response Hello(const ca::Authenticator& authenticator, const http::Request& request);

}  // namespace anchor::api
