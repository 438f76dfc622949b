//! Findings and the report: [`Finding`] (id, guide step, object, what, why, fix, severity),
//! [`Report`] with the human rendering (grouped by guide step, ✓/✗), JSON (serde) and an
//! HTML fragment for the sandbox home.

use std::fmt::Write as _;

use serde::Serialize;

/// The guide's steps (and its security considerations), in the guide's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Step {
    /// Step 1: Create OIDC application.
    #[serde(rename = "Step 1: Create OIDC application")]
    OidcApp,
    /// Step 2: Set up custom scopes.
    #[serde(rename = "Step 2: Set up custom scopes")]
    Scopes,
    /// Step 3: Set up Kiro Profile.
    #[serde(rename = "Step 3: Set up Kiro Profile")]
    Profile,
    /// Step 4: Create SCIM provisioning application.
    #[serde(rename = "Step 4: Create SCIM provisioning application")]
    ScimApp,
    /// Security considerations (and subscriptions).
    #[serde(rename = "Security considerations")]
    Security,
}

impl Step {
    /// Every step, in the guide's order.
    pub const ALL: [Step; 5] = [
        Step::OidcApp,
        Step::Scopes,
        Step::Profile,
        Step::ScimApp,
        Step::Security,
    ];

    /// The guide's heading.
    pub fn title(self) -> &'static str {
        match self {
            Step::OidcApp => "Step 1: Create OIDC application",
            Step::Scopes => "Step 2: Set up custom scopes",
            Step::Profile => "Step 3: Set up Kiro Profile",
            Step::ScimApp => "Step 4: Create SCIM provisioning application",
            Step::Security => "Security considerations",
        }
    }
}

/// How bad a finding is. Both make `kiro-sim doctor` exit 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something fails (sign-in, provisioning, verification).
    Error,
    /// Works today, but deviates from the guide's security considerations or will fail later.
    Warning,
}

/// One deviation from the guide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `DOC-n` (docs/BEHAVIOURS.md, "The doctor's findings").
    pub id: &'static str,
    /// The guide step it belongs to.
    pub step: Step,
    /// The object concerned, named (`app "Kiro-OIDC" (0oa…)`, `user ada@example.com`, …).
    pub object: String,
    /// What is wrong.
    pub what: String,
    /// Why it matters: what fails, and when.
    pub why: String,
    /// How to fix it, in the console's words.
    pub fix: String,
    /// How bad it is.
    pub severity: Severity,
}

/// The doctor's report: notes (skipped parts) and findings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Parts not checked, and why.
    pub notes: Vec<String>,
    /// Every finding, in step order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// The finding ids, in order (for tests and CI logs).
    pub fn ids(&self) -> Vec<&'static str> {
        self.findings.iter().map(|f| f.id).collect()
    }

    /// The report as JSON (`{"clean":…,"notes":[…],"findings":[…]}`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "clean": self.is_clean(),
            "notes": self.notes,
            "findings": self.findings,
        })
    }

    /// The human report: one section per guide step, ✓ when the step is clean, ✗ and each
    /// finding otherwise.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        for step in Step::ALL {
            let findings: Vec<&Finding> = self.findings.iter().filter(|f| f.step == step).collect();
            if findings.is_empty() {
                let _ = writeln!(out, "✓ {}", step.title());
                continue;
            }
            let _ = writeln!(out, "✗ {}", step.title());
            for f in findings {
                let _ = writeln!(out, "  ✗ [{}] {}: {}", f.id, f.object, f.what);
                let _ = writeln!(out, "      why: {}", f.why);
                let _ = writeln!(out, "      fix: {}", f.fix);
            }
        }
        let _ = if self.is_clean() {
            writeln!(out, "No deviation from the guide.")
        } else {
            writeln!(
                out,
                "{} finding(s): {}",
                self.findings.len(),
                self.ids().join(", ")
            )
        };
        out
    }

    /// The report as an HTML fragment (for the sandbox home page).
    pub fn to_html(&self) -> String {
        use maud::html;
        html! {
            section class="doctor" {
                h2 { "Doctor" }
                @for note in &self.notes { p class="note" { (note) } }
                @for step in Step::ALL {
                    @let findings: Vec<&Finding> = self.findings.iter().filter(|f| f.step == step).collect();
                    @if findings.is_empty() {
                        h3 class="ok" { "✓ " (step.title()) }
                    } @else {
                        h3 class="bad" { "✗ " (step.title()) }
                        ul {
                            @for f in findings {
                                li id=(f.id) {
                                    strong { (f.id) } " " (f.object) ": " (f.what)
                                    br; em { "Why: " } (f.why)
                                    br; em { "Fix: " } (f.fix)
                                }
                            }
                        }
                    }
                }
            }
        }
        .into_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &'static str, step: Step) -> Finding {
        Finding {
            id,
            step,
            object: "app \"Kiro-OIDC\" (0oa1)".into(),
            what: "the app is INACTIVE".into(),
            why: "nobody can sign in".into(),
            fix: "Activate".into(),
            severity: Severity::Error,
        }
    }

    #[test]
    fn the_human_report_groups_by_step_with_ticks_and_crosses() {
        let report = Report {
            notes: vec!["DNS not given".into()],
            findings: vec![finding("DOC-2", Step::OidcApp)],
        };
        let text = report.to_human();
        assert!(text.starts_with("note: DNS not given\n✗ Step 1: Create OIDC application\n  ✗ [DOC-2] app \"Kiro-OIDC\" (0oa1): the app is INACTIVE\n"));
        assert!(text.contains("✓ Step 2: Set up custom scopes\n"));
        assert!(text.ends_with("1 finding(s): DOC-2\n"));
        let json = report.to_json();
        assert_eq!(json["clean"], false);
        assert_eq!(
            json["findings"][0]["step"],
            "Step 1: Create OIDC application"
        );
        assert_eq!(json["findings"][0]["severity"], "error");
        let html = report.to_html();
        assert!(html.contains("<li id=\"DOC-2\">"), "{html}");
        assert!(html.contains("✓ Step 4"), "{html}");
    }

    #[test]
    fn an_empty_report_is_clean() {
        let report = Report::default();
        assert!(report.is_clean());
        assert!(
            report
                .to_human()
                .ends_with("No deviation from the guide.\n")
        );
    }
}
