//! Okta's `filter` and `search` expressions for list endpoints: `status eq "ACTIVE"`,
//! `profile.department eq "Engineering" and lastUpdated gt "2026-01-01T00:00:00.000Z"`,
//! `profile.login sw "ada"`, `profile.mobilePhone pr`, with `and`, `or`, `not`-free
//! parentheses. Values are compared as strings (timestamps are RFC 3339, so ordering works).
//!
//! Client input reaches the parser directly, so it is bounded (OKTA-API-7): at most
//! [`MAX_LENGTH`] characters, [`MAX_DEPTH`] nested parentheses and [`MAX_TERMS`] comparisons;
//! beyond that the expression is refused like any invalid one (E0000031), before a deep tree
//! is built, so neither parsing, matching nor dropping it can exhaust a stack.

use super::OktaError;

/// Longest expression accepted, in characters (sim choice; Okta documents no number).
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses accepted (sim choice).
pub const MAX_DEPTH: usize = 16;
/// Most comparisons in one expression (sim choice).
pub const MAX_TERMS: usize = 100;

/// A parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expr {
    /// `attr op "value"` or `attr pr`.
    Compare {
        /// Attribute path, e.g. `profile.login`.
        attr: String,
        /// Operator.
        op: Op,
        /// Comparison value (empty for `pr`).
        value: String,
    },
    /// Both sides.
    And(Box<Expr>, Box<Expr>),
    /// Either side.
    Or(Box<Expr>, Box<Expr>),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// equal (case-insensitive for strings, as Okta does)
    Eq,
    /// starts with
    Sw,
    /// contains
    Co,
    /// greater than
    Gt,
    /// greater or equal
    Ge,
    /// less than
    Lt,
    /// less or equal
    Le,
    /// present (non-null)
    Pr,
}

impl Expr {
    /// Parses an expression; errors name what was wrong.
    pub fn parse(text: &str) -> Result<Expr, OktaError> {
        if text.chars().count() > MAX_LENGTH {
            return Err(invalid(format!(
                "expression is longer than {MAX_LENGTH} characters"
            )));
        }
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            depth: 0,
            terms: 0,
        };
        let expr = parser.or()?;
        if parser.pos != parser.tokens.len() {
            return Err(invalid(format!(
                "unexpected `{}`",
                parser.tokens[parser.pos]
            )));
        }
        Ok(expr)
    }

    /// Evaluates against an object whose attributes `lookup` returns as strings (`None` when
    /// absent or null).
    pub fn matches(&self, lookup: &dyn Fn(&str) -> Option<String>) -> bool {
        match self {
            Expr::And(a, b) => a.matches(lookup) && b.matches(lookup),
            Expr::Or(a, b) => a.matches(lookup) || b.matches(lookup),
            Expr::Compare { attr, op, value } => {
                let Some(actual) = lookup(attr) else {
                    return false;
                };
                let (a, v) = (actual.to_lowercase(), value.to_lowercase());
                match op {
                    Op::Pr => true,
                    Op::Eq => a == v,
                    Op::Sw => a.starts_with(&v),
                    Op::Co => a.contains(&v),
                    Op::Gt => actual.as_str() > value.as_str(),
                    Op::Ge => actual.as_str() >= value.as_str(),
                    Op::Lt => actual.as_str() < value.as_str(),
                    Op::Le => actual.as_str() <= value.as_str(),
                }
            }
        }
    }
}

fn invalid(detail: String) -> OktaError {
    OktaError::InvalidSearch(detail)
}

