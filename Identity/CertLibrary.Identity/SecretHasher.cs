using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace CertLibrary.Identity;

/// <summary>
/// Client secrets and opaque handles (codes, refresh tokens) are 256-bit random values generated here, so they are
/// stored as a plain SHA-256: a slow password hash (PBKDF2) only helps against guessing low-entropy human passwords,
/// and 2^256 candidates cannot be brute-forced whatever the hash speed, while PBKDF2 would cap the token endpoint far
/// below 1,000 grants/s. Comparison is constant-time so a timing side channel reveals nothing about the stored hash.
/// </summary>
internal static class SecretHasher
{
    public static string NewSecret(int bytes = 32) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    public static string Hash(string secret) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>Storage key of an opaque handle (code, refresh token, session cookie): base64url SHA-256.</summary>
    public static string HandleHash(string handle) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(handle)));

    public static bool Verify(string secret, string storedHash)
    {
        Span<byte> expected = stackalloc byte[32];
        if (!Convert.TryFromBase64String(storedHash, expected, out var written) || written != 32)
        {
            return false;
        }

        Span<byte> actual = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(secret), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }
}
