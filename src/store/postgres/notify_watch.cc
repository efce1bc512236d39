// SPDX-License-Identifier: Apache-2.0
// File: notify_watch.cc: the LISTEN thread of a replica.
#include "store/postgres/notify_watch.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "store/postgres/connection.h"

namespace anchor::store::postgres {
namespace {

using namespace std::chrono_literals;

constexpr auto kFirstBackoff = 250ms;
constexpr auto kMaxBackoff = 5s;
// kIdleWait bounds one wait for a notification; nothing happens when it passes, it only keeps
// the thread from sleeping forever in poll.
constexpr auto kIdleWait = 60s;

// EventFd is an eventfd(2) the destructor of the watch writes to, to wake its thread from poll.
class EventFd final {
 public:
  EventFd() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~EventFd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  EventFd(const EventFd&) = delete;
  EventFd& operator=(const EventFd&) = delete;
  int fd() const { return fd_; }
  void Signal() const {
    const uint64_t one = 1;
    (void)!::write(fd_, &one, sizeof one);
  }

 private:
  int fd_;
};

// Listen opens a connection that listens on kRevocationChannel.
Result<std::unique_ptr<Connection>> Listen(const std::string& conninfo,
                                           const std::string& application_name) {
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> c,
                          Connection::Open(conninfo, {}, application_name));
  ANCHOR_TRY(c->Run("listening for revocations", std::string("LISTEN ") + kRevocationChannel));
  return c;
}

class NotifyWatch final : public RevocationWatch {
 public:
  NotifyWatch(std::string conninfo, std::string application_name, ChangeSignal& signal,
              std::unique_ptr<Connection> first)
      : conninfo_(std::move(conninfo)),
        application_name_(std::move(application_name)),
        signal_(signal),
        connection_(std::move(first)) {
    signal_.SetLive(true);
    thread_ = std::thread([this] { Run(); });
  }
  ~NotifyWatch() override {
    stop_ = true;
    wake_.Signal();
    thread_.join();
  }
  NotifyWatch(const NotifyWatch&) = delete;
  NotifyWatch& operator=(const NotifyWatch&) = delete;

 private:
  void Run() {
    auto backoff = std::chrono::milliseconds(kFirstBackoff);
    while (!stop_) {
      if (!connection_) {
        if (Result<std::unique_ptr<Connection>> c = Listen(conninfo_, application_name_);
            c.has_value()) {
          connection_ = std::move(*c);
          backoff = kFirstBackoff;
          signal_.SetLive(true);
          signal_.Notify();  // whatever committed while nobody listened
        } else {
          Sleep(backoff);
          backoff = std::min<std::chrono::milliseconds>(backoff * 2, kMaxBackoff);
        }
        continue;
      }
      Result<bool> got = connection_->AwaitNotifications(kIdleWait, wake_.fd());
      if (!got.has_value()) {
        connection_.reset();
        signal_.SetLive(false);
      } else if (*got) {
        signal_.Notify();
      }
    }
  }

  // Sleep waits `d`, or less when the watch is being destroyed.
  void Sleep(std::chrono::milliseconds d) const {
    pollfd fd = {wake_.fd(), POLLIN, 0};
    (void)::poll(&fd, 1, static_cast<int>(d.count()));
  }

  const std::string conninfo_;
  const std::string application_name_;
  ChangeSignal& signal_;
  std::unique_ptr<Connection> connection_;  // the thread's alone once it runs
  EventFd wake_;
  std::atomic<bool> stop_{false};
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace

Result<std::unique_ptr<RevocationWatch>> StartNotifyWatch(const std::string& conninfo,
                                                          ChangeSignal& signal,
                                                          const std::string& application_name) {
  ANCHOR_ASSIGN_OR_RETURN(std::unique_ptr<Connection> first, Listen(conninfo, application_name));
  return std::unique_ptr<RevocationWatch>(
      std::make_unique<NotifyWatch>(conninfo, application_name, signal, std::move(first)));
}

}  // namespace anchor::store::postgres
