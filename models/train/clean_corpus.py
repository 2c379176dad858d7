#!/usr/bin/env python3
"""Turn the unpacked Debian packages under corpus/root into cleaned English text.

Writes one file per source to corpus/text/<source>.txt (documents separated by a
line holding only the ASCII record separator \\x1e), the dictionary question/answer
pairs used for the chat flavour to corpus/text/qa.jsonl, and the held-out split
(KJV Zechariah, Malachi and the New Testament, never trained on) to
corpus/heldout.txt. Deterministic: the same packages give the same bytes.
"""
import base64
import gzip
import html
import html.parser
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor

CORPUS = os.path.dirname(os.path.abspath(__file__)) + "/corpus"
ROOT = CORPUS + "/root"
OUT = CORPUS + "/text"
RS = "\n\x1e\n"

BOOKS_TRAIN = "gen1:1-dan12:13"          # Genesis .. Daniel
BOOKS_HELDOUT = ["hos1:1-mal4:6", "mat1:1-rev22:21"]


def write(name, docs):
    docs = [d.strip("\n") for d in docs if d and d.strip()]
    with open(f"{OUT}/{name}.txt", "w", encoding="utf-8") as f:
        f.write(RS.join(docs) + "\n")
    size = sum(len(d.encode()) for d in docs)
    print(f"  {name:14s} {len(docs):7d} docs {size / 1e6:8.2f} MB", flush=True)


def squeeze_blank(text):
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def unwrap(text):
    """Join wrapped lines of a paragraph when they share one indentation; keep verse, code, tables."""
    out = []
    for para in re.split(r"\n\s*\n", text):
        lines = [l.rstrip() for l in para.split("\n") if l.strip()]
        if not lines:
            continue
        ind = {len(l) - len(l.lstrip()) for l in lines[1:]}
        first = len(lines[0]) - len(lines[0].lstrip())
        prose = len(ind) <= 1 and all(len(l) > 40 for l in lines[:-1])
        if prose and len(lines) > 1:
            out.append(" " * min(first, 4) + " ".join(l.strip() for l in lines))
        else:
            base = min(len(l) - len(l.lstrip()) for l in lines)
            out.append("\n".join(l[base:] for l in lines))
    return "\n\n".join(out)


# ---------------------------------------------------------------- KJV
def kjv():
    def passage(spec):
        raw = subprocess.run([ROOT + "/usr/bin/bible", "-p", ROOT + "/usr/lib", "-l0", spec],
                             check=True, capture_output=True, text=True).stdout
        chapters, cur = [], []
        for line in raw.split("\n"):
            if not line.strip():
                continue
            if not line.startswith(" "):          # "Genesis 1" chapter heading
                if cur:
                    chapters.append("\n".join(cur))
                cur = [line.strip(), ""]
            else:
                cur.append(line.strip())
        if cur:
            chapters.append("\n".join(cur))
        return chapters

    write("kjv", passage(BOOKS_TRAIN))
    held = []
    for spec in BOOKS_HELDOUT:
        held += passage(spec)
    text = "\n\n".join(held) + "\n"
    with open(CORPUS + "/heldout.txt", "w", encoding="utf-8") as f:
        f.write(text)
    print(f"  heldout        {len(held):7d} chapters {len(text.encode()) / 1e6:8.2f} MB")


# ---------------------------------------------------------------- dictd databases
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64num(s):
    n = 0
    for c in s:
        n = n * 64 + B64.index(c)
    return n


def dict_entries(name):
    data = gzip.open(f"{ROOT}/usr/share/dictd/{name}.dict.dz").read()
    seen = set()
    for line in open(f"{ROOT}/usr/share/dictd/{name}.index", encoding="utf-8", errors="replace"):
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 3 or parts[0].startswith("00-database") or parts[0].startswith("00database"):
            continue
        off, ln = b64num(parts[1]), b64num(parts[2])
        if (off, ln) in seen:
            continue
        seen.add((off, ln))
        yield parts[0], data[off:off + ln].decode("utf-8", errors="replace")


