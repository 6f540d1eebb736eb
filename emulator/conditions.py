"""What is wrong with a printer, derived from its state: the condition rules.

:class:`ConditionRules` holds the part of the behaviour engine that reads the state and says
what holds: which conditions are present (jam, cover open, supplies low or empty, trays
empty, output full, media missing for the current job, ...), what blocks a job, which tray
and output bin a job's pages use, and how a supply or tray is named on the console. It
writes nothing: :class:`~printbench.emulator.behaviour.PrinterEngine` turns the conditions
into the printer state, state reasons, alerts and console text (``evaluate``). Kept apart
because it is the engine's one pure seam: rules of the Printer MIB and PWG 5100.9 alert
semantics on one side, jobs, time and writes on the other.
"""

from __future__ import annotations

from dataclasses import dataclass

from printbench.emulator import state as st


def media_short_name(media: str) -> str:
    """The name a front panel shows: ``iso_a4_210x297mm`` → ``A4``, ``na_letter_...`` → ``Letter``."""
    parts = media.split("_")
    if len(parts) < 3:
        return media
    name = parts[1]
    if parts[0] in ("iso", "jis", "jpn", "prc", "roc", "om"):
        return name.upper()
    return name.replace("-", " ").title().replace(" ", "-")


_A4_LETTER = {"iso_a4_210x297mm": "na_letter_8.5x11in", "na_letter_8.5x11in": "iso_a4_210x297mm"}


def parse_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """``"1-3,7"`` → ((1, 3), (7, 7)); ``""`` → () (all pages)."""
    out = []
    for part in filter(None, text.split(",")):
        lo, _, hi = part.partition("-")
        out.append((int(lo), int(hi or lo)))
    return tuple(out)


def format_ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{lo}-{hi}" for lo, hi in ranges)


def selected_pages(pages: int, ranges: tuple[tuple[int, int], ...]) -> list[int]:
    """The page numbers (1-based) of a ``pages``-page document that ``ranges`` prints
    (RFC 8011 §5.2.7: pages outside the document are ignored)."""
    if not ranges:
        return list(range(1, pages + 1))
    out: list[int] = []
    for lo, hi in ranges:
        out.extend(range(max(lo, 1), min(hi, pages) + 1))
    return out


@dataclass(frozen=True)
class Condition:
    """Something the printer reports: one IPP reason, one alert row, one console message."""

    reason: str  # printer-state-reasons keyword
    code: str  # PrtAlertCodeTC keyword ("" for no alert row)
    group: str  # PrtAlertGroupTC keyword
    group_index: int
    severity: str  # critical | warning
    message: str  # console line 1 when it is the most important condition; alert description
    hint: str = ""  # console line 2
    stops: bool = False  # nothing prints while it lasts
    training: str = "untrained"
    priority: int = 50  # lower: shown first on the console

    @property
    def key(self) -> tuple[str, int, str]:
        return (self.group, self.group_index, self.code)


