"""Figures files (TOML, JSON, YAML) to and from the model, through one cattrs converter.

The file schema is a public contract (see the README): the keys are the model's attribute names,
except that a stated total is written ``total`` (the model keeps it as ``declared_total``), and a row of
table 三 may be a list of the six applicant counts instead of a table.

Every problem of a file that cannot be a report is collected and raised at once as a
:class:`~reportkit.errors.FiguresFileError` naming the file and each key path.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import tomllib
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError, IterableValidationError
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from reportkit import formats
from reportkit.errors import FiguresFileError, Problem, ReportkitError
from reportkit.fs import atomic_write_bytes
from reportkit.loaded import Loaded
from reportkit.model import AgencyKind, AnnualReport, ApplicantCounts, Applications, CaseOutcomes
from reportkit.tomlwriter import field_comments, toml_text
from reportkit.values import ValueProblem, describe, parse_amount, parse_count, parse_date

__all__ = [
    "FIGURES_SUFFIXES",
    "converter",
    "dump",
    "dumps",
    "load",
    "loads",
    "read",
    "structure",
    "unstructure",
]

#: Larger figures files are refused before parsing: a report is a few tens of kilobytes.
MAX_FILE_BYTES: Final = 5 * 1024 * 1024

FIGURES_SUFFIXES: Final = {".toml": "toml", ".json": "json", ".yaml": "yaml", ".yml": "yaml"}
FORM_SUFFIXES: Final = (".xlsx", ".xlsm")


class _Problems(Exception):
    """Raised inside structure hooks: problems found below the current key, with relative paths."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


# ---------------------------------------------------------------------------------------------------
# The converter
# ---------------------------------------------------------------------------------------------------

_APPLICANT_KEYS: Final = tuple(field.name for field in attrs.fields(ApplicantCounts) if field.name != "declared_total")
_CASE_KEYS: Final = tuple(field.name for field in attrs.fields(CaseOutcomes) if field.name != "declared_total")


def _structure_count(value: Any, _: type) -> int:
    return parse_count(value)


def _structure_decimal(value: Any, _: type) -> Decimal:
    return parse_amount(value)


def _structure_date(value: Any, _: type) -> dt.date:
    return parse_date(value)


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise ValueProblem(f"应为文字（用引号括起），而不是 {describe(value)}")
    return value


def _structure_kind(value: Any, _: type) -> AgencyKind:
    if not isinstance(value, str):
        raise ValueProblem(f"应为机关类型文字，而不是 {describe(value)}")
    try:
        return AgencyKind.parse(value)
    except ValueError as exc:
        raise ValueProblem(str(exc)) from None


def _unknown_key_message(key: str, allowed: tuple[str, ...]) -> str:
    guess = difflib.get_close_matches(key, allowed, n=1)
    hint = f"，是否应为“{guess[0]}”？" if guess else ""
    return f"未知的键“{key}”{hint}（可用：{'、'.join(allowed)}）"


def _structure_row(value: Any, _: type) -> ApplicantCounts:
    """A row of table 三: six counts in column order (a seventh is a stated 总计), or a table."""
    problems: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    declared: int | None = None
    if isinstance(value, list):
        if len(value) not in (6, 7):
            raise ValueProblem(
                f"一行应列出 6 个申请人列的数值（{'、'.join(_APPLICANT_KEYS)}），可再加总计，而不是 {len(value)} 个"
            )
        for index, item in enumerate(value):
            try:
                number = parse_count(item)
            except ValueProblem as exc:
                problems.append((f"[{index}]", str(exc)))
                continue
            if index < 6:
                counts[_APPLICANT_KEYS[index]] = number
            else:
                declared = number
    elif isinstance(value, Mapping):
        allowed = (*_APPLICANT_KEYS, "total")
        for key, item in value.items():
            if key not in allowed:
                problems.append((f".{key}", _unknown_key_message(str(key), allowed)))
                continue
            try:
                number = parse_count(item)
            except ValueProblem as exc:
                problems.append((f".{key}", str(exc)))
                continue
            if key == "total":
                declared = number
            else:
                counts[key] = number
    else:
        raise ValueProblem(f"应为 6 个数值的列表或按申请人列命名的表，而不是 {describe(value)}")
    if problems:
        raise _Problems(problems)
    return ApplicantCounts(**counts, declared_total=declared)


