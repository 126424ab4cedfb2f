//! The catalogue of request types and the documents each needs, read from
//! `assets/request-types.toml` (data the society edits, kept in one place).

use serde::Deserialize;

use crate::model::{DocumentKind, RequestType};

/// Whose document a requirement asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// The head of household (the applicant).
    Head,
    /// One for the request.
    Case,
    /// One for every member with salary or pension income.
    EarningMember,
    /// One for every son or daughter.
    Child,
}

/// A document a request type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub kind: DocumentKind,
    pub scope: Scope,
}

/// What a request type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSpec {
    pub kind: RequestType,
    pub needs_amount: bool,
    pub documents: Vec<Requirement>,
}

/// The whole catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestCatalog {
    pub common: Vec<Requirement>,
    pub types: Vec<RequestSpec>,
}

/// A catalogue file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the request catalogue is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("unknown request type `{0}` in the request catalogue")]
    UnknownType(String),
    #[error("unknown document kind `{0}` in the request catalogue")]
    UnknownDocument(String),
    #[error("request type `{0}` is missing from the request catalogue")]
    MissingType(&'static str),
}

#[derive(Deserialize)]
struct RawCatalog {
    #[serde(default)]
    common_documents: Vec<RawRequirement>,
    request_type: Vec<RawType>,
}

#[derive(Deserialize)]
struct RawType {
    code: String,
    needs_amount: bool,
    documents: Vec<RawRequirement>,
}

#[derive(Deserialize)]
struct RawRequirement {
    kind: String,
    scope: Scope,
}

const DEFAULT_CATALOG: &str = include_str!("../../assets/request-types.toml");

impl RequestCatalog {
    /// The catalogue shipped with the app.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_CATALOG).expect("the shipped request catalogue is valid (tested)")
    }

    /// Reads a catalogue; every request type must appear exactly once.
    pub fn parse(text: &str) -> Result<Self, CatalogError> {
        let raw: RawCatalog = toml::from_str(text)?;
        let reqs = |list: Vec<RawRequirement>| -> Result<Vec<Requirement>, CatalogError> {
            list.into_iter()
                .map(|r| {
                    Ok(Requirement {
                        kind: DocumentKind::from_code(&r.kind)
                            .ok_or(CatalogError::UnknownDocument(r.kind))?,
                        scope: r.scope,
                    })
                })
                .collect()
        };
        let common = reqs(raw.common_documents)?;
        let mut types = Vec::new();
        for t in raw.request_type {
            let kind = RequestType::from_code(&t.code).ok_or(CatalogError::UnknownType(t.code))?;
            types.push(RequestSpec {
                kind,
                needs_amount: t.needs_amount,
                documents: reqs(t.documents)?,
            });
        }
        for kind in RequestType::ALL {
            if !types.iter().any(|t| t.kind == *kind) {
                return Err(CatalogError::MissingType(kind.code()));
            }
        }
        Ok(Self { common, types })
    }

    /// What `kind` needs.
    pub fn spec(&self, kind: RequestType) -> &RequestSpec {
        self.types
            .iter()
            .find(|t| t.kind == kind)
            .expect("parse() checked every request type is present")
    }

    /// Every requirement of `kind`, the common ones first.
    pub fn requirements(&self, kind: RequestType) -> impl Iterator<Item = &Requirement> {
        self.common.iter().chain(self.spec(kind).documents.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogue_parses_and_matches_the_design_table() {
        let c = RequestCatalog::builtin();
        assert_eq!(c.types.len(), RequestType::ALL.len());
        let kinds: Vec<_> = c
            .requirements(RequestType::MonthlyAid)
            .map(|r| (r.kind, r.scope))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (DocumentKind::CivilId, Scope::Head),
                (DocumentKind::SalaryCertificate, Scope::EarningMember),
                (DocumentKind::BankStatement, Scope::Case),
                (DocumentKind::PaciAddress, Scope::Case),
            ]
        );
        assert!(c.spec(RequestType::FoodBasket).documents.is_empty());
        assert!(!c.spec(RequestType::FoodBasket).needs_amount);
    }

    #[test]
    fn bad_catalogues_are_refused_with_a_reason() {
        assert!(matches!(
            RequestCatalog::parse("request_type = 3"),
            Err(CatalogError::Toml(_))
        ));
        let unknown =
            "[[request_type]]\ncode = \"space-travel\"\nneeds_amount = true\ndocuments = []";
        assert!(matches!(
            RequestCatalog::parse(unknown),
            Err(CatalogError::UnknownType(t)) if t == "space-travel"
        ));
        let missing = "[[request_type]]\ncode = \"medical\"\nneeds_amount = true\ndocuments = []";
        assert!(matches!(
            RequestCatalog::parse(missing),
            Err(CatalogError::MissingType(_))
        ));
    }
}
