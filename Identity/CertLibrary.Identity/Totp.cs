using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CertLibrary.Identity;

/// <summary>
/// RFC 6238 time-based one-time passwords over RFC 4226 HOTP: HMAC-SHA1, 30-second steps counted from the Unix epoch,
/// dynamic truncation, 6 digits. Secrets are 160 bits (RFC 4226 §4 recommends at least that) shown in RFC 4648 base32.
/// </summary>
internal static class Totp
{
    public const int Digits = 6;
    public const int StepSeconds = 30;
    public const int SecretBytes = 20;

    /// <summary>Steps either side of the current one that are still accepted (clock drift, typing time).</summary>
    public const int Window = 1;

    private const string Base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static byte[] NewSecret() => RandomNumberGenerator.GetBytes(SecretBytes);

    public static long Step(DateTimeOffset time) => time.ToUnixTimeSeconds() / StepSeconds;

    /// <summary>The HOTP value for <paramref name="step"/> (RFC 4226 §5.3), left-padded with zeros to <paramref name="digits"/>.</summary>
    public static string Code(ReadOnlySpan<byte> secret, long step, int digits = Digits)
    {
        Span<byte> counter = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(counter, step);
        Span<byte> mac = stackalloc byte[20];
#pragma warning disable CA5350 // RFC 6238 TOTP as every authenticator app implements it is HMAC-SHA1; HMAC does not rely on SHA-1 collision resistance.
        HMACSHA1.HashData(secret, counter, mac);
#pragma warning restore CA5350
        var offset = mac[^1] & 0x0F;
        var binary = ((mac[offset] & 0x7F) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
        var modulus = 1;
        for (var i = 0; i < digits; i++)
        {
            modulus *= 10;
        }

        return (binary % modulus).ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(digits, '0');
    }

    /// <summary>
    /// The time step whose code equals <paramref name="code"/> within <see cref="Window"/> steps of <paramref name="now"/>, or
    /// null. Compares every candidate in constant time so timing does not reveal which step matched.
    /// </summary>
    public static long? MatchStep(ReadOnlySpan<byte> secret, string code, DateTimeOffset now)
    {
        if (code.Length != Digits || !code.All(char.IsAsciiDigit))
        {
            return null;
        }

        var current = Step(now);
        long? matched = null;
        var given = Encoding.ASCII.GetBytes(code);
        for (var step = current - Window; step <= current + Window; step++)
        {
            if (CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Code(secret, step)), given))
            {
                matched ??= step;
            }
        }

        return matched;
    }

    /// <summary>Normalises what a person typed: spaces and dashes removed (apps show "123 456").</summary>
    public static string Normalise(string? typed) =>
        new((typed ?? string.Empty).Where(c => c is not (' ' or '-' or '\u00A0')).Take(16).ToArray());

    /// <summary>RFC 4648 base32 without padding, as authenticator apps expect it in <c>otpauth://</c> URIs.</summary>
    public static string Base32(ReadOnlySpan<byte> data)
    {
        var output = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                output.Append(Base32Alphabet[(buffer >> (bits - 5)) & 0x1F]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            output.Append(Base32Alphabet[(buffer << (5 - bits)) & 0x1F]);
        }

        return output.ToString();
    }

    /// <summary>
    /// The Key URI Format understood by authenticator apps: <c>otpauth://totp/CertLibrary:{label}?secret=..&amp;issuer=CertLibrary</c>.
    /// The label is the account's display name, never the identity number.
    /// </summary>
    public static string KeyUri(ReadOnlySpan<byte> secret, string label) =>
        $"otpauth://totp/{Uri.EscapeDataString(IssuerLabel)}:{Uri.EscapeDataString(label)}?secret={Base32(secret)}" +
        $"&issuer={Uri.EscapeDataString(IssuerLabel)}&algorithm=SHA1&digits={Digits}&period={StepSeconds}";

    public const string IssuerLabel = "CertLibrary";
}
