"""Chromium flags shared by every browser test (Debian chromium driven by Playwright).

Playwright gives every launch a fresh temporary profile, which stands in for
--user-data-dir (it rejects that flag)."""

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