def _structure_outcomes(value: Any, _: type) -> CaseOutcomes:
    """A group of table 四: a table (upheld, corrected, other, pending, total) or a list in that order."""
    problems: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    declared: int | None = None
    if isinstance(value, list):
        if len(value) not in (4, 5):
            raise ValueProblem(f"应列出 4 个数值（{'、'.join(_CASE_KEYS)}），可再加总计，而不是 {len(value)} 个")
        items: list[tuple[str, str, Any]] = [
            (f"[{i}]", (*_CASE_KEYS, "total")[i], item) for i, item in enumerate(value)
        ]
    elif isinstance(value, Mapping):
        allowed = (*_CASE_KEYS, "total")
        items = []
        for key, item in value.items():
            if key not in allowed:
                problems.append((f".{key}", _unknown_key_message(str(key), allowed)))
            else:
                items.append((f".{key}", key, item))
    else:
        raise ValueProblem(f"应为按结果命名的表（{'、'.join(_CASE_KEYS)}、total），而不是 {describe(value)}")
    for where, key, item in items:
        try:
            number = parse_count(item)
        except ValueProblem as exc:
            problems.append((where, str(exc)))
            continue
        if key == "total":
            declared = number
        else:
            counts[key] = number
    if problems:
        raise _Problems(problems)
    return CaseOutcomes(**counts, declared_total=declared)


def _unstructure_row(row: ApplicantCounts) -> list[int] | dict[str, int]:
    if row.declared_total is None:
        return list(row.values())
    return {**dict(zip(_APPLICANT_KEYS, row.values(), strict=True)), "total": row.declared_total}


def _unstructure_outcomes(outcomes: CaseOutcomes) -> dict[str, int]:
    data = {key: getattr(outcomes, key) for key in _CASE_KEYS}
    if outcomes.declared_total is not None:
        data["total"] = outcomes.declared_total
    return data


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True, omit_if_default=False)
    conv.register_structure_hook(int, _structure_count)
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(dt.date, _structure_date)
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(AgencyKind, _structure_kind)
    conv.register_structure_hook(ApplicantCounts, _structure_row)
    conv.register_structure_hook(CaseOutcomes, _structure_outcomes)
    conv.register_unstructure_hook(ApplicantCounts, _unstructure_row)
    conv.register_unstructure_hook(CaseOutcomes, _unstructure_outcomes)
    conv.register_unstructure_hook(Decimal, lambda d: d)
    conv.register_unstructure_hook(dt.date, lambda d: d)
    conv.register_structure_hook(
        Applications,
        make_dict_structure_fn(
            Applications, conv, _cattrs_forbid_extra_keys=True, declared_total=override(rename="total")
        ),
    )
    conv.register_unstructure_hook(
        Applications,
        make_dict_unstructure_fn(
            Applications, conv, _cattrs_omit_if_default=False, declared_total=override(rename="total")
        ),
    )
    return conv


#: The one converter between plain data (dicts, lists, scalars) and the model.
converter: Final = _make_converter()


# ---------------------------------------------------------------------------------------------------
# Errors: cattrs' exception tree to key paths and Chinese messages
# ---------------------------------------------------------------------------------------------------


def _field_names(cls: type) -> tuple[str, ...]:
    renames = {"declared_total": "total"}
    return tuple(renames.get(f.name, f.name) for f in attrs.fields(cls))


def _collect(exc: BaseException, path: str, out: list[Problem]) -> None:
    if isinstance(exc, ClassValidationError | IterableValidationError):
        for sub in exc.exceptions:
            sub_path = path
            for note in getattr(sub, "__notes__", ()):
                name = getattr(note, "name", None)
                index = getattr(note, "index", None)
                if name is not None:
                    sub_path = f"{path}.{'total' if name == 'declared_total' else name}"
                elif index is not None:
                    sub_path = f"{path}[{index}]"
            _collect(sub, sub_path, out)
    elif isinstance(exc, ForbiddenExtraKeysError):
        allowed = _field_names(exc.cl)
        for key in sorted(str(k) for k in exc.extra_fields):  # YAML keys may be numbers or null
            out.append(Problem(_join(path, key), _unknown_key_message(key, allowed)))
    elif isinstance(exc, _Problems):
        out.extend(Problem(_clean_path(path + where), message) for where, message in exc.problems)
    elif isinstance(exc, KeyError):
        out.append(Problem(_clean_path(path), "缺少必填项"))
    elif isinstance(exc, ValueProblem):
        out.append(Problem(_clean_path(path), str(exc)))
    elif isinstance(exc, TypeError | AttributeError | ValueError):
        # cattrs' own text ("argument of type 'int' is not iterable") means nothing to office staff.
        message = "此处应为一个表（键值对，如 { issued = 0, … }），而不是单个数值、文字或列表"
        out.append(Problem(_clean_path(path), message))
    else:  # pragma: no cover - cattrs raises only the kinds above
        out.append(Problem(_clean_path(path), str(exc)))


