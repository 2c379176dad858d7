#!/usr/bin/env bash
# Builds the velox-tiny training corpus from English text in Debian packages (bookworm).
#
#   models/train/build_corpus.sh [--pack DIR]
#
# Downloads the packages with `apt-get download` (no root install needed; the files are unpacked
# with dpkg-deb into models/train/corpus/root, which git ignores), cleans them into
# models/train/corpus/text/<source>.txt (documents separated by a line holding only \x1e) plus
# qa.jsonl (dictionary word/definition pairs for the chat flavour), and writes the held-out split
# (KJV Hosea..Malachi and the New Testament) to models/train/corpus/heldout.txt. With --pack DIR the
# text files are also xz-compressed into DIR (what travels to the GPU machine; see README.md).
# Needs: apt-get, dpkg-deb, groff (for the man pages), python3 >= 3.9, xz.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$here/corpus"
pack=""
if [[ "${1:-}" == "--pack" ]]; then pack="${2:?--pack needs a directory}"; fi

PACKAGES=(
  bible-kjv-text bible-kjv            # King James Bible (public domain text) and its reader
  dict-gcide                          # GNU Collaborative International Dictionary of English
  dict-wn                             # WordNet 3.0
  dict-foldoc dict-jargon dict-devil  # computing dictionary, Jargon File, The Devil's Dictionary
  fortunes fortunes-min fortunes-bofh-excuses fortunes-debian-hints
  manpages manpages-dev               # Linux man-pages project
  doc-debian debian-reference-en debian-policy gnu-standards
  perl-doc python3.11-doc vim-runtime # perl pods, Python reST sources, vim help
)

mkdir -p "$corpus/debs" "$corpus/root"
cd "$corpus/debs"
missing=()
for p in "${PACKAGES[@]}"; do
  compgen -G "${p}_*.deb" >/dev/null || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "[corpus] downloading ${missing[*]}"
  apt-get download "${missing[@]}"
fi
echo "[corpus] unpacking $(ls *.deb | wc -l) packages"
for f in *.deb; do dpkg-deb -x "$f" "$corpus/root"; done
for f in *.deb; do dpkg-deb -f "$f" Package Version | paste -sd' '; done > "$corpus/packages.txt"

echo "[corpus] cleaning"
python3 "$here/clean_corpus.py"
du -ch "$corpus"/text/*.txt | tail -1 | sed 's/^/[corpus] training text: /'
wc -c "$corpus/heldout.txt" | sed 's/^/[corpus] held-out: /'

if [[ -n "$pack" ]]; then
  mkdir -p "$pack"
  for f in "$corpus"/text/*; do
    echo "[corpus] xz $(basename "$f")"
    xz -T0 -6 -c "$f" > "$pack/$(basename "$f").xz"
  done
  cp "$corpus/heldout.txt" "$pack/heldout.txt"
  du -sh "$pack" | sed 's/^/[corpus] packed: /'
fi