fn tokenize(text: &str) -> Result<Vec<String>, OktaError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' || c == ')' {
            tokens.push(c.to_string());
            chars.next();
        } else if c == '"' {
            chars.next();
            let mut s = String::from("\"");
            loop {
                match chars.next() {
                    Some('\\') => match chars.next() {
                        Some(e) => s.push(e),
                        None => return Err(invalid("unterminated string".into())),
                    },
                    Some('"') => break,
                    Some(other) => s.push(other),
                    None => return Err(invalid("unterminated string".into())),
                }
            }
            tokens.push(s);
        } else {
            let mut word = String::new();
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                    break;
                }
                word.push(c);
                chars.next();
            }
            tokens.push(word);
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<String>,
    pos: usize,
    /// Parentheses open at `pos`.
    depth: usize,
    /// Comparisons parsed so far.
    terms: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, OktaError> {
        let mut left = self.and()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("or")) {
            self.pos += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, OktaError> {
        let mut left = self.term()?;
        while self.peek().is_some_and(|t| t.eq_ignore_ascii_case("and")) {
            self.pos += 1;
            left = Expr::And(Box::new(left), Box::new(self.term()?));
        }
        Ok(left)
    }

    fn term(&mut self) -> Result<Expr, OktaError> {
        let Some(first) = self.next() else {
            return Err(invalid("expression ends early".into()));
        };
        if first == "(" {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(invalid(format!("parentheses nest deeper than {MAX_DEPTH}")));
            }
            let inner = self.or()?;
            self.depth -= 1;
            return match self.next().as_deref() {
                Some(")") => Ok(inner),
                _ => Err(invalid("missing `)`".into())),
            };
        }
        if first.starts_with('"') || first == ")" {
            return Err(invalid(format!("expected an attribute, found `{first}`")));
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(invalid(format!("more than {MAX_TERMS} comparisons")));
        }
        let op = match self.next().map(|o| o.to_ascii_lowercase()).as_deref() {
            Some("eq") => Op::Eq,
            Some("sw") => Op::Sw,
            Some("co") => Op::Co,
            Some("gt") => Op::Gt,
            Some("ge") => Op::Ge,
            Some("lt") => Op::Lt,
            Some("le") => Op::Le,
            Some("pr") => {
                return Ok(Expr::Compare {
                    attr: first,
                    op: Op::Pr,
                    value: String::new(),
                });
            }
            other => {
                return Err(invalid(format!(
                    "unknown operator `{}` after `{first}`",
                    other.unwrap_or("")
                )));
            }
        };
        match self.next() {
            Some(v) if v.starts_with('"') => Ok(Expr::Compare {
                attr: first,
                op,
                value: v[1..].to_string(),
            }),
            Some(v) if v == "true" || v == "false" || v.parse::<f64>().is_ok() => {
                Ok(Expr::Compare {
                    attr: first,
                    op,
                    value: v,
                })
            }
            other => Err(invalid(format!(
                "expected a quoted value after `{first}`, found `{}`",
                other.unwrap_or_default()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(attr: &str) -> Option<String> {
        match attr {
            "status" => Some("ACTIVE".into()),
            "profile.login" => Some("ada@example.com".into()),
            "lastUpdated" => Some("2026-01-02T00:00:00.000Z".into()),
            _ => None,
        }
    }

    #[test]
    fn expressions_parse_and_match() {
        let cases = [
            (r#"status eq "ACTIVE""#, true),
            (r#"status eq "active""#, true),
            (r#"status eq "STAGED""#, false),
            (r#"profile.login sw "ada" and status eq "ACTIVE""#, true),
            (r#"status eq "STAGED" or profile.login co "example""#, true),
            (
                r#"(status eq "STAGED" or status eq "ACTIVE") and lastUpdated gt "2026-01-01T00:00:00.000Z""#,
                true,
            ),
            ("profile.mobilePhone pr", false),
            ("profile.login pr", true),
        ];
        for (text, expected) in cases {
            let expr = Expr::parse(text).expect(text);
            assert_eq!(expr.matches(&lookup), expected, "{text}");
        }
    }

    #[test]
    fn bad_expressions_are_refused() {
        for text in [
            "status",
            r#"status like "x""#,
            r#"status eq ACTIVE"#,
            r#"(status eq "x""#,
            r#"status eq "x" and"#,
            r#"status eq "unterminated"#,
        ] {
            assert!(
                matches!(Expr::parse(text), Err(OktaError::InvalidSearch(_))),
                "{text}"
            );
        }
    }

    /// OKTA-API-7: nesting, comparisons and length are bounded; the limits themselves pass.
    #[test]
    fn expressions_beyond_the_limits_are_refused_not_recursed_into() {
        let nested = |n: usize| format!("{}status pr{}", "(".repeat(n), ")".repeat(n));
        let chain = |n: usize| vec!["status pr"; n].join(" and ");
        assert!(Expr::parse(&nested(MAX_DEPTH)).is_ok());
        assert!(Expr::parse(&chain(MAX_TERMS)).is_ok());
        for text in [
            nested(MAX_DEPTH + 1),
            nested(100_000),
            chain(MAX_TERMS + 1),
            format!("status eq \"{}\"", "x".repeat(MAX_LENGTH)),
        ] {
            assert!(
                matches!(Expr::parse(&text), Err(OktaError::InvalidSearch(_))),
                "{}",
                &text[..40]
            );
        }
    }
}
