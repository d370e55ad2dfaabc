using System.Data.Common;
using CertLibrary.Data;
using CertLibrary.Identifiers;
using Dapper;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Identity;

/// <summary>A registered OAuth client: a department (client credentials) or a portal (authorization code).</summary>
/// <param name="ClientId">Public client identifier.</param>
/// <param name="Name">Display name.</param>
/// <param name="DepartmentCode">Credit code of the department the client acts for, if any.</param>
/// <param name="Scopes">Scopes the client may request.</param>
/// <param name="RedirectUris">Redirect URIs, matched exactly.</param>
/// <param name="PostLogoutRedirectUris">Post-logout redirect URIs, matched exactly.</param>
/// <param name="BackChannelLogoutUri">Back-channel logout endpoint (OIDC Back-Channel Logout 1.0), if registered; column <c>back_channel_logout_uri</c>.</param>
/// <param name="CreatedAt">Registration time.</param>
public sealed record IdentityClient(
    string ClientId,
    string Name,
    string? DepartmentCode,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> RedirectUris,
    IReadOnlyList<string> PostLogoutRedirectUris,
    string? BackChannelLogoutUri,
    DateTimeOffset CreatedAt)
{
    /// <summary>A public client (a browser or mobile app): no secret, authorization code with PKCE only.</summary>
    public bool IsPublic { get; init; }

    /// <summary>A resource server: the only kind of client that may introspect tokens (RFC 7662); column <c>resource_server</c>.</summary>
    public bool IsResourceServer { get; init; }

    /// <summary>Sends its authorization requests by pushed authorization request (RFC 9126) only; column <c>require_par</c>.</summary>
    public bool RequiresPushedAuthorization { get; init; }

    /// <summary>
    /// A first-party client: one of the platform's own portals, registered at start-up (<see cref="ClientManager.EnsureClientAsync"/>).
    /// It receives the citizen API scopes (<see cref="IdentityConstants.ConsentScopes"/>) without the consent screen; every client
    /// registered through <see cref="ClientManager.CreateAsync"/> (the administration API) needs the citizen's approval.
    /// </summary>
    public bool IsFirstParty { get; init; }
}

/// <summary>Credentials of a newly created client; the secret is shown once and only its hash is stored.</summary>
/// <param name="ClientId">Client identifier.</param>
/// <param name="ClientSecret">Client secret (256-bit random, base64url); empty for a public client, which has none.</param>
public sealed record ClientCredentials(string ClientId, string ClientSecret);

/// <summary>Interactive (portal) settings of a client.</summary>
public sealed class ClientRegistrationOptions
{
    /// <summary>Fixed client id; generated when null.</summary>
    public string? ClientId { get; init; }

    /// <summary>Redirect URIs (absolute, no fragment), matched exactly.</summary>
    public IReadOnlyCollection<string> RedirectUris { get; init; } = [];

    /// <summary>Post-logout redirect URIs, matched exactly.</summary>
    public IReadOnlyCollection<string> PostLogoutRedirectUris { get; init; } = [];

    /// <summary>Back-channel logout URI (OIDC Back-Channel Logout 1.0).</summary>
    public string? BackChannelLogoutUri { get; init; }

    /// <summary>A public client (browser or mobile app): no secret; authorization code with PKCE and refresh tokens only.</summary>
    public bool IsPublic { get; init; }

    /// <summary>A resource server, allowed to introspect tokens (RFC 7662). Confidential clients only.</summary>
    public bool IsResourceServer { get; init; }

    /// <summary>Authorization requests only by pushed authorization request (<c>/connect/par</c>, RFC 9126).</summary>
    public bool RequirePushedAuthorization { get; init; }
}

/// <summary>Registers OAuth clients and checks their secrets. Business rules live here; SQL stays plain.</summary>
public sealed partial class ClientManager(ICertLibraryDatabase database, AccessTokenRevocation accessTokens, TimeProvider time, ILogger<ClientManager> logger)
{
    private const string Columns =
        "client_id, secret_hash, name, department_code, scopes, redirect_uris, post_logout_redirect_uris, back_channel_logout_uri, created_at, public_client, resource_server, first_party, require_par";