class ConditionRules:
    """The state-reading rules of :class:`~printbench.emulator.behaviour.PrinterEngine`."""

    state: st.PrinterState

    def _media_type(self, job: st.Job) -> str:
        tray = self._tray_for(job)
        return tray.media_type if tray is not None else "stationery"

    def _media_used(self, media: str, media_type: str) -> st.MediaUsed:
        for row in self.state.media_used:
            if row.media == media and row.media_type == media_type:
                return row
        row = st.MediaUsed(index=len(self.state.media_used) + 1, media=media, media_type=media_type)
        self.state.add_row("media_used", row)
        return row

    def _supply_used(self, supply: st.Supply, color: bool) -> bool:
        """Black and colourless supplies (drum, fuser, waste) serve every page; colours only colour pages."""
        if supply.colorant_index == 0:
            return True
        try:
            colorant = self.state.row("colorants", supply.colorant_index)
        except KeyError:
            return True
        return color or colorant.value == "black"

    def _trays_for(self, media: str) -> list[st.InputTray]:
        trays = [t for t in self.state.input_trays if t.present and t.media == media]
        return sorted(trays, key=lambda t: (t.tray_type == "sheetFeedManual", t.index))

    def _tray_for(self, job: st.Job) -> st.InputTray | None:
        """The tray the next sheet comes from (auto-select: cassettes first, bypass last).

        When no tray holds the media, the profile's ``ipp.media_mismatch`` says what the
        printer does, as the front-panel setting of real printers does: ``stop``
        (media-needed), ``override-a4-letter`` (A4 and Letter stand in for each other) or
        ``print-on-loaded`` (the first loaded tray)."""
        media = self.page_media(job)
        for tray in self._trays_for(media):
            if tray.level != 0:
                return tray
        mode = self.state.ipp.media_mismatch
        if mode == "override-a4-letter" and media in _A4_LETTER:
            for tray in self._trays_for(_A4_LETTER[media]):
                if tray.level != 0:
                    return tray
        elif mode == "print-on-loaded":
            loaded = [t for t in self.state.input_trays if t.present and t.media and t.level != 0]
            loaded.sort(key=lambda t: (t.tray_type == "sheetFeedManual", t.index))
            if loaded:
                return loaded[0]
        return None

    def page_media(self, job: st.Job) -> str:
        """The media of the job's next sheet: the job's, or an override's (PWG 5100.6)."""
        media = job.media or self.state.defaults.media
        if not job.overrides:
            return media
        doc, page = self._page_position(job)
        for first_doc, last_doc, first, last, other in job.overrides:
            if first_doc <= doc <= last_doc and first <= page <= last:
                return other
        return media

    def _page_position(self, job: st.Job) -> tuple[int, int]:
        """(document number, page number in that document as sent) of the next impression."""
        index = job.impressions_completed % max(job.pages, 1)
        ranges = parse_ranges(job.page_ranges)
        for number, sent in enumerate(job.doc_pages, 1):
            picked = selected_pages(sent, ranges)
            if index < len(picked):
                return number, picked[index]
            index -= len(picked)
        return 1, index + 1

    def _output_tray(self) -> st.OutputTray | None:
        return self.state.output_trays[0] if self.state.output_trays else None

    def duplex_supported(self) -> bool:
        return any(p.path_type.endswith("Duplex") for p in self.state.media_paths)

    # =========================================================================================
    # Conditions, alerts, console
    # =========================================================================================

    def _blocked(self, job: st.Job) -> bool:
        s = self.state.status
        if not s.powered or s.paused or s.offline:
            return True
        return any(c.stops for c in self.conditions()) or bool(self._job_blockers(job))

    def conditions(self) -> list[Condition]:
        """What the printer reports now, independent of any job, most important first."""
        s = self.state
        out: list[Condition] = []
        if s.status.jammed:
            if s.status.jam_tray:
                where = self._tray_name(s.status.jam_tray).lower()
                out.append(
                    Condition(
                        "media-jam",
                        "jam",
                        "input",
                        s.status.jam_tray,
                        "critical",
                        f"Paper jam in {where}",
                        "Open tray and remove paper",
                        True,
                        priority=10,
                    )
                )
            else:
                out.append(
                    Condition(
                        "media-jam",
                        "jam",
                        "mediaPath",
                        1,
                        "critical",
                        "Paper jam in printer",
                        "Open door and remove paper",
                        True,
                        priority=10,
                    )
                )
        for cover in s.covers:
            if cover.status in ("open", "interlockOpen"):
                out.append(
                    Condition(
                        "cover-open",
                        "coverOpen",
                        "cover",
                        cover.index,
                        "critical",
                        f"Close {cover.description.lower()}",
                        "",
                        True,
                        priority=20,
                    )
                )
        if s.status.service_requested:
            out.append(
                Condition(
                    "service-needed",  # not IPP-registered; maps to serviceRequested (enums)
                    "",
                    "generalPrinter",
                    1,
                    "warning",
                    "Service requested",
                    "Call service",
                    priority=90,
                )
            )
        if s.status.offline:
            out.append(
                Condition(
                    "offline-report",
                    "subunitOffline",
                    "generalPrinter",
                    1,
                    "warning",
                    "Offline",
                    "Press OK to go online",
                    True,
                    priority=25,
                )
            )
        for out_tray in s.output_trays:
            if out_tray.capacity > 0 and out_tray.remaining_capacity == 0:
                stop = out_tray is self._output_tray()
                out.append(
                    Condition(
                        "output-area-full",
                        "outputMediaTrayFull",
                        "output",
                        out_tray.index,
                        "critical",
                        f"{out_tray.name} full",
                        "Remove paper from bin",
                        stop,
                        priority=30,
                    )
                )
            elif (
                out_tray.capacity > 0
                and out_tray.remaining_capacity >= 0  # -3 some room, -2 unknown (RFC 3805)
                and out_tray.remaining_capacity * 10 <= out_tray.capacity
            ):
                out.append(
                    Condition(
                        "output-area-almost-full",
                        "outputMediaTrayAlmostFull",
                        "output",
                        out_tray.index,
                        "warning",
                        f"{out_tray.name} almost full",
                        priority=70,
                    )
                )
        for supply in s.supplies:
            cond = self._supply_condition(supply)
            if cond is not None:
                out.append(cond)
        for tray in s.input_trays:
            name = tray.name or f"Tray {tray.index}"
            if not tray.present:
                out.append(
                    Condition(
                        "input-tray-missing",
                        "inputMediaTrayMissing",
                        "input",
                        tray.index,
                        "warning",
                        f"Insert {name}",
                        priority=60,
                    )
                )
            elif tray.tray_type == "sheetFeedManual" or tray.capacity <= 0:
                continue  # an empty bypass tray is its normal state
            elif tray.level == 0:
                out.append(
                    Condition(
                        "media-empty",
                        "inputMediaSupplyEmpty",
                        "input",
                        tray.index,
                        "warning",
                        f"{name} empty",
                        f"Load {name} {media_short_name(tray.media)}",
                        priority=75,
                    )
                )
            elif 0 < tray.level <= tray.low_threshold:
                out.append(
                    Condition(
                        "media-low",
                        "inputMediaSupplyLow",
                        "input",
                        tray.index,
                        "warning",
                        f"{name} low",
                        priority=80,
                    )
                )
        out.sort(key=lambda c: c.priority)
        return out

    def _supply_condition(self, supply: st.Supply) -> Condition | None:
        if supply.max_capacity <= 0 or supply.level < 0:
            return None
        label = self._supply_label(supply)
        t = supply.supply_type
        receptacle = supply.supply_class == "receptacleThatIsFilled"
        stops = self._supply_used(supply, False)  # black / colourless supplies stop every job
        if supply.level == 0:
            if receptacle:
                code = (
                    "markerWasteInkReceptacleFull"
                    if "Ink" in t or "ink" in t
                    else "markerWasteTonerReceptacleFull"
                )
                return Condition(
                    "marker-waste-full",
                    code,
                    "markerSupplies",
                    supply.index,
                    "critical",
                    f"Replace {label}",
                    "",
                    True,
                    priority=40,
                )
            reason, code, training = {
                "toner": ("toner-empty", "markerTonerEmpty", "untrained"),
                "tonerCartridge": ("toner-empty", "markerTonerEmpty", "untrained"),
                "ink": ("marker-supply-empty", "markerInkEmpty", "untrained"),
                "inkCartridge": ("marker-supply-empty", "markerInkEmpty", "untrained"),
                "opc": ("opc-life-over", "markerOpcLifeOver", "trained"),
                "developer": ("developer-empty", "markerDeveloperEmpty", "trained"),
                "fuser": ("marker-supply-empty", "subunitLifeOver", "fieldService"),
            }.get(t, ("marker-supply-empty", "subunitEmpty", "trained"))
            return Condition(
                reason,
                code,
                "markerSupplies",
                supply.index,
                "critical",
                f"Replace {label}",
                "",
                stops,
                training,
                priority=40,
            )
        if supply.level * 100 <= supply.max_capacity * supply.low_percent:
            if receptacle:
                code = (
                    "markerWasteInkReceptacleAlmostFull"
                    if "nk" in t
                    else "markerWasteTonerReceptacleAlmostFull"
                )
                return Condition(
                    "marker-waste-almost-full",
                    code,
                    "markerSupplies",
                    supply.index,
                    "warning",
                    f"{label[0].upper()}{label[1:]} almost full",
                    priority=85,
                )
            reason, code = {
                "toner": ("toner-low", "markerTonerAlmostEmpty"),
                "tonerCartridge": ("toner-low", "markerTonerAlmostEmpty"),
                "ink": ("marker-supply-low", "markerInkAlmostEmpty"),
                "inkCartridge": ("marker-supply-low", "markerInkAlmostEmpty"),
                "opc": ("opc-near-eol", "markerOpcLifeAlmostOver"),
                "developer": ("developer-low", "markerDeveloperAlmostEmpty"),
                "fuser": ("marker-supply-low", "subunitLifeAlmostOver"),
            }.get(t, ("marker-supply-low", "subunitAlmostEmpty"))
            return Condition(
                reason,
                code,
                "markerSupplies",
                supply.index,
                "warning",
                f"{label[0].upper()}{label[1:]} low",
                priority=85,
            )
        return None

    def _supply_label(self, supply: st.Supply) -> str:
        """How a front panel names a supply: "black toner", "cyan cartridge", "imaging drum"."""
        kind = {
            "toner": "toner",
            "tonerCartridge": "toner",
            "ink": "ink",
            "inkCartridge": "cartridge",
            "opc": "imaging drum",
            "developer": "developer",
            "fuser": "fuser",
            "wasteToner": "toner collection unit",
            "wasteInk": "ink maintenance box",
        }.get(supply.supply_type)
        if supply.colorant_index:
            try:
                colour = self.state.row("colorants", supply.colorant_index).value
            except KeyError:
                colour = ""
            if kind and colour:
                return f"{colour} {kind}"
        return kind or supply.description.lower()

    def _tray_name(self, index: int) -> str:
        try:
            return self.state.row("input_trays", index).name or f"Tray {index}"
        except KeyError:
            return f"Tray {index}"

    def _job_blockers(self, job: st.Job | None) -> list[Condition]:
        """What stops this particular job: its media not loaded, a colour it needs empty."""
        if job is None:
            return []
        out: list[Condition] = []
        duplex = job.sides != "one-sided"
        page = job.impressions_completed % max(job.pages, 1)
        needs_sheet = not duplex or page % 2 == 0
        media = job.media or self.state.defaults.media
        if needs_sheet and self._tray_for(job) is None:
            media = self.page_media(job)
            trays = self._trays_for(media)
            tray = (
                trays[0]
                if trays
                else next(
                    (t for t in self.state.input_trays if t.tray_type == "sheetFeedManual"),
                    self.state.input_trays[0] if self.state.input_trays else None,
                )
            )
            name = (tray.name or f"Tray {tray.index}") if tray else "paper"
            out.append(
                Condition(
                    "media-needed",
                    "",
                    "input",
                    tray.index if tray else 1,
                    "critical",
                    f"Load {name} {media_short_name(media)}",
                    "",
                    True,
                    priority=35,
                )
            )
        if job.color:
            for supply in self.state.supplies:
                if (
                    supply.level == 0
                    and supply.max_capacity > 0
                    and supply.per_page > 0
                    and not self._supply_used(supply, False)
                ):
                    out.append(
                        Condition(
                            "marker-supply-empty",
                            "",
                            "markerSupplies",
                            supply.index,
                            "critical",
                            f"Replace {self._supply_label(supply)}",
                            "",
                            True,
                            priority=38,
                        )
                    )
        return out
