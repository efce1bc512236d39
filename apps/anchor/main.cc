// SPDX-License-Identifier: Apache-2.0
// File: main.cc: the `anchor` binary.
#include "cli/run.h"

int main(int argc, char** argv) { return anchor::cli::Run(argc, argv); }
