// SPDX-License-Identifier: Apache-2.0
#include "core/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "testlib/matchers.h"
#include "testlib/temp_dir.h"

namespace anchor {
namespace {

using testing::ErrorIs;
using testing::IsOk;

using FileIoTest = testing::TempDirTest;

TEST_F(FileIoTest, WritesKeysWithMode0600) {
  ASSERT_THAT(WriteFileAtomic(Path("k.pem"), "secret", kPrivateKeyMode), IsOk());
  struct stat st{};
  ASSERT_EQ(::stat(Path("k.pem").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(Path("k.pem")).value(), "secret");
}

TEST_F(FileIoTest, ReplacesAtomicallyAndLeavesNoTemporaryFile) {
  ASSERT_THAT(WriteFileAtomic(Path("a"), "one", kPublicFileMode), IsOk());
  ASSERT_THAT(WriteFileAtomic(Path("a"), "two", kPublicFileMode), IsOk());
  EXPECT_EQ(ReadFile(Path("a")).value(), "two");
  EXPECT_EQ(EntryCount(), 1u);
}

TEST_F(FileIoTest, ExclusiveRefusesToReplace) {
  ASSERT_THAT(WriteFileAtomic(Path("a"), "one", kPublicFileMode, true), IsOk());
  EXPECT_THAT(WriteFileAtomic(Path("a"), "two", kPublicFileMode, true),
              ErrorIs(Code::kAlreadyExists));
  EXPECT_EQ(ReadFile(Path("a")).value(), "one");
  EXPECT_EQ(EntryCount(), 1u);
}

TEST_F(FileIoTest, FailedWriteLeavesNothing) {
  EXPECT_THAT(WriteFileAtomic(Path("missing-dir/a"), "x", kPublicFileMode),
              ErrorIs(Code::kNotFound));
  EXPECT_EQ(EntryCount(), 0u);
}

TEST_F(FileIoTest, FilesWrittenTogetherChangeTogether) {
  ASSERT_THAT(WriteFileAtomic(Path("key"), "old key", kPrivateKeyMode), IsOk());
  ASSERT_THAT(WriteFileAtomic(Path("crt"), "old crt", kPublicFileMode), IsOk());
  ASSERT_THAT(WriteFilesTogether({{Path("key"), "new key", kPrivateKeyMode},
                                  {Path("crt"), "new crt", kPublicFileMode}}),
              IsOk());
  EXPECT_EQ(ReadFile(Path("key")).value(), "new key");
  EXPECT_EQ(ReadFile(Path("crt")).value(), "new crt");
  EXPECT_EQ(EntryCount(), 2u);  // no staged copy left
  struct stat st{};
  ASSERT_EQ(::stat(Path("key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileIoTest, AFailedWriteInAGroupChangesNoFile) {
  ASSERT_THAT(WriteFileAtomic(Path("key"), "old key", kPrivateKeyMode), IsOk());
  // The second file cannot be written (as on a full disk): the first must stay as it was.
  EXPECT_THAT(WriteFilesTogether({{Path("key"), "new key", kPrivateKeyMode},
                                  {Path("missing-dir/crt"), "new crt", kPublicFileMode}}),
              ErrorIs(Code::kNotFound));
  EXPECT_EQ(ReadFile(Path("key")).value(), "old key");
  EXPECT_EQ(EntryCount(), 1u);
}

TEST_F(FileIoTest, ReadingAMissingFileNamesIt) {
  const auto r = ReadFile(Path("nope"));
  EXPECT_THAT(r, ErrorIs(Code::kNotFound));
  EXPECT_NE(r.error().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace anchor
