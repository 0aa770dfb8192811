"""A real browser for the console's tests: Debian's chromium, headless, driven by selenium through
Debian's chromedriver (docs/console.md, "Tests in a browser"). What a test asks of it:

    with Browser(tmp_path, phone=False) as b:
        b.open(gateway.base + "/")
        b.wait_for("#ed25519[data-ed25519=yes]")
        b.screenshot("home")                 # tmp_path/home.png
        assert b.console_errors() == []
        assert b.requests_outside(gateway.base) == []

The browser's console (its "browser" log) and its network requests (chromium's performance log,
the DevTools Network events) are collected as they come, so a test can say that nothing failed
and that no request left the origin. Every wait has a timeout."""
import json
import os
import shutil
import time
import urllib.parse

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1366, 768)
PHONE = (390, 844)
PHONE_AGENT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/156.0.0.0 Mobile Safari/537.36")
WAIT_S = 10


def origin_of(url):
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.netloc}"


class Browser:
    """chromium headless at 1366x768, or a phone's 390x844 with a phone's user agent."""

    def __init__(self, folder, phone=False, wait_s=WAIT_S):
        self.folder = str(folder)
        self.wait_s = wait_s
        o = webdriver.ChromeOptions()
        size = PHONE if phone else DESKTOP
        # --no-sandbox: the tests run as root; no first-run, sync or background traffic of
        # chromium's own, so that every request the log shows is the page's
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  f"--window-size={size[0]},{size[1]}", "--no-first-run", "--no-default-browser-check",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-extensions", "--lang=zh-CN"):
            o.add_argument(a)
        if phone:
            o.add_argument(f"--user-agent={PHONE_AGENT}")
        o.binary_location = CHROMIUM
        o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        if phone:
            # headless chromium keeps a window at least 500 px wide: the phone's viewport is
            # emulated instead (DevTools), as its device tools do
            self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": PHONE[0], "height": PHONE[1], "deviceScaleFactor": 2, "mobile": True})
            self.driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})
        self.driver.set_page_load_timeout(wait_s)
        self.driver.set_script_timeout(wait_s)
        self._console = []
        self._requests = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.driver:
            try:
                self.collect()
            finally:
                self.driver.quit()
                self.driver = None

    def open(self, url):
        self.driver.get(url)

    def wait_for(self, css, timeout=None):
        """The first element css selects, once it is there (TimeoutException names css)."""
        try:
            return WebDriverWait(self.driver, timeout or self.wait_s).until(
                expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))
        except TimeoutException as e:
            raise TimeoutException(f"no '{css}' within {timeout or self.wait_s} s; the page: "
                                   f"{self.driver.page_source[:2000]}") from e

    def text(self, css):
        return self.wait_for(css).text

    def run(self, script, *args):
        """An async script: its last argument is the callback (selenium's execute_async_script)."""
        return self.driver.execute_async_script(script, *args)

    def screenshot(self, name):
        """name.png in the test's folder, and in $XC_SCREENS when set (`make screens` sets it to
        docs/screens: the set the README shows is what the tests drew); its path."""
        path = os.path.join(self.folder, f"{name}.png")
        assert self.driver.save_screenshot(path), path
        if os.environ.get("XC_SCREENS"):
            os.makedirs(os.environ["XC_SCREENS"], exist_ok=True)
            shutil.copyfile(path, os.path.join(os.environ["XC_SCREENS"], f"{name}.png"))
        return path

    def collect(self):
        """Takes what the browser logged since last time (the logs are read once each)."""
        self._console += self.driver.get_log("browser")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self._requests.append(message["params"]["request"]["url"])

    def console(self):
        """Every console entry so far: dicts with level, message, source."""
        self.collect()
        return list(self._console)

    def console_errors(self):
        """The console's SEVERE entries so far (failed loads, CSP refusals, uncaught errors)."""
        return [e for e in self.console() if e["level"] == "SEVERE"]

    def requests(self):
        """The URLs of every request the page made so far (data: and blob: included)."""
        self.collect()
        return list(self._requests)

    def requests_outside(self, base):
        """The requests to any origin but base's (data: and blob: URLs are no request)."""
        origin = origin_of(base)
        return [u for u in self.requests()
                if not u.startswith(("data:", "blob:")) and origin_of(u) != origin]


def wait_until(check, timeout=WAIT_S, what="the condition"):
    """check() until it is true, else AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.05)
