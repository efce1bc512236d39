// SPDX-License-Identifier: Apache-2.0
// File: change_signal_test.cc: versions, listeners, subscriptions that end, liveness.
#include "core/change_signal.h"

#include <gtest/gtest.h>

#include <vector>

namespace anchor {
namespace {

TEST(ChangeSignalTest, NotifyRaisesTheVersionAndCallsEachListener) {
  ChangeSignal signal;
  int a = 0;
  int b = 0;
  const uint64_t before = signal.version();
  auto sa = signal.Subscribe([&] { ++a; });
  auto sb = signal.Subscribe([&] { ++b; });
  signal.Notify();
  signal.Notify();
  EXPECT_EQ(signal.version(), before + 2);
  EXPECT_EQ(a, 2);
  EXPECT_EQ(b, 2);
}

TEST(ChangeSignalTest, AnEndedSubscriptionIsNotCalled) {
  ChangeSignal signal;
  int calls = 0;
  {
    auto s = signal.Subscribe([&] { ++calls; });
    signal.Notify();
  }
  signal.Notify();
  EXPECT_EQ(calls, 1);
}

TEST(ChangeSignalTest, AMovedSubscriptionStaysRegisteredOnce) {
  ChangeSignal signal;
  int calls = 0;
  ChangeSignal::Subscription kept;
  {
    auto s = signal.Subscribe([&] { ++calls; });
    kept = std::move(s);
  }
  signal.Notify();
  EXPECT_EQ(calls, 1);
  kept = ChangeSignal::Subscription();
  signal.Notify();
  EXPECT_EQ(calls, 1);
}

TEST(ChangeSignalTest, ASubscriptionMayOutliveItsSignal) {
  ChangeSignal::Subscription s;
  {
    ChangeSignal signal;
    s = signal.Subscribe([] {});
  }
  s = ChangeSignal::Subscription();  // unregisters from nothing, without touching freed memory
  SUCCEED();
}

TEST(ChangeSignalTest, ALiveChangeNotifiesAndASameValueDoesNot) {
  ChangeSignal signal;
  int calls = 0;
  auto s = signal.Subscribe([&] { ++calls; });
  EXPECT_TRUE(signal.live());
  signal.SetLive(true);
  EXPECT_EQ(calls, 0);
  signal.SetLive(false);
  EXPECT_FALSE(signal.live());
  EXPECT_EQ(calls, 1);
  signal.SetLive(true);
  EXPECT_EQ(calls, 2);
}

TEST(ChangeSignalTest, AListenerMaySubscribeFromItsCall) {
  ChangeSignal signal;
  std::vector<ChangeSignal::Subscription> more;
  int inner = 0;
  auto s = signal.Subscribe([&] { more.push_back(signal.Subscribe([&] { ++inner; })); });
  signal.Notify();  // would deadlock if listeners ran under the signal's lock
  signal.Notify();
  EXPECT_EQ(inner, 1);
}

}  // namespace
}  // namespace anchor
