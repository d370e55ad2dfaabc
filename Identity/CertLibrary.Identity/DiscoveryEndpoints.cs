using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace CertLibrary.Identity;

/// <summary>OpenID Provider metadata and JWKS (Duende's paths).</summary>
internal static class DiscoveryEndpoints
{
    public static IResult Configuration(HttpContext context, IssuerResolver issuers)
    {
        var issuer = issuers.GetIssuer(context);
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["authorization_endpoint"] = issuer + "/connect/authorize",
            ["token_endpoint"] = issuer + "/connect/token",
            ["userinfo_endpoint"] = issuer + "/connect/userinfo",
            ["end_session_endpoint"] = issuer + "/connect/endsession",
            ["revocation_endpoint"] = issuer + "/connect/revocation",
            ["introspection_endpoint"] = issuer + "/connect/introspect",
            ["jwks_uri"] = issuer + "/.well-known/openid-configuration/jwks",
            ["scopes_supported"] = IdentityConstants.AllScopes,
            ["claims_supported"] = new[] { "sub", "name", "auth_time", "acr", "amr", "sid", "nonce", IdentityConstants.CitizenIdClaim, IdentityConstants.DepartmentClaim },
            ["response_types_supported"] = new[] { "code" },
            ["response_modes_supported"] = new[] { "query" },
            ["grant_types_supported"] = new[] { "authorization_code", "refresh_token", "client_credentials" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
            ["userinfo_signing_alg_values_supported"] = new[] { "ES256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post", "none" }, // none: public clients, PKCE
            ["revocation_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post", "none" },
            ["introspection_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["prompt_values_supported"] = new[] { "none", "login", "consent" },
            ["acr_values_supported"] = new[] { IdentityConstants.AcrPassword, IdentityConstants.AcrMultiFactor },
            ["authorization_response_iss_parameter_supported"] = true,
            ["backchannel_logout_supported"] = true,
            ["backchannel_logout_session_supported"] = true,
            ["request_parameter_supported"] = false,
            ["request_uri_parameter_supported"] = false,
            ["claims_parameter_supported"] = false,
        });
    }

    public static async Task<IResult> JwksAsync(HttpContext context, SigningKeyManager keys, CancellationToken cancellationToken)
    {
        var published = await keys.GetPublishedKeysAsync(cancellationToken);
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Json(new { keys = published.Select(k => JsonSerializer.Deserialize<JsonElement>(k.PublicJwk)) });
    }
}