def clean_dict_body(body):
    body = re.sub(r"^[ \t]*\[(1913 Webster|Webster 1913|PJC|WordNet|Century|RH|MW|Chambers|Note|JC|CIDE|F\.|source)[^\]\n]*\][ \t]*(\n|$)",
                  "", body, flags=re.M)
    body = re.sub(r"\s*\[(?:1913 Webster|Webster 1913 Suppl\.|PJC|WordNet 1\.5|Century Dict\.)\]", "", body)
    body = body.replace("{", "").replace("}", "")
    return squeeze_blank(unwrap(body))


def gcide_definition(body):
    """First sense of a raw gcide entry: the headword paragraph with pronunciation, part of speech,
    etymology ([...]) and field labels ((Zool.)) removed, up to the first full stop."""
    para = re.split(r"\n\s*\n", body.strip())[0]
    text = " ".join(l.strip() for l in para.split("\n"))
    text = re.sub(r"^[^\\]*\\[^\\]*\\,?", "", text)            # headword and pronunciation
    for _ in range(3):
        text = re.sub(r"\[[^\[\]]*\]", "", text)                   # etymology, inflections
    text = text.replace("{", "").replace("}", "")
    text = re.sub(r"^\s*(?:(?:[a-z]{1,5}\.\s*)+(?:&\s*)?)*", "", text)  # v. t., n., a., adv. ...
    text = re.sub(r"^\s*(?:1\.\s*)?(?:\([^)]{1,40}\)\s*)*", "", text)
    m = re.match(r"([A-Z][^\n]{10,240}?[.;])(?:\s|$)", text)
    if not m or "--" in m.group(1) or "\"" in m.group(1) or m.group(1).startswith(("See ", "Same as", "Syn", "Note", "Pl.", "Obs.")):
        return None
    d = m.group(1).rstrip(";")
    if re.search(r"\b(?:esp|Gr|L|F|cf|e\.g|i\.e|Lat|OE|AS|OF|Skr|Ger|Fr|It|Sp|etc|viz|Prov|Eng|Amer|U\.S|St|Mr|Dr|No|p|pl)\.$", d):
        return None
    return d if d.endswith(".") else d + "."


def gcide_and_wn():
    docs, qa, group = [], [], []
    for word, body in dict_entries("gcide"):
        defn = gcide_definition(body)
        # headword line: Abjure \Ab*jure"\, v. t. [...] -> Abjure, v. t. [...]
        body = re.sub(r"\\[^\\\n]{1,80}\\", "", body)
        text = clean_dict_body(body)
        if not text:
            continue
        group.append(text)
        if len(group) == 40:
            docs.append("\n\n".join(group)); group = []
        if defn and re.fullmatch(r"[A-Za-z][a-z\-]{2,20}", word):
            qa.append({"src": "gcide", "word": word.lower(), "def": defn})
    if group:
        docs.append("\n\n".join(group))
    write("gcide", docs)

    docs, group = [], []
    for word, body in dict_entries("wn"):
        text = re.sub(r"\[(syn|ant|also):\s*", lambda m: {"syn": "Synonyms: ", "ant": "Antonyms: ", "also": "See also: "}[m.group(1)], body)
        text = text.replace("]", "")
        text = clean_dict_body(text)
        group.append(text)
        if len(group) == 40:
            docs.append("\n\n".join(group)); group = []
        m = re.search(r"\b(?:n|v|adj|adv)\s+(?:1:\s+)?([a-z][^;\"\n\[]{12,200})", body.replace("\n", " ").replace("  ", " "))
        if m and re.fullmatch(r"[a-z][a-z\-]{2,20}", word):
            defn = re.sub(r"\s+", " ", m.group(1)).strip().rstrip(":;,")
            if len(defn) > 12:
                qa.append({"src": "wn", "word": word, "def": defn[0].upper() + defn[1:] + "."})
    if group:
        docs.append("\n\n".join(group))
    write("wordnet", docs)
    with open(OUT + "/qa.jsonl", "w", encoding="utf-8") as f:
        for q in qa:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"  qa pairs       {len(qa):7d}")


def small_dicts():
    for name in ["foldoc", "jargon", "devil"]:
        docs, group = [], []
        for word, body in dict_entries(name):
            group.append(clean_dict_body(body))
            if len(group) == 20:
                docs.append("\n\n".join(group)); group = []
        docs.append("\n\n".join(group))
        write(name, docs)


