using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.Logging;

namespace CertLibrary.Identity;

/// <summary>A citizen's standing approval of a client's access to the citizen API scopes.</summary>
/// <param name="ClientId">The client approved.</param>
/// <param name="ClientName">Its display name.</param>
/// <param name="Scopes">The approved scopes (of <see cref="IdentityConstants.ConsentScopes"/>).</param>
/// <param name="GrantedAt">First approval.</param>
/// <param name="UpdatedAt">Last approval (a later request may have added scopes).</param>
public sealed record ClientConsent(string ClientId, string ClientName, IReadOnlyList<string> Scopes, DateTimeOffset GrantedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The citizen's approvals of third-party clients for the citizen API scopes (<see cref="IdentityConstants.ConsentScopes"/>),
/// given on the consent screen of <c>/connect/authorize</c>, remembered per citizen (opaque subject) and client, and
/// revocable by the citizen.
/// </summary>
public sealed partial class ClientConsentManager(
    ICertLibraryDatabase database, AccessTokenRevocation accessTokens, TimeProvider time, ILogger<ClientConsentManager> logger)
{
    /// <summary>
    /// True when <paramref name="client"/> may have <paramref name="scopes"/> without asking: it is first-party, asks for no
    /// citizen API scope, or the citizen approved every one it asks for.
    /// </summary>
    internal async Task<bool> IsApprovedAsync(string subject, IdentityClient client, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        var wanted = scopes.Where(IdentityConstants.ConsentScopes.Contains).ToList();
        if (wanted.Count == 0 || client.IsFirstParty)
        {
            return true;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var approved = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT scopes FROM identity_client_consents WHERE subject = @subject AND client_id = @clientId",
            new { subject, clientId = client.ClientId }, cancellationToken: cancellationToken));
        var have = Split(approved ?? string.Empty);
        return wanted.All(have.Contains);
    }

    /// <summary>Records that the citizen approved <paramref name="scopes"/> (added to what was approved before) for the client.</summary>
    internal async Task ApproveAsync(string subject, string clientId, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        var approved = scopes.Where(IdentityConstants.ConsentScopes.Contains).ToList();
        if (approved.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var previous = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT scopes FROM identity_client_consents WHERE subject = @subject AND client_id = @clientId",
            new { subject, clientId }, transaction, cancellationToken: cancellationToken));
        var union = Split(previous ?? string.Empty).Union(approved, StringComparer.Ordinal).Order(StringComparer.Ordinal);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_client_consents (subject, client_id, scopes, granted_at, updated_at) VALUES (@subject, @clientId, @scopes, @now, @now) " +
            "ON CONFLICT (subject, client_id) DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
            new { subject, clientId, scopes = string.Join(' ', union), now }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        LogApproved(logger, clientId);
    }

    /// <summary>The clients the citizen approved, by name.</summary>
    public async Task<IReadOnlyList<ClientConsent>> ListAsync(string subject, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT c.client_id, k.name, c.scopes, c.granted_at, c.updated_at FROM identity_client_consents c " +
            "JOIN identity_clients k ON k.client_id = c.client_id WHERE c.subject = @subject ORDER BY k.name, c.client_id",
            new { subject }, cancellationToken: cancellationToken));
        var list = new List<ClientConsent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ClientConsent(reader.GetString(0), reader.GetString(1), Split(reader.GetString(2)),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return list;
    }

    /// <summary>
    /// Revokes the citizen's approval of a client, in one transaction, together with every grant the client holds for the
    /// citizen: its refresh tokens and unredeemed codes stop working, and the access tokens issued from them are refused
    /// (<see cref="AccessTokenRevocation"/>: at once on this node, within the revocation check interval on others). The
    /// client's next authorization request asks the citizen again. False when there was no approval.
    /// </summary>
    public async Task<bool> RevokeAsync(string subject, string clientId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM identity_client_consents WHERE subject = @subject AND client_id = @clientId",
            new { subject, clientId }, transaction, cancellationToken: cancellationToken));
        if (deleted == 0)
        {
            return false;
        }

        // The client's grants of this citizen are OpenIddict authorizations: revoked with every token issued from them.
        var grants = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT \"Id\" FROM identity_oidc_authorizations WHERE \"Subject\" = @subject AND \"ApplicationId\" = @clientId AND \"Status\" <> 'revoked'",
            new { subject, clientId }, transaction, cancellationToken: cancellationToken))).ToList();
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_oidc_authorizations SET \"Status\" = 'revoked', \"ConcurrencyToken\" = @concurrency WHERE \"Subject\" = @subject AND \"ApplicationId\" = @clientId",
            new { subject, clientId, concurrency = Guid.NewGuid().ToString() }, transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE identity_oidc_tokens SET \"Status\" = 'revoked', \"ConcurrencyToken\" = @concurrency WHERE \"Subject\" = @subject AND \"ApplicationId\" = @clientId",
            new { subject, clientId, concurrency = Guid.NewGuid().ToString() }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        foreach (var grant in grants)
        {
            accessTokens.Revoked("grant", grant);
        }

        LogRevoked(logger, clientId, grants.Count);
        return true;
    }

    private static string[] Split(string value) => value.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [LoggerMessage(Level = LogLevel.Information, EventId = 4070, Message = "Audit: a citizen approved client {ClientId} for the citizen API")]
    private static partial void LogApproved(ILogger logger, string clientId);

    [LoggerMessage(Level = LogLevel.Warning, EventId = 4071, Message = "Audit: a citizen revoked client {ClientId}; {Grants} grants revoked")]
    private static partial void LogRevoked(ILogger logger, string clientId, int grants);
}
