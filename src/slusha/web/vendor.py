"""The Vega, Vega-Lite and Vega-Embed bundle that vl-convert-python ships, served locally."""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
_bundle: bytes | None = None
SNIPPET = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


def vega_bundle() -> bytes:
    """The bundle (built once by vl-convert, then cached on disk and in memory)."""
    global _bundle
    with _lock:
        if _bundle is not None:
            return _bundle
        import vl_convert

        version = f"{vl_convert.get_vega_version()}-{vl_convert.get_vega_embed_version()}"
        cache = Path(tempfile.gettempdir()) / f"slusha-vega-bundle-{version}-1.js"
        if cache.exists():
            _bundle = cache.read_bytes()
        else:
            _bundle = vl_convert.javascript_bundle(SNIPPET).encode("utf-8")
            partial = cache.with_suffix(".tmp")
            partial.write_bytes(_bundle)
            partial.replace(cache)
        return _bundle
