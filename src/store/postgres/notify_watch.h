// SPDX-License-Identifier: Apache-2.0
// File: notify_watch.h: a replica learns of other replicas' revocations by LISTEN/NOTIFY.
#pragma once

#include <memory>
#include <string>

#include "core/change_signal.h"
#include "core/error.h"
#include "store/store.h"

namespace anchor::store::postgres {

// kRevocationChannel is the channel every revoking transaction NOTIFYs (with the new revocation
// sequence number as payload) and every serving replica LISTENs on.
inline constexpr char kRevocationChannel[] = "anchor_revocations";

// StartNotifyWatch opens a connection of its own to `conninfo`, LISTENs on kRevocationChannel,
// and from a thread of its own notifies `signal` for each notification; PostgreSQL delivers
// them when the revoking transaction commits, to every listening session, this process's too
// (https://www.postgresql.org/docs/15/sql-notify.html). When the connection is lost the signal
// goes not live (waiters stop relying on it) and the watch reconnects, with back-off from 0.25
// to 5 s; once it LISTENs again the signal is live and notified, since a revocation may have
// committed while nobody listened. kUnavailable when the first connection fails.
// Its session is named `application_name` (pg_stat_activity), as the store's are.
Result<std::unique_ptr<RevocationWatch>> StartNotifyWatch(const std::string& conninfo,
                                                          ChangeSignal& signal,
                                                          const std::string& application_name);

}  // namespace anchor::store::postgres
