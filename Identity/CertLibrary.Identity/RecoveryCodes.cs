using System.Security.Cryptography;
using System.Text;

namespace CertLibrary.Identity;

/// <summary>
/// One-time recovery codes for citizens who lost their authenticator: 12 characters of Crockford base32 (60 random bits)
/// shown as <c>XXXX-XXXX-XXXX</c>. Entry is forgiving (case, spaces, hyphens, O for 0, I and L for 1). Stored only as
/// HMAC-SHA-256, under a key derived (HKDF) from the master key, of the account's holder key and the code, prefixed
/// <c>v2:</c>: 2^60 candidates per code are out of reach of guessing online (failures count toward the lockout), and a
/// copy of the database alone does not allow guessing offline, since the key is not in it. Codes stored before (plain
/// SHA-256 over the holder key and the code, no prefix) are still accepted, once each, until they are used or replaced.
/// </summary>
internal static class RecoveryCodes
{
    /// <summary>Codes issued at enrolment and at each regeneration.</summary>
    public const int Count = 10;

    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int Length = 12;

    /// <summary>A fresh set of <see cref="Count"/> distinct codes, formatted for reading.</summary>
    public static IReadOnlyList<string> Generate()
    {
        var codes = new HashSet<string>(StringComparer.Ordinal);
        while (codes.Count < Count)
        {
            var chars = new char[Length];
            for (var i = 0; i < Length; i++)
            {
                chars[i] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }

            codes.Add(new string(chars));
        }

        return [.. codes.Select(c => $"{c[..4]}-{c[4..8]}-{c[8..]}")];
    }

    /// <summary>The canonical form of what was typed, or null when it cannot be a recovery code.</summary>
    public static string? Normalise(string? input)
    {
        if (string.IsNullOrEmpty(input) || input.Length > 40)
        {
            return null;
        }

        var builder = new StringBuilder(Length);
        foreach (var c in input.ToUpperInvariant())
        {
            var mapped = c switch
            {
                ' ' or '-' => '\0',
                'O' => '0',
                'I' or 'L' => '1',
                _ => c,
            };
            if (mapped == '\0')
            {
                continue;
            }

            if (!Alphabet.Contains(mapped, StringComparison.Ordinal))
            {
                return null;
            }

            builder.Append(mapped);
        }

        return builder.Length == Length ? builder.ToString() : null;
    }

    /// <summary>Prefix of the keyed storage form.</summary>
    public const string KeyedPrefix = "v2:";

    /// <summary>The HMAC key of the storage form, derived from the master key (its own HKDF info: no other use shares it).</summary>
    public static byte[] DeriveKey(byte[] masterKey) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, 32, info: "certlib identity recovery codes v1"u8.ToArray());

    /// <summary>Storage form of a code (canonical or as shown) for an account: <c>v2:</c> and the HMAC under <paramref name="key"/>.</summary>
    public static string Hash(byte[] key, string holderKey, string code) =>
        KeyedPrefix + Convert.ToBase64String(HMACSHA256.HashData(key, Input(holderKey, code)));

    /// <summary>The storage form written before the keyed one (unkeyed SHA-256); only checked, never written.</summary>
    public static string LegacyHash(string holderKey, string code) => Convert.ToBase64String(SHA256.HashData(Input(holderKey, code)));

    private static byte[] Input(string holderKey, string code) =>
        Encoding.UTF8.GetBytes("identity-recovery:" + holderKey + ":" + (Normalise(code) ?? code));
}
