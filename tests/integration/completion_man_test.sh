#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Bash completion and man pages come from the programs' own command trees: completing `anchor `
# offers every command `anchor --help` lists (bash's own complete/compgen, after sourcing the
# script the build wrote), and each man page holds every command.
source "$TESTS_DIR/lib.sh"
: "${ANCHOR_AGENT:?}"
BUILD=$(dirname "$(dirname "$ANCHOR")")
COMPLETIONS="$BUILD/packaging/completion"
[ -s "$COMPLETIONS/anchor" ] || fail "the build wrote no $COMPLETIONS/anchor"
cmp -s "$COMPLETIONS/anchor" <("$ANCHOR" completion bash) || fail "the built script is stale"

# commands_of BIN: the commands its --help lists, one a line.
commands_of() {
  "$1" --help | sed -n '/^Subcommands:/,$p' | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
}
# complete_words SCRIPT WORDS...: what bash completes for the last word, one a line.
complete_words() {
  local script=$1; shift
  bash --norc --noprofile -c '
    source "$1"; shift
    complete -p "$1" >/dev/null || { echo "no completion for $1" >&2; exit 1; }
    fn=$(complete -p "$1" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    printf "%s\n" "${COMPREPLY[@]}"' bash "$script" "$@"
}

expected=$(commands_of "$ANCHOR" | sort)
[ "$(echo "$expected" | wc -l)" -ge 15 ] || fail "anchor --help lists too few commands: $expected"
got=$(complete_words "$COMPLETIONS/anchor" anchor "" | sort)
[ "$got" = "$expected" ] || { diff <(echo "$expected") <(echo "$got"); fail "'anchor ' does not offer the commands"; }
[ "$(complete_words "$COMPLETIONS/anchor" anchor tok)" = token ] || fail "'anchor tok' is not token"
[ "$(complete_words "$COMPLETIONS/anchor" anchor token cr)" = create ] || fail "'anchor token cr'"
complete_words "$COMPLETIONS/anchor" anchor token create --c | has -x -- "--cn" || fail "'--c' after token create"
complete_words "$COMPLETIONS/anchor" anchor list --h | has -x -- "--home" || fail "global --home under list"
complete_words "$COMPLETIONS/anchor" anchor --home /tmp/x i | sort | tr '\n' ' ' | has -x "init inspect issue " ||
  fail "a global option's value must not stop the completion"
pass "bash completes 'anchor ' to its $(echo "$expected" | wc -l) commands, and subcommands and options"

agent_expected=$(commands_of "$ANCHOR_AGENT" | sort)
[ "$(complete_words "$COMPLETIONS/anchor-agent" anchor-agent "" | sort)" = "$agent_expected" ] ||
  fail "'anchor-agent ' does not offer its commands"
complete_words "$COMPLETIONS/anchor-agent" anchor-agent run --fin | has -x -- "--fingerprint" ||
  fail "'anchor-agent run --fin'"
pass "bash completes anchor-agent's commands and options"

for prog in anchor anchor-agent; do
  page="$BUILD/packaging/$prog.1.gz"
  [ -s "$page" ] || fail "no man page $page"
  MANWIDTH=200 man -l "$page" 2>/dev/null > "$prog.man"
  has "^NAME" "$prog.man" || fail "$prog.1: no NAME"
  bin=$ANCHOR; [ $prog = anchor-agent ] && bin=$ANCHOR_AGENT
  for cmd in $(commands_of "$bin"); do
    has -F "$prog $cmd:" "$prog.man" || fail "$prog.1 has no section for '$cmd'"
  done
done
has -F -- "--ttl" anchor.man || fail "anchor.1 lacks the options of nested commands (token create --ttl)"
pass "man pages list every command with its options"
