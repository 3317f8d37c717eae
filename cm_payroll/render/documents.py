"""HTML and PDF pay slips from Jinja2 templates (`templates/slip.html.j2` + `slip.css`).

Templates are looked up, first match wins, in:
    1. the folder given with `--templates DIR`;
    2. `<input>/templates/` when it exists (a branch's own copy, as `cm-payroll init` lays it out);
    3. the built-in templates shipped with the package (the repository's top-level `templates/`,
       reached through the `cm_payroll/templates` link and shipped in the wheel as package data).
A branch can so replace `slip.html.j2` or only `slip.css` without touching code.

PDF is rendered by WeasyPrint with Noto Sans CJK (Debian's fonts-noto-cjk). Both formats are
byte-for-byte deterministic: no dates but the fixed one in the document's metadata, no random ids
(the PDF /ID is an md5 of the content).

PDFs in batches (PDF time per slip): each slip's HTML is laid out as its own WeasyPrint document, as
before, but the pages of PDF_BATCH consecutive slips (in 工号 order, cut the same way whatever the
number of workers) are written as one PDF and then split into one file per slip with pypdf. What a
PDF costs besides layout — subsetting the CJK font (WeasyPrint keeps glyph ids, so every subset is a
pass over the font's 65,000 glyphs), drawing the font programs, compressing them — is so paid once
per batch instead of once per slip. A slip's file therefore embeds the font subset of its batch: the
glyphs of the characters its batch uses (its own among them); its text, ToUnicode map included, is
its own (see `_trim_to_unicode`).
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2
import markupsafe

from cm_payroll import units
from cm_payroll.errors import MissingSystemPackage, UsageError
from cm_payroll.render import protect as protect_mod
from cm_payroll.render import slips as xlsx_slips
from cm_payroll.render.pool import ordered_map, workers_for
from cm_payroll.render.slip_xlsx import slip_workbook
from cm_payroll.render.slips import Slip
from cm_payroll.render.tables import SIGN_OFF
from cm_payroll.render.text import slip_text
from cm_payroll.render.xlsx import FIXED_TIME

SLIP_TEMPLATE = "slip.html.j2"
FORMATS = ("xlsx", "html", "pdf")
PDF_POOL_MIN_SLIPS = 24
PDF_BATCH = 16                  # slips whose pages are written as one PDF, then split (module note)
FIXED_DATE = FIXED_TIME.replace(tzinfo=dt.timezone.utc).isoformat().replace("+00:00", "Z")


def builtin_templates() -> Path:
    """The templates shipped with the package; in a source checkout, the top-level `templates/`."""
    p = Path(str(resources.files("cm_payroll") / "templates"))
    if (p / SLIP_TEMPLATE).is_file():
        return p
    repo = Path(__file__).resolve().parents[2] / "templates"
    if (repo / SLIP_TEMPLATE).is_file():
        return repo
    raise UsageError("the built-in slip templates are missing from this installation "
                     f"(looked in {p} and {repo}); pass --templates DIR")


def template_search_path(templates: Path | None = None, input_dir: Path | None = None) -> list[Path]:
    path: list[Path] = []
    if templates is not None:
        templates = Path(templates)
        if not templates.is_dir():
            raise UsageError(f"--templates {templates}: no such folder")
        path.append(templates)
    if input_dir is not None and (Path(input_dir) / "templates").is_dir():
        path.append(Path(input_dir) / "templates")
    path.append(builtin_templates())
    return path


def parse_formats(spec: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """`xlsx,html,pdf` → the formats in canonical order; unknown names are a usage error."""
    if spec is None:
        return ("xlsx",)
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    names = {s.strip().lower() for s in items if s.strip()}
    unknown = sorted(names - set(FORMATS))
    if unknown or not names:
        raise UsageError(f"--format {','.join(items)}: choose one or more of {','.join(FORMATS)} "
                         f"(comma separated)")
    return tuple(f for f in FORMATS if f in names)


def money(fen: int | None) -> str:
    """The template filter `money`: fen as 1,234.56 (units.yuan)."""
    return units.yuan(fen)


_NEGATIVE = re.compile(r"^\s*[-\u2212]\s*[0-9]")


def is_negative(value) -> bool:
    """The template test `negative`: an amount (fen) below zero, or a display value such as
    "-1,234.56" or "−1,780.00(…)" that starts with a minus sign and a digit (shown in red)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value < 0
    return bool(_NEGATIVE.match(str(value)))