# ---------------------------------------------------------------- fortunes
def fortunes():
    d = f"{ROOT}/usr/share/games/fortunes"
    docs = []
    for fn in sorted(os.listdir(d)):
        p = f"{d}/{fn}"
        if "." in fn or not os.path.isfile(p) or fn in ("ascii-art", "art"):
            continue
        raw = open(p, encoding="utf-8", errors="replace").read()
        items = [squeeze_blank(x) for x in re.split(r"\n%\n", raw) if x.strip()]
        for i in range(0, len(items), 12):
            docs.append("\n\n".join(items[i:i + 12]))
    write("fortunes", docs)


# ---------------------------------------------------------------- man pages
def render_man(path):
    try:
        src = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
        if src.startswith(b".so "):
            return ""
        r = subprocess.run(["groff", "-mandoc", "-Tutf8", "-P-cbou", "-dAD=l", "-rLL=3000n", "-rHY=0"],
                           input=src, capture_output=True, timeout=60)
        lines = r.stdout.decode("utf-8", errors="replace").split("\n")
        lines = [l for l in lines[1:] if not re.match(r"^\S.*\(\d\w*\)\s*$", l)]  # header/footer
        text = "\n".join(l[7:] if l.startswith("       ") else l.lstrip() if l.startswith("   ") else l for l in lines)
        return squeeze_blank(text)
    except Exception:
        return ""


def manpages():
    base = f"{ROOT}/usr/share/man"
    paths = []
    for sec in sorted(os.listdir(base)):
        if re.fullmatch(r"man\d", sec):
            paths += [f"{base}/{sec}/{f}" for f in sorted(os.listdir(f"{base}/{sec}"))]
    with ProcessPoolExecutor(max(2, os.cpu_count() or 2)) as ex:
        docs = list(ex.map(render_man, paths, chunksize=16))
    write("manpages", docs)


# ---------------------------------------------------------------- perl pod, rst, info, html, txt
def pod_to_text(src):
    out = []
    skip = False
    for line in src.split("\n"):
        if line.startswith("=begin") or line.startswith("=for"):
            skip = line.startswith("=begin"); continue
        if line.startswith("=end"):
            skip = False; continue
        if skip:
            continue
        m = re.match(r"=(head\d|item)\s*(.*)", line)
        if m:
            out.append(("* " if m.group(1) == "item" else "") + m.group(2)); continue
        if line.startswith("="):
            continue
        out.append(line)
    text = "\n".join(out)
    for _ in range(3):
        text = re.sub(r"[BCIFLSXE]<<+\s(.*?)\s>>+", r"\1", text)
        text = re.sub(r"[BCIFLSX]<([^<>]*)>", r"\1", text)
    text = text.replace("E<lt>", "<").replace("E<gt>", ">")
    return squeeze_blank(unwrap(text))


def perl():
    d = f"{ROOT}/usr/share/perl/5.36.0/pod"
    docs = [pod_to_text(open(f"{d}/{f}", encoding="utf-8", errors="replace").read())
            for f in sorted(os.listdir(d)) if f.endswith(".pod")]
    write("perldoc", docs)


def rst_to_text(src):
    lines, out, skip_ind = src.split("\n"), [], None
    for line in lines:
        if skip_ind is not None:
            if line.strip() == "" or (len(line) - len(line.lstrip()) > skip_ind and line.lstrip().startswith(":")):
                continue
            skip_ind = None
        m = re.match(r"(\s*)\.\. (\w[\w:-]*)::(.*)", line)
        if m:
            kind = m.group(2)
            if kind in ("index", "toctree", "highlight", "module", "currentmodule", "sectionauthor", "moduleauthor",
                        "testsetup", "testcleanup", "include", "image", "figure", "raw", "only", "versionadded",
                        "versionchanged", "deprecated", "audit-event", "impl-detail", "availability"):
                skip_ind = len(m.group(1)); continue
            out.append(m.group(1) + m.group(3).strip()); continue
        if re.match(r"\s*\.\. ", line) or re.match(r"\s*\.\.\s*$", line):
            continue
        if re.fullmatch(r"([=\-~^*#+\"'`])\1{3,}", line.strip()):
            continue
        out.append(line)
    text = "\n".join(out)
    text = re.sub(r":[\w:.-]+:`~?!?([^`<]*?)(?:\s*<[^>`]*>)?`", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"`([^`<]+?)(?:\s*<[^>`]*>)?`_+", r"\1", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"\1", text)
    return squeeze_blank(unwrap(text))


