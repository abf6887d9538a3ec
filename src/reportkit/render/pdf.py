"""PDF output: the Word (or Excel) output converted by LibreOffice, when it is installed.

Each conversion runs ``soffice --headless --convert-to pdf`` in a temporary folder with its own temporary
LibreOffice profile (so parallel conversions never share a lock), under a time limit, and with a private
fontconfig file (``fonts-gongwen.conf`` beside this module) that maps the Windows font names of a 公文
(仿宋_GB2312, 楷体_GB2312, 黑体, 宋体, 方正小标宋简体) to installed Chinese faces, so the PDF shows
Simplified-Chinese faces rather than a Japanese fallback.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from reportkit.errors import RenderError
from reportkit.model import AnnualReport

if TYPE_CHECKING:
    from reportkit.rules import Finding

__all__ = ["INSTALL_HINT", "convert_to_pdf", "find_soffice", "font_config_path", "render_pdf"]

INSTALL_HINT = (
    "未找到 LibreOffice（soffice），无法生成 PDF。请安装：\n"
    "  sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk fonts-arphic-gkai00mp\n"
    "（仿宋字体 FandolFang 的安装见 README；其他系统请安装 LibreOffice 和中文字体，并确保 soffice 在 PATH 中，"
    "或以环境变量 REPORTKIT_SOFFICE 指定其路径）"
)

_CANDIDATES = (
    "soffice",
    "libreoffice",
    "/usr/bin/soffice",
    "/usr/lib/libreoffice/program/soffice",
    "/opt/libreoffice/program/soffice",
    "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    r"C:\Program Files\LibreOffice\program\soffice.exe",
)


def find_soffice() -> str | None:
    """The path of LibreOffice's ``soffice`` (``REPORTKIT_SOFFICE`` first, then PATH and usual places)."""
    override = os.environ.get("REPORTKIT_SOFFICE")
    if override:
        return override if Path(override).is_file() else shutil.which(override)
    for candidate in _CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
        if os.path.isabs(candidate) and Path(candidate).is_file():
            return candidate
    return None


def font_config_path() -> Path:
    """The fontconfig file shipped with reportkit (font aliases for 公文 fonts)."""
    return Path(str(resources.files("reportkit.render") / "fonts-gongwen.conf"))


def soffice_environment(home: Path) -> dict[str, str]:
    """The environment a LibreOffice conversion runs in: reportkit's font aliases, its own HOME (``home``)."""
    env = dict(os.environ)
    env["FONTCONFIG_FILE"] = str(font_config_path())
    # fonts a user installed under ~/.local/share/fonts stay visible after HOME moves
    env.setdefault("XDG_DATA_HOME", str(Path.home() / ".local" / "share"))
    env["HOME"] = str(home)  # LibreOffice may write caches under HOME
    env.setdefault("SAL_USE_VCLPLUGIN", "svp")
    return env


def soffice_command(soffice: str, profile: Path, outdir: Path, sources: Sequence[Path]) -> list[str]:
    """The command that converts ``sources`` to PDF in ``outdir``, with its own user profile ``profile``."""
    return [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nodefault",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        *(str(source) for source in sources),
    ]


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:  # pragma: no cover - Windows
            process.kill()
    except (ProcessLookupError, PermissionError):
        pass


def convert_to_pdf(data: bytes, suffix: str, *, timeout: float = 180) -> bytes:
    """Convert a ``.docx`` or ``.xlsx`` (given as bytes) to PDF with LibreOffice; returns the PDF bytes.

    Raises :class:`RenderError` when LibreOffice is missing (saying what to install), fails, or takes
    longer than ``timeout`` seconds.
    """
    soffice = find_soffice()
    if soffice is None:
        raise RenderError(INSTALL_HINT)
    suffix = suffix if suffix.startswith(".") else f".{suffix}"
    if suffix == ".docx":
        from reportkit.render.docx_fit import for_libreoffice

        data = for_libreoffice(data)  # a keep-with-next LibreOffice would lay out badly is relaxed
    with tempfile.TemporaryDirectory(prefix="reportkit-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / f"report{suffix}"
        source.write_bytes(data)
        profile = folder / "profile"
        outdir = folder / "out"
        outdir.mkdir()
        env = soffice_environment(folder)
        command = soffice_command(soffice, profile, outdir, [source])
        try:
            process = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=tmp,
                start_new_session=os.name == "posix",
            )
        except OSError as exc:
            raise RenderError(f"无法启动 LibreOffice（{soffice}）：{exc}\n{INSTALL_HINT}") from None
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(process)
            process.communicate()
            raise RenderError(f"LibreOffice 转换 PDF 超过 {timeout:g} 秒仍未完成，已终止") from None
        finally:
            if process.poll() is None:  # pragma: no cover - interrupted
                _kill(process)
        result = outdir / "report.pdf"
        if process.returncode != 0 or not result.is_file():
            detail = (stderr or stdout).decode("utf-8", "replace").strip()
            raise RenderError(f"LibreOffice 转换 PDF 失败（退出码 {process.returncode}）：{detail or '无输出'}")
        return result.read_bytes()


def render_pdf(
    report: AnnualReport,
    template: str | os.PathLike[str] | None = None,
    *,
    draft: bool = False,
    timeout: float = 180,
    findings: Sequence[Finding] | None = None,
) -> bytes:
    """The report as PDF: :func:`~reportkit.render.docx.render_docx`, then LibreOffice."""
    from reportkit.render.docx import render_docx

    return convert_to_pdf(render_docx(report, template, draft=draft, findings=findings), ".docx", timeout=timeout)
