"""lawcode for Python: load a rule file, evaluate cases, DataFrames and Arrow tables.

A thin layer over the Rust library (``lawcode._lawcode``): every answer is the library's, and
``Evaluation.to_json()`` is byte for byte what ``lawcode eval --format json`` prints.

>>> import lawcode
>>> program = lawcode.load("rules/usc/18/2259.law")
>>> result = program.evaluate({"offense_date": "2020-02-14", ...})  # doctest: +SKIP
>>> result.outcomes["restitution_amount"]  # doctest: +SKIP
Decimal('3000.00')

Money is :class:`decimal.Decimal` (never a float), dates are :class:`datetime.date`. A failure
raises the :class:`LawcodeError` subclass of its stage (:class:`LoadError`, :class:`CheckError`,
:class:`FactsError`, :class:`EvalError`, :class:`OptionsError`), whose ``str()`` is the report
the command line prints and whose ``code``, ``message``, ``help`` and ``labels`` are the first
diagnostic's (``diagnostics`` holds them all).
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json as _json
from typing import Any, Iterable, Mapping, Optional, Union

from . import _lawcode

__all__ = [
    "load",
    "Program",
    "Evaluation",
    "LawcodeError",
    "LoadError",
    "CheckError",
    "FactsError",
    "EvalError",
    "OptionsError",
]


class LawcodeError(Exception):
    """A diagnostic of lawcode: ``code`` (``lawcode::facts::unknown_key``), ``message``,
    ``help``, ``labels`` (each with ``offset``, ``length``, 1-based ``line`` and ``column`` and
    its ``message``), ``file`` and ``citation``; ``diagnostics`` lists every problem reported,
    and ``str()`` is the report as the command line renders it."""

    stage = "lawcode"

    def __init__(self, diagnostics: list[dict], rendered: str):
        super().__init__(rendered)
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else {}
        self.code: str = first.get("code", "")
        self.message: str = first.get("message", rendered)
        self.help: Optional[str] = first.get("help")
        self.labels: list[dict] = first.get("labels", [])
        self.file: Optional[str] = first.get("file")
        self.citation: Optional[str] = first.get("citation")
        self.rendered = rendered

    def __str__(self) -> str:
        return self.rendered


class LoadError(LawcodeError):
    """A rule file could not be read or does not parse (``lawcode::load::…``, ``lawcode::parse::…``)."""

    stage = "load"


class CheckError(LawcodeError):
    """The checker refused the rule files (``lawcode::check::…``)."""

    stage = "check"


class FactsError(LawcodeError):
    """A case's facts were refused (``lawcode::facts::…``), each problem naming the fact."""

    stage = "facts"


class EvalError(LawcodeError):
    """Evaluating a case failed (``lawcode::eval::…``), citing its provision."""

    stage = "eval"


class OptionsError(LawcodeError):
    """An argument lawcode cannot use (an ``as_of`` that is not a date, or before every text)."""

    stage = "options"


_STAGES = {c.stage: c for c in (LoadError, CheckError, FactsError, EvalError, OptionsError)}


def _raise(e: _lawcode.NativeError) -> None:
    stage, diagnostics, rendered = e.args
    raise _STAGES.get(stage, LawcodeError)(_json.loads(diagnostics or "[]"), rendered) from None


def _facts_json(facts: Union[Mapping[str, Any], str, bytes]) -> str:
    """Facts as the JSON text the library reads: a str or bytes is taken as it is; a dict is
    written with Decimal as its exact digits and dates as ``YYYY-MM-DD`` (never a float)."""
    if isinstance(facts, bytes):
        return facts.decode("utf-8")
    if isinstance(facts, str):
        return facts
    if not isinstance(facts, Mapping):
        raise TypeError(f"facts must be a dict or JSON text, not {type(facts).__name__}")

    def convert(v: Any) -> Any:
        if isinstance(v, _decimal.Decimal):
            return str(v)
        if isinstance(v, (_dt.date, _dt.datetime)):
            return v.isoformat()[:10]
        if isinstance(v, float):
            raise TypeError(
                f"{v!r} is a float; give money and decimals as decimal.Decimal or strings"
            )
        raise TypeError(f"{type(v).__name__} is not a JSON value")

    def check_floats(v: Any) -> Any:
        # json.dumps writes floats itself (the `default` hook never sees them): refuse them here.
        if isinstance(v, float):
            convert(v)
        elif isinstance(v, Mapping):
            for x in v.values():
                check_floats(x)
        elif isinstance(v, (list, tuple)):
            for x in v:
                check_floats(x)
        return v

    return _json.dumps(check_floats(facts), default=convert)


