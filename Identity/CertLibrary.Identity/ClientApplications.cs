using System.Data.Common;
using System.Text.Json;
using Dapper;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace CertLibrary.Identity;

/// <summary>
/// Writes a client's OpenIddict application row (<c>identity_oidc_applications</c>) from its <c>identity_clients</c> row,
/// inside the caller's transaction, so the client and what OpenIddict knows of it never disagree. The application's id is
/// the client id; its secret is the same SHA-256 hash (<see cref="ClientApplicationManager"/> checks it); its endpoint and
/// grant permissions follow from the client's kind and scopes: a department uses client credentials, a portal the
/// authorization code with PKCE and, with <c>offline_access</c>, refresh tokens.
/// </summary>
internal static class ClientApplications
{
    public static async Task SyncAsync(DbConnection connection, DbTransaction transaction, string clientId, CancellationToken cancellationToken)
    {
        (string Name, string SecretHash, string Scopes, string RedirectUris, string PostLogoutRedirectUris, bool IsPublic, bool RequirePar) row;
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT name, secret_hash, scopes, redirect_uris, post_logout_redirect_uris, public_client, require_par FROM identity_clients WHERE client_id = @clientId",
            new { clientId }, transaction, cancellationToken: cancellationToken)))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return;
            }

            row = (reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetBoolean(5), reader.GetBoolean(6));
        }

        var scopes = Split(row.Scopes);
        var redirects = Split(row.RedirectUris);
        var interactive = redirects.Length > 0;
        // Introspection is further limited to resource servers (IntrospectionHandlers); a public client is refused as unauthenticated.
        var permissions = new List<string> { Permissions.Endpoints.Token, Permissions.Endpoints.Revocation, Permissions.Endpoints.Introspection };

        if (interactive)
        {
            permissions.AddRange([Permissions.Endpoints.Authorization, Permissions.Endpoints.EndSession, Permissions.Endpoints.PushedAuthorization,
                Permissions.GrantTypes.AuthorizationCode, Permissions.ResponseTypes.Code]);
            if (scopes.Contains(IdentityConstants.OfflineAccessScope))
            {
                permissions.Add(Permissions.GrantTypes.RefreshToken);
            }
        }

        if (!row.IsPublic && scopes.Any(IdentityConstants.ApiScopes.Contains))
        {
            permissions.Add(Permissions.GrantTypes.ClientCredentials);
        }

        // No scope permissions: OpenIddict ignores them here; the endpoints check the client's scopes themselves (invalid_scope).
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_oidc_applications (\"Id\", \"ApplicationType\", \"ClientId\", \"ClientSecret\", \"ClientType\", \"ConcurrencyToken\", " +
            "\"ConsentType\", \"DisplayName\", \"Permissions\", \"PostLogoutRedirectUris\", \"RedirectUris\", \"Requirements\") " +
            "VALUES (@clientId, @applicationType, @clientId, @secret, @clientType, @concurrency, @consentType, @name, @permissions, @postLogout, @redirects, @requirements) " +
            "ON CONFLICT (\"Id\") DO UPDATE SET \"ApplicationType\" = excluded.\"ApplicationType\", \"ClientSecret\" = excluded.\"ClientSecret\", " +
            "\"ClientType\" = excluded.\"ClientType\", \"ConcurrencyToken\" = excluded.\"ConcurrencyToken\", \"ConsentType\" = excluded.\"ConsentType\", " +
            "\"DisplayName\" = excluded.\"DisplayName\", \"Permissions\" = excluded.\"Permissions\", " +
            "\"PostLogoutRedirectUris\" = excluded.\"PostLogoutRedirectUris\", \"RedirectUris\" = excluded.\"RedirectUris\", \"Requirements\" = excluded.\"Requirements\"",
            new
            {
                clientId,
                applicationType = ApplicationTypes.Web,
                secret = row.IsPublic ? null : row.SecretHash,
                clientType = row.IsPublic ? ClientTypes.Public : ClientTypes.Confidential,
                concurrency = Guid.NewGuid().ToString(),

                // Consent to the citizen API scopes is the project's own (ClientConsentManager); OpenIddict asks nothing.
                consentType = ConsentTypes.External,
                name = row.Name,
                permissions = JsonSerializer.Serialize(permissions),
                postLogout = JsonSerializer.Serialize(Split(row.PostLogoutRedirectUris)),
                redirects = JsonSerializer.Serialize(redirects),
                requirements = JsonSerializer.Serialize(!interactive ? [] : row.RequirePar
                    ? new[] { Requirements.Features.ProofKeyForCodeExchange, Requirements.Features.PushedAuthorizationRequests }
                    : [Requirements.Features.ProofKeyForCodeExchange]),
            },
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Removes the client's application with its authorizations and tokens (codes, refresh and access tokens).</summary>
    public static async Task DeleteAsync(DbConnection connection, DbTransaction transaction, string clientId, CancellationToken cancellationToken)
    {
        foreach (var sql in new[]
        {
            "DELETE FROM identity_oidc_tokens WHERE \"ApplicationId\" = @clientId",
            "DELETE FROM identity_oidc_authorizations WHERE \"ApplicationId\" = @clientId",
            "DELETE FROM identity_oidc_applications WHERE \"Id\" = @clientId",
        })
        {
            await connection.ExecuteAsync(new CommandDefinition(sql, new { clientId }, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>Creates the application of every client registered before OpenIddict's tables existed (migration V009).</summary>
    public static async Task SyncMissingAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var missing = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT client_id FROM identity_clients c WHERE NOT EXISTS (SELECT 1 FROM identity_oidc_applications a WHERE a.\"Id\" = c.client_id)",
            cancellationToken: cancellationToken));
        foreach (var clientId in missing)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await SyncAsync(connection, transaction, clientId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }

    private static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
