using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using CertLibrary.Data;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace CertLibrary.Identity;

/// <summary>A published token-signing key (public part), as it appears in JWKS.</summary>
/// <param name="Kid">Key id.</param>
/// <param name="PublicJwk">JWK JSON of the public key.</param>
/// <param name="ActivatesAt">When it starts signing (after its announce period).</param>
/// <param name="UnpublishAt">When it leaves JWKS (long after the last token it signed expired).</param>
public sealed record PublishedSigningKey(string Kid, string PublicJwk, DateTimeOffset ActivatesAt, DateTimeOffset UnpublishAt);

/// <summary>
/// ES256 token-signing keys kept in the database (private key sealed with the master key) so every node signs with
/// the same key and publishes the same JWKS. Rotation: when the active key nears the end of its lifetime a successor
/// is created that activates one announce period later; until then it is only published. A key stays published for
/// a whole key lifetime after it stopped signing, far longer than any token it signed lives.
/// </summary>
internal sealed partial class SigningKeyManager(
    ICertLibraryDatabase database,
    PersonalDataProtector protector,
    IOptions<IdentityOptions> options,
    TimeProvider time,
    ILogger<SigningKeyManager> logger) : IDisposable
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromSeconds(60);
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Dictionary<string, SigningCredentials> _credentials = new(StringComparer.Ordinal);

    // The keys' signature providers are cached here, not in the process-wide CryptoProviderFactory.Default: that cache is
    // keyed by kid, so a host started after this one was disposed in the same process (a restarted node in tests, a host
    // rebuilt in place) would be handed a provider holding the ECDsa disposed below.
    private readonly CryptoProviderFactory _cryptoProviders = new();
    private Snapshot? _snapshot;

    public async Task<SigningCredentials> GetSigningCredentialsAsync(CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken);
        return snapshot.Active;
    }

    public async Task<IReadOnlyList<PublishedSigningKey>> GetPublishedKeysAsync(CancellationToken cancellationToken) =>
        (await GetSnapshotAsync(cancellationToken)).Published;

    /// <summary>Public keys by kid, for validating tokens this provider issued (id_token_hint, introspection).</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetValidationKeysAsync(CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(cancellationToken);
        return [.. snapshot.Published.Select(k => (SecurityKey)new JsonWebKey(k.PublicJwk))];
    }

    public void Dispose()
    {
        _lock.Dispose();
        foreach (var credentials in _credentials.Values)
        {
            ((ECDsaSecurityKey)credentials.Key).ECDsa.Dispose();
        }
    }

    private async Task<Snapshot> GetSnapshotAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var snapshot = _snapshot;
        if (snapshot is not null && now < snapshot.RefreshAt)
        {
            return snapshot;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            snapshot = _snapshot;
            if (snapshot is not null && now < snapshot.RefreshAt)
            {
                return snapshot;
            }

            _snapshot = snapshot = await LoadAsync(now, cancellationToken);
            return snapshot;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Snapshot> LoadAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var rows = await ReadKeysAsync(now, cancellationToken);
        var active = rows.Where(r => r.ActivatesAt <= now).MaxBy(r => (r.ActivatesAt, r.Kid));
        if (active is null)
        {
            // First start: nothing was ever signed, so the first key may sign at once.
            await CreateKeyAsync(now, now, cancellationToken);
            rows = await ReadKeysAsync(now, cancellationToken);
            active = rows.Where(r => r.ActivatesAt <= now).MaxBy(r => (r.ActivatesAt, r.Kid))!;
        }

        var successorAt = active.ActivatesAt + settings.SigningKeyLifetime;
        if (now >= successorAt - settings.SigningKeyAnnouncePeriod && !rows.Any(r => r.ActivatesAt > active.ActivatesAt))
        {
            var activatesAt = successorAt > now + settings.SigningKeyAnnouncePeriod ? successorAt : now + settings.SigningKeyAnnouncePeriod;
            await CreateKeyAsync(now, activatesAt, cancellationToken);
            rows = await ReadKeysAsync(now, cancellationToken);
        }

        var next = rows.Where(r => r.ActivatesAt > now).Select(r => r.ActivatesAt).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        var refreshAt = now + RefreshInterval;
        return new Snapshot(
            Credentials(active),
            [.. rows.Select(r => new PublishedSigningKey(r.Kid, r.PublicJwk, r.ActivatesAt, r.UnpublishAt))],
            next < refreshAt ? next : refreshAt);
    }

    private SigningCredentials Credentials(KeyRow row)
    {
        if (!_credentials.TryGetValue(row.Kid, out var credentials))
        {
            var ecdsa = ECDsa.Create();
            ecdsa.ImportPkcs8PrivateKey(protector.Open(row.SealedPrivateKey, Aad(row.Kid)), out _);
            credentials = new SigningCredentials(new ECDsaSecurityKey(ecdsa) { KeyId = row.Kid, CryptoProviderFactory = _cryptoProviders }, SecurityAlgorithms.EcdsaSha256);
            _credentials[row.Kid] = credentials;
        }

        return credentials;
    }

    private async Task CreateKeyAsync(DateTimeOffset now, DateTimeOffset activatesAt, CancellationToken cancellationToken)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var kid = Base64Url.EncodeToString(SHA256.HashData(ecdsa.ExportSubjectPublicKeyInfo()).AsSpan(0, 8));
        var parameters = ecdsa.ExportParameters(false);
        var jwk = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC",
            ["use"] = "sig",
            ["alg"] = "ES256",
            ["kid"] = kid,
            ["crv"] = "P-256",
            ["x"] = Base64Url.EncodeToString(parameters.Q.X),
            ["y"] = Base64Url.EncodeToString(parameters.Q.Y),
        });
        var unpublishAt = activatesAt + (2 * options.Value.SigningKeyLifetime) + options.Value.SigningKeyAnnouncePeriod;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO identity_signing_keys (kid, algorithm, public_jwk, sealed_private_key, created_at, activates_at, unpublish_at) " +
            "VALUES (@kid, 'ES256', @jwk, @sealed, @now, @activatesAt, @unpublishAt) ON CONFLICT (kid) DO NOTHING",
            new { kid, jwk, @sealed = protector.Seal(ecdsa.ExportPkcs8PrivateKey(), Aad(kid)), now, activatesAt, unpublishAt },
            cancellationToken: cancellationToken));
        LogKeyCreated(logger, kid, activatesAt);
    }

    private async Task<List<KeyRow>> ReadKeysAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            "SELECT kid, public_jwk, sealed_private_key, activates_at, unpublish_at FROM identity_signing_keys ORDER BY activates_at, kid",
            cancellationToken: cancellationToken));
        var rows = new List<KeyRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new KeyRow(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<byte[]>(2),
                reader.GetFieldValue<DateTimeOffset>(3), reader.GetFieldValue<DateTimeOffset>(4));
            if (row.UnpublishAt > now)
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static string Aad(string kid) => "identity-signing-key:" + kid;

    [LoggerMessage(Level = LogLevel.Information, Message = "Created token-signing key {Kid}, signing from {ActivatesAt}")]
    private static partial void LogKeyCreated(ILogger logger, string kid, DateTimeOffset activatesAt);

    private sealed record KeyRow(string Kid, string PublicJwk, byte[] SealedPrivateKey, DateTimeOffset ActivatesAt, DateTimeOffset UnpublishAt);

    private sealed record Snapshot(SigningCredentials Active, IReadOnlyList<PublishedSigningKey> Published, DateTimeOffset RefreshAt);
}