def _join(path: str, key: str) -> str:
    return _clean_path(f"{path}.{key}")


def _clean_path(path: str) -> str:
    return path.lstrip(".") or "（文件顶层）"


def structure(data: Any, *, source: str = "<data>") -> AnnualReport:
    """A report from plain data (as parsed from TOML, JSON or YAML); raises FiguresFileError."""
    if not isinstance(data, Mapping):
        raise FiguresFileError(f"文件顶层应为一个表（键值对），而不是 {type(data).__name__}", source=source)
    data = dict(data)
    format_id = data.pop("format", formats.NEWEST)
    if not isinstance(format_id, str):
        raise FiguresFileError("格式标识有误", source=source, problems=[Problem("format", "应为文字")])
    try:
        formats.get_format(format_id)
    except ReportkitError as exc:
        raise FiguresFileError("不支持的报告格式", source=source, problems=[Problem("format", exc.summary)]) from None
    data["format"] = format_id
    try:
        return converter.structure(data, AnnualReport)
    except RecursionError:
        raise FiguresFileError("数据嵌套过深，不像是一份年度报告", source=source) from None
    except (ClassValidationError, IterableValidationError, ValueProblem, _Problems) as exc:
        problems: list[Problem] = []
        _collect(exc, "", problems)
        count = len(problems)
        raise FiguresFileError(f"无法作为年度报告读取，发现 {count} 处问题", source=source, problems=problems) from None


def unstructure(report: AnnualReport) -> dict[str, Any]:
    """Plain data (dates and Decimals kept as objects) in the order of the figures-file schema."""
    data: dict[str, Any] = converter.unstructure(report)
    ordered: dict[str, Any] = {"format": data.pop("format")}
    ordered.update(data)
    plain: dict[str, Any] = _drop_none(ordered)
    return plain


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------------
# Text formats
# ---------------------------------------------------------------------------------------------------