_NEGATIVE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z.,])[-\u2212][0-9][0-9,]*(?:\.[0-9]+)?")


def negatives(value) -> markupsafe.Markup:
    """The template filter `negatives`: the text escaped, every negative amount in it (-59,600.00,
    not S-Art.13 nor 2013-01) in <span class="neg"> (shown in red)."""
    escaped = str(markupsafe.escape("" if value is None else value))
    return markupsafe.Markup(_NEGATIVE_IN_TEXT.sub(lambda m: f'<span class="neg">{m.group(0)}</span>', escaped))


def month_label(month: str) -> str:
    y, m = month.split("-")
    return f"{int(y)}年{int(m)}月"


@dataclass
class SlipDocuments:
    """Renders slips of one month as HTML and PDF. One instance per month (it caches the Jinja2
    environment and WeasyPrint's font configuration)."""
    month: str                                 # YYYY-MM
    rulebook_title: str = ""
    firm: str = ""
    search_path: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.search_path:
            self.search_path = template_search_path()
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in self.search_path]),
            autoescape=jinja2.select_autoescape(["html", "j2", "htm", "xml"], default=True),
            undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
            trim_blocks=False, lstrip_blocks=False)
        self.env.filters["money"] = money
        self.env.filters["negatives"] = negatives
        self.env.tests["negative"] = is_negative
        try:
            self.template = self.env.get_template(SLIP_TEMPLATE)
        except jinja2.TemplateError as exc:
            raise UsageError(f"slip template: {exc}") from exc
        self._pdf_base = str(Path(self.template.filename or self.search_path[0]).parent) + "/"

    def html(self, slip: Slip) -> str:
        slip = slip_text(slip)              # Chinese punctuation, amounts grouped (text.py)
        facts = dict(slip.facts)
        branch = getattr(slip, "branch", "") or facts.get("营业部", "")
        try:
            return self.template.render(
                slip=slip, month=self.month, month_label=month_label(self.month), branch=branch,
                firm=self.firm, rulebook_title=self.rulebook_title, sign_off=SIGN_OFF,
                fixed_date=FIXED_DATE, fact=lambda label: facts.get(label, ""))
        except jinja2.TemplateError as exc:
            raise UsageError(f"slip template {self.template.filename}: {exc}") from exc

    def pdf(self, html: str) -> bytes:
        """One slip's PDF on its own (a batch of one)."""
        return _render_pdfs([html], self._pdf_base)[0]

    def pdfs(self, htmls: list[str], keys: list[str] | None = None) -> Iterator[bytes]:
        """The PDFs of many slips, in the order given; in worker processes when there are many.
        Batches of PDF_BATCH are cut over the slips sorted by `keys` (the 工号; default: the order
        given), so a slip's bytes depend on its 工号 neighbours, never on the number of workers."""
        n = len(htmls)
        order = sorted(range(n), key=lambda i: keys[i]) if keys is not None else list(range(n))
        batches = [order[i:i + PDF_BATCH] for i in range(0, n, PDF_BATCH)]
        workers = pdf_workers(n)
        jobs = [([htmls[i] for i in b], self._pdf_base) for b in batches]
        ready: dict[int, bytes] = {}
        results = zip(batches, ordered_map(_pdf_job, jobs, workers))
        for i in range(n):
            while i not in ready:
                batch, datas = next(results)
                ready.update(zip(batch, datas))
            yield ready.pop(i)


