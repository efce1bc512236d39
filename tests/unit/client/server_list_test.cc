// SPDX-License-Identifier: Apache-2.0
// The failover policy between the replicas of one CA (client::ServerList), with scripted
// outcomes in place of HTTPS: which outcomes send a request to the next replica and which are
// the answer, that the replica that answered stays current (sticky) and the list goes back to
// the others when it fails, that each switch is logged once, and how the lists are written.
#include "client/server_list.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "testlib/matchers.h"

namespace anchor::client {
namespace {

using anchor::testing::ErrorIs;
using anchor::testing::IsOk;
using anchor::testing::SanitizeTestName;

constexpr const char* kA = "https://a.example:8443";
constexpr const char* kB = "https://b.example:8443";
constexpr const char* kC = "https://c.example:8443";

Result<HttpResult> Status(long status, std::string body = "") {
  return HttpResult{status, "text/plain", std::move(body)};
}
Result<HttpResult> Refused(const std::string& base) {
  // As HttpsClient words a transport error: the URL, then what failed.
  return Error(Code::kUnavailable, base + "/api/v1/x: Couldn't connect to server");
}

// Replicas plays each replica's outcome and records which were asked, in order.
class Replicas {
 public:
  void Set(const std::string& url, Result<HttpResult> outcome) {
    outcomes_.insert_or_assign(url, std::move(outcome));
  }
  ServerList::Request Request() {
    return [this](const std::string& base) {
      asked_.push_back(base);
      return outcomes_.at(base);
    };
  }
  std::vector<std::string> TakeAsked() { return std::exchange(asked_, {}); }

 private:
  std::map<std::string, Result<HttpResult>> outcomes_;
  std::vector<std::string> asked_;
};

ServerList List(std::vector<std::string> values) {
  return ServerList::Parse(values, "--server").value();
}

// ---- Which outcome is an answer -------------------------------------------------------------

struct VerdictCase {
  const char* name;
  Result<HttpResult> outcome;
  FailoverVerdict verdict;
};

class VerdictTest : public ::testing::TestWithParam<VerdictCase> {};

TEST_P(VerdictTest, ClassifiesTheOutcome) {
  EXPECT_EQ(ClassifyOutcome(GetParam().outcome), GetParam().verdict);
}

const VerdictCase kVerdictCases[] = {
    {"answer/200", Status(200), FailoverVerdict::kAnswer},
    {"answer/400-bad-request", Status(400), FailoverVerdict::kAnswer},
    {"answer/401-used-token", Status(401), FailoverVerdict::kAnswer},
    {"answer/403", Status(403), FailoverVerdict::kAnswer},
    {"answer/404", Status(404), FailoverVerdict::kAnswer},
    {"answer/409-already-revoked", Status(409), FailoverVerdict::kAnswer},
    {"answer/429", Status(429), FailoverVerdict::kAnswer},
    {"answer/500", Status(500), FailoverVerdict::kAnswer},
    {"answer/tls-alert-about-our-certificate", Error(Code::kUnauthenticated, "x: alert"),
     FailoverVerdict::kAnswer},
    {"answer/our-key-unusable", Error(Code::kInvalidArgument, "x: key"), FailoverVerdict::kAnswer},
    {"try-another/502", Status(502), FailoverVerdict::kTryAnother},
    {"try-another/503", Status(503), FailoverVerdict::kTryAnother},
    {"try-another/504", Status(504), FailoverVerdict::kTryAnother},
    {"try-another/refused-reset-timeout-tls", Error(Code::kUnavailable, "x: timeout"),
     FailoverVerdict::kTryAnother},
};
INSTANTIATE_TEST_SUITE_P(Outcomes, VerdictTest, ::testing::ValuesIn(kVerdictCases),
                         [](const auto& info) { return SanitizeTestName(info.param.name); });

// ---- Send -----------------------------------------------------------------------------------

// LogSwitches has `list` append the line of each switch to `log`.
void LogSwitches(ServerList& list, std::vector<std::string>& log) {
  list.SetSwitchLog([&log](const std::string& line) { log.push_back(line); });
}

TEST(ServerListTest, FirstReplicaAnswersAndNothingIsLogged) {
  Replicas r;
  r.Set(kA, Status(200, "a"));
  r.Set(kB, Status(200, "b"));
  ServerList list = List({kA, kB});
  std::vector<std::string> log;
  LogSwitches(list, log);
  auto answer = list.Send(r.Request());
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->body, "a");
  EXPECT_EQ(r.TakeAsked(), std::vector<std::string>{kA});
  EXPECT_TRUE(log.empty());
}

TEST(ServerListTest, UnavailableReplicaIsLeftForTheNextWhichStaysCurrent) {
  Replicas r;
  r.Set(kA, Refused(kA));
  r.Set(kB, Status(200, "b"));
  ServerList list = List({kA, kB});
  std::vector<std::string> log;
  LogSwitches(list, log);
  auto answer = list.Send(r.Request());
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->body, "b");
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kA, kB}));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            std::string(kA) + " is unavailable (Couldn't connect to server); using " + kB + " now");
  EXPECT_EQ(list.Current(), kB);
  // Sticky: the next requests go to B alone, and are not logged again.
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(list.Send(r.Request()), IsOk());
  }
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kB, kB, kB}));
  EXPECT_EQ(log.size(), 1u);
}

