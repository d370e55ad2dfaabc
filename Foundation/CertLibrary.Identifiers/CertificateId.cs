using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Serialization;

namespace CertLibrary.Identifiers;

/// <summary>
/// A certificate identifier (证照标识, GB/T 36904 practice):
/// <c>1.2.156.3005.2.{typeCode}.{issuerCode}.{serial}.{version}.{check}</c>.
/// </summary>
/// <remarks>
/// <para>The serial is 1–32 characters <c>[0-9A-Z]</c> when parsing (other platforms use other lengths);
/// identifiers this library generates have 20 random characters. The version is 3 digits, <c>001</c>–<c>999</c>.
/// The check character is ISO/IEC 7064 MOD 37,36 over type code, issuer code, serial and version
/// concatenated without the root and without dots.</para>
/// <para>Identifiers are case-sensitive: every letter must be upper case.</para>
/// </remarks>
[JsonConverter(typeof(IdentifierJsonConverter<CertificateId>))]
public readonly record struct CertificateId : IParsable<CertificateId>, IIdentifier<CertificateId>
{
    /// <summary>The object identifier arc every certificate identifier starts with, including the trailing dot.</summary>
    public const string Root = "1.2.156.3005.2.";

    /// <summary>The 36 characters of serials and check characters; their index is their MOD 37,36 value.</summary>
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /// <summary>The longest serial accepted when parsing.</summary>
    public const int MaxSerialLength = 32;

    /// <summary>The length of the serials <see cref="NewRandom"/> generates.</summary>
    public const int GeneratedSerialLength = 20;

    /// <summary>The highest version number.</summary>
    public const int MaxVersion = 999;

    private const int Modulus = 36;

    private readonly string? _value;

    private CertificateId(string value) => _value = value;

    /// <summary>The type code of the certificate.</summary>
    public CertificateTypeCode TypeCode => CertificateTypeCode.FromValidated(Value.Substring(Root.Length, CertificateTypeCode.Length));

    /// <summary>The credit code of the issuing department.</summary>
    public CreditCode Issuer => CreditCode.FromValidated(Value.Substring(Root.Length + CertificateTypeCode.Length + 1, CreditCode.Length));

    /// <summary>The serial: 1–32 characters <c>[0-9A-Z]</c>.</summary>
    public string Serial => Value[SerialStart..(Value.Length - 6)];

    /// <summary>The version, 1–999.</summary>
    public int Version => int.Parse(Value.AsSpan(Value.Length - 5, 3), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>The MOD 37,36 check character.</summary>
    public char Check => Value[^1];

    private static int SerialStart => Root.Length + CertificateTypeCode.Length + 1 + CreditCode.Length + 1;

    private string Value => _value ?? throw new InvalidOperationException("The certificate identifier is uninitialised (default).");

    /// <summary>
    /// Computes the ISO/IEC 7064 MOD 37,36 check character (hybrid system, M = 36) of <paramref name="body"/>.
    /// </summary>
    /// <remarks>
    /// P starts at M. For each character of value a: S = (P + a) mod M, and S = M when that is 0; then
    /// P = 2·S mod (M + 1). The check character has value (M + 1 − P) mod M, the one that makes the
    /// final S equal 1.
    /// </remarks>
    /// <param name="body">Type code, issuer code, serial and version without dots; characters <c>[0-9A-Z]</c>.</param>
    /// <exception cref="ArgumentException"><paramref name="body"/> is empty or has a character outside <c>[0-9A-Z]</c>.</exception>
    public static char ComputeCheck(ReadOnlySpan<char> body)
    {
        if (body.IsEmpty)
        {
            throw new ArgumentException("The body must not be empty.", nameof(body));
        }

        var p = Modulus;
        for (var i = 0; i < body.Length; i++)
        {
            var a = ValueOf(body[i]);
            if (a < 0)
            {
                throw new ArgumentException($"Character '{body[i]}' at position {i + 1} is not 0-9 or A-Z.", nameof(body));
            }

            var s = (p + a) % Modulus;
            if (s == 0)
            {
                s = Modulus;
            }

            p = s * 2 % (Modulus + 1);
        }

        return Alphabet[(Modulus + 1 - p) % Modulus];
    }

    /// <summary>Builds a certificate identifier and computes its check character.</summary>
    /// <exception cref="ArgumentException">A code is uninitialised, the serial is not 1–32 characters <c>[0-9A-Z]</c>, or the version is outside 1–999.</exception>
    public static CertificateId Create(CertificateTypeCode type, CreditCode issuer, string serial, int version)
    {
        ArgumentNullException.ThrowIfNull(serial);
        if (type == default)
        {
            throw new ArgumentException("The certificate type code is uninitialised.", nameof(type));
        }

        if (issuer == default)
        {
            throw new ArgumentException("The issuer credit code is uninitialised.", nameof(issuer));
        }

        if (ValidateSerial(serial) is { } serialError)
        {
            throw new ArgumentException(serialError, nameof(serial));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(version, MaxVersion);

        var versionText = version.ToString("D3", CultureInfo.InvariantCulture);
        var check = ComputeCheck(string.Concat(type.ToString(), issuer.ToString(), serial, versionText));
        return new CertificateId($"{Root}{type}.{issuer}.{serial}.{versionText}.{check}");
    }

    /// <summary>
    /// Generates a new identifier, version <c>001</c>, with a 20-character serial of upper-case letters and digits
    /// drawn uniformly from <see cref="RandomNumberGenerator"/>.
    /// </summary>
    public static CertificateId NewRandom(CertificateTypeCode type, CreditCode issuer) =>
        Create(type, issuer, RandomNumberGenerator.GetString(Alphabet, GeneratedSerialLength), 1);

    /// <summary>The next version of this certificate: same type, issuer and serial, version + 1.</summary>
    /// <exception cref="InvalidOperationException">The version is already 999, or the value is uninitialised.</exception>
    public CertificateId NextVersion()
    {
        var version = Version;
        if (version >= MaxVersion)
        {
            throw new InvalidOperationException($"version {version:D3} is the last one; a certificate has at most {MaxVersion} versions");
        }

        return Create(TypeCode, Issuer, Serial, version + 1);
    }

    /// <summary>Parses a certificate identifier.</summary>
    /// <exception cref="FormatException"><paramref name="s"/> is not a valid identifier; the message names the rule.</exception>
    public static CertificateId Parse(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return TryParse(s, out var value, out var error) ? value : throw new FormatException(error);
    }

    /// <inheritdoc cref="Parse(string)"/>
    public static CertificateId Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <summary>Tries to parse a certificate identifier.</summary>
    /// <param name="s">The text to parse.</param>
    /// <param name="value">The parsed identifier, or <see langword="default"/>.</param>
    /// <param name="error">When parsing fails, a sentence naming the rule that failed; otherwise <see langword="null"/>.</param>
    public static bool TryParse([NotNullWhen(true)] string? s, out CertificateId value, [NotNullWhen(false)] out string? error)
    {
        value = default;
        error = Validate(s);
        if (error is not null)
        {
            return false;
        }

        value = new CertificateId(s!);
        return true;
    }

    /// <summary>Tries to parse a certificate identifier.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, out CertificateId result) => TryParse(s, out result, out _);

    /// <inheritdoc cref="TryParse(string?, out CertificateId)"/>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out CertificateId result) => TryParse(s, out result, out _);

    /// <summary>The identifier as text; an empty string for an uninitialised value.</summary>
    public override string ToString() => _value ?? string.Empty;

    private static string? Validate(string? s)
    {
        if (string.IsNullOrWhiteSpace(s))
        {
            return "certificate identifier is empty";
        }

        if (!s.StartsWith(Root, StringComparison.Ordinal))
        {
            return $"certificate identifier must start with '{Root}'";
        }

        var parts = s[Root.Length..].Split('.');
        if (parts.Length != 5)
        {
            return $"certificate identifier must have 5 dot-separated parts after the root (type code, issuer code, serial, version, check) but has {parts.Length}";
        }

        var (type, issuer, serial, version, check) = (parts[0], parts[1], parts[2], parts[3], parts[4]);

        if (LowerCaseError(type, "type code") is { } typeCaseError)
        {
            return typeCaseError;
        }

        if (CertificateTypeCode.Validate(type) is { } typeError)
        {
            return typeError;
        }

        if (LowerCaseError(issuer, "issuer code") is { } issuerCaseError)
        {
            return issuerCaseError;
        }

        if (CreditCode.Validate(issuer, "issuer code") is { } issuerError)
        {
            return issuerError;
        }

        if (ValidateSerial(serial) is { } serialError)
        {
            return serialError;
        }

        if (version.Length != 3 || version.AsSpan().ContainsAnyExceptInRange('0', '9'))
        {
            return $"version '{version}' must be 3 digits";
        }

        if (version == "000")
        {
            return "version 000 is out of range; versions run from 001 to 999";
        }

        if (check.Length != 1 || ValueOf(check[0]) < 0)
        {
            return $"check '{check}' must be one character 0-9 or A-Z";
        }

        var expected = ComputeCheck(string.Concat(type, issuer, serial, version));
        return check[0] == expected ? null : $"check character is '{check[0]}' but should be '{expected}'";
    }

    private static string? ValidateSerial(string serial)
    {
        if (serial.Length is 0 or > MaxSerialLength)
        {
            return $"serial must have 1 to {MaxSerialLength} characters but has {serial.Length}";
        }

        for (var i = 0; i < serial.Length; i++)
        {
            if (ValueOf(serial[i]) < 0)
            {
                return $"serial character '{serial[i]}' at position {i + 1} is not 0-9 or upper-case A-Z";
            }
        }

        return null;
    }

    private static string? LowerCaseError(string part, string name)
    {
        var index = part.AsSpan().IndexOfAnyInRange('a', 'z');
        return index < 0 ? null : $"{name} character '{part[index]}' at position {index + 1} must be upper case";
    }

    private static int ValueOf(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