Progress = Callable[[str, str, int, int], None]      # (stage, month, done, total)


@dataclass(frozen=True)
class RenderOptions:
    """How a run writes its slips: formats, where the templates are, protection."""
    formats: tuple[str, ...] = ("xlsx",)
    search_path: tuple[Path, ...] = ()               # empty: built-in templates only
    protection: protect_mod.Protection | None = field(default=None, repr=False)
    progress: Progress | None = field(default=None, compare=False, repr=False)


def make_options(formats=None, templates: Path | None = None, input_dir: Path | None = None,
                 protect: bool = False, rulebook_raw: dict | None = None,
                 progress: Progress | None = None) -> RenderOptions:
    """Check the slip options of a run before anything is computed (usage errors, exit 2)."""
    fmts = parse_formats(formats)
    if protect and "html" in fmts:
        raise UsageError("--protect-slips cannot protect HTML slips (a browser opens them without a "
                         "password); use --format xlsx,pdf")
    search: tuple[Path, ...] = ()
    if "html" in fmts or "pdf" in fmts or templates is not None:
        search = tuple(template_search_path(templates, input_dir))
    protection = protect_mod.from_rulebook(rulebook_raw or {}) if protect else None
    if "pdf" in fmts:
        _weasyprint()
        if not cjk_font_families():
            raise MissingSystemPackage(
                "--format pdf: no Chinese (CJK) font is installed, so every Chinese character of a PDF slip "
                "would print as an empty box. Install the Debian package fonts-noto-cjk (as root: apt-get "
                "install fonts-noto-cjk; `make system-deps` does it) and run again; nothing was computed")
    return RenderOptions(fmts, search, protection, progress)


def cjk_font_families() -> list[str]:
    """The font families fontconfig (which WeasyPrint's Pango uses) knows for Chinese (:lang=zh);
    empty when there is none or fontconfig itself is missing."""
    import ctypes
    import ctypes.util

    class FontSet(ctypes.Structure):
        _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.POINTER(ctypes.c_void_p))]

    lib = ctypes.util.find_library("fontconfig")
    if not lib:
        return []
    try:
        fc = ctypes.CDLL(lib)
        fc.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
        fc.FcNameParse.restype = ctypes.c_void_p
        fc.FcNameParse.argtypes = [ctypes.c_char_p]
        fc.FcObjectSetBuild.restype = ctypes.c_void_p
        fc.FcFontList.restype = ctypes.POINTER(FontSet)
        fc.FcFontList.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        fc.FcPatternGetString.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int,
                                          ctypes.POINTER(ctypes.c_char_p)]
        fc.FcFontSetDestroy.argtypes = [ctypes.POINTER(FontSet)]
        fc.FcConfigDestroy.argtypes = [ctypes.c_void_p]
        config = fc.FcInitLoadConfigAndFonts()
        if not config:
            return []
        pattern = fc.FcNameParse(b":lang=zh")
        objects = fc.FcObjectSetBuild(b"family", None)
        fonts = fc.FcFontList(config, pattern, objects)
        names = set()
        if fonts:
            for i in range(fonts.contents.nfont):
                value = ctypes.c_char_p()
                if fc.FcPatternGetString(fonts.contents.fonts[i], b"family", 0, ctypes.byref(value)) == 0 \
                        and value.value:
                    names.add(value.value.decode("utf-8", "replace"))
            fc.FcFontSetDestroy(fonts)
        fc.FcConfigDestroy(config)
        return sorted(names)
    except (OSError, AttributeError, ValueError):
        return []


