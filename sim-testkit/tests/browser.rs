//! The browser kit against a page of its own (a `data:` URL, no server): fields are found by
//! their labels, and a failing step leaves a screenshot behind.
#![cfg(feature = "browser")]

use sim_testkit::browser::Browser;

const PAGE: &str = "data:text/html,<html><body><h1>Add domain</h1>\
<label for='d'>Domain name</label><input id='d' name='domain'>\
<label><input type='checkbox' name='c'> Create Users</label>\
<label for='s'>Tier</label><select id='s'><option>Pro</option><option>Pro%2B</option></select>\
</body></html>";

#[tokio::test]
async fn fields_are_found_by_their_labels() {
    let Some(b) = Browser::start("fields_are_found_by_their_labels").await else {
        return;
    };
    b.goto(PAGE).await;
    b.expect_text("Add domain").await;
    b.fill("Domain name", "example.com").await;
    assert_eq!(b.value("Domain name").await, "example.com");
    b.check("Create Users", true).await;
    let on = b
        .field("Create Users")
        .await
        .is_selected()
        .await
        .expect("read the checkbox");
    assert!(on, "the checkbox is ticked");
    b.select("Tier", "Pro+").await;
    assert_eq!(b.value("Tier").await, "Pro+");
    b.close().await;
}

#[tokio::test]
async fn a_failing_step_writes_a_screenshot() {
    let dir = std::env::temp_dir().join(format!("kiro-sim-shots-{}", std::process::id()));
    let Some(b) = Browser::start("a_failing_step_writes_a_screenshot").await else {
        return;
    };
    let b = b.with_screenshots_in(dir.clone());
    b.goto(PAGE).await;
    let shots = b.screenshot_dir();
    let failed = tokio::spawn(async move { b.press("No such button").await }).await;
    let err = failed.expect_err("pressing a missing button fails the test");
    assert!(err.is_panic());
    let files: Vec<_> = std::fs::read_dir(&shots)
        .expect("the screenshot folder")
        .collect();
    assert_eq!(files.len(), 1, "one screenshot in {}", shots.display());
    let png = std::fs::read(files[0].as_ref().expect("an entry").path()).expect("the screenshot");
    assert_eq!(&png[..4], b"\x89PNG");
    let _ = std::fs::remove_dir_all(dir);
}
