using CertLibrary.Data;
using CertLibrary.Signing;
using CertLibrary.CertStore.Model;
using CertLibrary.TransparencyLog;
using Dapper;

namespace CertLibrary.CertStore.Stores;

/// <summary>Signing keys in the database, shared by every node; private halves stay encrypted by the signing key protector.</summary>
/// <remarks>Every key event is appended to the transparency log in the same transaction as the key write (SPEC §7).</remarks>
internal sealed class SqlSigningKeyStore(ICertLibraryDatabase database, SqlCertificateStore certificates, TimeProvider time) : ISigningKeyStore
{
    private const string Columns = "owner_code, alg, kid, public_key, private_key, created_at, not_before, retired_at, revoked_at";

    public Task<IReadOnlyList<SigningKeyRecord>> ListAllAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM signing_keys ORDER BY created_at, kid", null, cancellationToken);

    public Task<IReadOnlyList<SigningKeyRecord>> ListByOwnerAsync(string ownerCode, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM signing_keys WHERE owner_code = @ownerCode ORDER BY created_at, kid", new { ownerCode }, cancellationToken);

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        await using var tx = await certificates.BeginLoggedWriteAsync(cancellationToken);
        await tx.ExecuteAsync(
            $"INSERT INTO signing_keys ({Columns}) VALUES (@OwnerCode, @Algorithm, @KeyId, @Spki, @Private, @CreatedAt, @NotBefore, @RetiredAt, @RevokedAt)",
            new
            {
                key.OwnerCode, key.Algorithm, key.KeyId, Spki = key.SubjectPublicKeyInfo, Private = key.EncryptedPrivateKey,
                CreatedAt = key.CreatedAt.ToUniversalTime(), NotBefore = key.NotBefore.ToUniversalTime(),
                RetiredAt = key.RetiredAt?.ToUniversalTime(), RevokedAt = key.RevokedAt?.ToUniversalTime(),
            }, cancellationToken);
        await AppendAsync(tx, LogEventTypes.KeyAdded, key.KeyId, key.OwnerCode, null, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public Task<int> MarkRetiredAsync(string keyId, DateTimeOffset retiredAt, CancellationToken cancellationToken) =>
        MarkAsync("retired_at", LogEventTypes.KeyRotated, StatusReasonCodes.Superseded, keyId, retiredAt, cancellationToken);

    public Task<int> MarkRevokedAsync(string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken) =>
        MarkAsync("revoked_at", LogEventTypes.KeyRevoked, null, keyId, revokedAt, cancellationToken);

    private async Task<int> MarkAsync(string column, string eventType, string? reasonCode, string keyId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        await using var tx = await certificates.BeginLoggedWriteAsync(cancellationToken);
        var owners = (await tx.QueryAsync<string>($"SELECT DISTINCT owner_code FROM signing_keys WHERE kid = @keyId AND {column} IS NULL",
            new { keyId }, cancellationToken)).ToList();
        var rows = await tx.ExecuteAsync($"UPDATE signing_keys SET {column} = @at WHERE kid = @keyId AND {column} IS NULL",
            new { keyId, at = at.ToUniversalTime() }, cancellationToken);
        foreach (var owner in owners)
        {
            await AppendAsync(tx, eventType, keyId, owner, reasonCode, cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return rows;
    }

    private async Task AppendAsync(SqlCertificateStore.WriteTransaction tx, string eventType, string keyId, string owner, string? reasonCode, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var entry = new LogEntry(eventType, null, keyId, null, owner, now, reasonCode);
        await tx.AppendLogAsync(entry.ToLeafInput(), now, cancellationToken);
    }

    private async Task<IReadOnlyList<SigningKeyRecord>> QueryAsync(string sql, object? parameters, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        var keys = new List<SigningKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new SigningKeyRecord
            {
                OwnerCode = reader.GetString(0),
                Algorithm = reader.GetString(1),
                KeyId = reader.GetString(2),
                SubjectPublicKeyInfo = (byte[])reader.GetValue(3),
                EncryptedPrivateKey = (byte[])reader.GetValue(4),
                CreatedAt = reader.GetFieldValue<DateTimeOffset>(5),
                NotBefore = reader.GetFieldValue<DateTimeOffset>(6),
                RetiredAt = reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7),
                RevokedAt = reader.IsDBNull(8) ? null : reader.GetFieldValue<DateTimeOffset>(8),
            });
        }

        return keys;
    }
}
