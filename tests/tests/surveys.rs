//! The satisfaction survey measures what families answered: an empty one (no score, no
//! comment) is refused on the device with a message, and by the server from a modified app,
//! so it is never counted or exported.

use mandoob_engine::engine::{Edit, EngineError};
use mandoob_shared::doc::Author;
use mandoob_shared::ids::{SurveyId, Timestamp, UserId};
use mandoob_shared::model::SatisfactionSurvey;
use mandoob_shared::validate::Code;
use mandoob_tests::{ConsoleClient, Device, TestServer, submitted_case};

fn survey(by: &UserId, overall: Option<u64>, comment: &str) -> SatisfactionSurvey {
    SatisfactionSurvey {
        id: SurveyId::generate(),
        at: Timestamp::now(),
        administered_by: by.clone(),
        reception: None,
        time_and_answers: None,
        clarity: None,
        speed: None,
        overall,
        comment: comment.into(),
        wants_contact: true,
    }
}

#[tokio::test]
async fn an_empty_survey_is_refused_on_the_device_and_by_the_server() -> anyhow::Result<()> {
    let server = TestServer::start().await?;
    let mut rep = Device::enrol(&server, "rep-a").await?;
    let id = submitted_case(&mut rep, 12, 1);
    rep.sync().await?;
    let me = rep.login.user.clone();
    let before = rep.engine.open_case(&id)?.case.surveys.len();
    let committee = ConsoleClient::sign_in(&server, "committee").await?;
    let exported = |csv: &str| csv.lines().filter(|l| !l.trim().is_empty()).count();
    let rows_before = exported(
        &committee
            .get("/console/export/surveys.csv")
            .await?
            .text()
            .await?,
    );

    // On the device: refused with the reason, nothing stored.
    let err = rep
        .engine
        .edit(&id, Edit::AddSurvey(survey(&me, None, "  ")))
        .expect_err("an empty survey");
    let EngineError::Invalid(errors) = err else {
        panic!("{err:?}")
    };
    assert_eq!(errors[0].code, Code::SurveyEmpty);
    assert_eq!(rep.engine.open_case(&id)?.case.surveys.len(), before);
    // A comment alone, or one score, is an answer.
    rep.engine
        .edit(&id, Edit::AddSurvey(survey(&me, None, "شكراً")))?;
    rep.engine
        .edit(&id, Edit::AddSurvey(survey(&me, Some(5), "")))?;
    let s = rep.sync().await?;
    assert!(s.refused.is_empty(), "{:?}", s.refused);

    // A modified app that skips the check: the server refuses the change.
    let mut doc = rep.engine.case_doc(&id)?;
    let author = Author {
        user: me.clone(),
        at: Timestamp::now(),
    };
    let empty = survey(&me, None, "");
    doc.update(&author, |c| c.surveys.push(empty.clone()))?;
    rep.engine.import_case(&mut doc, true)?;
    let s = rep.sync().await?;
    assert!(
        s.refused.iter().any(|r| r.code == "invalid-survey"),
        "{:?}",
        s.refused
    );
    assert_eq!(rep.engine.open_case(&id)?.case.surveys.len(), before + 2);

    // The export holds the two answered surveys, not the empty one.
    let csv = committee
        .get("/console/export/surveys.csv")
        .await?
        .text()
        .await?;
    assert_eq!(exported(&csv), rows_before + 2, "{csv}");
    Ok(())
}
