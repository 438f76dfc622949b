//! A real browser for the consoles' tests: Debian's headless Chromium driven through
//! chromedriver over WebDriver (the `fantoccini` crate), with helpers that find things the way
//! a guide names them (a link's text, a button's label, a field's `<label>`), and a screenshot
//! of the page written whenever a step fails.
//!
//! ```ignore
//! let Some(browser) = Browser::start("my_test").await else { return };
//! browser.goto(&format!("{base}/admin")).await;
//! browser.follow("Applications").await;
//! browser.fill("App integration name", "Kiro").await;
//! browser.press("Save").await;
//! browser.expect_text("Client ID").await;
//! browser.close().await;
//! ```
//!
//! Chromium and chromedriver are outside tools: without them [`Browser::start`] skips the test
//! with one line (and fails it under `CI`), like every other tool in [`crate::tool`].
//! Screenshots go to `$KIRO_SIM_SCREENSHOTS` (default `target/screenshots`), one folder per
//! test, named `NN-step.png`.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

/// What to install when Chromium or chromedriver is missing.
pub const INSTALL: &str =
    "install chromium and chromium-driver (apt-get install chromium chromium-driver)";

/// The environment variable naming the folder screenshots are written to.
pub const SCREENSHOTS_ENV: &str = "KIRO_SIM_SCREENSHOTS";

/// One headless Chromium session with its own chromedriver process.
pub struct Browser {
    client: Client,
    driver: Child,
    test: String,
    shots: AtomicUsize,
    shot_base: Option<PathBuf>,
}

fn program(env: &str, candidates: &[&str]) -> Option<String> {
    if let Ok(p) = std::env::var(env) {
        return Some(p);
    }
    // chromedriver wants the browser's absolute path, so look the candidates up on PATH.
    let path = std::env::var_os("PATH")?;
    candidates.iter().find_map(|c| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(c))
            .find(|p| p.is_file() && crate::tool::runs(&p.to_string_lossy(), &["--version"]))
            .map(|p| p.to_string_lossy().into_owned())
    })
}

