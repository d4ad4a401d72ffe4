#!/usr/bin/env python3
"""Trunk post-build hook: allows the page's inline scripts by hash in its Content-Security-Policy.

Trunk writes one inline module script, the loader, which names the build's hashed file names,
so its hash changes with every build. index.html's CSP carries the placeholder
'sha256-INLINE-SCRIPTS' in script-src; this replaces it with the hash of every inline script of
the built page, so no other inline script (an injected one) can run. Without this hook the
placeholder matches nothing and the page does not start, which the browser tests would see.
"""

import base64
import hashlib
import os
import re
import sys

PLACEHOLDER = "'sha256-INLINE-SCRIPTS'"


def main() -> int:
    page = os.path.join(os.environ.get("TRUNK_STAGING_DIR", "dist"), "index.html")
    with open(page, encoding="utf-8") as f:
        html = f.read()
    if PLACEHOLDER not in html:
        print(f"error: {page} has no {PLACEHOLDER} in its Content-Security-Policy", file=sys.stderr)
        return 1
    # Inline scripts: <script> elements without a src attribute, hashed over their exact text.
    scripts = [
        body
        for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
        if "src=" not in attributes
    ]
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'"
        for s in scripts
    )
    with open(page, "w", encoding="utf-8") as f:
        f.write(html.replace(PLACEHOLDER, hashes or "'none'"))
    print(f"csp-hashes: {len(scripts)} inline script(s) allowed by hash in {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
