//! A case's SCP statements as one English line, in the order a cardiologist writes a report.

/// What a statement describes, which decides its place in the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StatementKind {
    Rhythm,
    Diagnostic,
    Form,
}

/// One statement of a case: its kind, PTB-XL's likelihood (0–100), code and description.
#[derive(Debug, Clone, Copy)]
pub struct StatementLine<'a> {
    pub kind: StatementKind,
    pub likelihood: f32,
    pub code: &'a str,
    pub description: &'a str,
}

/// The descriptions joined: rhythm first, then diagnostic statements by likelihood, then
/// form statements (`sinus rhythm, normal ECG`).
pub fn compose_statements(mut statements: Vec<StatementLine<'_>>) -> String {
    statements.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then(b.likelihood.total_cmp(&a.likelihood))
            .then(a.code.cmp(b.code))
    });
    statements
        .iter()
        .map(|s| s.description)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rhythm_comes_first_then_the_likeliest_diagnosis() {
        let line = |kind, likelihood, code, description| StatementLine {
            kind,
            likelihood,
            code,
            description,
        };
        assert_eq!(
            compose_statements(vec![
                line(StatementKind::Form, 0.0, "ABQRS", "abnormal QRS"),
                line(StatementKind::Diagnostic, 50.0, "IMI", "inferior myocardial infarction"),
                line(StatementKind::Diagnostic, 100.0, "LVH", "left ventricular hypertrophy"),
                line(StatementKind::Rhythm, 0.0, "SR", "sinus rhythm"),
            ]),
            "sinus rhythm, left ventricular hypertrophy, inferior myocardial infarction, abnormal QRS"
        );
    }
}
