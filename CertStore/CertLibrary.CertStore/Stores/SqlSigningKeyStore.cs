using CertLibrary.CertStore.Data;
using CertLibrary.Signing;
using Dapper;

namespace CertLibrary.CertStore.Stores;

/// <summary>Signing keys in the database, shared by every node; private halves stay encrypted by the signing key protector.</summary>
internal sealed class SqlSigningKeyStore(ICertLibraryDatabase database) : ISigningKeyStore
{
    private const string Columns = "owner_code, alg, kid, public_key, private_key, created_at, not_before, retired_at, revoked_at";

    public Task<IReadOnlyList<SigningKeyRecord>> ListAllAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM signing_keys ORDER BY created_at, kid", null, cancellationToken);

    public Task<IReadOnlyList<SigningKeyRecord>> ListByOwnerAsync(string ownerCode, CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {Columns} FROM signing_keys WHERE owner_code = @ownerCode ORDER BY created_at, kid", new { ownerCode }, cancellationToken);

    public async Task AddAsync(SigningKeyRecord key, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO signing_keys ({Columns}) VALUES (@OwnerCode, @Algorithm, @KeyId, @Spki, @Private, @CreatedAt, @NotBefore, @RetiredAt, @RevokedAt)",
            new
            {
                key.OwnerCode, key.Algorithm, key.KeyId, Spki = key.SubjectPublicKeyInfo, Private = key.EncryptedPrivateKey,
                CreatedAt = key.CreatedAt.ToUniversalTime(), NotBefore = key.NotBefore.ToUniversalTime(),
                RetiredAt = key.RetiredAt?.ToUniversalTime(), RevokedAt = key.RevokedAt?.ToUniversalTime(),
            }, cancellationToken: cancellationToken));
    }

    public async Task<int> MarkRetiredAsync(string keyId, DateTimeOffset retiredAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET retired_at = @at WHERE kid = @keyId AND retired_at IS NULL", new { keyId, at = retiredAt.ToUniversalTime() }, cancellationToken: cancellationToken));
    }

    public async Task<int> MarkRevokedAsync(string keyId, DateTimeOffset revokedAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE signing_keys SET revoked_at = @at WHERE kid = @keyId AND revoked_at IS NULL", new { keyId, at = revokedAt.ToUniversalTime() }, cancellationToken: cancellationToken));
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
