"""``oddfinder app``: start the Streamlit app on a workspace."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["app_script", "register", "streamlit_command"]


def app_script() -> Path:
    """Path of ``anomaly_app/streamlit_app.py`` beside the installed package's source tree.

    Raises
    ------
    WorkspaceError
        If the app folder is not there (oddfinder installed without its source checkout).
    """
    import oddfinder
    from oddfinder.errors import OddfinderError

    script = Path(oddfinder.__file__).resolve().parents[2] / "anomaly_app" / "streamlit_app.py"
    if not script.is_file():
        raise OddfinderError(
            f"cannot find the app at {script}: install oddfinder from its source checkout "
            "(pip install -e .) so that anomaly_app/ sits beside src/"
        )
    return script


def streamlit_command(
    workspace: str | os.PathLike,
    *,
    host: str = "127.0.0.1",
    port: int = 8501,
    theme: str | None = None,
) -> list[str]:
    """The ``streamlit run`` command line that serves the app on ``workspace``.

    The server always runs headless (Streamlit would otherwise prompt on its first run);
    ``oddfinder app`` opens the browser itself unless asked not to.
    """
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app_script()),
        "--server.address",
        host,
        "--server.port",
        str(int(port)),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "viewer",
    ]
    if theme:
        command += ["--theme.base", theme]
    return [*command, "--", "--workspace", str(Path(workspace).resolve())]


def _run_app(args: argparse.Namespace) -> int:
    from oddfinder.io.workspace import Workspace

    ws = Workspace.open(args.workspace)
    command = streamlit_command(ws.path, host=args.host, port=args.port, theme=args.theme)
    env = dict(os.environ, ODDFINDER_WORKSPACE=str(ws.path.resolve()))
    url = f"http://{args.host}:{args.port}"
    print(f"oddfinder app: serving {ws.path} on {url} (Ctrl-C stops)", file=sys.stderr)
    process = subprocess.Popen(command, env=env)
    if not args.headless and (os.environ.get("DISPLAY") or sys.platform == "darwin"):
        import threading
        import webbrowser

        threading.Timer(3.0, webbrowser.open, args=(url,)).start()
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait(timeout=10)
        return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``app`` subcommand."""
    parser = subparsers.add_parser(
        "app",
        help="start the labelling app (Streamlit) on a workspace",
        description="Serve the Streamlit app: label galaxies, re-rank, export, map, similar.",
    )
    parser.add_argument("workspace", help="workspace folder")
    parser.add_argument("--host", default="127.0.0.1", help="address to serve on")
    parser.add_argument("--port", type=int, default=8501, help="port (default 8501)")
    parser.add_argument(
        "--headless",
        action="store_true",
        help="do not open a browser (always the case on a server without a display)",
    )
    parser.add_argument(
        "--theme", choices=("light", "dark"), default=None, help="colour theme (default: browser's)"
    )
    parser.set_defaults(func=_run_app)