def write_slips(slips: Iterable[Slip], month: str, put: Callable[[str, bytes], None],
                options: RenderOptions | None = None, rulebook_title: str = "") -> int:
    """Every slip of a month in every requested format through `put(relative path, bytes)`: slips/<id>.xlsx,
    .html, .pdf, and with protection the password list (outside slips/). Returns the number of slips.
    PDFs are rendered in worker processes when there are many (pdf_workers())."""
    options = options or RenderOptions()
    slips = list(slips)
    stems = [xlsx_slips.slip_filename(s.manager_id)[: -len(".xlsx")] for s in slips]
    htmls: list[str] = []
    pdfs: Iterator[bytes] = iter(())
    docs = None
    if "html" in options.formats or "pdf" in options.formats:
        docs = SlipDocuments(month, rulebook_title=rulebook_title, search_path=list(options.search_path))
        htmls = [docs.html(s) for s in slips]
        if "pdf" in options.formats:
            pdfs = docs.pdfs(htmls, [s.manager_id for s in slips])
    prot = options.protection
    passwords = []
    for i, (slip, stem) in enumerate(zip(slips, stems)):
        if "xlsx" in options.formats:
            data = slip_workbook(slip)
            put(f"slips/{stem}.xlsx", prot.encrypt("xlsx", data, slip.manager_id) if prot else data)
        if "html" in options.formats:
            put(f"slips/{stem}.html", htmls[i].encode("utf-8"))
        if "pdf" in options.formats:
            data = next(pdfs)
            put(f"slips/{stem}.pdf", prot.encrypt("pdf", data, slip.manager_id) if prot else data)
        if prot:
            facts = dict(slip.facts)
            passwords.append((slip.manager_id, facts.get("姓名", ""), facts.get("营业部", ""),
                              prot.password(slip.manager_id)))
        if options.progress:
            options.progress("slips", month, i + 1, len(slips))
    if prot:
        put(prot.password_list, protect_mod.password_list(passwords))
    return len(slips)


def pdf_workers(n_slips: int) -> int:
    """Worker processes for PDF rendering: CM_PAYROLL_PDF_WORKERS, else one per core when there are
    enough slips to repay the start of a worker (≈ 1.5 s: it imports WeasyPrint, ≈ 4 slips)."""
    return workers_for(n_slips, PDF_POOL_MIN_SLIPS, "CM_PAYROLL_PDF_WORKERS")


def _pdf_job(job: tuple[list[str], str]) -> list[bytes]:
    """In a worker of the render pool (or in the parent): the PDFs of one batch of slips."""
    htmls, base_url = job
    return _render_pdfs(htmls, base_url)


_FONT_CONFIG = None
# a slip's page: everything between <head> and </head> that is the slip's own metadata, not style
_DOCUMENT = re.compile(r"^(?P<open>.*?<head[^>]*>)(?P<head>.*?)(?P<mid></head>\s*<body[^>]*>)(?P<body>.*)"
                       r"(?P<close></body>\s*</html>\s*)$", re.S | re.I)
_OWN_HEAD = re.compile(r"<title>.*?</title>|<meta\s+name=\"(?:author|description|keywords|generator|"
                       r"dcterms\.created|dcterms\.modified)\"[^>]*>", re.S | re.I)
SLIP_MARK = "cm-slip-"
# the empty block that starts each slip of a batch document on a new page
_MARK_STYLE = (f"<style>.{SLIP_MARK}start {{ break-before: page; display: block; height: 0; margin: 0; "
               f"padding: 0; border: 0; }}</style>")


def _font_config():
    global _FONT_CONFIG
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration
        _FONT_CONFIG = FontConfiguration()
    return _FONT_CONFIG


def batch_document(htmls: list[str]) -> str | None:
    """The slips of a batch as one HTML document, each starting on a new page after an empty block
    with id cm-slip-<i>; None when their pages do not share one <head> (title and metadata aside),
    e.g. a branch's template that puts slip data into its stylesheet: those are laid out one by one."""
    parts = [_DOCUMENT.match(h) for h in htmls]
    if len(htmls) < 2 or any(m is None for m in parts):
        return None
    first = parts[0]
    shared = _OWN_HEAD.sub("", first["head"])
    for m in parts[1:]:
        if (m["open"], m["mid"], m["close"]) != (first["open"], first["mid"], first["close"]) \
                or _OWN_HEAD.sub("", m["head"]) != shared:
            return None
    body = "".join(f'<div class="{SLIP_MARK}start" id="{SLIP_MARK}{i}"></div>{m["body"]}'
                   for i, m in enumerate(parts))
    return f'{first["open"]}{first["head"]}{_MARK_STYLE}{first["mid"]}{body}{first["close"]}'