def _value(ty: str, v: Any) -> Any:
    """A contract JSON value as Python: money and decimals as Decimal, dates as date."""
    if v is None:
        return None
    if ty in ("money", "decimal") and isinstance(v, str):
        return _decimal.Decimal(v)
    if ty == "date" and isinstance(v, str):
        return _dt.date.fromisoformat(v)
    return v


class Evaluation:
    """One evaluated case: ``outcomes`` (Python values), ``missing`` (fact paths), ``version``
    (the effective date of the text applied), ``trace`` (nested dicts, as the contract's JSON),
    and ``to_json()``, the text ``lawcode eval --format json`` prints."""

    def __init__(self, text: str, types: Mapping[str, str]):
        self._text = text
        # Numbers of the trace exactly (a CPI-U of 292.655 stays 292.655), never through a float.
        self._json = _json.loads(text, parse_float=_decimal.Decimal)
        self.statute: str = self._json["statute"]
        self.version: str = self._json["version"]
        self.missing: list[str] = list(self._json["missing"])
        self.outcomes: dict[str, Any] = {
            name: _value(types.get(name, ""), v) for name, v in self._json["outcomes"].items()
        }

    @property
    def trace(self) -> Optional[list[dict]]:
        """The trace nodes (each ``citation``, ``kind``, ``name``, ``value``…, ``children``),
        or ``None`` when evaluated with ``trace=False``."""
        return self._json.get("trace")

    def to_json(self) -> str:
        """The result as ``lawcode eval --format json`` prints it, byte for byte (from
        :meth:`Program.evaluate_many`: the line ``lawcode eval --batch`` prints)."""
        return self._text

    def __repr__(self) -> str:
        return f"Evaluation(version={self.version!r}, outcomes={self.outcomes!r}, missing={self.missing!r})"


