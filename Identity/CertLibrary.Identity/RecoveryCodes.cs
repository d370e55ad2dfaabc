using System.Security.Cryptography;
using System.Text;

namespace CertLibrary.Identity;

/// <summary>
/// One-time recovery codes for citizens who lost their authenticator: 12 characters of Crockford base32 (60 random bits)
/// shown as <c>XXXX-XXXX-XXXX</c>. Entry is forgiving (case, spaces, hyphens, O for 0, I and L for 1). Stored only as
/// SHA-256 over the account's holder key (itself a keyed hash, so a per-account secret salt) and the code: 2^60
/// candidates per code are out of reach of guessing online (failures count toward the lockout) and costly offline.
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

    /// <summary>Storage form of a code (canonical or as shown) for an account.</summary>
    public static string Hash(string holderKey, string code) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("identity-recovery:" + holderKey + ":" + (Normalise(code) ?? code))));
}