def _slip_pages(doc, n: int) -> list[range] | None:
    """The pages of each of the n slips of a batch document (by the page each cm-slip-<i> block is
    on); None when they cannot be told apart."""
    starts: dict[int, int] = {}
    for k, page in enumerate(doc.pages):
        for name in page.anchors:
            if name.startswith(SLIP_MARK) and name[len(SLIP_MARK):].isdigit():
                starts.setdefault(int(name[len(SLIP_MARK):]), k)
    order = [starts.get(i) for i in range(n)]
    if None in order or order[0] != 0 or any(b <= a for a, b in zip(order, order[1:])):
        return None
    ends = order[1:] + [len(doc.pages)]
    return [range(a, b) for a, b in zip(order, ends)]


def _metadata(html: str):
    """A slip's own PDF metadata (title, author, dates) from its page's <head>."""
    from weasyprint.html import get_html_metadata
    from weasyprint.pdf.metadata import DocumentMetadata
    m = _DOCUMENT.match(html)
    head = f'{m["open"]}{"".join(_OWN_HEAD.findall(m["head"]))}</head><body></body></html>' if m else html
    return DocumentMetadata(**get_html_metadata(_weasyprint().HTML(string=head)))


def _render_pdfs(htmls: list[str], base_url: str) -> list[bytes]:
    """The slips of a batch laid out as one document (batch_document: each slip from a new page) and
    written as one PDF, split into one file per slip (its pages, its own metadata); slips whose pages
    do not share a <head> are laid out one by one and their pages written together. See the module
    note."""
    weasyprint = _weasyprint()
    combined = batch_document(htmls)
    if combined is not None:
        doc = weasyprint.HTML(string=combined, base_url=base_url).render(font_config=_font_config())
        ranges = _slip_pages(doc, len(htmls))
        if ranges is not None:
            metas = [_metadata(h) for h in htmls]
            return _split(doc.write_pdf(), ranges, metas, htmls, weasyprint.__version__)
    docs = [weasyprint.HTML(string=h, base_url=base_url).render(font_config=_font_config()) for h in htmls]
    ranges, first = [], 0
    for d in docs:
        ranges.append(range(first, first + len(d.pages)))
        first += len(d.pages)
    pdf = docs[0].copy([p for d in docs for p in d.pages]).write_pdf()
    return _split(pdf, ranges, [d.metadata for d in docs], htmls, weasyprint.__version__)


def _split(combined: bytes, ranges: list[range], metas: list, htmls: list[str], version: str) -> list[bytes]:
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, ByteStringObject

    reader = PdfReader(io.BytesIO(combined))
    out = []
    for pages, meta, html in zip(ranges, metas, htmls):
        writer = PdfWriter()
        for k in pages:
            writer.add_page(reader.pages[k])
        date = _pdf_date(meta.created or FIXED_DATE)
        info = {"/Producer": f"WeasyPrint {version}", "/CreationDate": date,
                "/ModDate": _pdf_date(meta.modified or FIXED_DATE)}
        if meta.title:
            info["/Title"] = meta.title
        if meta.authors:
            info["/Author"] = ", ".join(meta.authors)
        if meta.generator:
            info["/Creator"] = meta.generator
        writer.add_metadata(info)
        _trim_to_unicode(writer)
        # the file identifier: the md5 of the slip's page and the renderer (pypdf would write none)
        ident = ByteStringObject(_md5(f"{version}\n{html}".encode("utf-8")))
        writer._ID = ArrayObject([ident, ident])
        buf = io.BytesIO()
        writer.write(buf)
        out.append(buf.getvalue())
    return out


