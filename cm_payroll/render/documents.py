"""HTML and PDF pay slips from Jinja2 templates (`templates/slip.html.j2` + `slip.css`).

Templates are looked up, first match wins, in:
    1. the folder given with `--templates DIR`;
    2. `<input>/templates/` when it exists (a branch's own copy, as `cm-payroll init` lays it out);
    3. the built-in templates shipped with the package (the repository's top-level `templates/`,
       reached through the `cm_payroll/templates` link and shipped in the wheel as package data).
A branch can so replace `slip.html.j2` or only `slip.css` without touching code.

PDF is rendered by WeasyPrint with Noto Sans CJK (Debian's fonts-noto-cjk). Both formats are
byte-for-byte deterministic: no dates but the fixed one in the document's metadata, no random ids
(the PDF /ID is WeasyPrint's/pydyf's md5 of the content).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jinja2

from cm_payroll import units
from cm_payroll.errors import MissingSystemPackage, UsageError
from cm_payroll.render import protect as protect_mod
from cm_payroll.render import slips as xlsx_slips
from cm_payroll.render.pool import ordered_map, workers_for
from cm_payroll.render.slip_xlsx import slip_workbook
from cm_payroll.render.slips import Slip
from cm_payroll.render.tables import SIGN_OFF
from cm_payroll.render.xlsx import FIXED_TIME

SLIP_TEMPLATE = "slip.html.j2"
FORMATS = ("xlsx", "html", "pdf")
PDF_POOL_MIN_SLIPS = 24
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
        try:
            self.template = self.env.get_template(SLIP_TEMPLATE)
        except jinja2.TemplateError as exc:
            raise UsageError(f"slip template: {exc}") from exc
        self._pdf_base = str(Path(self.template.filename or self.search_path[0]).parent) + "/"

    def html(self, slip: Slip) -> str:
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
        return _render_pdf(html, self._pdf_base)

    def pdfs(self, htmls: list[str]) -> Iterator[bytes]:
        """The PDFs of many slips, in order; in worker processes when there are many."""
        workers = pdf_workers(len(htmls))
        chunk = max(1, min(8, len(htmls) // (4 * max(workers, 1))))
        yield from ordered_map(_pdf_job, [(h, self._pdf_base) for h in htmls], workers, chunksize=chunk)


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
            pdfs = docs.pdfs(htmls)
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


def _pdf_job(job: tuple[str, str]) -> bytes:
    """In a worker of the render pool (or in the parent): one page's PDF."""
    html, base_url = job
    return _render_pdf(html, base_url)


_FONT_CONFIG = None


def _render_pdf(html: str, base_url: str) -> bytes:
    global _FONT_CONFIG
    weasyprint = _weasyprint()
    if _FONT_CONFIG is None:
        from weasyprint.text.fonts import FontConfiguration
        _FONT_CONFIG = FontConfiguration()
    doc = weasyprint.HTML(string=html, base_url=base_url).render(font_config=_FONT_CONFIG)
    return doc.write_pdf()


@functools.cache
def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:      # OSError: Pango missing from the system
        raise MissingSystemPackage(f"--format pdf needs Pango (Debian packages libpango-1.0-0 libpangoft2-1.0-0 "
                                   f"libharfbuzz-subset0; `make system-deps` installs them): {exc}") from exc
    return weasyprint


__all__ = ["FORMATS", "RenderOptions", "SlipDocuments", "builtin_templates", "make_options", "money",
           "parse_formats", "template_search_path", "write_slips"]

