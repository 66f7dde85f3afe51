//! The OpenAPI 3 document, generated from the handlers' and models'
//! annotations (utoipa).

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::routes::{admin, catalog, ops, stream, tges};

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from `queenctl keys create` (also accepted as `X-API-Key`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// A problem+json response.
fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
}

/// The errors the middleware can answer on any `/api/v1` operation
/// (authentication, scope, rate limit, size and time limits), added to
/// each so that clients (and schemathesis) find every status documented.
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let admin = crate::guard::is_admin(path);
            for operation in [&mut item.get, &mut item.post].into_iter().flatten() {
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| RefOr::T(problem(description)));
                };
                add("401", "No key, or an unknown or revoked key");
                if admin {
                    add("403", "The key does not have the admin scope");
                }
                add("413", "The request body is too large");
                add("429", "Rate limited (see Retry-After)");
                add(
                    "503",
                    "A backend failed or the answer took too long (the reason is logged)",
                );
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "TGE Swarm API", version = "1", description = "Token generation events detected by the swarm: list, detail with evidence, projects, sources, live stream. Errors are application/problem+json."),
    paths(
        tges::list, tges::detail, stream::stream, catalog::projects, catalog::sources,
        admin::keys, admin::refresh_cache, ops::health, ops::ready
    ),
    components(schemas(crate::problem::Problem)),
    modifiers(&ApiKeyScheme, &CommonErrors),
    tags(
        (name = "events", description = "TGE events"),
        (name = "catalog", description = "Projects and sources"),
        (name = "admin", description = "Admin scope only"),
        (name = "ops", description = "Health"),
    )
)]
struct ApiDoc;

/// The document as JSON (built once).
pub fn document_json() -> String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_default())
        .clone()
}

#[cfg(test)]
mod tests {
    #[test]
    fn documents_every_route() {
        let doc: serde_json::Value = serde_json::from_str(&super::document_json()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in [
            "/api/v1/tges",
            "/api/v1/tges/{id}",
            "/api/v1/stream",
            "/api/v1/sources",
            "/api/v1/admin/keys",
        ] {
            assert!(doc["paths"][path].is_object(), "{path} missing");
        }
        let params = doc["paths"]["/api/v1/tges"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(params.iter().any(|p| p["name"] == "min_confidence"));
        assert!(doc["components"]["schemas"]["EventDetail"].is_object());
        let evidence = &doc["components"]["schemas"]["Evidence"]["properties"];
        assert!(evidence["language"].is_object(), "{evidence}");
    }

    #[test]
    fn every_api_operation_documents_the_middlewares_errors() {
        let doc: serde_json::Value = serde_json::from_str(&super::document_json()).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (path, item) in paths.iter().filter(|(p, _)| p.starts_with("/api/v1/")) {
            for (method, op) in item.as_object().unwrap() {
                for status in ["401", "429", "503"] {
                    let r = &op["responses"][status];
                    assert!(
                        r["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}: {r}"
                    );
                }
            }
        }
        assert!(
            doc["paths"]["/api/v1/admin/cache/refresh"]["post"]["responses"]["403"].is_object()
        );
        let ready = &doc["paths"]["/ready"]["get"]["responses"];
        assert!(
            ready["503"]["content"]["application/json"].is_object(),
            "{ready}"
        );
    }
}
