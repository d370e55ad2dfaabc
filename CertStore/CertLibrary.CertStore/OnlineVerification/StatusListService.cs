using System.Collections.Concurrent;
using System.Text;
using System.Text.Encodings.Web;
using CertLibrary.Data;
using CertLibrary.Signing;
using CertLibrary.Verification;
using Dapper;

namespace CertLibrary.CertStore.OnlineVerification;

/// <summary>
/// Builds signed W3C Bitstring Status Lists from the database on every request (one indexed query for the
/// non-valid rows of the list), so a revoke is reflected at once; the signed document is reused while the bits
/// are unchanged.
/// </summary>
public sealed class StatusListService(ICertLibraryDatabase database, KeyManager keys, TimeProvider time)
{
    /// <summary>How long a published list is declared valid (<c>validUntil</c>).</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromHours(24);

    private readonly ConcurrentDictionary<(string, string), (string ETag, byte[] Body)> _signed = new();

    /// <summary>Current ETag and signed body of a list; <see langword="null"/> when the list does not exist.</summary>
    public async Task<(string ETag, Func<CancellationToken, Task<byte[]>> Body)?> GetAsync(string listId, string purpose, string baseUrl, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM status_lists WHERE list_id = @listId", new { listId }, cancellationToken: cancellationToken));
        if (exists == 0)
        {
            return null;
        }

        var rows = await connection.QueryAsync<(int Index, string Status)>(new CommandDefinition(
            "SELECT status_index, status FROM certificates WHERE status_list_id = @listId AND status <> 'valid'", new { listId },
            cancellationToken: cancellationToken));
        var bits = new byte[StatusListCredential.MinimumLength / 8];
        foreach (var (index, status) in rows)
        {
            if (purpose == StatusListCredential.Revocation ? status is "revoked" or "suspended" : status == "suspended")
            {
                StatusListCredential.SetBit(bits, index);
            }
        }

        var etag = StatusListCredential.ETagOf(listId, purpose, bits);
        return (etag, async ct =>
        {
            if (_signed.TryGetValue((listId, purpose), out var cached) && cached.ETag == etag)
            {
                return cached.Body;
            }

            var now = time.GetUtcNow();
            var url = $"{baseUrl}/api/v1/status-lists/{Uri.EscapeDataString(listId)}" + (purpose == StatusListCredential.Revocation ? "" : "?purpose=" + purpose);
            var credential = StatusListCredential.Build(url, baseUrl, listId, purpose, bits, now, now + Validity);
            var signers = await keys.GetSignersAsync(SigningKeyRecord.PlatformOwner, ct);
            var signed = Jws.SignGeneral(Encoding.UTF8.GetBytes(credential.ToJsonString()), signers, StatusListCredential.JwsType);
            var body = Encoding.UTF8.GetBytes(signed.ToJsonString());
            _signed[(listId, purpose)] = (etag, body);
            return body;
        });
    }
}

/// <summary>The signed trust list, rebuilt when a key changes or after an hour; <c>nextUpdate</c> is issuedAt + 24 h.</summary>
public sealed class TrustListService(KeyManager keys, TimeProvider time)
{
    /// <summary>Validity of a published trust list.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromHours(24);

    private static readonly TimeSpan RebuildAfter = TimeSpan.FromHours(1);
    private static readonly JsonSerializerOptionsHolder Options = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private (string Fingerprint, DateTimeOffset BuiltAt, string ETag, byte[] Body)? _current;

    /// <summary>The current signed list and its ETag.</summary>
    public async Task<(string ETag, byte[] Body)> GetAsync(CancellationToken cancellationToken)
    {
        var all = await keys.GetAllKeysAsync(cancellationToken);
        var fingerprint = string.Join(";", all.OrderBy(k => k.KeyId, StringComparer.Ordinal)
            .Select(k => $"{k.KeyId}/{k.Algorithm}/{k.OwnerCode}/{k.RetiredAt?.ToUnixTimeMilliseconds()}/{k.RevokedAt?.ToUnixTimeMilliseconds()}"));
        var now = time.GetUtcNow();
        if (_current is { } c && c.Fingerprint == fingerprint && now - c.BuiltAt < RebuildAfter)
        {
            return (c.ETag, c.Body);
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var signed = await TrustListBuilder.BuildAsync(keys, Validity, cancellationToken);
            var body = Encoding.UTF8.GetBytes(signed.ToJsonString(Options.Value));
            var etag = "\"" + Base64Url.Encode(System.Security.Cryptography.SHA256.HashData(body).AsSpan(0, 16)) + "\"";

            // The platform keys are created on first build, so fingerprint again to avoid an immediate rebuild.
            var after = await keys.GetAllKeysAsync(cancellationToken);
            var newPrint = string.Join(";", after.OrderBy(k => k.KeyId, StringComparer.Ordinal)
                .Select(k => $"{k.KeyId}/{k.Algorithm}/{k.OwnerCode}/{k.RetiredAt?.ToUnixTimeMilliseconds()}/{k.RevokedAt?.ToUnixTimeMilliseconds()}"));
            _current = (newPrint, now, etag, body);
            return (etag, body);
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class JsonSerializerOptionsHolder
    {
        public System.Text.Json.JsonSerializerOptions Value { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    }
}