/// A free port on 127.0.0.1 for chromedriver to listen on.
fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session for `test`, or returns `None` (after
    /// recording the skip) when either is missing. Panics if they are present but do not start.
    pub async fn start(test: &str) -> Option<Browser> {
        let chromium = program("KIRO_SIM_CHROMIUM", &["chromium", "chromium-browser"]);
        let driver = program("KIRO_SIM_CHROMEDRIVER", &["chromedriver"]);
        let available = match (&chromium, &driver) {
            (Some(_), Some(_)) => Ok(()),
            (None, _) => Err("chromium is not runnable".to_owned()),
            (_, None) => Err("chromedriver is not runnable".to_owned()),
        };
        if !crate::tool::require(test, available, INSTALL) {
            return None;
        }
        let (Some(chromium), Some(driver)) = (chromium, driver) else {
            return None;
        };
        let port = free_port().expect("a free port for chromedriver");
        let mut child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("{test}: starting {driver}: {e}"));
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-sync", "--disable-component-update",
                    "--window-size=1280,1024", "--proxy-server=direct://", "--proxy-bypass-list=*",
                ],
            },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        // chromedriver takes a moment to listen; bounded retries, 100 × 100 ms at most.
        for _ in 0..100 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver: child,
                        test: test.to_owned(),
                        shots: AtomicUsize::new(0),
                        shot_base: None,
                    });
                }
                // Refused while chromedriver starts; any other answer is final.
                Err(e @ fantoccini::error::NewSessionError::SessionNotCreated(_)) => {
                    panic!("{test}: chromedriver refused a session: {e}")
                }
                Err(e) => last = e.to_string(),
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{test}: chromedriver exited at start ({status})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{test}: no WebDriver session within 10 s: {last}");
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes this session's screenshots under `base` instead of `$KIRO_SIM_SCREENSHOTS`.
    pub fn with_screenshots_in(mut self, base: PathBuf) -> Self {
        self.shot_base = Some(base);
        self
    }

    /// The folder this test's screenshots go to.
    pub fn screenshot_dir(&self) -> PathBuf {
        if let Some(base) = &self.shot_base {
            return base.join(&self.test);
        }
        let base = std::env::var_os(SCREENSHOTS_ENV).map_or_else(
            || {
                // Tests run with the crate as working directory; the workspace target is above.
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots")
            },
            PathBuf::from,
        );
        base.join(&self.test)
    }

    /// Writes a screenshot of the current page as `NN-label.png` and returns its path.
    pub async fn screenshot(&self, label: &str) -> Option<PathBuf> {
        let png = self.client.screenshot().await.ok()?;
        let dir = self.screenshot_dir();
        std::fs::create_dir_all(&dir).ok()?;
        let n = self.shots.fetch_add(1, Ordering::Relaxed);
        let name: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = dir.join(format!("{n:02}-{name}.png"));
        std::fs::write(&path, png).ok()?;
        Some(path)
    }

    /// Fails the test at `step`: screenshot first, then a panic naming the page and the file.
    pub async fn fail(&self, step: &str, why: impl std::fmt::Display) -> ! {
        let url = self
            .client
            .current_url()
            .await
            .map_or_else(|_| "?".to_owned(), |u| u.to_string());
        let shot = self.screenshot(step).await;
        let body = self.body_text().await.unwrap_or_default();
        let excerpt: String = body.chars().take(1500).collect();
        panic!(
            "{}: {step} failed on {url}: {why}\nscreenshot: {}\npage text:\n{excerpt}",
            self.test,
            shot.map_or_else(|| "(none)".to_owned(), |p| p.display().to_string())
        );
    }

    /// Unwraps a step's result, failing with a screenshot on error.
    pub async fn ok<T, E: std::fmt::Display>(&self, step: &str, r: Result<T, E>) -> T {
        match r {
            Ok(v) => v,
            Err(e) => self.fail(step, e).await,
        }
    }

    /// Opens `url`.
    pub async fn goto(&self, url: &str) {
        let r = self.client.goto(url).await;
        self.ok(&format!("open {url}"), r).await;
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        let r = self.client.current_url().await;
        self.ok("read the URL", r).await.to_string()
    }

    async fn body_text(&self) -> Option<String> {
        let body = self.client.find(Locator::Css("body")).await.ok()?;
        body.text().await.ok()
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        match self.body_text().await {
            Some(t) => t,
            None => self.fail("read the page", "no <body>").await,
        }
    }

    /// Asserts the page shows `needle` (waiting up to 5 s, for pages that refresh).
    pub async fn expect_text(&self, needle: &str) {
        for _ in 0..50 {
            if self.body_text().await.is_some_and(|t| t.contains(needle)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.fail(&format!("expect {needle:?}"), "not on the page")
            .await
    }

    /// Asserts the page does not show `needle`.
    pub async fn expect_no_text(&self, needle: &str) {
        if self.text().await.contains(needle) {
            self.fail(&format!("expect no {needle:?}"), "it is on the page")
                .await
        }
    }

    /// An XPath string literal for `s` (XPath 1.0 has no escapes: `concat` when both quotes occur).
    fn literal(s: &str) -> String {
        if !s.contains('\'') {
            format!("'{s}'")
        } else if !s.contains('"') {
            format!("\"{s}\"")
        } else {
            let parts: Vec<String> = s.split('\'').map(|p| format!("'{p}'")).collect();
            format!("concat({})", parts.join(", \"'\", "))
        }
    }

    async fn find_xpath(&self, step: &str, xpath: &str) -> Element {
        let r = self.client.find(Locator::XPath(xpath)).await;
        self.ok(step, r).await
    }

    /// Clicks the link (or tab, or menu entry) whose text is `text`, and waits for the page it opens.
    pub async fn follow(&self, text: &str) {
        let lit = Self::literal(text);
        let step = format!("follow {text:?}");
        let el = self
            .find_xpath(&step, &format!("//a[normalize-space(.)={lit}]"))
            .await;
        self.click_and_wait(&step, el).await;
    }

    /// Clicks `el` and waits until a new page has loaded: the click returns as soon as it is
    /// sent, and the next step must not find the old page's fields. The old document is marked
    /// before the click; the wait ends when a document without the mark is complete.
    pub async fn click_and_wait(&self, step: &str, el: Element) {
        let marked = self
            .client
            .execute("window.__kiroSimOld = true;", Vec::new())
            .await;
        self.ok(&format!("mark the page before {step}"), marked)
            .await;
        let r = el.click().await;
        self.ok(step, r).await;
        // Bounded: 400 × 25 ms.
        for _ in 0..400 {
            let state = self
                .client
                .execute(
                    "return window.__kiroSimOld === true ? 'old' : document.readyState;",
                    Vec::new(),
                )
                .await;
            if matches!(state, Ok(serde_json::Value::String(s)) if s == "complete") {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.fail(step, "no new page within 10 s").await
    }

    /// Clicks the button whose label is `label` (`<button>` text or an input's value), and waits
    /// for the page the form's answer opens.
    pub async fn press(&self, label: &str) {
        let lit = Self::literal(label);
        let step = format!("press {label:?}");
        let el = self
            .find_xpath(
                &step,
                &format!(
                    "//button[normalize-space(.)={lit}] | //input[(@type='submit' or @type='button') and @value={lit}]"
                ),
            )
            .await;
        self.click_and_wait(&step, el).await;
    }

    /// The form control a `<label>` with text `label` names (by `for`, or nested inside it).
    pub async fn field(&self, label: &str) -> Element {
        let lit = Self::literal(label);
        let step = format!("find field {label:?}");
        let xpath = format!(
            "//*[@id=//label[normalize-space(.)={lit}]/@for] | //label[normalize-space(.)={lit}]//*[self::input or self::select or self::textarea]"
        );
        self.find_xpath(&step, &xpath).await
    }

    /// Replaces the value of the field labelled `label` with `value`.
    pub async fn fill(&self, label: &str, value: &str) {
        let el = self.field(label).await;
        let step = format!("fill {label:?}");
        let r = el.clear().await;
        self.ok(&step, r).await;
        let r = el.send_keys(value).await;
        self.ok(&step, r).await;
    }

    /// Sets the checkbox labelled `label` to `on`.
    pub async fn check(&self, label: &str, on: bool) {
        let el = self.field(label).await;
        let step = format!("check {label:?}");
        let r = el.is_selected().await;
        if self.ok(&step, r).await != on {
            let r = el.click().await;
            self.ok(&step, r).await;
        }
    }

    /// Selects the radio button labelled `label`.
    pub async fn choose(&self, label: &str) {
        self.check(label, true).await;
    }

    /// Selects the option whose text is `option` in the `<select>` labelled `label`.
    pub async fn select(&self, label: &str, option: &str) {
        let el = self.field(label).await;
        let step = format!("select {option:?} in {label:?}");
        let r = el.select_by_label(option).await;
        self.ok(&step, r).await;
    }

    /// The value of the field labelled `label` (an input's current value).
    pub async fn value(&self, label: &str) -> String {
        let el = self.field(label).await;
        let r = el.prop("value").await;
        self.ok(&format!("read {label:?}"), r)
            .await
            .unwrap_or_default()
    }

    /// The text of the first element matching the CSS `selector`.
    pub async fn text_of(&self, selector: &str) -> String {
        let step = format!("read {selector}");
        let r = self.client.find(Locator::Css(selector)).await;
        let el = self.ok(&step, r).await;
        let r = el.text().await;
        self.ok(&step, r).await
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}