    /// <summary>
    /// Creates a client. Throws <see cref="ArgumentException"/> (naming the bad parameter) for an unknown scope, a bad
    /// department code, a non-absolute redirect URI or an empty name.
    /// </summary>
    public async Task<ClientCredentials> CreateAsync(
        string? departmentCode,
        string name,
        IReadOnlyCollection<string> scopes,
        ClientRegistrationOptions? registration = null,
        CancellationToken cancellationToken = default)
    {
        registration ??= new ClientRegistrationOptions();
        Validate(departmentCode, name, scopes, registration);
        var clientId = registration.ClientId ?? "cl_" + SecretHasher.NewSecret(16);
        var secret = registration.IsPublic ? string.Empty : SecretHasher.NewSecret();
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO identity_clients (client_id, secret_hash, name, department_code, scopes, redirect_uris, post_logout_redirect_uris, " +
                "back_channel_logout_uri, public_client, resource_server, require_par, created_at, updated_at) " +
                "VALUES (@clientId, @hash, @name, @departmentCode, @scopes, @redirects, @postLogout, @backChannel, @isPublic, @resourceServer, @requirePar, @now, @now)",
                new
                {
                    clientId,
                    hash = registration.IsPublic ? string.Empty : SecretHasher.Hash(secret),
                    isPublic = registration.IsPublic,
                    resourceServer = registration.IsResourceServer,
                    requirePar = registration.RequirePushedAuthorization,
                    name = name.Trim(),
                    departmentCode = departmentCode is null ? null : CreditCode.Parse(departmentCode).ToString(),
                    scopes = string.Join(' ', scopes.Distinct(StringComparer.Ordinal)),
                    redirects = string.Join(' ', registration.RedirectUris),
                    postLogout = string.Join(' ', registration.PostLogoutRedirectUris),
                    backChannel = registration.BackChannelLogoutUri,
                    now,
                },
                transaction, cancellationToken: cancellationToken));
            await ClientApplications.SyncAsync(connection, transaction, clientId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbException ex) when (database.IsUniqueViolation(ex))
        {
            throw new ArgumentException($"A client with id '{clientId}' already exists.", nameof(registration), ex);
        }

