using System.Security.Cryptography;
using System.Text;
using CertLibrary.Data;
using Dapper;

namespace CertLibrary.CertStore.OnlineVerification;

/// <summary>Online QR tokens: random 128-bit, purpose-bound, expiring. Only their SHA-256 is stored.</summary>
public sealed class VerificationTokenStore(ICertLibraryDatabase database, TimeProvider time)
{
    /// <summary>Default lifetime of a token.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(10);

    /// <summary>Creates a token for <paramref name="certificateId"/> bound to <paramref name="purpose"/>.</summary>
    public async Task<(string Token, DateTimeOffset ExpiresAt)> CreateAsync(string certificateId, string purpose, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var token = Signing.Base64Url.Encode(RandomNumberGenerator.GetBytes(16));
        var now = time.GetUtcNow();
        var expires = now + lifetime;
        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM verification_tokens WHERE expires_at < @cutoff", new { cutoff = now.AddDays(-1).ToUnixTimeSeconds() }, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO verification_tokens (token_hash, certificate_id, purpose, created_at, expires_at) VALUES (@hash, @certificateId, @purpose, @created, @expires)",
            new { hash = Hash(token), certificateId, purpose, created = now.ToUnixTimeSeconds(), expires = expires.ToUnixTimeSeconds() },
            cancellationToken: cancellationToken));
        return (token, expires);
    }

    /// <summary>Finds a token (expired or not); <see langword="null"/> when unknown or malformed.</summary>
    public async Task<VerificationToken?> FindAsync(string? token, CancellationToken cancellationToken)
    {
        if (token is null || token.Length != 22 || !Signing.Base64Url.TryDecode(token, out var bytes) || bytes.Length != 16)
        {
            return null;
        }

        await using var connection = await database.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(string CertificateId, string Purpose, long ExpiresAt)?>(new CommandDefinition(
            "SELECT certificate_id, purpose, expires_at FROM verification_tokens WHERE token_hash = @hash", new { hash = Hash(token) },
            cancellationToken: cancellationToken));
        return row is { } r ? new VerificationToken(r.CertificateId, r.Purpose, DateTimeOffset.FromUnixTimeSeconds(r.ExpiresAt)) : null;
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(token)));
}

/// <summary>A stored online token.</summary>
public sealed record VerificationToken(string CertificateId, string Purpose, DateTimeOffset ExpiresAt);