_SHOW = re.compile(rb"/([^\s/\[\]<>()]+)\s+[-0-9.]+\s+Tf|<([0-9a-fA-F]*)>")
_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<([0-9a-fA-F]*)>")


def _trim_to_unicode(writer) -> None:
    """Each font's ToUnicode map down to the glyphs the slip's own pages show, so that a slip's text
    layer (what copy, search and pdftotext read) holds nothing of the other slips of its batch.
    WeasyPrint writes text as 2-byte glyph ids in hex strings after `/<font> <size> Tf`."""
    from pypdf.generic import NameObject
    used: dict[str, set[bytes]] = {}
    fonts: dict[str, object] = {}
    for page in writer.pages:
        res = page.get("/Resources")
        res = res.get_object() if res is not None else {}
        font_dict = res.get("/Font")
        if font_dict is None:
            continue
        font_dict = font_dict.get_object()
        for name, ref in font_dict.items():
            fonts[name[1:]] = ref.get_object()
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        current = None
        for m in _SHOW.finditer(data):
            if m.group(1) is not None:
                current = m.group(1).decode("latin-1")
                used.setdefault(current, set())
            elif current is not None:
                h = m.group(2).lower()
                used[current].update(h[i:i + 4] for i in range(0, len(h) - 3, 4))
    for name, font in fonts.items():
        cmap_ref = font.get("/ToUnicode")
        if cmap_ref is None:
            continue
        cmap = cmap_ref.get_object()
        keep = used.get(name, set())
        body = cmap.get_data()
        pairs = [(g.lower(), u) for g, u in _BFCHAR.findall(body) if g.lower() in keep]
        head = body[:body.find(b"endcodespacerange") + len(b"endcodespacerange")]
        chunks = [head]
        for i in range(0, len(pairs), 100):
            part = pairs[i:i + 100]
            chunks.append(b"%d beginbfchar" % len(part))
            chunks.extend(b"<%s> <%s>" % (g, u) for g, u in part)
            chunks.append(b"endbfchar")
        chunks.append(b"endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend")
        cmap.set_data(b"\n".join(chunks))
        font[NameObject("/ToUnicode")] = cmap_ref


def _md5(data: bytes) -> bytes:
    import hashlib
    return hashlib.md5(data, usedforsecurity=False).digest()


def _pdf_date(iso: str) -> str:
    """2000-01-01T00:00:00Z → D:20000101000000Z (the PDF date WeasyPrint writes)."""
    digits = re.sub(r"[^0-9]", "", iso)[:14].ljust(14, "0")
    return f"D:{digits}Z"


@functools.cache
def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:      # OSError: Pango missing from the system
        raise MissingSystemPackage(f"--format pdf needs Pango (Debian packages libpango-1.0-0 libpangoft2-1.0-0 "
                                   f"libharfbuzz-subset0; `make system-deps` installs them): {exc}") from exc
    _quiet_notdef()
    return weasyprint


class _NotdefOnce:
    """WeasyPrint logs one warning per drawn character that no font has (".notdef glyph rendered for
    Unicode string unsupported by fonts: …"): thousands of lines for a month of slips on a machine
    without a CJK font. This filter, on WeasyPrint's logger and for that message only, lets each
    character's warning through once per process; every other message passes untouched."""

    def __init__(self) -> None:
        self.seen: set = set()

    def filter(self, record) -> bool:
        if not str(record.msg).startswith(".notdef glyph"):
            return True
        key = record.args[1] if isinstance(record.args, tuple) and len(record.args) > 1 else record.getMessage()
        if key in self.seen:
            return False
        self.seen.add(key)
        return True


def _quiet_notdef() -> None:
    import logging
    logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _NotdefOnce) for f in logger.filters):
        logger.addFilter(_NotdefOnce())


__all__ = ["FORMATS", "RenderOptions", "SlipDocuments", "builtin_templates", "make_options", "money",
           "parse_formats", "template_search_path", "write_slips"]