def python_docs():
    base = f"{ROOT}/usr/share/doc/python3.11/html/_sources"
    docs = []
    for dp, dn, fns in sorted(os.walk(base)):
        dn.sort()
        for f in sorted(fns):
            if f.endswith(".rst.txt") and "whatsnew/changelog" not in f"{dp}/{f}":
                docs.append(rst_to_text(open(f"{dp}/{f}", encoding="utf-8", errors="replace").read()))
    write("pythondoc", docs)


def info_to_text(src):
    docs = []
    for node in src.split("\x1f"):
        node = re.sub(r"^\nFile: [^\n]*\n", "", node)
        if node.startswith("\nTag Table") or node.startswith("Tag Table") or "Indirect:" in node[:20]:
            continue
        node = re.sub(r"\*note ([^:]*)::", r"\1", node, flags=re.I)
        node = re.sub(r"^\* Menu:.*$", "", node, flags=re.M)
        node = re.sub(r"^\* [^:\n]*::.*$", "", node, flags=re.M)
        node = squeeze_blank(unwrap(node))
        if len(node) > 200:
            docs.append(node)
    return docs


def vim():
    d = f"{ROOT}/usr/share/vim/vim90/doc"
    docs = []
    for f in sorted(os.listdir(d)):
        if f.endswith(".txt") and not f.startswith("tags"):
            t = open(f"{d}/{f}", encoding="utf-8", errors="replace").read()
            t = re.sub(r"\s*vim:[^\n]*$", "", t)
            docs.append(squeeze_blank(t.expandtabs(8)))
    write("vimdoc", docs)


class _Html(html.parser.HTMLParser):
    BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "tr", "pre", "table", "dt", "dd", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip, self.pre = [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head", "nav"):
            self.skip += 1
        if tag == "pre":
            self.pre += 1
        if tag in self.BLOCK:
            self.parts.append("\n\n")
        if tag == "li":
            self.parts.append("* ")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head", "nav"):
            self.skip = max(0, self.skip - 1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in self.BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(src):
    p = _Html()
    p.feed(src)
    text = "".join(p.parts)
    text = "\n".join(l.rstrip() if l.startswith(" ") and "  " in l[:4] else l.strip() for l in text.split("\n"))
    return squeeze_blank(text)


def debian_docs():
    docs = []
    d = f"{ROOT}/usr/share/debian-reference"
    for f in sorted(os.listdir(d)):
        if f.endswith(".en.html") and f != "index.en.html":
            docs.append(html_to_text(open(f"{d}/{f}", encoding="utf-8", errors="replace").read()))
    d = f"{ROOT}/usr/share/doc/debian"
    for f in sorted(os.listdir(d)):
        if ".txt" in f:
            raw = gzip.open(f"{d}/{f}").read() if f.endswith(".gz") else open(f"{d}/{f}", "rb").read()
            docs.append(squeeze_blank(unwrap(raw.decode("utf-8", errors="replace"))))
    d = f"{ROOT}/usr/share/info"
    for f in sorted(os.listdir(d)):
        if f.endswith(".info.gz") and not f.startswith("python"):
            docs += info_to_text(gzip.open(f"{d}/{f}").read().decode("utf-8", errors="replace"))
    write("debiandoc", docs)


def main():
    os.makedirs(OUT, exist_ok=True)
    steps = {"kjv": kjv, "dict": gcide_and_wn, "small": small_dicts, "fortunes": fortunes, "man": manpages,
             "perl": perl, "python": python_docs, "vim": vim, "debian": debian_docs}
    for name in (sys.argv[1:] or steps):
        print(f"[clean] {name}", flush=True)
        steps[name]()


if __name__ == "__main__":
    main()
