"""Import EDU-DEX program XML files (the Dutch private-training catalog format).

Reads the part of EDU-DEX ``program.xsd`` (v1.x element names, from the EDU-DEX technical
manual) that a course catalog needs:

    program/programDescriptions/programName, programSummaryText, programDescriptionText
    program/programClassification/programId, programForm, programLevel, programType
    program/programCurriculum/teachingLanguage, studyLoad[@period]
    program/programSchedule/programRun (id, startDate, endDate, courseDay/date,
        startTime, endTime, location/address, cost/amount + costType)

Elements are matched on their local name, so a file with or without the EDU-DEX namespace
works; texts may carry xml:lang (Dutch is preferred). An EDU-DEX file describes one
provider's programs but does not carry that provider's catalog identity, so the caller names
the provider (an organization primaryCode already in the catalog, or a new one).

Provenance: a program and its runs come from "EDU-DEX <file name>", checked on the program's
own ``lastEdited`` day when it has one (not after the import day), else on the import day;
never example data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element  # noqa: S405 - only the type; parsing is defusedxml

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException

from services.catalog.domain import (
    Address,
    CatalogBatch,
    Course,
    Offering,
    Organization,
    Provenance,
    record_id,
)
from services.catalog.importers import (
    FeedError,
    ImportReport,
    infer_topics,
    municipality_code,
    write,
)
from services.catalog.store import SqlStore

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# EDU-DEX programLevel -> OOAPI level.
LEVELS = {
    "mbo niveau 1": "secondary vocational education 1",
    "mbo niveau 2": "secondary vocational education 2",
    "mbo niveau 3": "secondary vocational education 3",
    "mbo niveau 4": "secondary vocational education 4",
    "mbo": "secondary vocational education",
    "associate": "associate degree",
    "bachelor": "bachelor",
    "academic bachelor": "bachelor",
    "master": "master",
    "academic master": "master",
    "PhD": "doctoral",
}
# EDU-DEX programForm -> catalog mode of delivery.
FORMS = {"e-learning": "online", "distance learning": "online", "virtual classroom": "online"}
# EDU-DEX teaching languages are ISO 639-1; OOAPI wants ISO 639-2.
LANGUAGES = {"nl": "nld", "en": "eng", "de": "deu", "fr": "fra"}
MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Provider:
    code: str
    name: str | None = None


def import_edudex(
    paths: list[Path], store: SqlStore, provider: Provider, *, today: date | None = None
) -> ImportReport:
    """Import one file or every *.xml in the given folders, all in one transaction."""
    files = _files(paths)
    day = today or date.today()
    report = ImportReport(source=", ".join(str(p) for p in paths))
    organization = _provider(store, provider, files, day)
    batch = CatalogBatch()
    if organization.source == "edudex":
        batch.organizations.append(organization)
    for path in files:
        root = _parse(path)
        programs = [root] if _local(root.tag) == "program" else _children(root, "program")
        if not programs:
            raise FeedError(f"{path}: no <program> element")
        read = Provenance(source=f"EDU-DEX {path.name}", checked_on=day, example=False)
        for index, program in enumerate(programs, start=1):
            where = f"{path.name} program {index}"
            _program(program, where, organization, batch, report, _edited(program, read))
    return write(store, batch, report)


def _edited(program: Element, read: Provenance) -> Provenance:
    """``read`` on the program's own ``lastEdited`` day, when it has a valid one that is not
    after the import day."""
    edited = _date(_text(program, "lastEdited"))
    if edited is None or read.checked_on is None or edited > read.checked_on:
        return read
    return Provenance(read.source, edited, read.example)


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(path.glob("*.xml")))
        elif path.is_file():
            files.append(path)
        else:
            raise FeedError(f"{path}: no such file or folder")
    if not files:
        raise FeedError("no EDU-DEX XML files found")
    return files


def _parse(path: Path) -> Element:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise FeedError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        return SafeElementTree.parse(path).getroot()
    except (SafeElementTree.ParseError, DefusedXmlException) as exc:
        raise FeedError(f"{path}: not well-formed or unsafe XML: {exc}") from exc


def _provider(store: SqlStore, provider: Provider, files: list[Path], day: date) -> Organization:
    for organization in store.all_organizations():
        if organization.primary_code == provider.code:
            return organization
    if not provider.name:
        raise FeedError(
            f"provider {provider.code!r} is not in the catalog; give its name to create it"
        )
    # Named by the operator for these files (an EDU-DEX file does not name its provider).
    names = ", ".join(dict.fromkeys(path.name for path in files))
    return Organization(
        organization_id=record_id("organization", provider.code),
        primary_code=provider.code,
        name=provider.name,
        short_name=provider.name,
        source="edudex",
        provenance=Provenance(f"EDU-DEX {names}"[:1000], day, example=False),
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: Element | None, *path: str) -> Element | None:
    current = element
    for name in path:
        if current is None:
            return None
        found = _children(current, name)
        current = found[0] if found else None
    return current


def _text(element: Element | None, *path: str) -> str | None:
    """Text of the first match, preferring a Dutch xml:lang among siblings of that name."""
    if element is None:
        return None
    parent = _child(element, *path[:-1]) if len(path) > 1 else element
    if parent is None:
        return None
    candidates = _children(parent, path[-1])
    for candidate in candidates:
        if str(candidate.get(XML_LANG, "nl")).lower().startswith("nl"):
            value = " ".join("".join(candidate.itertext()).split())
            if value:
                return value
    for candidate in candidates:
        value = " ".join("".join(candidate.itertext()).split())
        if value:
            return value
    return None


def _program(
    program: Element,
    where: str,
    organization: Organization,
    batch: CatalogBatch,
    report: ImportReport,
    provenance: Provenance,
) -> None:
    code = _text(program, "programClassification", "programId") or _text(program, "programId")
    name = _text(program, "programDescriptions", "programName")
    if not code:
        report.reject(where, "no programClassification/programId")
        return
    if not name:
        report.reject(f"{where} ({code})", "no programDescriptions/programName")
        return
    summary = _text(program, "programDescriptions", "programSummaryText")
    description = summary or _text(program, "programDescriptions", "programDescriptionText") or name
    form = _text(program, "programClassification", "programForm") or ""
    level = _text(program, "programClassification", "programLevel") or ""
    language = (_text(program, "programCurriculum", "teachingLanguage") or "nl").lower()
    topics, audiences = infer_topics(name, description)
    hours = _hours(_child(program, "programCurriculum", "studyLoad"))
    course_id = record_id("course", code)
    mode = FORMS.get(form, "situated")
    time_of_day = "evening" if form == "evening education" else None
    offerings = []
    schedule_element = _child(program, "programSchedule")
    # An Element with no children is falsy, so None is tested explicitly.
    runs = _children(program if schedule_element is None else schedule_element, "programRun")
    for index, run in enumerate(runs, start=1):
        offering = _run(
            run,
            f"{where} ({code}) run {index}",
            code,
            course_id,
            organization,
            mode,
            time_of_day,
            report,
            provenance,
        )
        if offering:
            offerings.append(offering)
    batch.courses.append(
        Course(
            course_id=course_id,
            primary_code=code,
            organization_id=organization.organization_id,
            name=name,
            description=description,
            teaching_language=LANGUAGES.get(language, language if len(language) == 3 else "nld"),
            level=LEVELS.get(level, "undefined"),
            topics=topics,
            audiences=audiences,
            modes_of_delivery=tuple(dict.fromkeys(o.mode for o in offerings)) or (mode,),
            study_load_hours=hours,
            source="edudex",
            provenance=provenance,
        )
    )
    batch.offerings.extend(offerings)


def _hours(element: Element | None) -> int | None:
    if element is None or element.get("period", "hour") != "hour":
        return None
    try:
        return int(float((element.text or "").strip()))
    except ValueError:
        return None


def _run(
    run: Element,
    where: str,
    program_code: str,
    course_id: str,
    organization: Organization,
    mode: str,
    time_of_day: str | None,
    report: ImportReport,
    provenance: Provenance,
) -> Offering | None:
    run_id = _text(run, "id") or _text(run, "programRunId")
    days = sorted(_dates(run))
    start = _date(_text(run, "startDate")) or (days[0] if days else None)
    end = _date(_text(run, "endDate")) or (days[-1] if days else start)
    if not run_id:
        report.reject(where, "programRun without id")
        return None
    if start is None or end is None:
        report.reject(where, "no start date (startDate or courseDay/date)")
        return None
    if end < start:
        report.reject(where, "endDate before startDate")
        return None
    address = _location(run)
    run_mode = mode if address or mode == "online" else "online"
    first_time = _text(run, "courseDay", "startTime") or ""
    end_time = _text(run, "courseDay", "endTime") or ""
    if time_of_day is None:
        time_of_day = (
            "evening" if first_time[:2].isdigit() and int(first_time[:2]) >= 18 else "daytime"
        )
    schedule = None
    if first_time and days:
        schedule = f"{_weekday(days[0])} {first_time[:5]}-{end_time[:5]}".strip("-")
    return Offering(
        offering_id=record_id("offering", f"{program_code}-{run_id}"),
        primary_code=f"{program_code}-{run_id}",
        course_id=course_id,
        organization_id=organization.organization_id,
        start_date=start,
        end_date=end,
        mode=run_mode,
        time_of_day=time_of_day,
        schedule=schedule,
        address=address,
        cost_cents=_tuition(run),
        # No sign-up deadline is read from the feed, so none is given (a guessed one would be
        # told to people as a fact).
        enroll_end_date=None,
        source="edudex",
        provenance=provenance,
    )


def _dates(run: Element) -> list[date]:
    found = []
    for day in _children(run, "courseDay"):
        value = _date(_text(day, "date"))
        if value:
            found.append(value)
    return found


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _weekday(day: date) -> str:
    return ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")[
        day.weekday()
    ]


def _location(run: Element) -> Address | None:
    location = _child(run, "location")
    if location is None:
        location = _child(run, "courseDay", "location")
    if location is None:
        return None
    address = _child(location, "address")
    if address is None:
        address = location
    city = _text(address, "city")
    code = municipality_code(_text(address, "municipality"), city)
    if not city:
        return None
    return Address(
        city=city,
        municipality_code=code,
        street=_text(address, "street"),
        street_number=_text(address, "houseNumber") or _text(address, "streetNumber"),
        postal_code=_text(address, "postalCode") or _text(address, "zipCode"),
        location_name=_text(location, "name"),
    )


def _tuition(run: Element) -> int | None:
    total = 0
    seen = False
    for cost in _children(run, "cost"):
        kind = _text(cost, "costType") or "tuition fee"
        if kind in ("single payment discount",):
            continue
        try:
            total += round(float((_text(cost, "amount") or "").replace(",", ".")) * 100)
            seen = True
        except ValueError:
            continue
    return total if seen else None