TEST(ServerListTest, GoesBackToTheOthersWhenTheCurrentOneFails) {
  Replicas r;
  r.Set(kA, Refused(kA));
  r.Set(kB, Status(200, "b"));
  r.Set(kC, Status(200, "c"));
  ServerList list = List({kA, kB, kC});
  std::vector<std::string> log;
  LogSwitches(list, log);
  ASSERT_THAT(list.Send(r.Request()), IsOk());
  EXPECT_EQ(list.Current(), kB);
  // B goes down and A comes back: after B, C is next in the list (wrapping around to A after).
  r.Set(kA, Status(200, "a"));
  r.Set(kB, Status(503, "the store is unavailable"));
  r.TakeAsked();
  auto answer = list.Send(r.Request());
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->body, "c");
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kB, kC}));
  // C down too: wraps around to A.
  r.Set(kC, Status(504));
  answer = list.Send(r.Request());
  ASSERT_THAT(answer, IsOk());
  EXPECT_EQ(answer->body, "a");
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kC, kA}));
  ASSERT_EQ(log.size(), 3u);
  EXPECT_EQ(log[1], std::string(kB) +
                        " is unavailable (HTTP: 503 the store is unavailable); using " + kC +
                        " now");
}

TEST(ServerListTest, AnswersAreNotSentToAnotherReplica) {
  for (const long status : {400L, 401L, 403L, 404L, 409L, 500L}) {
    Replicas r;
    r.Set(kA, Status(status));
    r.Set(kB, Status(200));
    ServerList list = List({kA, kB});
    auto answer = list.Send(r.Request());
    ASSERT_THAT(answer, IsOk());
    EXPECT_EQ(answer->status, status);
    EXPECT_EQ(r.TakeAsked(), std::vector<std::string>{kA}) << status;
    EXPECT_EQ(list.Current(), kA);
  }
  Replicas r;
  r.Set(kA, Error(Code::kUnauthenticated, "the server refused this client certificate"));
  r.Set(kB, Status(200));
  EXPECT_THAT(List({kA, kB}).Send(r.Request()), ErrorIs(Code::kUnauthenticated));
  EXPECT_EQ(r.TakeAsked(), std::vector<std::string>{kA});
}

TEST(ServerListTest, NoReplicaAnsweringIsUnavailableNamingEachAndKeepsTheCurrentOne) {
  Replicas r;
  r.Set(kA, Refused(kA));
  r.Set(kB, Status(503, "PostgreSQL is unavailable"));
  ServerList list = List({kA, kB});
  std::vector<std::string> log;
  LogSwitches(list, log);
  auto answer = list.Send(r.Request());
  ASSERT_THAT(answer, ErrorIs(Code::kUnavailable));
  EXPECT_EQ(answer.error().message(), std::string("none of the 2 servers answered: ") + kA +
                                          " is unavailable (Couldn't connect to server); " + kB +
                                          " is unavailable (HTTP: 503 PostgreSQL is unavailable)");
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kA, kB}));
  EXPECT_EQ(list.Current(), kA);
  EXPECT_TRUE(log.empty());
}

TEST(ServerListTest, OneServerGetsItsOutcomeAsItIs) {
  Replicas r;
  r.Set(kA, Status(503, "busy"));
  ServerList one(kA);
  auto answer = one.Send(r.Request());
  ASSERT_THAT(answer, IsOk());  // the caller turns it into kUnavailable, as before lists
  EXPECT_EQ(answer->status, 503);
  r.Set(kA, Refused(kA));
  auto refused = one.Send(r.Request());
  ASSERT_THAT(refused, ErrorIs(Code::kUnavailable));
  EXPECT_EQ(refused.error().message(), std::string(kA) + "/api/v1/x: Couldn't connect to server");
}

