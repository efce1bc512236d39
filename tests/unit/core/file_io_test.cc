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

TEST_F(FileIoTest, ReadsWithABound) {
  ASSERT_THAT(WriteFileAtomic(Path("f"), std::string(100, 'x'), kPublicFileMode), IsOk());
  EXPECT_EQ(ReadFile(Path("f"), 100).value().size(), 100u);
  const auto over = ReadFile(Path("f"), 99);
  ASSERT_THAT(over, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(over.error().message().find("larger than 99 bytes"), std::string::npos);
  // An endless device stops at the bound, not at the end of memory.
  const auto zero = ReadFile("/dev/zero", 1u << 20);
  ASSERT_THAT(zero, ErrorIs(Code::kInvalidArgument));
  EXPECT_NE(zero.error().message().find("larger than 1 MiB"), std::string::npos);
  EXPECT_THAT(ReadFile(Path("missing")), ErrorIs(Code::kNotFound));
  EXPECT_THAT(ReadFile(dir_), ErrorIs(Code::kInvalidArgument));
}

TEST_F(FileIoTest, TellsBeforehandWhetherAPathCanBeWritten) {
  EXPECT_THAT(CheckWritable(Path("new.crt")), IsOk());
  EXPECT_THAT(CheckWritable(""), IsOk());
  EXPECT_THAT(CheckWritable("-"), IsOk());
  EXPECT_THAT(CheckWritable(dir_), ErrorIs(Code::kInvalidArgument));
  EXPECT_THAT(CheckWritable(Path("no/such/dir/x.crt")), ErrorIs(Code::kNotFound));
  ASSERT_THAT(WriteFileAtomic(Path("file"), "x", kPublicFileMode), IsOk());
  EXPECT_THAT(CheckWritable(Path("file/x.crt")), ErrorIs(Code::kNotFound));
}

TEST_F(FileIoTest, WritesIntoADeviceWithoutReplacingIt) {
  EXPECT_THAT(WriteToExisting("/dev/null", "x"), IsOk());
  EXPECT_THAT(WriteToExisting("/dev/full", "x"), ErrorIs(Code::kUnavailable));
  struct stat st {};
  ASSERT_EQ(::stat("/dev/full", &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST_F(FileIoTest, WritesKeysWithMode0600) {
  ASSERT_THAT(WriteFileAtomic(Path("k.pem"), "secret", kPrivateKeyMode), IsOk());
  struct stat st {};
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
  struct stat st {};
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