        LogClientCreated(logger, clientId, departmentCode);
        return new ClientCredentials(clientId, secret);
    }

    /// <summary>
    /// Makes sure the administrator client exists with scope <c>certlib.admin</c> and the given secret (created, or its
    /// secret and scope updated). Used at start-up with <c>CERTLIB_ADMIN_CLIENT_ID</c>/<c>CERTLIB_ADMIN_CLIENT_SECRET</c>.
    /// </summary>
    public async Task EnsureAdminClientAsync(string clientId, string clientSecret, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        if (clientSecret is null || clientSecret.Length < 16)
        {
            throw new ArgumentException("The administrator client secret must have at least 16 characters.", nameof(clientSecret));
        }

        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_clients (client_id, secret_hash, name, department_code, scopes, redirect_uris, post_logout_redirect_uris, " +
            "back_channel_logout_uri, created_at, updated_at) VALUES (@clientId, @hash, 'Administrator', NULL, @scope, '', '', NULL, @now, @now) " +
            "ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash, scopes = excluded.scopes, updated_at = excluded.updated_at",
            new { clientId, hash = SecretHasher.Hash(clientSecret), scope = IdentityConstants.AdminScope, now },
            transaction, cancellationToken: cancellationToken));
        await ClientApplications.SyncAsync(connection, transaction, clientId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogAdminEnsured(logger, clientId);
    }

    /// <summary>
    /// Makes sure an interactive client of the platform itself (such as the citizen portal) exists exactly as given: created,
    /// or its secret, name, scopes and redirect URIs updated. Idempotent, so every node may call it at start-up with the
    /// same (derived) secret. Such a client is first-party (<see cref="IdentityClient.IsFirstParty"/>). Throws <see cref="ArgumentException"/> like <see cref="CreateAsync"/> for bad settings.
    /// </summary>
    public async Task EnsureClientAsync(
        string clientId, string clientSecret, string name, IReadOnlyCollection<string> scopes, ClientRegistrationOptions registration,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clientId);
        if (clientSecret is null || clientSecret.Length < 32)
        {
            throw new ArgumentException("The client secret must have at least 32 characters.", nameof(clientSecret));
        }

        Validate(null, name, scopes, registration);
        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_clients (client_id, secret_hash, name, department_code, scopes, redirect_uris, post_logout_redirect_uris, " +
            "back_channel_logout_uri, first_party, created_at, updated_at) " +
            "VALUES (@clientId, @hash, @name, NULL, @scopes, @redirects, @postLogout, @backChannel, @firstParty, @now, @now) " +
            "ON CONFLICT (client_id) DO UPDATE SET secret_hash = excluded.secret_hash, name = excluded.name, scopes = excluded.scopes, first_party = excluded.first_party, " +
            "redirect_uris = excluded.redirect_uris, post_logout_redirect_uris = excluded.post_logout_redirect_uris, " +
            "back_channel_logout_uri = excluded.back_channel_logout_uri, updated_at = excluded.updated_at",
            new
            {
                clientId,
                hash = SecretHasher.Hash(clientSecret),
                name = name.Trim(),
                scopes = string.Join(' ', scopes.Distinct(StringComparer.Ordinal)),
                redirects = string.Join(' ', registration.RedirectUris),
                postLogout = string.Join(' ', registration.PostLogoutRedirectUris),
                backChannel = registration.BackChannelLogoutUri,
                firstParty = true,
                now,
            },
            transaction, cancellationToken: cancellationToken));
        await ClientApplications.SyncAsync(connection, transaction, clientId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogClientEnsured(logger, clientId);
    }

    /// <summary>
    /// Replaces the name and the portal URIs of a client (the same rules as <see cref="CreateAsync"/>: every URI must pass
    /// <see cref="CheckUri"/>); scopes, type and secret stay. Null for an unknown client. Throws <see cref="ArgumentException"/>
    /// for bad settings.
    /// </summary>
    public async Task<IdentityClient?> UpdateAsync(string clientId, string name, ClientRegistrationOptions registration, CancellationToken cancellationToken = default)
    {
        if (await FindAsync(clientId, cancellationToken) is not { } existing)
        {
            return null;
        }

        Validate(existing.DepartmentCode, name, existing.Scopes, new ClientRegistrationOptions
        {
            RedirectUris = registration.RedirectUris,
            PostLogoutRedirectUris = registration.PostLogoutRedirectUris,
            BackChannelLogoutUri = registration.BackChannelLogoutUri,
            IsPublic = existing.IsPublic,
        });
        var client = existing with
        {
            Name = name.Trim(),
            RedirectUris = [.. registration.RedirectUris],
            PostLogoutRedirectUris = [.. registration.PostLogoutRedirectUris],
            BackChannelLogoutUri = registration.BackChannelLogoutUri,
        };
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_clients SET name = @Name, redirect_uris = @redirects, post_logout_redirect_uris = @postLogout, " +
            "back_channel_logout_uri = @BackChannelLogoutUri, updated_at = @now WHERE client_id = @ClientId",
            new
            {
                client.ClientId,
                client.Name,
                redirects = string.Join(' ', client.RedirectUris),
                postLogout = string.Join(' ', client.PostLogoutRedirectUris),
                client.BackChannelLogoutUri,
                now = time.GetUtcNow(),
            },
            transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return null;
        }

        await ClientApplications.SyncAsync(connection, transaction, clientId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogClientUpdated(logger, clientId);
        return client;
    }

    /// <summary>
    /// Gives a confidential client a new secret (256-bit random, returned once, stored as a hash); the old one stops working
    /// at once. Null for an unknown or a public client (which has no secret).
    /// </summary>
    public async Task<ClientCredentials?> RotateSecretAsync(string clientId, CancellationToken cancellationToken = default)
    {
        var secret = SecretHasher.NewSecret();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_clients SET secret_hash = @hash, updated_at = @now WHERE client_id = @clientId AND public_client = @isPublic",
            new { clientId, hash = SecretHasher.Hash(secret), now = time.GetUtcNow(), isPublic = false }, transaction, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return null;
        }

        await ClientApplications.SyncAsync(connection, transaction, clientId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        LogSecretRotated(logger, clientId);
        return new ClientCredentials(clientId, secret);
    }

    /// <summary>
    /// Registers a confidential client as a resource server (allowed to introspect tokens) or withdraws that. False for an
    /// unknown client, and for a public client, which cannot be one.
    /// </summary>
    public async Task<bool> SetResourceServerAsync(string clientId, bool isResourceServer, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_clients SET resource_server = @isResourceServer, updated_at = @now WHERE client_id = @clientId AND public_client = @isPublic",
            new { clientId, isResourceServer, now = time.GetUtcNow(), isPublic = false }, cancellationToken: cancellationToken));
        if (updated == 0)
        {
            return false;
        }

        LogResourceServerChanged(logger, clientId, isResourceServer);
        return true;
    }

    /// <summary>
    /// Deletes a client in one transaction: its OpenIddict application, authorizations, codes and tokens are removed, and
    /// pending back-channel logouts to it and the citizens' approvals of it are dropped (a client registered again under the
    /// same id asks again). False for an unknown client. Every access token of the client,
    /// client-credentials ones included, is then refused (<see cref="AccessTokenRevocation"/>): by introspection at once,
    /// by the API on this node once this returns and on other nodes within <see cref="IdentityOptions.RevocationCheckInterval"/>.
    /// </summary>
    public async Task<bool> DeleteAsync(string clientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ClientApplications.DeleteAsync(connection, transaction, clientId, cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_logout_outbox WHERE client_id = @clientId", new { clientId }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_client_consents WHERE client_id = @clientId", new { clientId }, transaction, cancellationToken: cancellationToken));
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_clients WHERE client_id = @clientId", new { clientId }, transaction, cancellationToken: cancellationToken));
        if (deleted == 0)
        {
            return false;
        }

        await transaction.CommitAsync(cancellationToken);
        accessTokens.Revoked("client", clientId);
        LogClientDeleted(logger, clientId);
        return true;
    }

    /// <summary>Every client, ordered by id.</summary>
    public async Task<IReadOnlyList<IdentityClient>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return [.. (await QueryAsync(connection, $"SELECT {Columns} FROM identity_clients ORDER BY client_id", null, cancellationToken)).Select(r => r.Client)];
    }

    /// <summary>The client with this id, or null.</summary>
    public async Task<IdentityClient?> FindAsync(string clientId, CancellationToken cancellationToken = default) =>
        (await FindWithHashAsync(clientId, cancellationToken))?.Client;

    /// <summary>The client when <paramref name="clientSecret"/> is its secret; null otherwise (unknown client or wrong secret).</summary>
    public async Task<IdentityClient?> AuthenticateAsync(string clientId, string clientSecret, CancellationToken cancellationToken = default)
    {
        var row = await FindWithHashAsync(clientId, cancellationToken);
        if (row is null)
        {
            // Same work as a known client, so response time does not reveal which client ids exist.
            SecretHasher.Verify(clientSecret, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
            return null;
        }

        return !row.Value.Client.IsPublic && SecretHasher.Verify(clientSecret, row.Value.Hash) ? row.Value.Client : null;
    }

    /// <summary>
    /// Why <paramref name="uri"/> cannot be registered as a redirect, post-logout or back-channel logout URI, or null when
    /// it can: absolute, https (http only for a loopback host), no fragment, no wildcard, no user info, no white space,
    /// at most 2,000 characters. Redirect URIs are matched exactly, so anything looser would be a hole.
    /// </summary>
    public static string? CheckUri(string? uri)
    {
        if (string.IsNullOrEmpty(uri))
        {
            return "A URI is required.";
        }

        if (uri.Length > 2000)
        {
            return "The URI is longer than 2,000 characters.";
        }

        if (uri.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "The URI contains white space or control characters.";
        }

        if (uri.Contains('*', StringComparison.Ordinal))
        {
            return "Wildcards are not allowed: redirect URIs are matched exactly.";
        }

        if (uri.Contains('#', StringComparison.Ordinal))
        {
            return "The URI must not contain a fragment (RFC 6749 §3.1.2).";
        }

        if (!Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || string.IsNullOrEmpty(parsed.Host))
        {
            return "The URI must be absolute (scheme and host).";
        }

        if (parsed.UserInfo.Length > 0)
        {
            return "The URI must not contain user information.";
        }

        if (parsed.Scheme == Uri.UriSchemeHttps)
        {
            return null;
        }

        return parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback
            ? null
            : "The URI must use https (http only for a loopback host such as 127.0.0.1 or localhost).";
    }

    private async Task<(IdentityClient Client, string Hash)?> FindWithHashAsync(string clientId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(clientId) || clientId.Length > 200)
        {
            return null;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var rows = await QueryAsync(connection, $"SELECT {Columns} FROM identity_clients WHERE client_id = @clientId", new { clientId }, cancellationToken);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<List<(IdentityClient Client, string Hash)>> QueryAsync(DbConnection connection, string sql, object? args, CancellationToken cancellationToken)
    {
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, args, cancellationToken: cancellationToken));
        var list = new List<(IdentityClient, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add((new IdentityClient(
                reader.GetString(0),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                Split(reader.GetString(4)),
                Split(reader.GetString(5)),
                Split(reader.GetString(6)),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8)) { IsPublic = reader.GetBoolean(9), IsResourceServer = reader.GetBoolean(10), IsFirstParty = reader.GetBoolean(11), RequiresPushedAuthorization = reader.GetBoolean(12) }, reader.GetString(1)));
        }

        return list;
    }

    private static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static void Validate(string? departmentCode, string name, IReadOnlyCollection<string> scopes, ClientRegistrationOptions registration)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw new ArgumentException("The client name must have 1–200 characters.", nameof(name));
        }

        if (departmentCode is not null && !CreditCode.TryParse(departmentCode, out _, out var error))
        {
            throw new ArgumentException($"The department code is not a valid unified social credit code: {error}", nameof(departmentCode));
        }

        if (scopes.Count == 0)
        {
            throw new ArgumentException("At least one scope is required.", nameof(scopes));
        }

        if (scopes.FirstOrDefault(s => !IdentityConstants.AllScopes.Contains(s)) is { } unknown)
        {
            throw new ArgumentException($"Unknown scope '{unknown}'.", nameof(scopes));
        }

        foreach (var uri in registration.RedirectUris.Concat(registration.PostLogoutRedirectUris)
            .Concat(registration.BackChannelLogoutUri is null ? [] : [registration.BackChannelLogoutUri]))
        {
            if (CheckUri(uri) is { } problem)
            {
                throw new ArgumentException($"'{uri}': {problem}", nameof(registration));
            }
        }

        if (registration.IsPublic && (registration.RedirectUris.Count == 0 || scopes.Any(IdentityConstants.ApiScopes.Contains)))
        {
            throw new ArgumentException("A public client needs redirect URIs and may not hold department (client credentials) scopes.", nameof(registration));
        }

        if (registration.IsPublic && registration.IsResourceServer)
        {
            throw new ArgumentException("A public client cannot be a resource server: introspection needs client authentication.", nameof(registration));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created client {ClientId} for department {DepartmentCode}")]
    private static partial void LogClientCreated(ILogger logger, string clientId, string? departmentCode);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4060, Message = "Audit: client {ClientId} updated")]
    private static partial void LogClientUpdated(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4061, Message = "Audit: secret of client {ClientId} rotated")]
    private static partial void LogSecretRotated(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4063, Message = "Audit: client {ClientId} resource server (introspection allowed): {IsResourceServer}")]
    private static partial void LogResourceServerChanged(ILogger logger, string clientId, bool isResourceServer);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4062, Message = "Audit: client {ClientId} deleted; its grants are revoked")]
    private static partial void LogClientDeleted(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Administrator client {ClientId} is present")]
    private static partial void LogAdminEnsured(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Platform client {ClientId} is present")]
    private static partial void LogClientEnsured(ILogger logger, string clientId);
}
