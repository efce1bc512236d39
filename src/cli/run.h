// SPDX-License-Identifier: Apache-2.0
// File: run.h: the `anchor` command's entry point.
#pragma once

namespace anchor::cli {

// Run parses `argv`, runs the subcommand and returns the process exit code. Exceptions from
// CLI11 or the standard library stop here (one of the three boundaries of STYLE.md 4.5).
int Run(int argc, char** argv);

}  // namespace anchor::cli