TEST(ServerListTest, CopiesShareTheCurrentReplica) {
  Replicas r;
  r.Set(kA, Refused(kA));
  r.Set(kB, Status(200));
  const ServerList list = List({kA, kB});
  const ServerList copy = list;  // as EstClient and AdminClient hold it
  ASSERT_THAT(copy.Send(r.Request()), IsOk());
  EXPECT_EQ(list.Current(), kB);
}

TEST(ServerListTest, PreferChoosesAKnownReplicaOnly) {
  ServerList list = List({kA, kB, kC});
  list.Prefer(kC);
  EXPECT_EQ(list.Current(), kC);
  list.Prefer("https://gone.example:8443");  // a replica no longer in the list: ignored
  EXPECT_EQ(list.Current(), kC);
  Replicas r;
  r.Set(kA, Status(200, "a"));
  r.Set(kB, Status(200, "b"));
  r.Set(kC, Refused(kC));
  ASSERT_THAT(list.Send(r.Request()), IsOk());
  EXPECT_EQ(r.TakeAsked(), (std::vector<std::string>{kC, kA}));  // after the last, the first
}

TEST(ServerListTest, ConcurrentSendsAgreeOnAReplicaThatAnswers) {
  Replicas r;
  r.Set(kA, Refused(kA));
  r.Set(kB, Status(200));
  ServerList list = List({kA, kB});
  std::atomic<int> lines{0};
  list.SetSwitchLog([&lines](const std::string&) { ++lines; });
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      // Each thread its own request function: Replicas records calls without a lock.
      for (int i = 0; i < 50; ++i) {
        auto answer = list.Send(
            [](const std::string& base) { return base == kA ? Refused(kA) : Status(200); });
        ok += answer.has_value() ? 1 : 0;
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
  EXPECT_EQ(ok.load(), 200);
  EXPECT_EQ(list.Current(), kB);
  EXPECT_EQ(lines.load(), 1);  // threads that raced to B find it current: no second line
}

// ---- Parse ----------------------------------------------------------------------------------

TEST(ServerListParseTest, RepeatedAndCommaSeparatedAreTheSameList) {
  const std::vector<std::string> want = {kA, kB, kC};
  EXPECT_EQ(List({kA, kB, kC}).urls(), want);
  EXPECT_EQ(List({std::string(kA) + "," + kB + "," + kC}).urls(), want);
  EXPECT_EQ(List({std::string(kA) + " , " + kB, kC}).urls(), want);
  EXPECT_EQ(List({kA}).urls(), std::vector<std::string>{kA});
  EXPECT_EQ(List({kA, kB}).Current(), kA);  // the first given is asked first
}

TEST(ServerListParseTest, RefusesEmptyItemsDuplicatesAndNothing) {
  const std::vector<std::vector<std::string>> bad = {
      {},        {""},         {std::string(kA) + ","},      {std::string(kA) + ",," + kB},
      {kA, " "}, {kA, kB, kA}, {std::string(kA) + "," + kA},
  };
  for (const auto& values : bad) {
    const auto parsed = ServerList::Parse(values, "--server");
    ASSERT_THAT(parsed, ErrorIs(Code::kInvalidArgument)) << ::testing::PrintToString(values);
    EXPECT_NE(parsed.error().message().find("--server"), std::string::npos)
        << parsed.error().message();
  }
}

// Each replica is https://HOST[:PORT], in one spelling, so that the same one twice is seen.
TEST(ServerListParseTest, TakesOnlyHttpsHostAndPortInOneSpelling) {
  EXPECT_EQ(List({"HTTPS://CA.Example:8443/"}).urls(),
            std::vector<std::string>{"https://ca.example:8443"});
  const std::vector<std::string> bad = {
      "http://ca.example:8443",            // no TLS
      "ca.example:8443",                   // no scheme
      "ftp://ca.example",                  //
      "https://user:secret@ca.example:1",  // credentials sent to every replica, logged
      "https://ca.example:8443/est",       // a path
      "https://ca.example:8443?x=1",       // a query
      "https://ca.example:8443#frag",      // a fragment
      "https://ca.example:8443,https://CA.example:8443/",  // the same replica twice
  };
  for (const std::string& value : bad) {
    const auto parsed = ServerList::Parse({value}, "--server");
    ASSERT_THAT(parsed, ErrorIs(Code::kInvalidArgument)) << value;
    EXPECT_NE(parsed.error().message().find("--server"), std::string::npos)
        << parsed.error().message();
    EXPECT_EQ(parsed.error().message().find("secret"), std::string::npos)
        << parsed.error().message();
  }
}

}  // namespace
}  // namespace anchor::client