class Program:
    """A loaded, checked rule set. Use :func:`load`."""

    def __init__(self, native: _lawcode.NativeProgram, path: str):
        self._native = native
        self._path = path
        info = _json.loads(native.info())
        #: ``{"citation": "18 U.S.C. § 2259", "title": "Mandatory restitution"}``
        self.statute: dict = info["statute"]
        #: Each text: ``{"name", "from" (a date), "enacted_by"}``.
        self.versions: list[dict] = [
            {**v, "from": _dt.date.fromisoformat(v["from"])} for v in info["versions"]
        ]
        #: Each outcome: ``{"name", "type", "description"}``.
        self.outcomes: list[dict] = info["outcomes"]
        self._warnings: list[dict] = info["warnings"] or []
        self._types = {o["name"]: o["type"] for o in self.outcomes}

    def check(self) -> list[dict]:
        """The checker's warnings (diagnostics as ``lawcode check --format json`` gives them);
        the errors were raised by :func:`load`."""
        return list(self._warnings)

    def facts_schema(self) -> dict:
        """The JSON Schema (draft 2020-12) of the facts, as ``lawcode schema`` prints it."""
        # Its `$id` names the rule set as `lawcode schema` does: the path from `rules/`, no `.law`.
        rel = self._path
        rel = rel[len("rules/") :] if rel.startswith("rules/") else rel
        rel = rel[: -len(".law")] if rel.endswith(".law") else rel
        return _json.loads(self._native.facts_schema(rel))

    def evaluate(self, facts: Union[Mapping[str, Any], str, bytes], trace: bool = True) -> Evaluation:
        """Evaluates one case (a dict, or JSON text). Raises :class:`FactsError` or
        :class:`EvalError`."""
        text = _facts_json(facts)
        try:
            out = self._native.evaluate(text, trace)
        except _lawcode.NativeError as e:
            _raise(e)
        return Evaluation(out, self._types)

    def evaluate_many(
        self, cases: Iterable[Union[Mapping[str, Any], str]], trace: bool = False
    ) -> list[Union[Evaluation, LawcodeError]]:
        """Evaluates every case on every core (the batch engine of ``lawcode eval --batch``,
        the GIL released) and gives, in order, an :class:`Evaluation` per case or, for a case
        that fails, its :class:`LawcodeError` (returned, not raised: one bad case does not lose
        the others)."""
        lines = []
        for c in cases:
            text = _facts_json(c)
            # One case per line: JSON text may span lines, so it is written again compactly.
            lines.append(_json.dumps(_json.loads(text), separators=(",", ":")) if "\n" in text else text)
        out = self._native.evaluate_lines(("\n".join(lines) + "\n").encode("utf-8") if lines else b"", trace)
        results: list[Union[Evaluation, LawcodeError]] = []
        for line in out.decode("utf-8").splitlines():
            answer = _json.loads(line)
            if "error" in answer and "outcomes" not in answer:
                err = answer["error"]
                stage = err.get("code", "").split("::")[1:2]
                cls = _STAGES.get(stage[0] if stage else "", LawcodeError)
                results.append(cls([err], f"{err.get('code')}: {err.get('message')}"))
            else:
                # Its to_json() is the line `lawcode eval --batch` prints for the case.
                results.append(Evaluation(line + "\n", self._types))
        return results

    def evaluate_arrow(self, table: Any) -> Any:
        """Evaluates a ``pyarrow.Table``, ``RecordBatch`` or iterable of batches whose columns
        are the facts (records as structs, lists as lists, money as decimal128 or strings,
        dates as date32 or strings; a null is a fact not given). Returns a ``pyarrow.Table``
        with one column per outcome (money as ``decimal128(38, 2)``, dates as ``date32``),
        ``missing`` (list of fact paths), ``version`` and ``error`` (``code: message``, null
        when the row is fine): a bad row is an error cell, never an exception. Every core, the
        GIL released."""
        import pyarrow as pa

        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        elif not isinstance(table, pa.Table):
            batches = list(table)
            if not batches:
                raise ValueError("no record batches to evaluate")
            table = pa.Table.from_batches(batches)
        return self._native.evaluate_arrow(table)

    def evaluate_pandas(self, df: Any) -> Any:
        """:meth:`evaluate_arrow` for a ``pandas.DataFrame`` (through Arrow), the answer a
        DataFrame (money as Decimal objects)."""
        import pyarrow as pa

        return self.evaluate_arrow(pa.Table.from_pandas(df, preserve_index=False)).to_pandas()

    def __repr__(self) -> str:
        return f"Program({self.statute['citation']!r}, path={self._path!r})"


def load(path: Union[str, "os.PathLike[str]"], as_of: Union[_dt.date, str, None] = None) -> Program:
    """Loads and checks the rule file at ``path`` and the files it imports. ``as_of`` pins the
    date the text in force is chosen by (as ``--as-of``). Raises :class:`LoadError`,
    :class:`CheckError` or :class:`OptionsError`."""
    import os

    if isinstance(as_of, (_dt.date, _dt.datetime)):
        as_of = as_of.isoformat()[:10]
    elif as_of is not None and not isinstance(as_of, str):
        raise TypeError(f"as_of must be a date or a YYYY-MM-DD string, not {type(as_of).__name__}")
    p = os.fspath(path)
    try:
        native = _lawcode.NativeProgram.load(p, as_of)
    except _lawcode.NativeError as e:
        _raise(e)
    # The schema's id is the rule set's path without `.law`, as `lawcode serve` names it.
    return Program(native, p)
