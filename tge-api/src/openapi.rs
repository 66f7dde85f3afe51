//! The OpenAPI 3 document, generated from the handlers' and models'
//! annotations (utoipa).

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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

#[derive(OpenApi)]
#[openapi(
    info(title = "TGE Swarm API", version = "1", description = "Token generation events detected by the swarm: list, detail with evidence, projects, sources, live stream. Errors are application/problem+json."),
    paths(
        tges::list, tges::detail, stream::stream, catalog::projects, catalog::sources,
        admin::keys, admin::refresh_cache, ops::health, ops::ready
    ),
    components(schemas(crate::problem::Problem)),
    modifiers(&ApiKeyScheme),
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
}