def _parse_toml(text: str, source: str) -> Any:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise FiguresFileError(f"TOML 语法错误：{exc}。请检查该行的引号、等号和方括号", source=source) from None
    except RecursionError:
        raise FiguresFileError("TOML 嵌套过深，无法读取", source=source) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"JSON 中不允许 {name}")


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """JSON objects whose keys repeat are refused: the last value would silently win (TOML refuses them too)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(f"键“{key}”出现了两次，请删除其中一个")
        result[key] = value
    return result


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as exc:
        raise FiguresFileError(f"JSON 内容有误：{exc}", source=source) from None
    except json.JSONDecodeError as exc:
        raise FiguresFileError(
            f"JSON 语法错误：第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}", source=source
        ) from None
    except (ValueError, RecursionError) as exc:
        raise FiguresFileError(f"JSON 内容无法读取：{exc}", source=source) from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise FiguresFileError("读取 YAML 需要可选依赖 PyYAML：pip install 'reportkit[yaml]'", source=source) from None

    class _StrictLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML ships no types
        """Refuses a mapping whose keys repeat: the last value would silently win."""

    def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if isinstance(key, list | dict) or key in seen:
                mark = key_node.start_mark
                raise yaml.constructor.ConstructorError(
                    None, None, f"键“{key}”重复（第 {mark.line + 1} 行），请删除其中一个", mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = loader.construct_mapping(node)
        return mapping

    _StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列：" if mark is not None else ""
        raise FiguresFileError(f"YAML 语法错误：{where}{getattr(exc, 'problem', exc)}", source=source) from None
    except RecursionError:
        raise FiguresFileError("YAML 嵌套过深，无法读取", source=source) from None


_PARSERS: Final[dict[str, Callable[[str, str], Any]]] = {
    "toml": _parse_toml,
    "json": _parse_json,
    "yaml": _parse_yaml,
}


def loads(text: str | bytes, format: str = "toml", *, source: str = "<string>") -> AnnualReport:
    """A report from the text of a figures file in ``format`` (``"toml"``, ``"json"`` or ``"yaml"``)."""
    try:
        parse = _PARSERS[format]
    except KeyError:
        raise FiguresFileError(f"不支持的文件格式“{format}”，可用：toml、json、yaml", source=source) from None
    if isinstance(text, bytes):
        text = _decode(text, source)
    elif text.startswith("\ufeff"):
        text = text[1:]
    return structure(parse(text, source), source=source)


def _decode(raw: bytes, source: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        try:
            raw.decode("gb18030")
            hint = "文件看起来是 GBK/GB18030 编码；"
        except UnicodeDecodeError:
            pass
        raise FiguresFileError(
            f"文件不是 UTF-8 编码（第 {exc.start} 字节）。{hint}请用 UTF-8 另存（记事本：另存为 → 编码选 UTF-8）",
            source=source,
        ) from None


def load(path: str | os.PathLike[str]) -> AnnualReport:
    """A report from a figures file (.toml, .json, .yaml) or a filled Excel input form (.xlsx).

    :func:`read` gives the reading notes and the place of every value as well."""
    file = Path(path)
    if file.suffix.lower() in FORM_SUFFIXES:
        from reportkit.xlsx_form import read_form

        return read_form(file)
    return read(file).report


def read(path: str | os.PathLike[str]) -> Loaded:
    """A report from a figures file or a filled form, with its reading notes and where each value stood."""
    file = Path(path)
    source = str(path)
    suffix = file.suffix.lower()
    if suffix in FORM_SUFFIXES:
        from reportkit.xlsx_form import read as read_form

        return read_form(file)
    if suffix not in FIGURES_SUFFIXES:
        raise FiguresFileError(
            f"无法识别的文件类型“{file.suffix or '（无扩展名）'}”，可用：.toml、.json、.yaml、.xlsx（填报表）",
            source=source,
        )
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FiguresFileError(
                f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节），不像是一份年度报告的数据", source=source
            )
        raw = file.read_bytes()
    except FileNotFoundError:
        raise FiguresFileError("文件不存在，请检查路径", source=source) from None
    except IsADirectoryError:
        raise FiguresFileError("这是一个文件夹，不是数据文件", source=source) from None
    except OSError as exc:
        raise FiguresFileError(f"无法读取文件：{exc.strerror}", source=source) from None
    return Loaded(loads(raw, FIGURES_SUFFIXES[suffix], source=source), source)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")  # pragma: no cover


#: Characters YAML reads as line breaks. PyYAML writes them raw in plain and single-quoted scalars,
#: where a reader folds them into a space ("文\x85" came back as "文 "); double quotes escape them.
_YAML_BREAKS: Final = ("\x85", "\u2028", "\u2029")


def _yaml_dumper(yaml: Any) -> Any:
    class Dumper(yaml.SafeDumper):  # type: ignore[misc]
        pass

    def represent_str(dumper: Any, text: str) -> Any:
        style = '"' if any(char in text for char in _YAML_BREAKS) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)

    Dumper.add_representer(str, represent_str)
    return Dumper


def dumps(report: AnnualReport, format: str = "toml", *, comments: bool = False) -> str:
    """The figures-file text of ``report`` in ``format`` (``"toml"``, ``"json"`` or ``"yaml"``).

    With ``comments`` (TOML only), each key is annotated with its official label, which makes a
    file an office can fill by hand (``reportkit init``)."""
    data = unstructure(report)
    if format == "toml":
        return toml_text(data, comments=field_comments() if comments else None)
    if format == "json":
        return json.dumps(data, ensure_ascii=False, indent=2, default=_json_default) + "\n"
    if format == "yaml":
        try:
            import yaml
        except ImportError:
            raise ReportkitError("写出 YAML 需要可选依赖 PyYAML：pip install 'reportkit[yaml]'") from None
        plain = json.loads(json.dumps(data, default=_json_default))
        dumped: str = yaml.dump(plain, Dumper=_yaml_dumper(yaml), allow_unicode=True, sort_keys=False)
        return dumped
    raise ReportkitError(f"不支持的文件格式“{format}”，可用：toml、json、yaml")


def dump(report: AnnualReport, path: str | os.PathLike[str]) -> None:
    """Write ``report`` as a figures file; the format follows the suffix. The write is atomic."""
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in FIGURES_SUFFIXES:
        raise ReportkitError(f"无法识别的文件类型“{file.suffix}”，可用：.toml、.json、.yaml", source=str(path))
    atomic_write_bytes(file, dumps(report, FIGURES_SUFFIXES[suffix]).encode("utf-8"))
