#!/bin/sh
# fresh_pair.sh DIR: DIR/project, a git repository with one commit (README),
# and DIR/remote, an empty git repository (a machine's workdir that lacks
# the base commit), both made anew; an earlier pair is removed first.
set -e
rm -rf "$1/project" "$1/remote"
mkdir -p "$1/project" "$1/remote"
git -C "$1/project" init -q
git -C "$1/project" config user.email t@t
git -C "$1/project" config user.name t
echo base >"$1/project/README"
git -C "$1/project" add README
git -C "$1/project" commit -qm base
git -C "$1/remote" init -q
